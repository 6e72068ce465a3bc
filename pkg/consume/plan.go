// Package consume plans and reads records: where each partition starts and
// stops (--from, --to, -n, -e, a group's committed offsets) resolved into
// one Range per partition, and the one loop that reads ranges, bounded,
// following or as a group member. tail, trace, flow, export and stats read
// through it. It talks to Kafka through the small interfaces below, which
// the adapter (pkg/kafka) and the fake (pkg/kafkafake) satisfy.
package consume

import (
	"context"
	"fmt"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/position"
)

// Unbounded is the End of a range that reads on without end (follow).
const Unbounded = int64(-1)

// Range is what to read of one partition: the offsets [Start, End), End
// Unbounded to follow. Watermark is the partition's at planning time;
// Requested is the start asked for before clamping to it (below Start when
// an offset already lost to retention was asked for).
type Range struct {
	cluster.TP
	Start, End int64
	Requested  int64
	Watermark  cluster.Watermark
}

// Empty reports whether there is nothing to read.
func (r Range) Empty() bool { return r.End >= 0 && r.Start >= r.End }

// Bounded reports whether the range has an end.
func (r Range) Bounded() bool { return r.End >= 0 }

// Count is the number of offsets in a bounded range (0 when empty).
func (r Range) Count() int64 { return max(r.End-r.Start, 0) }

// Offsets is what planning asks of the cluster.
type Offsets interface {
	Watermarks(ctx context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error)
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
}

// GroupOffsets is what planning a group read asks of the cluster.
type GroupOffsets interface {
	Offsets
	GroupOffsets(ctx context.Context, group string) (map[cluster.TP]int64, error)
}

// Spec says where reads start and stop.
type Spec struct {
	// From is where each partition starts.
	From position.Spec
	// To, when set, is where each partition stops (exclusive).
	To *position.Spec
	// UntilEnd stops each partition at its high watermark at planning.
	UntilEnd bool
	// Follow reads on without end unless UntilEnd or To says otherwise,
	// and waits for a To offset past the end. Without it, every range
	// stops at the high watermark at planning at the latest.
	Follow bool
}

// Plan resolves spec into a range per partition of tps, in that order. wm
// are the watermarks (fetched by Plan when nil).
func Plan(ctx context.Context, c Offsets, tps []cluster.TP, wm map[cluster.TP]cluster.Watermark, spec Spec) ([]Range, error) {
	if wm == nil {
		var err error
		if wm, err = c.Watermarks(ctx, tps); err != nil {
			return nil, err
		}
	}
	starts, err := position.Resolve(ctx, c, wm, tps, spec.From)
	if err != nil {
		return nil, err
	}
	ends, err := planEnds(ctx, c, tps, wm, spec)
	if err != nil {
		return nil, err
	}
	out := make([]Range, 0, len(tps))
	for _, tp := range tps {
		r := Range{TP: tp, Start: starts[tp], End: Unbounded, Requested: starts[tp], Watermark: wm[tp]}
		if spec.From.Kind == position.Offset && spec.From.Offset < r.Start {
			r.Requested = spec.From.Offset
		}
		if e, ok := ends[tp]; ok {
			r.End = e
		}
		out = append(out, r)
	}
	return out, nil
}

// planEnds returns the end of each partition that has one.
func planEnds(ctx context.Context, c Offsets, tps []cluster.TP, wm map[cluster.TP]cluster.Watermark, spec Spec) (map[cluster.TP]int64, error) {
	ends := map[cluster.TP]int64{}
	if spec.UntilEnd || !spec.Follow {
		for _, tp := range tps {
			ends[tp] = wm[tp].High
		}
	}
	if spec.To == nil {
		return ends, nil
	}
	var to map[cluster.TP]int64
	if spec.To.Kind == position.Offset && spec.Follow {
		// An offset past the end is a point a following read waits for:
		// not clamped to the high watermark.
		to = make(map[cluster.TP]int64, len(tps))
		for _, tp := range tps {
			to[tp] = max(spec.To.Offset, wm[tp].Low)
		}
	} else {
		var err error
		if to, err = position.Resolve(ctx, c, wm, tps, *spec.To); err != nil {
			return nil, err
		}
	}
	for _, tp := range tps {
		if e, ok := ends[tp]; !ok || to[tp] < e {
			ends[tp] = to[tp]
		}
	}
	return ends, nil
}

// PlanGroup resolves spec for a group read of tps: each partition starts at
// the group's committed offset, or where a new member would start (From:
// Beginning or End) when it has none. A group that never committed has no
// commits, which is not an error.
func PlanGroup(ctx context.Context, c GroupOffsets, group string, tps []cluster.TP, wm map[cluster.TP]cluster.Watermark, spec Spec) ([]Range, error) {
	if spec.From.Kind != position.Beginning && spec.From.Kind != position.End {
		return nil, fmt.Errorf("a group read starts at its committed offsets: from beginning or end only")
	}
	ranges, err := Plan(ctx, c, tps, wm, spec)
	if err != nil {
		return nil, err
	}
	committed, err := c.GroupOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s: %w", group, err)
	}
	for i, r := range ranges {
		if off, ok := committed[r.TP]; ok {
			ranges[i].Start, ranges[i].Requested = off, off
		}
	}
	return ranges, nil
}

// Bounded reports whether every range has an end.
func Bounded(ranges []Range) bool {
	for _, r := range ranges {
		if !r.Bounded() {
			return false
		}
	}
	return true
}

// TPs lists the partitions of ranges.
func TPs(ranges []Range) []cluster.TP {
	out := make([]cluster.TP, len(ranges))
	for i, r := range ranges {
		out[i] = r.TP
	}
	return out
}
