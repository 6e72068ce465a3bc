package play

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
)

// Output modes of kx play and kx demo.
const (
	OutputRecords = "ndjson" // one envelope line per acknowledged record
	OutputReport  = "json"   // the final report as one JSON document, no records
	OutputNone    = "none"   // nothing on stdout
)

// Cluster is what a live run needs of Kafka: *kafka.Client (through
// Adapt) or a fake.
type Cluster interface {
	Metadata(ctx context.Context) (*cluster.Metadata, error)
	CreateTopic(ctx context.Context, spec cluster.TopicSpec) error
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
	Timeout() time.Duration
	NewProducer(opts cluster.ProducerOptions) (Producer, error)
}

// Producer sends records and reports each delivery (*kafka.Producer).
// Produce copies what it keeps of r: the player reuses r and its bytes.
type Producer interface {
	Produce(ctx context.Context, r *record.Record, opaque any) error
	ProduceBatch(ctx context.Context, b *cluster.Batch, refused func(id int, err error)) (int, error)
	Flush(ctx context.Context) int
	Close()
}

// admin is Cluster without the producer.
type admin interface {
	Metadata(ctx context.Context) (*cluster.Metadata, error)
	CreateTopic(ctx context.Context, spec cluster.TopicSpec) error
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
	Timeout() time.Duration
}

type adapted[P Producer] struct {
	admin
	newProducer func(cluster.ProducerOptions) (P, error)
}

func (a adapted[P]) NewProducer(opts cluster.ProducerOptions) (Producer, error) {
	p, err := a.newProducer(opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Adapt makes a Cluster of a client and its NewProducer method:
// play.Adapt(client, client.NewProducer).
func Adapt[P Producer](c admin, newProducer func(cluster.ProducerOptions) (P, error)) Cluster {
	return adapted[P]{admin: c, newProducer: newProducer}
}

// Options of one run (kx play, kx demo).
type Options struct {
	IO    *iostreams.IOStreams
	Kafka func() (Cluster, error)
	// Registry is the Schema Registry for topics written with a schema;
	// nil, or a nil Client, when none is configured.
	Registry func() (registry.Client, error)

	// Scenario is the scenario to play.
	Scenario *scenario.Scenario

	Speed     float64
	RateScale float64
	Seed      int64
	SeedSet   bool      // Seed was given; else the scenario's, else random
	Start     time.Time // scenario time 0; zero means now
	DryRun    bool
	// Until names the phase after which the run stops (--until): no flow
	// starts and no held flow resumes after its end; empty plays it all.
	Until  string
	Output string // OutputRecords, OutputReport or OutputNone
	Quiet  bool
	// Compression is the producer codec; "" is the profile's, else none.
	Compression string

	// NewView builds the progress view; nil picks the terminal status
	// block or plain lines from the stderr type. kx demo plugs in its own.
	NewView func(s *scenario.Scenario) View
	// Name prefixes messages ("kx play", "kx demo").
	Name string
}

// InputError is a run refused for its input (an --until phase the
// scenario lacks).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// VerificationError says the run lost or could not verify records.
type VerificationError struct{ Msg string }

func (e *VerificationError) Error() string { return e.Msg }

// Player is one run of a scenario.
type Player struct {
	opts  *Options
	s     *scenario.Scenario
	seed  int64
	runID string
	until time.Duration // --until: the end of that phase; 0 plays it all
}

// NewPlayer prepares a run of opts.Scenario: the seed, the run id and the
// --until phase.
func NewPlayer(opts *Options) (*Player, error) {
	if opts.Name == "" {
		opts.Name = "kx play"
	}
	s := opts.Scenario
	var until time.Duration
	if opts.Until != "" {
		ph, ok := s.Phase(opts.Until)
		if !ok {
			return nil, &InputError{Msg: fmt.Sprintf("--until %q: scenario %s has no such phase (phases: %s)", opts.Until, s.Name, strings.Join(s.PhaseNames(), ", "))}
		}
		until = ph.End()
	}
	seed := opts.Seed
	if !opts.SeedSet {
		if s.HasSeed {
			seed = s.Seed
		} else {
			seed = randomSeed()
		}
	}
	return &Player{opts: opts, s: s, seed: seed, runID: newRunID(), until: until}, nil
}

// RunID is the run's id, carried by every event as scenarioRunId.
func (p *Player) RunID() string { return p.runID }

// Run plays the scenario: paced against the cluster, or a dry run.
func (p *Player) Run(ctx context.Context) error {
	opts := p.opts
	if !opts.Quiet {
		mode := ""
		if opts.Until != "" {
			mode = fmt.Sprintf(", until phase %s (%s)", opts.Until, FormatClock(p.until))
		}
		if opts.DryRun {
			mode += ", dry run"
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s: scenario %s (%s, %s of timeline), run %s, seed %d, speed %s%s\n",
			opts.Name, p.s.Name, p.s.File, FormatClock(p.s.Duration()), p.runID, p.seed, fmt.Sprintf("%g", opts.Speed), mode)
	}
	if opts.DryRun {
		return p.dryRun(ctx)
	}
	return p.live(ctx)
}

// Run plays opts' scenario: NewPlayer, then Run.
func Run(ctx context.Context, opts *Options) error {
	p, err := NewPlayer(opts)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// newRunID returns a random UUID v4: every run is distinguishable in the data.
func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomSeed is used when neither --seed nor the scenario sets one; it is
// printed so the run can be replayed.
func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var n int64
	for _, c := range b[:7] {
		n = n<<8 | int64(c)
	}
	return n
}

// played is the scenario as the run plays it: without the phases after
// --until, so the statistics do not list phases that never started.
func (p *Player) played() *scenario.Scenario {
	if p.until <= 0 {
		return p.s
	}
	cut := *p.s
	cut.Phases = nil
	for _, ph := range p.s.Phases {
		if ph.Start < p.until {
			cut.Phases = append(cut.Phases, ph)
		}
	}
	return &cut
}

// timeline is the scenario time the run plays: up to --until, else all.
func (p *Player) timeline() time.Duration {
	if p.until > 0 {
		return p.until
	}
	return p.s.Duration()
}

func (p *Player) start() time.Time {
	if !p.opts.Start.IsZero() {
		return p.opts.Start
	}
	return time.Now()
}

func (p *Player) generator(start time.Time) *scenario.Generator {
	return scenario.NewGenerator(p.s, scenario.GeneratorOptions{
		Seed: p.seed, RunID: p.runID, RateScale: p.opts.RateScale, Start: start, Speed: p.opts.Speed, Until: p.until,
	})
}

func (p *Player) report(start time.Time, wall time.Duration, g *scenario.Generator, t *Tracker) *Report {
	st := g.Stats()
	r := &Report{
		Command: p.opts.Name, RunID: p.runID, Scenario: p.s.Name, File: p.s.File, Seed: p.seed,
		Speed: p.opts.Speed, RateScale: p.opts.RateScale, DryRun: p.opts.DryRun,
		Start: record.FormatTimestamp(start), ScenarioDuration: FormatClock(p.s.Duration()), Until: p.opts.Until,
		WallSeconds: float64(wall.Milliseconds()) / 1000,
		Flows:       FlowReport{Started: st.FlowsStarted, Ended: st.FlowsEnded, Held: st.FlowsHeld, Resumed: st.FlowsResumed, Pending: st.Held},
	}
	r.Fill(t)
	return r
}

// finish prints the report: tables on stderr, JSON on stdout with -o json.
func (p *Player) finish(r *Report) error {
	if !p.opts.Quiet {
		width := 0 // no limit when stderr is a file or a pipe
		if p.opts.IO.IsStderrTTY() {
			width = p.opts.IO.TerminalWidth()
		}
		if err := r.WriteText(p.opts.IO.ErrOut, width); err != nil {
			return err
		}
	}
	if p.opts.Output == OutputReport {
		return output.WriteJSONLine(p.opts.IO.Out, r)
	}
	return nil
}

func (p *Player) warnGenerator(g *scenario.Generator) {
	if err := g.Err(); err != nil {
		fmt.Fprintf(p.opts.IO.ErrOut, "%s: warning: %v (the value was produced as null)\n", p.opts.Name, err)
	}
}

// dryRun prints the events without a broker and without pacing.
func (p *Player) dryRun(ctx context.Context) error {
	began := time.Now()
	start := p.start()
	g := p.generator(start)
	t := NewTracker(p.played(), start)
	parts := map[string]int32{}
	for _, tp := range p.s.Topics {
		parts[tp.Name] = tp.Partitions
	}
	w := bufio.NewWriterSize(p.opts.IO.Out, 64<<10)
	var buf []byte
	// Events are encoded (with no schema id) only to check they fit their
	// schemas; the dry run prints their JSON.
	encs := p.encoders()
	src := newEventSource(ctx, g, false)
	defer src.close()
	for {
		ev, ok := src.next(ctx)
		if !ok {
			break
		}
		if _, err := p.encodeEvent(encs, &ev); err != nil {
			w.Flush()
			return err
		}
		t.Sent(&ev)
		if p.opts.Output != OutputRecords {
			continue
		}
		rec := record.Record{
			Topic: ev.Topic, Partition: partitioner.Unassigned, Offset: -1,
			Timestamp: ev.Time, TimestampType: record.TimestampCreateTime, Key: ev.Key, Value: ev.Value,
		}
		if ev.Key != nil {
			rec.Partition = partitioner.Partition(ev.Key, parts[ev.Topic])
		}
		buf = append(record.AppendJSON(buf[:0], &rec), '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	p.warnGenerator(g)
	r := p.report(start, time.Since(began), g, t)
	r.Interrupted = src.interrupted
	r.Verified = true
	return p.finish(r)
}

// live plays against the cluster: connect, produce (paced, with the view
// and the delivery reports running beside it), then verify.
func (p *Player) live(ctx context.Context) error {
	lr, err := p.connect(ctx)
	if err != nil || lr == nil {
		return err
	}
	began := time.Now()
	start := p.start()
	g := p.generator(start)
	t := NewTracker(p.played(), start)

	// After the first Ctrl-C the run still needs the cluster to flush and
	// verify: those calls use a context Ctrl-C does not cancel.
	bg := context.WithoutCancel(ctx)
	// abort stops producing on a fatal producer error or a closed stdout.
	prodCtx, abort := context.WithCancelCause(bg)
	defer abort(nil)

	lr.reports.begin(t, abort)
	stopView := p.showProgress(t)

	src := newEventSource(ctx, g, true)
	produceErr, encodeErr := p.produce(ctx, prodCtx, abort, lr, src, t, began)
	src.close()

	// Flush what is in flight; librdkafka's message timeout bounds it.
	flushCtx, cancelFlush := context.WithTimeout(prodCtx, 3*lr.client.Timeout()+5*time.Second)
	lr.prod.Flush(flushCtx)
	cancelFlush()
	lr.prod.Close() // the last reports are in when it returns
	lr.reports.finish()
	stopView()
	if encodeErr != nil {
		return encodeErr
	}

	cause := context.Cause(prodCtx)
	if errors.Is(cause, syscall.EPIPE) {
		return cause // stdout closed (kx play … | head): stop quietly
	}
	if produceErr != nil {
		cause = produceErr
	}
	if errors.Is(cause, context.Canceled) {
		cause = nil
	}
	p.warnGenerator(g)
	return p.verify(bg, lr, cause, start, began, g, t, src.interrupted)
}

// liveRun is what a live run holds from connecting to verifying.
type liveRun struct {
	client  Cluster
	prod    Producer
	reports *reports
	tps     []cluster.TP
	encs    map[string]*schema.Encoder
	before  map[cluster.TP]cluster.OffsetInfo // high watermarks before the run
}

// connect makes the scenario's topics, registers its schemas, notes the
// high watermarks and opens the producer. A nil run with a nil error means
// Ctrl-C came before anything was produced.
func (p *Player) connect(ctx context.Context) (*liveRun, error) {
	client, err := p.opts.Kafka()
	if err != nil {
		return nil, err
	}
	// The producer first: an idempotent producer asks for its id as it
	// starts, and librdkafka retries only 500 ms later when no broker was
	// up yet; the lookups below overlap that wait.
	// Without printed records, the reports need no copy of keys and values.
	reports := newReports(p)
	prod, err := client.NewProducer(cluster.ProducerOptions{NoReportContents: p.opts.Output != OutputRecords, Compression: p.opts.Compression, OnDeliveries: reports.deliver})
	if err != nil {
		return nil, err
	}
	quiet := func(err error) (*liveRun, error) {
		prod.Close()
		if ctx.Err() != nil {
			return nil, nil // Ctrl-C before anything was produced
		}
		return nil, err
	}
	topics, err := p.prepareTopics(ctx, client)
	if err != nil {
		return quiet(err)
	}
	lr := &liveRun{client: client, prod: prod, reports: reports, tps: cluster.Partitions(topics), encs: p.encoders()}
	if err := p.registerSchemas(ctx, lr.encs); err != nil {
		return quiet(err)
	}
	if lr.before, err = client.ListOffsets(ctx, lr.tps, cluster.Latest); err != nil {
		return quiet(err)
	}
	return lr, nil
}

// showProgress updates the view every 250 ms until the returned stop,
// which draws the view's last state.
func (p *Player) showProgress(t *Tracker) (stop func()) {
	view := p.view()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				view.Update(t.Snapshot(p.timeline()))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		view.Close(t.Snapshot(p.timeline()))
	}
}

// produce sends the events on schedule until the scenario ends, Ctrl-C
// has drained the flows in flight, or the run is aborted. It returns the
// producer's error and an event its schema refused, each aborting the run.
// Events due now go to the producer in batches (one cgo call for many);
// an event still in the future first sends those before it.
func (p *Player) produce(ctx, prodCtx context.Context, abort context.CancelCauseFunc, lr *liveRun, src *eventSource, t *Tracker, began time.Time) (produceErr, encodeErr error) {
	var pacer Pacer
	var rec record.Record // one for all: the batch copies it
	batch := &cluster.Batch{}
	var refusedErr error
	refused := func(id int, err error) {
		t.Failed(id)
		if refusedErr == nil {
			refusedErr = err
		}
	}
	// The batch's events, tracked together just before it is handed over,
	// and when records are printed, the JSON of those schema-encoded.
	var evs []scenario.Event
	var jsons [][]byte
	var ids []int
	// send hands the batch over; the records it could not hand over
	// (the run was aborted) count as failed.
	send := func() error {
		if batch.Len() == 0 {
			return nil
		}
		ids = slices.Grow(ids[:0], len(evs))[:len(evs)]
		t.TrackAll(evs, jsons, ids)
		msgs := batch.Messages()
		for k := range msgs {
			msgs[k].ID = ids[k]
		}
		clear(evs)
		clear(jsons)
		evs = evs[:0]
		if jsons != nil {
			jsons = jsons[:0]
		}
		n, err := lr.prod.ProduceBatch(prodCtx, batch, refused)
		for _, m := range batch.Messages()[n:] {
			t.Failed(m.ID)
		}
		batch.Reset()
		if refusedErr != nil && err == nil {
			err = refusedErr
		}
		if err != nil && prodCtx.Err() == nil {
			abort(err)
			return err
		}
		return nil
	}
	for prodCtx.Err() == nil {
		if batch.Len() >= produceBatch {
			if err := send(); err != nil {
				return err, nil
			}
			if !waitPending(prodCtx, t) {
				break
			}
		}
		ev, ok := src.next(ctx)
		if !ok {
			break
		}
		// Events scheduled before the run began (--start in the past)
		// are a backfill: sent at once, and they cannot be on time.
		if !src.interrupted && !ev.Time.Before(began) {
			if ev.Time.After(time.Now()) {
				if err := send(); err != nil {
					return err, nil
				}
			}
			behind, err := pacer.Wait(ctx, ev.Time)
			if err != nil {
				// Ctrl-C while waiting: this event's flow has started, finish it.
				src.interrupt()
			}
			t.Behind(behind)
		}
		value, err := p.encodeEvent(lr.encs, &ev)
		if err != nil {
			abort(err)
			return nil, err
		}
		if p.opts.Output == OutputRecords {
			var json []byte
			if lr.encs[ev.Topic] != nil {
				// Printed decoded, as kx tail shows it; the event's bytes
				// are reused once the next one is taken.
				json = bytes.Clone(ev.Value)
			}
			jsons = append(jsons, json)
		}
		rec = record.Record{Topic: ev.Topic, Partition: -1, Timestamp: ev.Time, Key: ev.Key, Value: value}
		batch.Add(&rec, 0)          // its ID is the tracker's, set in send
		ev.Key, ev.Value = nil, nil // the batch holds copies
		evs = append(evs, ev)
	}
	if err := send(); err != nil {
		return err, nil
	}
	return nil, nil
}

// produceBatch is the most events handed to the producer in one call.
const produceBatch = 256

// maxPending bounds the records an unpaced run has sent and not yet seen
// acknowledged: past it the generator would only fill the producer's
// queue (100,000 records) and memory, not the network.
const maxPending = 32 << 10

// waitPending waits while more than maxPending records are unacknowledged;
// false when ctx ends first.
func waitPending(ctx context.Context, t *Tracker) bool {
	for t.Pending() > maxPending {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// verify compares the logs' growth with the acknowledged records, prints
// the report and fails the run on a shortfall or a producer error (cause).
func (p *Player) verify(ctx context.Context, lr *liveRun, cause error, start, began time.Time, g *scenario.Generator, t *Tracker, interrupted bool) error {
	after, err := lr.client.ListOffsets(ctx, lr.tps, cluster.Latest)
	if err != nil {
		return fmt.Errorf("%s: verification: %w", p.opts.Name, err)
	}
	r := p.report(start, time.Since(began), g, t)
	r.Interrupted = interrupted
	r.Verification = Verify(r.Topics, t.AckedByPartition(), offsets(lr.before), offsets(after))
	r.Verified = cause == nil && Shortfall(r.Verification) == ""
	if err := p.finish(r); err != nil {
		return err
	}
	if !r.Verified {
		msg := Shortfall(r.Verification)
		if cause != nil {
			msg = cause.Error() + "; " + msg
		}
		return &VerificationError{Msg: fmt.Sprintf("%s: verification failed: %s", strings.TrimPrefix(p.opts.Name, "kx "), msg)}
	}
	return nil
}

func offsets(m map[cluster.TP]cluster.OffsetInfo) map[record.TopicPartition]int64 {
	out := make(map[record.TopicPartition]int64, len(m))
	for tp, oi := range m {
		out[tp] = oi.Offset
	}
	return out
}

// reports consumes the delivery reports, a batch at a time on the
// producer's goroutine (ProducerOptions.OnDeliveries: no channel send and
// no record allocated per report): statistics, and one NDJSON line per
// acknowledged record, flushed after each batch so a pipe sees records as
// they are acknowledged. The tracker and abort are set once the run
// begins, before the first record is sent.
type reports struct {
	mu        sync.Mutex
	p         *Player
	t         *Tracker
	abort     context.CancelCauseFunc
	w         *bufio.Writer
	buf       []byte
	writeErr  error
	errCounts map[string]int
	errOrder  []string
	fatal     error
	metas     []Meta
}

func newReports(p *Player) *reports {
	r := &reports{p: p, errCounts: map[string]int{}}
	if p.opts.Output == OutputRecords {
		r.w = bufio.NewWriterSize(p.opts.IO.Out, 256<<10)
	}
	return r
}

// begin sets what the reports of the run go to.
func (r *reports) begin(t *Tracker, abort context.CancelCauseFunc) {
	r.mu.Lock()
	r.t, r.abort = t, abort
	if r.fatal != nil {
		abort(r.fatal)
	}
	r.mu.Unlock()
}

// deliver is the producer's OnDeliveries.
func (r *reports) deliver(ds []cluster.Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metas = slices.Grow(r.metas[:0], len(ds))[:len(ds)]
	clear(r.metas)
	if r.t != nil {
		r.t.Settle(ds, r.metas)
	}
	for i := range ds {
		r.one(&ds[i], r.metas[i])
	}
	if r.w != nil && r.writeErr == nil {
		if r.writeErr = r.w.Flush(); r.writeErr != nil {
			r.abort(r.writeErr)
		}
	}
}

// one reports a delivery the tracker has settled (meta: what it kept of
// an acknowledged record).
func (r *reports) one(d *cluster.Delivery, meta Meta) {
	if d.Record == nil {
		// A fatal producer error: nothing more will be acknowledged.
		if r.abort == nil {
			r.fatal = d.Err // before the run began: begin aborts it
		} else {
			r.abort(d.Err)
		}
		return
	}
	if d.Err != nil {
		msg := d.Err.Error()
		if r.errCounts[msg] == 0 {
			r.errOrder = append(r.errOrder, msg)
			fmt.Fprintf(r.p.opts.IO.ErrOut, "%s: %s\n", r.p.opts.Name, msg)
		}
		r.errCounts[msg]++
		return
	}
	if r.w == nil || r.writeErr != nil {
		return
	}
	if d.Record.Timestamp.IsZero() {
		// Delivery reports carry no timestamp: it is the one we sent.
		d.Record.Timestamp, d.Record.TimestampType = meta.Time, record.TimestampCreateTime
	}
	if meta.json != nil {
		d.Record.Value = meta.json
	}
	r.buf = append(record.AppendJSON(r.buf[:0], d.Record), '\n')
	if _, r.writeErr = r.w.Write(r.buf); r.writeErr != nil {
		r.abort(r.writeErr)
	}
}

// finish, once the producer is closed, counts each distinct delivery
// error printed more than once.
func (r *reports) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, msg := range r.errOrder {
		if n := r.errCounts[msg]; n > 1 {
			fmt.Fprintf(r.p.opts.IO.ErrOut, "%s: %s (%s)\n", r.p.opts.Name, msg, output.Count(n, "record"))
		}
	}
}

func (p *Player) view() View {
	switch {
	case p.opts.NewView != nil:
		return p.opts.NewView(p.s)
	case p.opts.Quiet:
		return QuietView{}
	}
	io := p.opts.IO
	return NewView(io.ErrOut, p.opts.Name, io.IsStderrTTY(), io.ColorStderr(), io.TerminalWidth())
}

// prepareTopics creates the scenario's missing topics and returns the
// metadata of all of them. It fails fast (exit 3) when the cluster cannot
// be reached within --timeout.
func (p *Player) prepareTopics(ctx context.Context, client Cluster) ([]cluster.TopicMeta, error) {
	md, err := client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	created := false
	for _, tp := range p.s.Topics {
		meta, ok := md.Topic(tp.Name)
		if ok {
			if n := len(meta.Partitions); n != int(tp.Partitions) {
				fmt.Fprintf(p.opts.IO.ErrOut, "%s: warning: topic %s has %s, the scenario declares %d: keys will not land where the scenario expects\n",
					p.opts.Name, tp.Name, output.Count(n, "partition"), tp.Partitions)
			}
			continue
		}
		err := client.CreateTopic(ctx, cluster.TopicSpec{
			Name: tp.Name, Partitions: int(tp.Partitions), ReplicationFactor: int(tp.ReplicationFactor), Configs: tp.Config,
		})
		var exists *cluster.TopicExistsError
		if err != nil && !errors.As(err, &exists) {
			return nil, err
		}
		created = true
		if !p.opts.Quiet {
			fmt.Fprintf(p.opts.IO.ErrOut, "%s: created topic %s (%s, replication factor %d)\n", p.opts.Name, tp.Name, output.Count(tp.Partitions, "partition"), tp.ReplicationFactor)
		}
	}
	if created {
		if md, err = client.Metadata(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]cluster.TopicMeta, 0, len(p.s.Topics))
	for _, tp := range p.s.Topics {
		meta, ok := md.Topic(tp.Name)
		if !ok || len(meta.Partitions) == 0 {
			return nil, fmt.Errorf("%s: topic %s: created but not visible in the metadata", p.opts.Name, tp.Name)
		}
		out = append(out, meta)
	}
	return out, nil
}
