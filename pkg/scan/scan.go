// Package scan reads offset ranges of partitions: the bounded reads of tail
// -e, trace, export and flow. It stops by itself when every range is done.
package scan

import (
	"context"
	"errors"
	"time"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

// Range is the offsets [Start, End) of one partition. End < 0 reads on
// without end (follow).
type Range struct {
	kafka.TP
	Start, End int64
}

// Empty reports whether there is nothing to read.
func (r Range) Empty() bool { return r.End >= 0 && r.Start >= r.End }

// ErrStop, returned by a callback, ends the read without error.
var ErrStop = errors.New("stop")

// ReaderFactory creates readers (the Kafka client).
type ReaderFactory interface {
	NewReader(opts kafka.ReaderOptions) (*kafka.Reader, error)
}

// Options tune Read.
type Options struct {
	// Idle ends the read after this long without a record (0: never).
	Idle time.Duration
	// Properties are passed to the reader.
	Properties map[string]any
	// OnIdle, when set, runs whenever a poll brings nothing (a good time
	// to flush buffered output); an error ends the read.
	OnIdle func() error
}

// Read reads ranges and calls fn for each record, in offset order within a
// partition. It returns nil when every bounded range is done, when fn
// returns ErrStop, when Idle passes without records, or when ctx ends.
func Read(ctx context.Context, c ReaderFactory, ranges []Range, opts Options, fn func(*record.Record) error) error {
	remaining := map[kafka.TP]int64{}
	var assign []kafka.Assignment
	for _, r := range ranges {
		if r.Empty() {
			continue
		}
		assign = append(assign, kafka.Assignment{TP: r.TP, Offset: r.Start})
		if r.End >= 0 {
			remaining[r.TP] = r.End
		}
	}
	bounded := len(remaining) == len(assign)
	if len(assign) == 0 {
		return nil
	}
	rd, err := c.NewReader(kafka.ReaderOptions{Assign: assign, Properties: opts.Properties})
	if err != nil {
		return err
	}
	defer rd.Close()
	lastRecord := time.Now()
	for {
		if ctx.Err() != nil {
			return nil
		}
		rec, err := rd.Poll(100 * time.Millisecond)
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
			// A range can end on a gap (transaction marker, compaction):
			// ask where the reader stands.
			if len(remaining) > 0 {
				if done := reachedEnd(rd, remaining); len(done) > 0 {
					_ = rd.Pause(done)
				}
				if bounded && len(remaining) == 0 {
					return nil
				}
			}
			continue
		}
		lastRecord = time.Now()
		end, limited := remaining[rec.TP()]
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
			delete(remaining, rec.TP())
			_ = rd.Pause([]kafka.TP{rec.TP()})
			if bounded && len(remaining) == 0 {
				return nil
			}
		}
	}
}

func reachedEnd(rd *kafka.Reader, remaining map[kafka.TP]int64) []kafka.TP {
	tps := make([]kafka.TP, 0, len(remaining))
	for tp := range remaining {
		tps = append(tps, tp)
	}
	pos, err := rd.Positions(tps)
	if err != nil {
		return nil
	}
	var done []kafka.TP
	for tp, end := range remaining {
		if p, ok := pos[tp]; ok && p >= end {
			done = append(done, tp)
			delete(remaining, tp)
		}
	}
	return done
}
