package stats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// AlertError ends a watch: an alert of the --fail-on severity fired.
type AlertError struct{ Msg string }

func (e *AlertError) Error() string { return e.Msg }

// Watcher is one --watch run: it samples offsets every interval, reads the
// records the query needs, evaluates alert rules and prints a stats line
// (or a dashboard frame) per interval and a summary at the end. Readers
// (one goroutine per batch of topics) feed the tracker and the alert
// engine under mu; the main loop alone writes to out.
type Watcher struct {
	opts    *Query
	client  Cluster
	open    consume.Opener
	out     io.Writer
	errOut  io.Writer
	tty     bool
	dash    *Dashboard
	webhook *alert.Webhook

	mu           sync.Mutex
	tracker      *Tracker
	engine       *alert.Engine
	lastActivity time.Time

	events   chan alert.Event
	readErr  chan error
	readers  sync.WaitGroup
	started  map[string]bool
	warned   map[string]bool
	fired    AlertCounts
	lastSnap *Snapshot
	names    []string

	prevAt    time.Time
	prevHigh  int64
	down      bool // the last sample could not reach the cluster
	downSince time.Time
}

// NewWatcher prepares a watch of q on client, reading records through
// open. With dash it draws that dashboard on out (a terminal); without,
// it prints NDJSON. Warnings go to errOut.
func NewWatcher(q *Query, client Cluster, open consume.Opener, out, errOut io.Writer, dash *Dashboard) *Watcher {
	if q.Interval <= 0 {
		q.Interval = time.Second
	}
	w := &Watcher{
		opts: q, client: client, open: open, out: out, errOut: errOut,
		tty: dash != nil, dash: dash,
		tracker: NewTracker(120),
		engine:  alert.NewEngine(q.Rules),
		events:  make(chan alert.Event, 256),
		readErr: make(chan error, 16),
		started: map[string]bool{},
		warned:  map[string]bool{},
	}
	w.tracker.Latency = q.Latency
	if w.engine.NeedsGroups() {
		q.Groups = true // lag rules judge the groups' lag
	}
	if dash != nil && w.engine.WatchesConnection() {
		dash.Connection = "connecting"
	}
	if q.By != nil {
		w.tracker.SetBy(NewByCounter(q.By, q.ByTopic))
	}
	return w
}

// Run watches until ctx ends, --idle passes or an alert of the --fail-on
// severity fires (an *AlertError), then prints the summary.
func (w *Watcher) Run(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		w.readers.Wait()
	}()
	if w.opts.Webhook != "" {
		w.webhook = &alert.Webhook{URL: w.opts.Webhook, Log: w.errOut}
		defer func() {
			// Give queued alerts a moment to go out; never hang on a dead
			// endpoint.
			dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer dcancel()
			w.webhook.Close(dctx)
		}()
	}
	if w.tty {
		if _, err := io.WriteString(w.out, EnterScreen); err != nil {
			return err
		}
	}
	err = w.loop(ctx)
	if err == nil && ctx.Err() != nil {
		w.lastLook()
	}
	if w.tty {
		if _, werr := io.WriteString(w.out, LeaveScreen); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil && !errors.As(err, new(*AlertError)) {
		return err
	}
	if w.dash != nil {
		for _, m := range w.stillWaiting() {
			fmt.Fprintf(w.errOut, "kx: stats: %s\n", m)
		}
	}
	if serr := w.summary(); serr != nil && err == nil {
		err = serr
	}
	return err
}

// lastLook samples the offsets once more after a stop (Ctrl-C, or kx demo
// at the end of its play), so the summary counts every record.
func (w *Watcher) lastLook() {
	fctx, fcancel := context.WithTimeout(context.Background(), w.client.Timeout())
	defer fcancel()
	if s, err := Collect(fctx, w.client, w.opts); err == nil {
		w.mu.Lock()
		w.tracker.ObserveOffsets(time.Now(), s.Offsets)
		w.mu.Unlock()
	}
}

// JoinBrokers names the bootstrap brokers for the dashboard's title.
func JoinBrokers(b []string) string {
	if len(b) == 1 {
		return b[0]
	}
	return strconv.Itoa(len(b)) + " bootstrap brokers"
}

// loop refreshes every interval until ctx ends, --idle passes or an alert
// of the --fail-on severity fires.
func (w *Watcher) loop(ctx context.Context) error {
	ticker := time.NewTicker(w.opts.Interval)
	defer ticker.Stop()
	w.prevHigh = -1
	for {
		s, err := Collect(ctx, w.client, w.opts)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err != nil && w.engine.WatchesConnection() && errors.Is(err, cluster.ErrUnreachable):
			// A connection rule judges the outage: keep watching.
			if err := w.unreachable(err); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			stop, err := w.refresh(ctx, s)
			if err != nil || stop {
				return err
			}
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case err := <-w.readErr:
				return err
			case ev := <-w.events:
				if err := w.alert(ev); err != nil {
					return err
				}
			case <-ticker.C:
				break wait
			}
		}
	}
}

// refresh shows one interval from a sample of the cluster and evaluates
// the rules on it; stop is set when --idle has passed.
func (w *Watcher) refresh(ctx context.Context, s *Sample) (stop bool, err error) {
	if err := w.startReaders(ctx, s); err != nil {
		return false, err
	}
	prevAt, prevHigh := w.prevAt, w.prevHigh
	{
		now := time.Now()
		w.names = s.Names()
		w.mu.Lock()
		if prevAt.IsZero() {
			w.lastActivity = now
		}
		if high := totalHigh(s.Offsets); high != prevHigh {
			if prevHigh >= 0 {
				w.lastActivity = now
			}
			prevHigh = high
		}
		w.tracker.ObserveOffsets(now, s.Offsets)
		evs := w.engine.Advance(now)
		hevs, warnings := w.engine.Sample(healthSample(now, s, w.brokers(), w.opts.Groups))
		evs = append(evs, hevs...)
		var interval time.Duration
		if !prevAt.IsZero() {
			interval = now.Sub(prevAt)
		}
		snap := w.tracker.Snapshot(now, interval, w.names)
		idleFor := now.Sub(w.lastActivity)
		w.mu.Unlock()
		w.prevAt, w.prevHigh = now, prevHigh
		w.warn(warnings...)
		if w.down {
			w.down = false
			fmt.Fprintf(w.errOut, "kx: stats: the cluster at %s is reachable again\n", strings.Join(w.brokers(), ","))
		}
		if w.dash != nil && w.engine.WatchesConnection() {
			w.dash.Connection = "connected"
		}
		Finish(snap, s)
		w.lastSnap = snap
		if err := w.show(snap); err != nil {
			return false, err
		}
		for _, ev := range evs {
			if err := w.alert(ev); err != nil {
				return false, err
			}
		}
		if w.opts.Idle > 0 && idleFor >= w.opts.Idle {
			return true, nil
		}
	}
	return false, nil
}

// brokers are the cluster's addresses, for the connection messages.
func (w *Watcher) brokers() []string {
	if b, ok := w.client.(interface{ Brokers() []string }); ok {
		return b.Brokers()
	}
	return nil
}

// unreachable takes a failed sample: the connection rules judge it, the
// dashboard header says since when the cluster is unreachable, stderr
// says so once per outage.
func (w *Watcher) unreachable(cause error) error {
	now := time.Now()
	w.mu.Lock()
	evs, _ := w.engine.Sample(&alert.Sample{Time: now, Err: cause, Brokers: w.brokers()})
	w.mu.Unlock()
	if !w.down {
		w.down, w.downSince = true, w.prevAt
		if w.downSince.IsZero() {
			w.downSince = now
		}
		fmt.Fprintf(w.errOut, "kx: stats: %v; still watching\n", cause)
	}
	if w.dash != nil {
		w.dash.Connection = "UNREACHABLE " + now.Sub(w.downSince).Round(time.Second).String()
		if w.lastSnap != nil {
			if err := w.show(w.lastSnap); err != nil {
				return err
			}
		}
	}
	for _, ev := range evs {
		if err := w.alert(ev); err != nil {
			return err
		}
	}
	return nil
}

// healthSample is what the health rules judge: the offsets and the lag of
// every group the interval fetched anyway (one round for all rules).
func healthSample(now time.Time, s *Sample, brokers []string, groups bool) *alert.Sample {
	hs := &alert.Sample{Time: now, Brokers: brokers, GroupsSampled: groups, Groups: s.groupIDs}
	hs.Topics = make([]alert.TopicHighs, 0, len(s.Offsets))
	for _, t := range s.Offsets {
		th := alert.TopicHighs{Topic: t.Topic, Partitions: make([]alert.PartitionHigh, 0, len(t.Partitions))}
		for _, p := range t.Partitions {
			th.Partitions = append(th.Partitions, alert.PartitionHigh{Partition: p.Partition, High: p.High})
		}
		hs.Topics = append(hs.Topics, th)
	}
	hs.Lags = make([]alert.GroupLag, 0, len(s.groups))
	for _, g := range s.groups {
		hs.Lags = append(hs.Lags, alert.GroupLag{Group: g.Group, Topic: g.Topic, Lag: g.Lag, WorstPartition: g.WorstPartition, WorstLag: g.WorstLag})
	}
	return hs
}

func totalHigh(offs []TopicOffsets) int64 {
	var n int64
	for _, t := range offs {
		for _, p := range t.Partitions {
			n += p.High
		}
	}
	return n
}

// show prints one interval: an NDJSON line, or a dashboard frame.
func (w *Watcher) show(snap *Snapshot) error {
	if !w.tty {
		return output.WriteJSONLine(w.out, snap)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dash.Render(w.out, w.tracker, snap)
}

// alert prints (or shows) one alert, posts it, and ends the run when it is
// of the --fail-on severity or worse.
func (w *Watcher) alert(ev alert.Event) error {
	switch ev.SeverityLevel() {
	case alert.Error:
		w.fired.Error++
	case alert.Warning:
		w.fired.Warning++
	case alert.Info:
		w.fired.Info++
	default:
		w.fired.Success++
	}
	if w.webhook != nil {
		w.webhook.Send(ev)
	}
	if w.tty {
		t, _ := time.Parse(time.RFC3339Nano, ev.Time)
		if t.IsZero() {
			t = time.Now()
		}
		w.dash.Notify(Notice{Time: t, Severity: ev.Severity, Text: ev.Rule + ": " + ev.Message})
		if w.lastSnap != nil {
			if err := w.show(w.lastSnap); err != nil {
				return err
			}
		}
	} else if err := output.WriteJSONLine(w.out, ev); err != nil {
		return err
	}
	if f := w.opts.FailOn; f != nil && ev.SeverityLevel() >= *f {
		return &AlertError{Msg: fmt.Sprintf("alert %q (%s) fired: %s", ev.Rule, ev.Severity, ev.Message)}
	}
	return nil
}

// startReaders starts reading the records of the topics that need it and
// exist: the ones present at the first refresh from --from (default end),
// the ones that appear later from their beginning.
func (w *Watcher) startReaders(ctx context.Context, s *Sample) error {
	want := RecordTopics(w.opts, s.Names())
	var metas []cluster.TopicMeta
	for _, t := range want {
		if w.started[t] {
			continue
		}
		m, ok := s.MD.Topic(t)
		if !ok {
			if t == w.opts.ByTopic && w.opts.By != nil {
				return &cluster.UnknownTopicError{Topic: t}
			}
			if !w.warned[t] {
				w.warned[t] = true
				w.warn(topicWaitMsg(t))
			}
			continue
		}
		metas = append(metas, m)
	}
	if len(metas) == 0 {
		return nil
	}
	tps := cluster.Partitions(metas)
	wm, err := w.client.Watermarks(ctx, tps)
	if err != nil {
		return err
	}
	def := "end"
	if len(w.started) > 0 || len(w.warned) > 0 && w.anyWarned(metas) {
		def = "beginning" // a topic that appeared while we watched: all of it is new
	}
	q := *w.opts
	if def == "beginning" {
		q.From = def
	}
	rs, err := ReadRanges(ctx, w.client, &q, wm, tps, def, true)
	if err != nil {
		return err
	}
	for _, m := range metas {
		w.started[m.Name] = true
		w.tracker.MarkRead(m.Name)
	}
	w.readers.Add(1)
	go func() {
		defer w.readers.Done()
		err := consume.Read(ctx, w.open, rs, consume.Options{Properties: ReaderProps}, w.observe(ctx))
		if err != nil && ctx.Err() == nil {
			w.readErr <- fmt.Errorf("stats: read: %w", err)
		}
	}()
	return nil
}

func topicWaitMsg(t string) string {
	return fmt.Sprintf("topic %q does not exist yet; its alert rules start when it appears", t)
}

// warn prints "not yet" warnings as they arise, except under a dashboard:
// it owns the screen, and by the end the topic or group may well exist
// (kx demo creates them as it goes), so stillWaiting prints there, after
// the dashboard, only what is still true.
func (w *Watcher) warn(msgs ...string) {
	if w.dash != nil {
		return
	}
	for _, m := range msgs {
		fmt.Fprintf(w.errOut, "kx: stats: %s\n", m)
	}
}

// stillWaiting is what the rules still wait for at the end of a
// dashboard: topics that never appeared, then the health rules' waits.
func (w *Watcher) stillWaiting() []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(w.warned)) {
		if !w.started[t] {
			out = append(out, topicWaitMsg(t))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return append(out, w.engine.Waiting()...)
}

func (w *Watcher) anyWarned(metas []cluster.TopicMeta) bool {
	for _, m := range metas {
		if w.warned[m.Name] {
			return true
		}
	}
	return false
}

// observe is the reader callback: account the record, evaluate the rules,
// and hand alerts to the main loop.
func (w *Watcher) observe(ctx context.Context) func(*record.Record) error {
	return func(r *record.Record) error {
		now := time.Now()
		w.mu.Lock()
		w.tracker.ObserveRecord(r, now)
		evs := w.engine.Observe(r, now)
		w.lastActivity = now
		w.mu.Unlock()
		for _, ev := range evs {
			select {
			case w.events <- ev:
			case <-ctx.Done():
				return consume.ErrStop
			}
		}
		return nil
	}
}

// summary prints the closing statistics: a summary object when piped, a
// short table on a terminal.
func (w *Watcher) summary() error {
	w.mu.Lock()
	snap := w.tracker.Summary(time.Now(), w.names)
	w.mu.Unlock()
	if w.lastSnap != nil {
		snap.Brokers, snap.Groups, snap.Totals.Groups, snap.Totals.Lag = w.lastSnap.Brokers, w.lastSnap.Groups, w.lastSnap.Totals.Groups, w.lastSnap.Totals.Lag
		snap.Totals.NoCommit, snap.Totals.NoCommitRecords = w.lastSnap.Totals.NoCommit, w.lastSnap.Totals.NoCommitRecords
	}
	if snap.Topics == nil {
		snap.Topics = []TopicStats{}
	}
	if snap.Groups == nil {
		snap.Groups = []GroupLag{}
	}
	if len(w.opts.Rules) > 0 {
		counts := w.fired
		snap.Alerts = &counts
	}
	if !w.tty {
		return output.WriteJSONLine(w.out, snap)
	}
	return writeSummaryTable(w.out, snap)
}

func writeSummaryTable(out io.Writer, snap *Snapshot) error {
	d := time.Duration(snap.IntervalSec * float64(time.Second)).Round(time.Second)
	var produced int64
	for _, t := range snap.Topics {
		produced += t.Produced
	}
	fmt.Fprintf(out, "kx stats: %s, %d new %s (%.1f msg/s on average, peak %.1f msg/s), %s in %s\n",
		d, produced, output.Plural(produced, "message"), snap.Totals.MessagesPerSec, snap.Totals.PeakPerSec,
		output.Count(snap.Totals.Messages, "message"), output.Count(snap.Totals.Topics, "topic"))
	rows := make([][]string, 0, len(snap.Topics))
	for _, t := range snap.Topics {
		rows = append(rows, []string{t.Topic, strconv.FormatInt(t.Messages, 10), strconv.FormatInt(t.Produced, 10),
			strconv.FormatFloat(t.MessagesPerSec, 'f', 1, 64), strconv.FormatFloat(t.PeakPerSec, 'f', 1, 64)})
	}
	if err := WriteTable(out, []string{"topic", "messages", "new", "avg msg/s", "peak msg/s"}, rows); err != nil {
		return err
	}
	if b := snap.By; b != nil {
		fmt.Fprintf(out, "\ncounts of %s on %s (%s)\n", b.Expr, b.Topic, output.Count(b.Records, "record"))
		rows = rows[:0]
		for _, v := range b.Values {
			rows = append(rows, []string{v.Value, strconv.FormatInt(v.Count, 10), strconv.FormatFloat(v.Share, 'f', 2, 64) + "%"})
		}
		if err := WriteTable(out, []string{"value", "count", "share"}, rows); err != nil {
			return err
		}
	}
	if a := snap.Alerts; a != nil {
		fmt.Fprintf(out, "\nalerts: %d error, %d warning, %d info, %d success\n", a.Error, a.Warning, a.Info, a.Success)
	}
	return nil
}

// WriteTable is output.WriteTable with headers kept as written (upper
// case), so "MSG/S" and "P95" are not respaced by the auto-formatter.
func WriteTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := output.NewTable(&buf).Options(tablewriter.WithHeaderAutoFormat(tw.Off))
	up := make([]string, len(header))
	for i, h := range header {
		up[i] = strings.ToUpper(h)
	}
	t.Header(up)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(output.TrimTrailingSpaces(buf.Bytes()))
	return err
}
