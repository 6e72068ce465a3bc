package flowtrace

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
)

// Window is the read of a trace or a flow graph: from (nil: the low
// watermark) up to to (nil: the high watermark at planning), never
// following.
func Window(from, to *position.Spec) consume.Spec {
	spec := consume.Spec{From: position.Spec{Kind: position.Beginning}, To: to}
	if from != nil {
		spec.From = *from
	}
	return spec
}

// Collector reads what a trace needs, in rounds (see Plan): the root stage
// first, then the partitions the keys and learned ids hash to and the
// times after the root's creation, until no round is left.
type Collector struct {
	Offsets consume.Offsets
	Open    consume.Opener
	Flow    Flow
	Tracer  *Tracer
	// Partitions is each topic's partition count.
	Partitions map[string]int32
	// Partitioner maps keys to partitions, as the producers did.
	Partitioner partitioner.Func
	// ScanAll reads every partition, with no time bound from the root.
	ScanAll bool
	// Skew is the clock skew allowed between producers.
	Skew time.Duration
	// From and To bound the read (nil: the whole retained log).
	From, To *position.Spec
	// Following: the read goes on after the trace (Follow), so nothing
	// is left out before the end: no upper time bound.
	Following bool
	// Log, when set, gets a line per read and a summary (kx -v).
	Log io.Writer
}

// Result is what a collection read.
type Result struct {
	// Ranges are the bounds of every partition of the flow.
	Ranges     []consume.Range
	Records    atomic.Int64
	Partitions atomic.Int64
	Rounds     int
	// FullReads are the topics whose pruned read could not be trusted
	// (a keyed record outside the partition the partitioner gives its key,
	// or no keyed record to check): their other partitions were read too.
	FullReads []string
}

// Collect runs the rounds of reads and offers every record to the Tracer.
func (c *Collector) Collect(ctx context.Context) (*Result, error) {
	var all []cluster.TP
	for _, t := range c.Flow.Topics() {
		for p := range c.Partitions[t] {
			all = append(all, cluster.TP{Topic: t, Partition: p})
		}
	}
	ranges, err := consume.Plan(ctx, c.Offsets, all, nil, Window(c.From, c.To))
	if err != nil {
		return nil, err
	}
	res := &Result{Ranges: ranges}
	bounds := make(map[cluster.TP]consume.Range, len(ranges))
	for _, r := range ranges {
		bounds[r.TP] = r
	}
	plan := &Plan{Flow: c.Flow, ScanAll: c.ScanAll}
	for ctx.Err() == nil {
		w := window{from: earliestRoot(c.Flow, c.Tracer)}
		if !c.Following && !w.from.IsZero() {
			w.until = closedAt(c.Flow, c.Tracer)
		}
		reads := plan.Next(c.Tracer.Known, !w.from.IsZero())
		if len(reads) == 0 {
			break
		}
		res.Rounds++
		var round []consume.Range
		for _, rd := range reads {
			rs, err := c.roundRanges(ctx, rd, bounds, w)
			if err != nil {
				return nil, err
			}
			round = append(round, rs...)
			c.logRead(res.Rounds, rd, rs, w)
		}
		if err := c.read(ctx, res, round, reads, bounds, w); err != nil {
			return nil, err
		}
	}
	if c.Log != nil {
		dec, skip := c.Tracer.Stats()
		fmt.Fprintf(c.Log, "kx: trace: read %s from %d of %s in %s; %d decoded, %d skipped by the byte prefilter\n",
			output.Count(res.Records.Load(), "record"), res.Partitions.Load(), output.Count(len(all), "partition"), output.Count(res.Rounds, "round"), dec, skip)
	}
	return res, nil
}

// read reads a round. A read pruned by key is checked: every keyed record
// it brings must sit in the partition the partitioner gives its key, and
// there must be one. Otherwise the producers used another partitioner
// (kcat and librdkafka default to crc32-based ones), the key's records
// may be anywhere, and the topic's other partitions are read as well, so
// a verdict never rests on partitions that were skipped.
func (c *Collector) read(ctx context.Context, res *Result, round []consume.Range, reads []Read, bounds map[cluster.TP]consume.Range, w window) error {
	pruned := map[string]*placement{}
	for _, rd := range reads {
		if len(rd.Keys) > 0 && int32(len(Partitions(c.Partitioner, rd.Keys, c.Partitions[rd.Topic]))) < c.Partitions[rd.Topic] {
			pruned[rd.Topic] = &placement{}
		}
	}
	if err := c.readRanges(ctx, res, round, pruned); err != nil {
		return err
	}
	var rest []consume.Range
	for _, rd := range reads {
		pl := pruned[rd.Topic]
		if pl == nil || (pl.checked.Load() > 0 && pl.misplaced.Load() == 0) {
			continue
		}
		res.FullReads = append(res.FullReads, rd.Topic)
		if c.Log != nil {
			fmt.Fprintf(c.Log, "kx: trace: %s: %d of %s outside the partition of their key; reading every partition\n",
				rd.Topic, pl.misplaced.Load(), output.Count(pl.checked.Load(), "keyed record"))
		}
		done := map[int32]bool{}
		for _, r := range round {
			if r.Topic == rd.Topic {
				done[r.Partition] = true
			}
		}
		all, err := c.roundRanges(ctx, Read{Topic: rd.Topic, AfterRoot: rd.AfterRoot}, bounds, w)
		if err != nil {
			return err
		}
		for _, r := range all {
			if !done[r.Partition] {
				rest = append(rest, r)
			}
		}
	}
	return c.readRanges(ctx, res, rest, nil)
}

// placement counts the keyed records of a pruned read and those not where
// the partitioner puts their key.
type placement struct{ checked, misplaced atomic.Int64 }

func (c *Collector) readRanges(ctx context.Context, res *Result, ranges []consume.Range, pruned map[string]*placement) error {
	for _, r := range ranges {
		if !r.Empty() {
			res.Partitions.Add(1)
		}
	}
	// Offer copies what it keeps: the readers may reuse their memory.
	return consume.ReadParallel(ctx, c.Open, ranges, consume.Options{Reuse: true}, func(r *record.Record) error {
		res.Records.Add(1)
		if pl := pruned[r.Topic]; pl != nil && r.Key != nil {
			pl.checked.Add(1)
			if c.Partitioner(r.Key, c.Partitions[r.Topic]) != r.Partition {
				pl.misplaced.Add(1)
			}
		}
		c.Tracer.Offer(r)
		return nil
	})
}

// window is the time a round after the root reads: from the root's time
// (minus the skew) and, once every trace reached the flow's last stage,
// until the latest such closing event (plus the skew). The last stage's
// topic was then read in an earlier round with no upper bound, so the
// verdict, which rests on it, is the same: what the upper bound leaves out
// is events of other stages more than the skew after the order closed.
type window struct{ from, until time.Time }

// roundRanges are the ranges of one read: the partitions its keys hash to
// (all without keys), within the window when asked.
func (c *Collector) roundRanges(ctx context.Context, rd Read, bounds map[cluster.TP]consume.Range, w window) ([]consume.Range, error) {
	var tps []cluster.TP
	if len(rd.Keys) > 0 {
		for _, p := range Partitions(c.Partitioner, rd.Keys, c.Partitions[rd.Topic]) {
			tps = append(tps, cluster.TP{Topic: rd.Topic, Partition: p})
		}
	} else {
		for p := range c.Partitions[rd.Topic] {
			tps = append(tps, cluster.TP{Topic: rd.Topic, Partition: p})
		}
	}
	var after, before map[cluster.TP]cluster.OffsetInfo
	if rd.AfterRoot {
		var err error
		if after, err = c.Offsets.ListOffsets(ctx, tps, cluster.AtTime(w.from.Add(-c.Skew))); err != nil {
			return nil, err
		}
		if !w.until.IsZero() {
			if before, err = c.Offsets.ListOffsets(ctx, tps, cluster.AtTime(w.until.Add(c.Skew))); err != nil {
				return nil, err
			}
		}
	}
	out := make([]consume.Range, 0, len(tps))
	for _, tp := range tps {
		r := bounds[tp]
		if a, ok := after[tp]; ok {
			off := a.Offset
			if off < 0 {
				off = r.End // no record that recent
			}
			r.Start = max(r.Start, off)
		}
		// The first record at or after the bound and what follows it are
		// left out (none that late: read to the end).
		if b, ok := before[tp]; ok && b.Offset >= 0 && b.Offset < r.End {
			r.End = max(r.Start, b.Offset)
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *Collector) logRead(round int, rd Read, rs []consume.Range, w window) {
	if c.Log == nil {
		return
	}
	how := "all partitions"
	if len(rd.Keys) > 0 {
		parts := make([]int32, len(rs))
		for i, r := range rs {
			parts[i] = r.Partition
		}
		how = fmt.Sprintf("partitions %v of %d (by %s)", parts, c.Partitions[rd.Topic], output.Count(len(rd.Keys), "key"))
	}
	if rd.AfterRoot {
		how += fmt.Sprintf(", from %s", record.FormatTimestamp(w.from.Add(-c.Skew)))
		if !w.until.IsZero() {
			how += fmt.Sprintf(" until %s (the order closed at %s)", record.FormatTimestamp(w.until.Add(c.Skew)), record.FormatTimestamp(w.until))
		}
	}
	fmt.Fprintf(c.Log, "kx: trace: round %d: %s: %s\n", round, rd.Topic, how)
}

// closedAt is the latest time a trace reached the flow's last stage, or
// zero when a trace has not reached it (or there is none).
func closedAt(flow Flow, tracer *Tracer) time.Time {
	terminal := len(flow.Stages) - 1
	var last time.Time
	traces := tracer.Traces()
	for _, tr := range traces {
		var closed time.Time
		for _, ev := range tr.Events {
			if ev.Index == terminal && ev.Record.Timestamp.After(closed) {
				closed = ev.Record.Timestamp
			}
		}
		if closed.IsZero() {
			return time.Time{}
		}
		if closed.After(last) {
			last = closed
		}
	}
	return last
}

func earliestRoot(flow Flow, tracer *Tracer) time.Time {
	var first time.Time
	for _, tr := range tracer.Traces() {
		if s := tr.Start(flow); !s.IsZero() && (first.IsZero() || s.Before(first)) {
			first = s
		}
	}
	return first
}

// Follow reads every partition of the flow from where res stopped, without
// end, and calls fn with each record that belongs to a traced key, until
// ctx ends or fn fails. fn is called from one goroutine.
func (c *Collector) Follow(ctx context.Context, res *Result, fn func(key string, r *record.Record) error) error {
	ranges := make([]consume.Range, len(res.Ranges))
	for i, r := range res.Ranges {
		ranges[i] = consume.Range{TP: r.TP, Start: r.End, End: consume.Unbounded}
	}
	err := consume.Read(ctx, c.Open, ranges, consume.Options{}, func(rec *record.Record) error {
		key, ok := c.Tracer.Offer(rec)
		if !ok {
			return nil
		}
		return fn(key, rec)
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
