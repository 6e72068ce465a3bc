package position

import (
	"context"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want Spec
	}{
		{"beginning", Spec{Kind: Beginning}},
		{"earliest", Spec{Kind: Beginning}},
		{"end", Spec{Kind: End}},
		{"now", Spec{Kind: End}},
		{"42", Spec{Kind: Offset, Offset: 42}},
		{"-5", Spec{Kind: FromEnd, Offset: 5}},
		{"1764072000000", Spec{Kind: Time, Time: time.UnixMilli(1764072000000)}},
		{"2026-11-25T10:00:00Z", Spec{Kind: Time, Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}},
		{"2026-11-25", Spec{Kind: Time, Time: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}},
		{"-10m", Spec{Kind: Time, Time: now.Add(-10 * time.Minute)}},
		{"-1d2h", Spec{Kind: Time, Time: now.Add(-26 * time.Hour)}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got.Kind != tt.want.Kind || got.Offset != tt.want.Offset || !got.Time.Equal(tt.want.Time) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-10x", "--5m"} {
		if _, err := Parse(bad, now); err == nil {
			t.Errorf("Parse(%q): want an error", bad)
		}
	}
}

type fakeLister struct {
	byTime map[cluster.TP]cluster.OffsetInfo
}

func (f fakeLister) ListOffsets(context.Context, []cluster.TP, cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error) {
	return f.byTime, nil
}
func (f fakeLister) Watermarks(context.Context, []cluster.TP) (map[cluster.TP]cluster.Watermark, error) {
	return nil, nil
}

func TestResolveClamps(t *testing.T) {
	a, b := cluster.TP{Topic: "t", Partition: 0}, cluster.TP{Topic: "t", Partition: 1}
	wm := map[cluster.TP]cluster.Watermark{a: {Low: 10, High: 20}, b: {Low: 0, High: 3}}
	tps := []cluster.TP{a, b}
	check := func(spec Spec, lister OffsetLister, wantA, wantB int64) {
		t.Helper()
		got, err := Resolve(context.Background(), lister, wm, tps, spec)
		if err != nil {
			t.Fatal(err)
		}
		if got[a] != wantA || got[b] != wantB {
			t.Errorf("Resolve(%+v) = %d,%d want %d,%d", spec, got[a], got[b], wantA, wantB)
		}
	}
	check(Spec{Kind: Beginning}, nil, 10, 0)
	check(Spec{Kind: End}, nil, 20, 3)
	check(Spec{Kind: Offset, Offset: 5}, nil, 10, 3)
	check(Spec{Kind: FromEnd, Offset: 5}, nil, 15, 0)
	check(Spec{Kind: Time}, fakeLister{map[cluster.TP]cluster.OffsetInfo{a: {Offset: 12}, b: {Offset: -1}}}, 12, 3)
}

func TestCheckRange(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"5", "2", false}, {"2", "5", true}, {"5", "5", true},
		{"2026-11-25T10:00:00Z", "2026-11-24", false}, {"-1h", "-2h", false}, {"-2h", "-1h", true},
		{"-2", "-5", false}, {"-5", "-2", true},
		{"end", "beginning", false}, {"beginning", "end", true},
		{"5", "2026-11-24", true}, // an offset and a time: only the cluster knows
	} {
		from, err := Parse(tc.from, now)
		if err != nil {
			t.Fatal(err)
		}
		to, err := Parse(tc.to, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckRange(from, to); (err == nil) != tc.ok {
			t.Errorf("--from %s --to %s: %v, want ok=%v", tc.from, tc.to, err, tc.ok)
		}
	}
}
