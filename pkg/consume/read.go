package consume

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/record"
)

// Reader is what a read needs of a Kafka consumer (*kafka.Reader,
// *kafkafake.Reader).
type Reader interface {
	// Poll returns the next record, or nil when none came within timeout.
	Poll(timeout time.Duration) (*record.Record, error)
	// Positions are the next offsets the reader fetches; they move past
	// offsets without a record (transaction markers, compaction).
	Positions(tps []cluster.TP) (map[cluster.TP]int64, error)
	Pause(tps []cluster.TP) error
	// Store marks a record processed (committed by a group reader).
	Store(rec *record.Record) error
	Close() error
}

// Opener opens readers; Readers adapts a client's NewReader to it.
type Opener func(cluster.ReaderOptions) (Reader, error)

// Readers turns the NewReader method of a client (the adapter's, the
// fake's) into an Opener.
func Readers[R Reader](newReader func(cluster.ReaderOptions) (R, error)) Opener {
	return func(o cluster.ReaderOptions) (Reader, error) {
		r, err := newReader(o)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// ErrStop, returned by a callback, ends the read without error.
var ErrStop = errors.New("stop")

// PollTimeout is how long one Poll waits; an idle check runs after each
// empty one.
const PollTimeout = 100 * time.Millisecond

// Options tune a read.
type Options struct {
	// Idle ends the read after this long without a record (0: never).
	Idle time.Duration
	// OnIdle, when set, runs whenever a poll brings nothing (a good time
	// to flush buffered output); an error ends the read.
	OnIdle func() error
	// Properties are passed to the readers Read opens.
	Properties map[string]any
	// QueueKB is passed to the readers (cluster.ReaderOptions.QueueKB);
	// ReadParallel sets it.
	QueueKB int
	// Reuse: fn is done with each record when it returns, so the reader
	// may reuse its memory (cluster.ReaderOptions.Reuse).
	Reuse bool
}

// Read opens a reader assigned to ranges, reads them (see Loop) and closes
// it. Empty ranges are left out; with none left it reads nothing.
func Read(ctx context.Context, open Opener, ranges []Range, opts Options, fn func(*record.Record) error) error {
	var assign []cluster.Assignment
	for _, r := range ranges {
		if !r.Empty() {
			assign = append(assign, cluster.Assignment{TP: r.TP, Offset: r.Start})
		}
	}
	if len(assign) == 0 {
		return nil
	}
	rd, err := open(cluster.ReaderOptions{Assign: assign, Properties: opts.Properties, Reuse: opts.Reuse, QueueKB: opts.QueueKB})
	if err != nil {
		return err
	}
	defer rd.Close()
	return Loop(ctx, rd, ranges, opts, fn)
}

// Loop reads rd, a reader already assigned or subscribed (a group
// member), and calls fn for each record, in offset order per partition.
// Records at or past their range's End are dropped. It returns nil when
// every range is bounded and done (a range also ends on a gap: the
// reader's position passed its End), when fn returns ErrStop, when
// opts.Idle passed without a record, or when ctx ends; otherwise the first
// error of the reader or of fn. It does not close rd.
func Loop(ctx context.Context, rd Reader, ranges []Range, opts Options, fn func(*record.Record) error) error {
	ends := map[cluster.TP]int64{}      // every bounded range's end
	remaining := map[cluster.TP]int64{} // bounded ranges not done
	bounded := true
	for _, r := range ranges {
		if !r.Bounded() {
			bounded = false
			continue
		}
		ends[r.TP] = r.End
		if !r.Empty() {
			remaining[r.TP] = r.End
		}
	}
	if bounded && len(remaining) == 0 {
		return nil
	}
	lastRecord := time.Now()
	for ctx.Err() == nil {
		rec, err := rd.Poll(PollTimeout)
		if err != nil {
			return err
		}
		if rec == nil {
			if opts.OnIdle != nil {
				if err := opts.OnIdle(); err != nil {
					return err
				}
			}
			if opts.Idle > 0 && time.Since(lastRecord) >= opts.Idle {
				return nil
			}
			if len(remaining) > 0 {
				if err := reachedEnd(rd, remaining); err != nil {
					return err
				}
				if bounded && len(remaining) == 0 {
					return nil
				}
			}
			continue
		}
		if opts.Idle > 0 {
			// Only --idle needs it: a clock read per record is a tenth of
			// a bounded read's Go time.
			lastRecord = time.Now()
		}
		end, limited := ends[rec.TP()]
		if limited && rec.Offset >= end {
			continue // fetched past the end of its range
		}
		if err := fn(rec); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
		if limited && rec.Offset+1 >= end {
			if _, ok := remaining[rec.TP()]; ok {
				delete(remaining, rec.TP())
				_ = rd.Pause([]cluster.TP{rec.TP()})
			}
			if bounded && len(remaining) == 0 {
				return nil
			}
		}
	}
	return nil
}

// reachedEnd asks where the reader stands, since a range can end on a gap
// (transaction marker, compaction) that no record reports, and drops the
// ranges that are done from remaining.
func reachedEnd(rd Reader, remaining map[cluster.TP]int64) error {
	tps := make([]cluster.TP, 0, len(remaining))
	for tp := range remaining {
		tps = append(tps, tp)
	}
	pos, err := rd.Positions(tps)
	if err != nil {
		return fmt.Errorf("reader positions: %w", err)
	}
	var done []cluster.TP
	for tp, end := range remaining {
		if p, ok := pos[tp]; ok && p >= end {
			done = append(done, tp)
			delete(remaining, tp)
		}
	}
	if len(done) > 0 {
		_ = rd.Pause(done)
	}
	return nil
}

// parallelQueueKB is what the readers of ReadParallel may pre-fetch in
// all (librdkafka's queue is per partition): a flow read of 24 partitions
// in 6 readers with the single reader's 4 MB each peaked at 170-255 MB
// at 1,000,000 records, at 110 MB with 512 KB each.
const parallelQueueKB = 12 << 10

// ReadParallel reads ranges with one reader per topic, in parallel. fn is
// called concurrently from several goroutines. The error of the first
// topic (in ranges' order) that failed is returned.
func ReadParallel(ctx context.Context, open Opener, ranges []Range, opts Options, fn func(*record.Record) error) error {
	byTopic := map[string][]Range{}
	var order []string
	partitions := 0
	for _, r := range ranges {
		if r.Empty() {
			continue
		}
		partitions++
		if _, ok := byTopic[r.Topic]; !ok {
			order = append(order, r.Topic)
		}
		byTopic[r.Topic] = append(byTopic[r.Topic], r)
	}
	if opts.QueueKB == 0 && len(order) > 1 {
		opts.QueueKB = min(4096, max(256, parallelQueueKB/partitions))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(order))
	for i, topic := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Read(ctx, open, byTopic[topic], opts, fn); err != nil {
				errs[i] = fmt.Errorf("read %s: %w", topic, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Decoding wraps open so that each record its readers return is first
// passed to decode (keys and values in a Schema Registry format become
// JSON); decode's error is the read's error.
func Decoding(open Opener, decode func(context.Context, *record.Record) error) Opener {
	return func(o cluster.ReaderOptions) (Reader, error) {
		rd, err := open(o)
		if err != nil {
			return nil, err
		}
		return decodingReader{rd, decode}, nil
	}
}

type decodingReader struct {
	Reader
	decode func(context.Context, *record.Record) error
}

func (d decodingReader) Poll(timeout time.Duration) (*record.Record, error) {
	rec, err := d.Reader.Poll(timeout)
	if rec == nil || err != nil {
		return rec, err
	}
	// Registry calls are bounded by the registry client's own timeout.
	if err := d.decode(context.Background(), rec); err != nil {
		return nil, err
	}
	return rec, nil
}
