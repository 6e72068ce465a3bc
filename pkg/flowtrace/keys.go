package flowtrace

import "math"

// keyTable holds a row of first times per key, found by the key's 64-bit
// hash through an open-addressing index of int32 slots: about 50 bytes
// for a key of six topics and no pointers for the collector to scan.
type keyTable struct {
	// index holds row+1 at the slot of the row's hash (0: empty), linear
	// probing, at most 3/4 full.
	index  []int32
	firsts firstSlab
}

func newKeyTable(width int) keyTable {
	return keyTable{index: make([]int32, 1<<10), firsts: firstSlab{width: width}}
}

// len is the number of keys.
func (t *keyTable) len() int { return t.firsts.n }

// reached notes that the key of hash h has a record in topic ti at ms.
func (t *keyTable) reached(h uint64, ti int, ms int64) {
	t.firsts.note(t.row(h, ms), ti, ms)
}

// row returns the row of the key of hash h, added (first offered at ms)
// if it has none.
func (t *keyTable) row(h uint64, ms int64) int32 {
	if (t.firsts.n+1)*4 > len(t.index)*3 {
		t.grow()
	}
	mask := uint64(len(t.index) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		r := t.index[s]
		if r == 0 {
			i := t.firsts.add(h, ms)
			t.index[s] = i + 1
			return i
		}
		if t.firsts.hash(r-1) == h {
			return r - 1
		}
	}
}

// grow doubles the index.
func (t *keyTable) grow() {
	index := make([]int32, 2*len(t.index))
	mask := uint64(len(index) - 1)
	for i := range int32(t.firsts.n) {
		s := t.firsts.hash(i) & mask
		for index[s] != 0 {
			s = (s + 1) & mask
		}
		index[s] = i + 1
	}
	t.index = index
}

// notReached marks a topic a key has no record in.
const notReached = math.MaxInt64

// firstSlab holds, for each row, the hash of its key and the unix ms of
// the key's first record in each topic: the time of the first record
// offered for the key (its base) and an int32 offset from it per topic
// (±24.8 days), in chunks so that growing never copies what is there. A
// key whose times do not fit (a record more than 24.8 days from the first
// one offered) keeps them whole in wide, its base set to wideRow: the
// times stay exact.
type firstSlab struct {
	width  int
	hashes [][]uint64
	bases  [][]int64
	offs   [][]int32
	n      int
	wide   map[int32][]int64
}

const (
	slabChunkRows = 1 << 14
	offNotReached = math.MaxInt32
	wideRow       = math.MinInt64
)

// add appends a row of the key of hash h, first offered at ms, in no
// topic yet, and returns its index.
func (s *firstSlab) add(h uint64, ms int64) int32 {
	if s.n%slabChunkRows == 0 {
		s.hashes = append(s.hashes, make([]uint64, 0, slabChunkRows))
		s.bases = append(s.bases, make([]int64, 0, slabChunkRows))
		s.offs = append(s.offs, make([]int32, 0, slabChunkRows*s.width))
	}
	c := len(s.bases) - 1
	s.hashes[c] = append(s.hashes[c], h)
	s.bases[c] = append(s.bases[c], ms)
	for range s.width {
		s.offs[c] = append(s.offs[c], offNotReached)
	}
	s.n++
	i := int32(s.n - 1)
	if ms == wideRow {
		s.widen(i, ms) // a base that reads as the mark
	}
	return i
}

// hash returns the hash of row i's key.
func (s *firstSlab) hash(i int32) uint64 {
	return s.hashes[int(i)/slabChunkRows][int(i)%slabChunkRows]
}

// note lowers row i's first time in topic ti to ms.
func (s *firstSlab) note(i int32, ti int, ms int64) {
	c, r := int(i)/slabChunkRows, int(i)%slabChunkRows
	base := s.bases[c][r]
	if base == wideRow {
		w := s.wide[i]
		w[ti] = min(w[ti], ms)
		return
	}
	o := &s.offs[c][r*s.width+ti]
	d := ms - base
	if (d > 0) == (ms > base) && d >= math.MinInt32 && d < offNotReached {
		*o = min(*o, int32(d))
		return
	}
	if ms > base && *o != offNotReached {
		return // later than the time the row has
	}
	s.widen(i, base)
	s.wide[i][ti] = min(s.wide[i][ti], ms)
}

// widen moves row i, of base, to wide.
func (s *firstSlab) widen(i int32, base int64) {
	if s.wide == nil {
		s.wide = map[int32][]int64{}
	}
	c, r := int(i)/slabChunkRows, int(i)%slabChunkRows
	w := make([]int64, s.width)
	for ti, o := range s.offs[c][r*s.width : (r+1)*s.width] {
		w[ti] = notReached
		if o != offNotReached {
			w[ti] = base + int64(o)
		}
	}
	s.wide[i] = w
	s.bases[c][r] = wideRow
}

// row returns row i's first times (notReached where none) in dst.
func (s *firstSlab) row(i int32, dst []int64) []int64 {
	c, r := int(i)/slabChunkRows, int(i)%slabChunkRows
	base := s.bases[c][r]
	if base == wideRow {
		return append(dst[:0], s.wide[i]...)
	}
	dst = dst[:0]
	for _, o := range s.offs[c][r*s.width : (r+1)*s.width] {
		if o == offNotReached {
			dst = append(dst, notReached)
		} else {
			dst = append(dst, base+int64(o))
		}
	}
	return dst
}
