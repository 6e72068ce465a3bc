package flowtrace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
		want := refGraph(topics, recs)
		// In memory, then with the keys in temporary files from the 37th on.
		for _, maxKeys := range []int{DefaultMaxKeys, 37} {
			dir := t.TempDir()
			b, _ := NewFlowBuilder("orderId", topics)
			b.MaxKeys, b.TempDir = maxKeys, dir
			for _, r := range recs {
				if err := b.Offer(r); err != nil {
					t.Fatal(err)
				}
			}
			if spilled := b.spill != nil; spilled != (maxKeys < want.Keys) {
				t.Fatalf("max %d keys of %d: spilled %v", maxKeys, want.Keys, spilled)
			}
			// Unlinked while open: nothing is left however kx exits.
			if left, _ := os.ReadDir(dir); len(left) > 0 && runtime.GOOS != "windows" {
				t.Errorf("spilling: %s has a name in the temporary directory", left[0].Name())
			}
			got, err := b.Graph()
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("spread %v, max %d keys:\ngot  %+v\nwant %+v", spread, maxKeys, got, want)
			}
			b.Close()
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("Close left %s in the temporary directory", left[0].Name())
			}
		}
	}
}

// A write that fails (a full disk) stops the builder with an error that
// says what to do, and Graph gives no graph; a spill that cannot start
// leaves the keys in memory.
func TestSpillFailureIsAnError(t *testing.T) {
	b, _ := NewFlowBuilder("orderId", []string{"a"})
	b.MaxKeys, b.TempDir = 2, t.TempDir()
	offer := func(k int) error {
		return b.Offer(&record.Record{Topic: "a", Timestamp: time.UnixMilli(int64(k)), Value: fmt.Appendf(nil, `{"orderId":"K%d"}`, k)})
	}
	for k := range 2 {
		if err := offer(k); err != nil {
			t.Fatal(err)
		}
	}
	if b.spill == nil {
		t.Fatal("no spill past MaxKeys")
	}
	for _, f := range b.spill.buckets {
		f.f.Close() // every later write fails
	}
	var err error
	for k := 2; k < 1_000_000 && err == nil; k++ {
		err = offer(k)
	}
	if err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Fatalf("Offer: %v", err)
	}
	if _, gerr := b.Graph(); gerr == nil {
		t.Error("Graph after a failed write gave a graph")
	}
	b.Close()

	// A temporary directory that cannot be made: one warning, and the
	// keys stay in memory.
	b, _ = NewFlowBuilder("orderId", []string{"a"})
	var warned []error
	b.MaxKeys, b.TempDir, b.Warn = 1, filepath.Join(t.TempDir(), "missing"), func(err error) { warned = append(warned, err) }
	for k := range 5 {
		if err := offer(k); err != nil {
			t.Fatalf("Offer: %v", err)
		}
	}
	if g, err := b.Graph(); err != nil || g.Keys != 5 || len(warned) != 1 || !strings.Contains(warned[0].Error(), "missing") {
		t.Fatalf("no directory: %+v, %v, warned %v", g, err, warned)
	}
}
