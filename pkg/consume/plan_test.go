package consume

import (
	"context"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/position"
)

// fakeOffsets answers ListOffsets by time with fixed offsets.
type fakeOffsets struct{ byTime map[cluster.TP]int64 }

func (f fakeOffsets) ListOffsets(_ context.Context, tps []cluster.TP, _ cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error) {
	out := map[cluster.TP]cluster.OffsetInfo{}
	for _, tp := range tps {
		out[tp] = cluster.OffsetInfo{Offset: f.byTime[tp]}
	}
	return out, nil
}

func (f fakeOffsets) Watermarks(context.Context, []cluster.TP) (map[cluster.TP]cluster.Watermark, error) {
	return nil, nil
}

func TestPlanTail(t *testing.T) {
	a, b := cluster.TP{Topic: "t", Partition: 0}, cluster.TP{Topic: "t", Partition: 1}
	tps := []cluster.TP{a, b}
	wm := map[cluster.TP]cluster.Watermark{a: {Low: 10, High: 100}, b: {Low: 0, High: 5}}
	now := time.Now()
	spec := func(s string) position.Spec {
		p, err := position.Parse(s, now)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	to := func(s string) *position.Spec { p := spec(s); return &p }
	lister := fakeOffsets{byTime: map[cluster.TP]int64{a: 50, b: -1}}
	for _, c := range []struct {
		name     string
		from     position.Spec
		to       *position.Spec
		untilEnd bool
		want     []Range
		bounded  bool
	}{
		{"follow from end", spec("end"), nil, false, []Range{{TP: a, Start: 100, End: -1}, {TP: b, Start: 5, End: -1}}, false},
		{"-e from beginning", spec("beginning"), nil, true, []Range{{TP: a, Start: 10, End: 100}, {TP: b, Start: 0, End: 5}}, true},
		{"last 3", spec("-3"), nil, true, []Range{{TP: a, Start: 97, End: 100}, {TP: b, Start: 2, End: 5}}, true},
		{"to offset past the end follows up to it", spec("beginning"), to("200"), false, []Range{{TP: a, Start: 10, End: 200}, {TP: b, Start: 0, End: 200}}, true},
		{"-e and --to: the nearer", spec("beginning"), to("20"), true, []Range{{TP: a, Start: 10, End: 20}, {TP: b, Start: 0, End: 5}}, true},
		{"from a time (none after it in b)", spec("-10m"), nil, true, []Range{{TP: a, Start: 50, End: 100}, {TP: b, Start: 5, End: 5}}, true},
		{"to now", spec("beginning"), to("now"), false, []Range{{TP: a, Start: 10, End: 100}, {TP: b, Start: 0, End: 5}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ranges, err := Plan(context.Background(), lister, tps, wm, Spec{From: c.from, To: c.to, UntilEnd: c.untilEnd, Follow: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(ranges) != len(c.want) {
				t.Fatalf("ranges %v, want %v", ranges, c.want)
			}
			for i := range c.want {
				if got := ranges[i]; got.TP != c.want[i].TP || got.Start != c.want[i].Start || got.End != c.want[i].End {
					t.Errorf("range %d = %+v, want %+v", i, ranges[i], c.want[i])
				}
			}
			if Bounded(ranges) != c.bounded {
				t.Errorf("bounded %v, want %v", Bounded(ranges), c.bounded)
			}
		})
	}
}
