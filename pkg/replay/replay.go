// Package replay re-drives records from one topic to another: read with
// the one read loop (pkg/consume), filter and rewrite with jq, deduplicate,
// pace, stamp provenance headers, produce, and account for every record in
// an integrity report. A group's offsets are committed only for records the
// destination acknowledged, so an interrupted replay resumes without loss.
package replay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

// Provenance header names.
const (
	HeaderSource    = "kx-replay-source"    // topic/partition@offset
	HeaderTimestamp = "kx-replay-timestamp" // the original timestamp, RFC 3339
	HeaderRun       = "kx-replay-run"       // the run id
)

// Skip reasons in the report.
const (
	SkipNotSelected = "not selected by --jq"
	SkipJQError     = "--jq failed"
	SkipNotObject   = "--jq output is not one object"
	SkipDuplicate   = "duplicate of --dedupe-on"
)

// Source is what a replay asks of the source cluster.
type Source interface {
	consume.GroupOffsets
	Metadata(ctx context.Context) (*cluster.Metadata, error)
}

// Producer sends to the destination (*kafka.Producer, *kafkafake.Producer).
type Producer interface {
	Produce(ctx context.Context, r *record.Record, opaque any) error
	Deliveries() <-chan cluster.Delivery
	Flush(ctx context.Context) int
	Close()
}

// Destination is what a replay asks of the destination cluster.
type Destination struct {
	Metadata    func(ctx context.Context) (*cluster.Metadata, error)
	NewProducer func() (Producer, error)
	// FlushTimeout bounds the wait for outstanding acknowledgements at the
	// end (also after Ctrl-C).
	FlushTimeout time.Duration
}

// Options of one replay.
type Options struct {
	Source, Dest                 string // topics
	Spec                         consume.Spec
	Group                        string // resumable: read and commit as this group
	JQ                           *jqfilter.Filter
	DedupeOn                     *jqfilter.Filter
	Rate                         float64 // records per second, 0 unpaced
	DryRun                       bool
	KeepPartition, KeepTimestamp bool
	NoProvenance                 bool
	RunID                        string // generated when empty
	// Reencode writes a --jq rewrite of a value read in a Schema Registry
	// format with that value's schema (orig is the value as read); nil
	// refuses such rewrites.
	Reencode func(ctx context.Context, orig, value []byte) ([]byte, error)
	// DryRunOut receives the envelopes a dry run would send.
	DryRunOut io.Writer
	// Warn receives one-line warnings (the first jq error).
	Warn func(string)
	Now  func() time.Time
	// Sleep waits d or until ctx ends (pacing); time.Sleep-like by default.
	Sleep func(ctx context.Context, d time.Duration)
}

// NewRunID returns a random run id.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PartitionReport accounts for one source partition.
type PartitionReport struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Requested struct {
		From int64 `json:"from"`
		To   int64 `json:"to"`
	} `json:"requested"`
	Read struct {
		First *int64 `json:"first"`
		Last  *int64 `json:"last"`
		Count int64  `json:"count"`
	} `json:"read"`
	Sent         int64 `json:"sent"`
	Acknowledged int64 `json:"acknowledged"`
	// Committed is the group's offset after the run (group replays);
	// absent when the final commit failed, as it is then unknown.
	Committed *int64 `json:"committed,omitempty"`
}

// Report is the outcome of a replay.
type Report struct {
	RunID        string            `json:"run_id"`
	Source       string            `json:"source"`
	Destination  string            `json:"destination"`
	Group        string            `json:"group,omitempty"`
	DryRun       bool              `json:"dry_run"`
	Complete     bool              `json:"complete"`
	Interrupted  bool              `json:"interrupted"`
	Read         int64             `json:"read"`
	Selected     int64             `json:"selected"`
	Sent         int64             `json:"sent"`
	Acknowledged int64             `json:"acknowledged"`
	Failed       int64             `json:"failed"`
	Skipped      map[string]int64  `json:"skipped"`
	DedupeKeys   int               `json:"dedupe_keys,omitempty"`
	NoDedupeKey  int64             `json:"no_dedupe_key,omitempty"`
	Partitions   []PartitionReport `json:"partitions"`
	FirstError   string            `json:"first_error,omitempty"`
}

// OK reports whether every record sent was acknowledged.
func (r *Report) OK() bool { return r.Acknowledged == r.Sent && r.Failed == 0 }

// maxInFlight bounds the records sent and not yet acknowledged.
const maxInFlight = 20000

// inFlight is one produced record awaiting its acknowledgement.
type inFlight struct {
	tp     cluster.TP
	offset int64
	acked  bool
	failed bool
}

// partState tracks one source partition: records in flight in offset
// order, so the group commits only below the first unacknowledged one.
type partState struct {
	rep      *PartitionReport
	queue    []*inFlight
	lastRead int64 // -1 before the first record
	stored   int64 // the offset last stored for commit
}

// commitPoint is the next offset to read once everything acknowledged so
// far is accounted for: the first record still in flight (or failed), else
// one past the last record read.
func (p *partState) commitPoint() int64 {
	for len(p.queue) > 0 && p.queue[0].acked {
		p.queue[0] = nil
		p.queue = p.queue[1:]
	}
	if len(p.queue) > 0 {
		return p.queue[0].offset
	}
	return p.lastRead + 1
}

// Run replays per opts and returns its report; the error is for what
// stopped it before or during the read (a delivery failure is in the
// report, not the error).
func Run(ctx context.Context, src Source, open consume.Opener, dst Destination, opts Options) (*Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	rep := &Report{RunID: opts.RunID, Source: opts.Source, Destination: opts.Dest, Group: opts.Group, DryRun: opts.DryRun, Skipped: map[string]int64{}}

	md, err := src.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	topic, ok := md.Topic(opts.Source)
	if !ok {
		return nil, &cluster.UnknownTopicError{Topic: opts.Source}
	}
	dmd, err := dst.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	dtopic, ok := dmd.Topic(opts.Dest)
	if !ok {
		return nil, &cluster.UnknownTopicError{Topic: opts.Dest}
	}
	if opts.KeepPartition && len(dtopic.Partitions) < len(topic.Partitions) {
		return nil, &UsageError{fmt.Errorf("--keep-partition: %s has %s, fewer than the %d of %s", opts.Dest, output.Count(len(dtopic.Partitions), "partition"), len(topic.Partitions), opts.Source)}
	}
	tps := cluster.Partitions([]cluster.TopicMeta{topic})
	var ranges []consume.Range
	if opts.Group != "" {
		ranges, err = consume.PlanGroup(ctx, src, opts.Group, tps, nil, opts.Spec)
	} else {
		ranges, err = consume.Plan(ctx, src, tps, nil, opts.Spec)
	}
	if err != nil {
		return nil, err
	}

	parts := map[cluster.TP]*partState{}
	for _, r := range ranges {
		pr := &PartitionReport{Topic: r.Topic, Partition: r.Partition}
		pr.Requested.From, pr.Requested.To = r.Start, r.End
		rep.Partitions = append(rep.Partitions, *pr)
		parts[r.TP] = &partState{lastRead: r.Start - 1, stored: r.Start}
	}
	for i := range rep.Partitions {
		p := &rep.Partitions[i]
		parts[cluster.TP{Topic: p.Topic, Partition: p.Partition}].rep = p
	}

	var rd consume.Reader
	if opts.Group != "" && !opts.DryRun {
		reset := "earliest"
		if opts.Spec.From.Kind != position.Beginning {
			reset = "latest"
		}
		rd, err = open(cluster.ReaderOptions{Group: opts.Group, Topics: []string{opts.Source},
			Properties: map[string]any{"auto.offset.reset": reset}})
	} else {
		var assign []cluster.Assignment
		for _, r := range ranges {
			if !r.Empty() {
				assign = append(assign, cluster.Assignment{TP: r.TP, Offset: r.Start})
			}
		}
		if len(assign) == 0 {
			rep.Complete = true
			return rep, nil
		}
		// The producer copies what it sends and nothing keeps the record:
		// the reader may reuse its memory.
		rd, err = open(cluster.ReaderOptions{Assign: assign, Reuse: true})
	}
	if err != nil {
		return nil, err
	}

	var prod Producer
	var mu sync.Mutex // guards parts' queues and the counters the deliveries touch
	var fatal error
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	delivered := make(chan struct{})
	// Records in flight are bounded, so a fast read does not pile the
	// whole replay up in the producer's queue (memory).
	slots := make(chan struct{}, maxInFlight)
	if !opts.DryRun {
		if prod, err = dst.NewProducer(); err != nil {
			rd.Close()
			return nil, err
		}
		go func() {
			defer close(delivered)
			for d := range prod.Deliveries() {
				mu.Lock()
				f, _ := d.Opaque.(*inFlight)
				if f != nil {
					<-slots
				}
				switch {
				case f == nil:
					if d.Err != nil && fatal == nil {
						fatal = d.Err
						stopRead()
					}
				case d.Err != nil:
					f.failed = true
					rep.Failed++
					if rep.FirstError == "" {
						rep.FirstError = fmt.Sprintf("%s/%d@%d: %v", f.tp.Topic, f.tp.Partition, f.offset, d.Err)
					}
					stopRead()
				default:
					f.acked = true
					rep.Acknowledged++
					parts[f.tp].rep.Acknowledged++
				}
				mu.Unlock()
			}
		}()
	} else {
		close(delivered)
	}

	// store drops the acknowledged records from the queues (also without
	// a group: they would pile up, one per record replayed) and hands the
	// group reader the offsets now safe to commit; only the read goroutine
	// calls it (readers are not safe for concurrent use).
	lastStore := time.Time{}
	store := func(force bool) error {
		if opts.DryRun || (!force && time.Since(lastStore) < 100*time.Millisecond) {
			return nil
		}
		lastStore = time.Now()
		mu.Lock()
		defer mu.Unlock()
		for tp, p := range parts {
			if cp := p.commitPoint(); opts.Group != "" && cp > p.stored {
				if err := rd.Store(&record.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: cp - 1}); err != nil {
					return fmt.Errorf("store offset %s@%d: %w", tp, cp, err)
				}
				p.stored = cp
			}
		}
		return nil
	}

	pace := &pacer{rate: opts.Rate, now: opts.Now, sleep: opts.Sleep}
	seen := map[string]struct{}{}
	var keyBuf []byte
	warnedJQ := false
	dryBuf := []byte{}
	handle := func(r *record.Record) error {
		rep.Read++
		ps := parts[r.TP()]
		pr := ps.rep
		off := r.Offset
		if pr.Read.First == nil {
			pr.Read.First = &off
		}
		last := off
		pr.Read.Last = &last
		pr.Read.Count++
		skip := func(reason string) error {
			mu.Lock()
			rep.Skipped[reason]++
			ps.lastRead = r.Offset
			mu.Unlock()
			return store(false)
		}
		// A value decoded from a Schema Registry format is sent as it was.
		value, rewritten := r.RawValue(), false
		var rewrite []byte            // the --jq rewrite, JSON
		var reencoded *record.Decoded // rewrite in the value's schema
		if opts.JQ != nil {
			res, err := opts.JQ.Eval(r)
			if err != nil {
				if !warnedJQ {
					warnedJQ = true
					opts.Warn(fmt.Sprintf("--jq: %v (further errors are counted in the report)", err))
				}
				return skip(SkipJQError)
			}
			if !res.Keep {
				return skip(SkipNotSelected)
			}
			if res.Outputs != nil {
				if len(res.Outputs) != 1 || len(res.Outputs[0]) == 0 || res.Outputs[0][0] != '{' {
					return skip(SkipNotObject)
				}
				value, rewritten, rewrite = res.Outputs[0], true, res.Outputs[0]
				if d := r.ValueSchema; d != nil && d.Err == "" && d.Format != "json" {
					if opts.Reencode == nil {
						return &UsageError{Err: fmt.Errorf("%s@%d: --jq rewrote a value in %s (schema id %d) and no registry is there to encode it", r.TP(), r.Offset, d.Format, d.SchemaID)}
					}
					enc, err := opts.Reencode(readCtx, d.Raw, value)
					if err != nil {
						var fe *schema.FieldError
						if errors.As(err, &fe) {
							return &UsageError{Err: fmt.Errorf("%s@%d: the --jq rewrite does not fit the value's %s schema (id %d): %w", r.TP(), r.Offset, d.Format, d.SchemaID, err)}
						}
						return fmt.Errorf("%s@%d: re-encoding the --jq rewrite: %w", r.TP(), r.Offset, err)
					}
					value = enc
					reencoded = &record.Decoded{SchemaID: d.SchemaID, Format: d.Format, Raw: enc}
				}
			}
		}
		rep.Selected++
		if opts.DedupeOn != nil {
			vals, err := opts.DedupeOn.Values(r)
			if err != nil || len(vals) == 0 || vals[0] == nil {
				rep.NoDedupeKey++
			} else {
				keyBuf = jqfilter.AppendValue(keyBuf[:0], vals[0])
				if _, dup := seen[string(keyBuf)]; dup {
					return skip(SkipDuplicate)
				}
				seen[string(keyBuf)] = struct{}{}
			}
		}
		out := &record.Record{Topic: opts.Dest, Partition: -1, Offset: -1, Key: r.RawKey(), Value: value}
		if opts.KeepPartition {
			out.Partition = r.Partition
		}
		if opts.KeepTimestamp {
			out.Timestamp, out.TimestampType = r.Timestamp, record.TimestampCreateTime
		}
		out.Headers = append(out.Headers, r.Headers...)
		if !opts.NoProvenance {
			out.Headers = append(out.Headers,
				record.Header{Key: HeaderSource, Value: fmt.Appendf(nil, "%s/%d@%d", r.Topic, r.Partition, r.Offset)},
				record.Header{Key: HeaderTimestamp, Value: []byte(record.FormatTimestamp(r.Timestamp))},
				record.Header{Key: HeaderRun, Value: []byte(opts.RunID)})
		}
		if opts.DryRun {
			shown := out
			if r.KeySchema != nil || r.ValueSchema != nil {
				// Shown decoded, as kx tail shows it; sent encoded.
				c := *out
				c.Key, c.KeySchema = r.Key, r.KeySchema
				switch {
				case !rewritten:
					c.Value, c.ValueSchema = r.Value, r.ValueSchema
				case reencoded != nil:
					c.Value, c.ValueSchema = rewrite, reencoded
				}
				shown = &c
			}
			dryBuf = record.AppendJSON(dryBuf[:0], shown)
			dryBuf = append(dryBuf, '\n')
			ps.lastRead = r.Offset
			_, err := opts.DryRunOut.Write(dryBuf)
			return err
		}
		if err := pace.wait(readCtx); err != nil {
			return consume.ErrStop
		}
		select {
		case slots <- struct{}{}:
		case <-readCtx.Done():
			return consume.ErrStop
		}
		f := &inFlight{tp: r.TP(), offset: r.Offset}
		mu.Lock()
		ps.queue = append(ps.queue, f)
		ps.lastRead = r.Offset
		mu.Unlock()
		if err := prod.Produce(readCtx, out, f); err != nil {
			mu.Lock()
			ps.queue = ps.queue[:len(ps.queue)-1]
			ps.lastRead = r.Offset - 1
			mu.Unlock()
			<-slots
			if readCtx.Err() != nil {
				return consume.ErrStop
			}
			return fmt.Errorf("produce %s/%d@%d to %s: %w", r.Topic, r.Partition, r.Offset, opts.Dest, err)
		}
		mu.Lock()
		rep.Sent++
		pr.Sent++
		mu.Unlock()
		return store(false)
	}
	readErr := consume.Loop(readCtx, rd, ranges, consume.Options{OnIdle: func() error { return store(false) }}, handle)
	rep.Interrupted = ctx.Err() != nil

	// Flush what was sent, even after Ctrl-C, then settle the commits.
	if prod != nil {
		fctx, cancel := context.WithTimeout(context.Background(), dst.FlushTimeout)
		left := prod.Flush(fctx)
		cancel()
		prod.Close()
		<-delivered
		if left > 0 && rep.FirstError == "" {
			rep.FirstError = fmt.Sprintf("%s still unacknowledged after %s", output.Count(left, "record"), dst.FlushTimeout)
		}
	}
	if err := store(true); err != nil && readErr == nil {
		readErr = err
	}
	cerr := rd.Close()
	if cerr != nil && readErr == nil && opts.Group != "" {
		readErr = fmt.Errorf("commit offsets of group %s: %w", opts.Group, cerr)
	}
	// When the final commit failed (the broker went away), what the group
	// holds is not known: the report names no committed offset rather
	// than one a rerun would not resume from.
	if opts.Group != "" && !opts.DryRun && cerr == nil {
		for _, p := range parts {
			c := p.stored
			p.rep.Committed = &c
		}
	}
	mu.Lock()
	if fatal != nil && rep.FirstError == "" {
		rep.FirstError = fatal.Error()
	}
	mu.Unlock()
	rep.DedupeKeys = len(seen)
	sort.Slice(rep.Partitions, func(i, j int) bool { return rep.Partitions[i].Partition < rep.Partitions[j].Partition })
	rep.Complete = readErr == nil && !rep.Interrupted && rep.FirstError == ""
	if readErr != nil && !errors.Is(readErr, consume.ErrStop) {
		return rep, readErr
	}
	return rep, nil
}

// UsageError is bad input: found before anything was read, or a --jq that
// rewrites a value kx cannot re-encode (then nothing after it is sent).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// pacer spaces sends at rate per second: the n-th send (from 0) is due
// n/rate seconds after the first, so the average holds over the run
// whatever each sleep overshoots; waits under a millisecond are skipped
// and made up by the next. A schedule more than maxBehind late restarts.
const maxBehind = time.Second

type pacer struct {
	rate  float64
	now   func() time.Time
	sleep func(context.Context, time.Duration)
	start time.Time
	n     int64
}

func (p *pacer) wait(ctx context.Context) error {
	if p.rate <= 0 {
		return nil
	}
	if p.n == 0 {
		p.start = p.now()
	}
	now := p.now()
	due := p.start.Add(time.Duration(float64(p.n) / p.rate * float64(time.Second)))
	if now.Sub(due) > maxBehind {
		// Sending stalled (a full queue, a slow broker): start the
		// schedule again rather than burst to catch up.
		p.start, p.n, due = now, 0, now
	}
	p.n++
	if d := due.Sub(now); d >= time.Millisecond {
		p.sleep(ctx, d)
	}
	return ctx.Err()
}
