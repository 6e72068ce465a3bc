package flowtrace

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

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
	b := newKeyTable(1)
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
