package trace

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scan"
)

// Bounds are the offset window of each partition: [Start, End).
type Bounds struct {
	Start, End map[kafka.TP]int64
}

// ResolveBounds turns --from/--to (nil: the whole retained log, up to the
// high watermark now) into offsets for tps.
func ResolveBounds(ctx context.Context, client *kafka.Client, tps []kafka.TP, from, to *position.Spec) (Bounds, error) {
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return Bounds{}, err
	}
	b := Bounds{Start: map[kafka.TP]int64{}, End: map[kafka.TP]int64{}}
	for _, tp := range tps {
		b.Start[tp], b.End[tp] = wm[tp].Low, wm[tp].High
	}
	if from != nil {
		if b.Start, err = position.Resolve(ctx, client, wm, tps, *from); err != nil {
			return Bounds{}, err
		}
	}
	if to != nil {
		if b.End, err = position.Resolve(ctx, client, wm, tps, *to); err != nil {
			return Bounds{}, err
		}
	}
	return b, nil
}

// ReadStats count what a read touched.
type ReadStats struct {
	Records    atomic.Int64
	Partitions atomic.Int64
}

// ReadParallel reads ranges with one reader per topic, in parallel. fn is
// called concurrently from several goroutines.
func ReadParallel(ctx context.Context, client *kafka.Client, ranges []scan.Range, stats *ReadStats, fn func(*record.Record)) error {
	byTopic := map[string][]scan.Range{}
	var order []string
	for _, r := range ranges {
		if r.Empty() {
			continue
		}
		if _, ok := byTopic[r.Topic]; !ok {
			order = append(order, r.Topic)
		}
		byTopic[r.Topic] = append(byTopic[r.Topic], r)
		stats.Partitions.Add(1)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(order))
	for i, topic := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := scan.Read(ctx, client, byTopic[topic], scan.Options{}, func(rec *record.Record) error {
				stats.Records.Add(1)
				fn(rec)
				return nil
			})
			if err != nil {
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

// OffsetsAt returns, for tps, the first offset at or after t (the high
// watermark when no record is that recent).
func OffsetsAt(ctx context.Context, client *kafka.Client, tps []kafka.TP, t time.Time, b Bounds) (map[kafka.TP]int64, error) {
	infos, err := client.ListOffsets(ctx, tps, kafka.AtTime(t))
	if err != nil {
		return nil, err
	}
	out := map[kafka.TP]int64{}
	for _, tp := range tps {
		off := infos[tp].Offset
		if off < 0 {
			off = b.End[tp]
		}
		out[tp] = off
	}
	return out, nil
}
