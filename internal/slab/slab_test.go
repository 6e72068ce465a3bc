package slab

import "testing"

// Ids are reused once taken, values come back as put, and a taken slot
// keeps nothing reachable.
func TestSlab(t *testing.T) {
	var s Slab[*int]
	a, b := new(int), new(int)
	ia, ib := s.Put(a), s.Put(b)
	if ia == ib {
		t.Fatalf("two values under id %d", ia)
	}
	if got := s.Take(ia); got != a {
		t.Fatalf("Take(%d) = %p, want %p", ia, got, a)
	}
	if s.vals[ia] != nil {
		t.Fatal("a taken slot still holds its value")
	}
	c := new(int)
	if ic := s.Put(c); ic != ia {
		t.Fatalf("Put after Take: id %d, want the freed %d", ic, ia)
	}
	if got := s.Take(ib); got != b || len(s.vals) != 2 {
		t.Fatalf("Take(%d) = %p (want %p), %d slots", ib, got, b, len(s.vals))
	}
}
