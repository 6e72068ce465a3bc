package flowtrace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

func TestRanksOfAgreesWithSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() uint64{
		"small":      func() uint64 { return rng.Uint64N(50) },
		"ms":         func() uint64 { return rng.Uint64N(20_000) },
		"days":       func() uint64 { return rng.Uint64N(100 * 24 * 3600 * 1000) },
		"full range": func() uint64 { return rng.Uint64() },
		"few values": func() uint64 { return []uint64{0, 4095, 4096, 1 << 40}[rng.IntN(4)] },
		"zeros":      func() uint64 { return 0 },
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 7, 1000, 20_000} {
			// Two groups, so a value of one must not count for the other.
			vals := [2][]uint64{}
			for i := range n {
				vals[i%2] = append(vals[i%2], gen())
			}
			var qs []rankQuery
			for gi, vs := range vals {
				if len(vs) == 0 {
					continue
				}
				for _, r := range []int{0, len(vs) / 2, len(vs) - 1, percentileRank(len(vs), 95)} {
					qs = append(qs, rankQuery{Group: gi, Rank: r, Max: slices.Max(vs)})
				}
			}
			got := ranksOf(qs, func(offer func(int, uint64)) {
				for i := range n {
					offer(i%2, vals[i%2][i/2])
				}
			})
			for i, q := range qs {
				sorted := slices.Sorted(slices.Values(vals[q.Group]))
				if want := sorted[q.Rank]; got[i] != want {
					t.Errorf("%s, %d values, group %d rank %d: %d, want %d", name, n, q.Group, q.Rank, got[i], want)
				}
			}
		}
	}
}

// refGraph is the graph as kx flow computed it before its memory was
// bounded: every key's first times, every step's duration, sorted.
func refGraph(topics []string, recs []*record.Record) Graph {
	firsts := map[string][]int64{}
	var keys []string
	records := make([]int64, len(topics))
	for _, r := range recs {
		ti := slices.Index(topics, r.Topic)
		records[ti]++
		k := string(decodeValue(r.Value).(map[string]any)["orderId"].(string))
		f, ok := firsts[k]
		if !ok {
			f = make([]int64, len(topics))
			for i := range f {
				f[i] = math.MaxInt64
			}
			firsts[k] = f
			keys = append(keys, k)
		}
		f[ti] = min(f[ti], r.Timestamp.UnixMilli())
	}
	g := Graph{Field: "orderId", Keys: len(keys)}
	for i, t := range topics {
		g.Nodes = append(g.Nodes, Node{Type: "node", Topic: t, Records: records[i]})
	}
	steps := map[[2]int][]int64{}
	for _, k := range keys {
		var vs []visit
		for ti, f := range firsts[k] {
			if f != math.MaxInt64 {
				vs = append(vs, visit{ti, f})
			}
		}
		slices.SortStableFunc(vs, func(x, y visit) int {
			if x.first < y.first {
				return -1
			} else if x.first > y.first {
				return 1
			}
			return 0
		})
		for i, v := range vs {
			g.Nodes[v.topic].Keys++
			if i == len(vs)-1 {
				g.Nodes[v.topic].Stopped++
				continue
			}
			p := [2]int{v.topic, vs[i+1].topic}
			steps[p] = append(steps[p], vs[i+1].first-v.first)
		}
	}
	for from := range topics {
		for to := range topics {
			ds := steps[[2]int{from, to}]
			if len(ds) == 0 {
				continue
			}
			slices.Sort(ds)
			ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
			e := Edge{Type: "edge", From: topics[from], To: topics[to], Keys: len(ds),
				P50: ms(ds[percentileRank(len(ds), 50)]), P95: ms(ds[percentileRank(len(ds), 95)]), Max: ms(ds[len(ds)-1])}
			e.P50MS, e.P95MS, e.MaxMS = e.P50.Milliseconds(), e.P95.Milliseconds(), e.Max.Milliseconds()
			g.Edges = append(g.Edges, e)
		}
	}
	return g
}

// The graph is the one of every key's first times, whatever the spread of
// the times: steps of milliseconds and of months, records offered out of
// time order, keys reaching a topic twice.
func TestGraphAgreesWithReference(t *testing.T) {
	topics := []string{"a", "b", "c", "d"}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, spread := range []time.Duration{time.Second, time.Hour, 60 * 24 * time.Hour, 20 * 365 * 24 * time.Hour} {
		rng := rand.New(rand.NewPCG(3, uint64(spread)))
		var recs []*record.Record
		for i := range 3000 {
			k := fmt.Sprintf(`{"orderId":"K%d"}`, rng.IntN(1000))
			at := t0.Add(time.Duration(rng.Int64N(int64(spread))))
			if i%100 == 0 {
				at = t0.Add(-time.Duration(rng.Int64N(int64(spread)))) // before the others
			}
			recs = append(recs, &record.Record{Topic: topics[rng.IntN(len(topics))], Timestamp: at, Value: []byte(k)})
		}
		b, _ := NewFlowBuilder("orderId", topics)
		for _, r := range recs {
			b.Offer(r)
		}
		got, want := b.Graph(), refGraph(topics, recs)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("spread %v:\ngot  %+v\nwant %+v", spread, got, want)
		}
	}
}

// A row gives back the least time noted in each topic, whether it fits
// the int32 offsets or not, down to the extremes of int64.
func TestFirstSlabKeepsLeastTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	times := []func() int64{
		func() int64 { return 1_780_000_000_000 + rng.Int64N(1000) },
		func() int64 { return 1_780_000_000_000 + rng.Int64N(1<<40) - 1<<39 },
		func() int64 { return []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, math.MaxInt64 - 1}[rng.IntN(5)] },
	}
	const width, rows = 3, 40_000 // more than two chunks
	s := firstSlab{width: width}
	want := make([][]int64, rows)
	for i := range rows {
		gen := times[i%len(times)]
		first := gen()
		if s.add(uint64(i), first) != int32(i) {
			t.Fatal("rows out of order")
		}
		want[i] = []int64{notReached, notReached, notReached}
		for range 4 {
			ms, ti := gen(), rng.IntN(width)
			if rng.IntN(4) == 0 {
				ms = first
			}
			s.note(int32(i), ti, ms)
			want[i][ti] = min(want[i][ti], ms)
		}
	}
	var buf []int64
	for i := range rows {
		if buf = s.row(int32(i), buf); !slices.Equal(buf, want[i]) {
			t.Fatalf("row %d: %v, want %v", i, buf, want[i])
		}
	}
	if len(s.wide) == 0 || len(s.wide) > rows*2/3+1 {
		t.Errorf("%d wide rows of %d: the test no longer covers both kinds", len(s.wide), rows)
	}
}

// The index finds each hash's row, through growth and through hashes that
// share their low bits (one run of probes).
func TestIndexFindsEachRow(t *testing.T) {
	b, _ := NewFlowBuilder("orderId", []string{"a"})
	const n = 5000
	hashOf := func(k int) uint64 {
		if k%2 == 0 {
			return uint64(k) << 32 // the same slot until the index is 2^32 long
		}
		return uint64(k) * 0x9E3779B97F4A7C15
	}
	for k := range n {
		if r := b.row(hashOf(k), 0); r != int32(k) {
			t.Fatalf("key %d: new row %d", k, r)
		}
	}
	for k := range n {
		if r := b.row(hashOf(k), 0); r != int32(k) {
			t.Fatalf("key %d: row %d, want %d", k, r, k)
		}
	}
	if b.firsts.n != n || len(b.index) < n*4/3 {
		t.Errorf("%d rows, index of %d", b.firsts.n, len(b.index))
	}
}
