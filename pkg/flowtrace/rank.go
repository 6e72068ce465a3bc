package flowtrace

import "math/bits"

// rankDigit is the width of the digit each pass of ranksOf settles: 12 bits
// is 4,096 counters (16 KB) per query, and a duration of up to 2^24 ms
// (4.6 hours) takes two passes.
const rankDigit = 12

// rankQuery asks for the value of 0-based rank Rank among the values of
// group Group sorted in ascending order; Max is the group's largest value.
type rankQuery struct {
	Group int
	Rank  int
	Max   uint64
}

// ranksOf answers the queries exactly without holding the values: each
// calls its function once with every (group, value), and can be called
// again (kx flow walks its keys once per call). Each pass counts, among
// the values that share the digits found so far, their next 12 bits, and
// keeps the digit under which the rank falls: memory is 16 KB per query
// whatever the number of values, time one walk per 12 bits of the largest
// value.
func ranksOf(qs []rankQuery, each func(offer func(group int, v uint64))) []uint64 {
	type sel struct {
		rank   int
		prefix uint64
		shift  int // the low bit of the digit being counted; < 0: done
		counts []uint32
	}
	sels := make([]sel, len(qs))
	groups := 0
	for _, q := range qs {
		groups = max(groups, q.Group+1)
	}
	byGroup := make([][]int, groups)
	open := 0
	for i, q := range qs {
		s := &sels[i]
		s.rank, s.shift = q.Rank, -1
		if n := bits.Len64(q.Max); n > 0 {
			s.shift = (n - 1) / rankDigit * rankDigit
			s.counts = make([]uint32, 1<<rankDigit)
			byGroup[q.Group] = append(byGroup[q.Group], i)
			open++
		}
	}
	for open > 0 {
		each(func(group int, v uint64) {
			if group >= len(byGroup) {
				return
			}
			for _, i := range byGroup[group] {
				s := &sels[i]
				// A shift of 64 or more gives 0 in Go: the top digit has no prefix.
				if s.shift >= 0 && v>>(s.shift+rankDigit) == s.prefix {
					s.counts[v>>s.shift&(1<<rankDigit-1)]++
				}
			}
		})
		for i := range sels {
			s := &sels[i]
			if s.shift < 0 {
				continue
			}
			for d, c := range s.counts {
				if s.rank < int(c) {
					s.prefix = s.prefix<<rankDigit | uint64(d)
					break
				}
				s.rank -= int(c)
			}
			clear(s.counts)
			if s.shift -= rankDigit; s.shift < 0 {
				s.counts = nil
				open--
			}
		}
	}
	out := make([]uint64, len(qs))
	for i, s := range sels {
		out[i] = s.prefix
	}
	return out
}
