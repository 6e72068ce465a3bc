package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kx-cli/kx/pkg/output"
)

// Webhook posts alerts as JSON to an HTTP endpoint from a background
// goroutine: Send never blocks, failed posts are retried with exponential
// back-off, and a post that fails for good is reported on Log.
type Webhook struct {
	URL string
	// Attempts per alert (4 when 0) and the first back-off (250ms when 0),
	// doubled after each failure.
	Attempts int
	Backoff  time.Duration
	Client   *http.Client
	Log      io.Writer

	once   sync.Once
	queue  chan Event
	done   chan struct{}
	stop   chan struct{}
	ctx    context.Context // cancelled when Close gives up: in-flight posts end
	cancel context.CancelFunc
	shown  string // the URL as printed: scheme://host:port
}

// shownURL is u without what may carry a secret (user info, path, query):
// Slack-style URLs hold their token in the path.
func shownURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return "(webhook URL)"
	}
	return pu.Scheme + "://" + pu.Host
}

// noRedirect: a 3xx is a failed delivery; following it would re-post the
// alert to wherever it points.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// webhookQueue bounds the alerts waiting to be posted; beyond it new alerts
// are dropped (and reported) rather than slowing the dashboard.
const webhookQueue = 1024

func (w *Webhook) start() {
	w.once.Do(func() {
		if w.Attempts <= 0 {
			w.Attempts = 4
		}
		if w.Backoff <= 0 {
			w.Backoff = 250 * time.Millisecond
		}
		if w.Client == nil {
			w.Client = &http.Client{Timeout: 5 * time.Second, CheckRedirect: noRedirect}
		}
		w.shown = shownURL(w.URL)
		w.ctx, w.cancel = context.WithCancel(context.Background())
		if w.Log == nil {
			w.Log = io.Discard
		}
		w.queue = make(chan Event, webhookQueue)
		w.done = make(chan struct{})
		w.stop = make(chan struct{})
		go w.run()
	})
}

// Send queues ev for posting and returns at once.
func (w *Webhook) Send(ev Event) {
	w.start()
	select {
	case w.queue <- ev:
	default:
		fmt.Fprintf(w.Log, "kx: webhook %s: queue full, alert %q dropped\n", w.shown, ev.Rule)
	}
}

// Close waits until the queued alerts are posted or ctx ends: ctx is the
// budget of all pending posts together. When it ends, the post in flight
// is cancelled and alerts still queued are reported as not delivered.
func (w *Webhook) Close(ctx context.Context) {
	w.start()
	close(w.queue)
	select {
	case <-w.done:
	case <-ctx.Done():
		close(w.stop)
		w.cancel()
		<-w.done
	}
	w.cancel()
}

func (w *Webhook) run() {
	defer close(w.done)
	for ev := range w.queue {
		if err := w.post(ev); err != nil {
			fmt.Fprintf(w.Log, "kx: webhook %s: alert %q not delivered: %v\n", w.shown, ev.Rule, err)
		}
	}
}

func (w *Webhook) post(ev Event) error {
	body, err := output.Marshal(ev)
	if err != nil {
		return err
	}
	wait := w.Backoff
	for attempt := 1; ; attempt++ {
		select {
		case <-w.stop:
			return fmt.Errorf("out of time after %s", output.Count(attempt-1, "attempt"))
		default:
		}
		err = w.postOnce(body)
		if err == nil {
			return nil
		}
		if attempt >= w.Attempts {
			return fmt.Errorf("%s: %w", output.Count(attempt, "attempt"), err)
		}
		select {
		case <-time.After(wait):
		case <-w.stop:
			return fmt.Errorf("stopped after %s: %w", output.Count(attempt, "attempt"), err)
		}
		wait *= 2
	}
}

func (w *Webhook) postOnce(body []byte) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kx")
	resp, err := w.Client.Do(req)
	if err != nil {
		// A *url.Error repeats the whole URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
