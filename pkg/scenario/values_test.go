package scenario

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestFormatMilli(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(999, 7, 4, 9, 5, 3, 7_000_000, time.UTC),
		time.Date(2026, 3, 3, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := formatMilli(tm), tm.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
			t.Errorf("formatMilli(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestItemHeap pops what a sorted reference pops, under random pushes
// and pops, ties in at broken by order.
func TestItemHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h itemHeap
	var ref []item
	var order uint64
	for n := 0; n < 20000; n++ {
		if len(ref) == 0 || rng.IntN(3) > 0 {
			it := item{at: time.Duration(rng.IntN(50)), order: order}
			order++
			h.push(it)
			ref = append(ref, it)
			continue
		}
		m := 0
		for k := range ref {
			if ref[k].at < ref[m].at || ref[k].at == ref[m].at && ref[k].order < ref[m].order {
				m = k
			}
		}
		want := ref[m]
		ref = append(ref[:m], ref[m+1:]...)
		if got := h.pop(); got.at != want.at || got.order != want.order {
			t.Fatalf("operation %d: popped (%v, %d), want (%v, %d)", n, got.at, got.order, want.at, want.order)
		}
	}
}
