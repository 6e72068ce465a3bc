package alert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
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

	once  sync.Once
	queue chan Event
	done  chan struct{}
	stop  chan struct{}
}

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
			w.Client = &http.Client{Timeout: 5 * time.Second}
		}
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
		fmt.Fprintf(w.Log, "kx: webhook %s: queue full, alert %q dropped\n", w.URL, ev.Rule)
	}
}

// Close waits until the queued alerts are posted or ctx ends; alerts still
// queued then are reported as not delivered.
func (w *Webhook) Close(ctx context.Context) {
	w.start()
	close(w.queue)
	select {
	case <-w.done:
	case <-ctx.Done():
		close(w.stop)
		<-w.done
	}
}

func (w *Webhook) run() {
	defer close(w.done)
	for ev := range w.queue {
		if err := w.post(ev); err != nil {
			fmt.Fprintf(w.Log, "kx: webhook %s: alert %q not delivered: %v\n", w.URL, ev.Rule, err)
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
		err = w.postOnce(body)
		if err == nil {
			return nil
		}
		if attempt >= w.Attempts {
			return fmt.Errorf("%d attempts: %w", attempt, err)
		}
		select {
		case <-time.After(wait):
		case <-w.stop:
			return fmt.Errorf("stopped after %d attempts: %w", attempt, err)
		}
		wait *= 2
	}
}

func (w *Webhook) postOnce(body []byte) error {
	req, err := http.NewRequest(http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kx")
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
