// Package slab keeps values under small integer ids that are reused once
// the value is taken back: what a C call carries as an opaque instead of
// a pointer, with no map and no boxing per value.
package slab

// Slab holds values by id. It is not safe for concurrent use: its owner
// locks.
type Slab[T any] struct {
	vals []T
	free []int
}

// Put keeps v and returns its id.
func (s *Slab[T]) Put(v T) int {
	if n := len(s.free); n > 0 {
		id := s.free[n-1]
		s.free = s.free[:n-1]
		s.vals[id] = v
		return id
	}
	s.vals = append(s.vals, v)
	return len(s.vals) - 1
}

// Take returns the value of id and forgets it (its id goes to the next
// Put). id must come from Put and not have been taken since.
func (s *Slab[T]) Take(id int) T {
	v := s.vals[id]
	var zero T
	s.vals[id] = zero // nothing stays reachable from a free slot
	s.free = append(s.free, id)
	return v
}
