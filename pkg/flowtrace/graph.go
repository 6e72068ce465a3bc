package flowtrace

import (
	"bytes"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kx-cli/kx/internal/jsonscan"
	"github.com/kx-cli/kx/pkg/record"
)

// FlowBuilder infers the graph of a flow from records: for each key (a
// value of the field) the first time it appears in each topic. A whole log
// has millions of keys, so a key is its 64-bit hash and a row of a slab
// (the hash, an int64 and an int32 per topic, no pointers for the
// collector to scan) found through an open-addressing index of int32
// slots: about 50 bytes for a key of six topics, where a Go string in a
// map and an int64 per topic were about 100. Two keys of the same hash
// would count as one: among n keys the chance that any two collide is
// about n²/2^65 (3·10^-6 for ten million keys), and the hash's seed is
// drawn for each builder, so no data collides on every run. Offer is safe
// for concurrent use.
type FlowBuilder struct {
	field   Path
	literal []byte
	// single: the path is one plain field, top, read in place.
	single   bool
	top      string
	topicIdx map[string]int
	topics   []string
	seed     maphash.Seed

	mu sync.Mutex
	// index holds row+1 at the slot of the row's hash (0: empty), linear
	// probing, at most 3/4 full.
	index   []int32
	firsts  firstSlab
	records []int64 // per topic
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

// NewFlowBuilder correlates records by field over topics (their order
// breaks ties between records of the same millisecond).
func NewFlowBuilder(field string, topics []string) (*FlowBuilder, error) {
	p, err := ParsePath(field)
	if err != nil {
		return nil, err
	}
	last := p.segments[len(p.segments)-1].field
	b := &FlowBuilder{
		field:    p,
		literal:  []byte(`"` + last + `"`),
		single:   p.isSingle(),
		top:      last,
		topicIdx: map[string]int{},
		seed:     maphash.MakeSeed(),
		index:    make([]int32, 1<<10),
		firsts:   firstSlab{width: len(topics)},
		records:  make([]int64, len(topics)),
	}
	for _, t := range topics {
		b.topicIdx[t] = len(b.topics)
		b.topics = append(b.topics, t)
	}
	return b, nil
}

// Offer counts one record.
func (b *FlowBuilder) Offer(rec *record.Record) {
	ti, ok := b.topicIdx[rec.Topic]
	if !ok {
		return
	}
	// Skip values that cannot hold the field's name (sound: an escaped
	// name has a backslash and is decoded).
	if !bytes.Contains(rec.Value, b.literal) && bytes.IndexByte(rec.Value, '\\') < 0 {
		b.mu.Lock()
		b.records[ti]++
		b.mu.Unlock()
		return
	}
	ms := rec.Timestamp.UnixMilli()
	// Hash outside the lock: the readers of other partitions wait on it.
	if key, ok, fast := b.topLevelValue(rec.Value); fast {
		var h uint64
		if ok {
			h = maphash.Bytes(b.seed, key)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		b.records[ti]++
		if ok {
			b.reached(h, ti, ms)
		}
		return
	}
	vals := b.field.Values(nil, decodeValue(rec.Value))
	hs := make([]uint64, len(vals))
	for i, k := range vals {
		hs[i] = maphash.String(b.seed, k)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.records[ti]++
	for _, h := range hs {
		b.reached(h, ti, ms)
	}
}

// reached notes that the key of hash h has a record in topic ti at ms.
// b.mu is held.
func (b *FlowBuilder) reached(h uint64, ti int, ms int64) {
	b.firsts.note(b.row(h, ms), ti, ms)
}

// row returns the row of the key of hash h, added (first offered at ms)
// if it has none. b.mu is held.
func (b *FlowBuilder) row(h uint64, ms int64) int32 {
	if (b.firsts.n+1)*4 > len(b.index)*3 {
		b.grow()
	}
	mask := uint64(len(b.index) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		r := b.index[s]
		if r == 0 {
			i := b.firsts.add(h, ms)
			b.index[s] = i + 1
			return i
		}
		if b.firsts.hash(r-1) == h {
			return r - 1
		}
	}
}

// grow doubles the index.
func (b *FlowBuilder) grow() {
	index := make([]int32, 2*len(b.index))
	mask := uint64(len(index) - 1)
	for i := range int32(b.firsts.n) {
		s := b.firsts.hash(i) & mask
		for index[s] != 0 {
			s = (s + 1) & mask
		}
		index[s] = i + 1
	}
	b.index = index
}

// topLevelValue reads a field at the top level of a value without
// decoding it: fast is false when the path is deeper or the value needs
// decoding (escapes, not one plain object), and the caller decodes; ok
// says whether the field holds a string, number or boolean, whose text
// (what decoding gives) is key.
func (b *FlowBuilder) topLevelValue(v []byte) (key []byte, ok, fast bool) {
	if !b.single || bytes.IndexByte(v, '\\') >= 0 {
		return nil, false, false
	}
	var raw []byte
	if !jsonscan.ObjectMembers(v, func(k, val []byte) {
		if string(k) == b.top {
			raw = val // the last one wins, as when decoding
		}
	}) {
		return nil, false, false
	}
	switch {
	case raw == nil || raw[0] == 'n' || raw[0] == '{' || raw[0] == '[':
		return nil, false, true
	case raw[0] == '"':
		s := raw[1 : len(raw)-1]
		if !utf8.Valid(s) {
			return nil, false, false // decoding replaces what is invalid
		}
		return s, true, true
	}
	return raw, true, true // a number as written, true or false
}

// visit is a key's first record in one topic.
type visit struct {
	topic int
	first int64 // unix ms
}

// Node is a topic of the inferred flow.
type Node struct {
	Type    string `json:"type"` // "node"
	Topic   string `json:"topic"`
	Records int64  `json:"records"`
	// Keys reached the topic; Stopped of them went nowhere after it.
	Keys    int `json:"keys"`
	Stopped int `json:"stopped"`
}

// Edge is a step A → B: keys whose next topic after A was B.
type Edge struct {
	Type  string        `json:"type"` // "edge"
	From  string        `json:"from"`
	To    string        `json:"to"`
	Keys  int           `json:"keys"`
	P50   time.Duration `json:"-"`
	P95   time.Duration `json:"-"`
	Max   time.Duration `json:"-"`
	P50MS int64         `json:"p50_ms"`
	P95MS int64         `json:"p95_ms"`
	MaxMS int64         `json:"max_ms"`
}

// Graph is the inferred flow.
type Graph struct {
	Field string
	Keys  int
	Nodes []Node
	Edges []Edge
}

// Graph builds the graph from what was offered: each key's topics in the
// order it first reached them; consecutive topics make an edge. The p50
// and p95 of an edge are exact without holding its durations (ranksOf
// walks the keys again, once per 12 bits of the edge's longest step):
// a step per key and edge was 8 bytes each, most of flow's heap.
func (b *FlowBuilder) Graph() Graph {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := Graph{Field: b.field.Name(), Keys: b.firsts.n}
	nodes := make([]Node, len(b.topics))
	for i, t := range b.topics {
		nodes[i] = Node{Type: "node", Topic: t, Records: b.records[i]}
	}
	// edgeOf[from*width+to] is the edge's index in edges, or -1.
	width := len(b.topics)
	edgeOf := make([]int, width*width)
	for i := range edgeOf {
		edgeOf[i] = -1
	}
	type pair struct{ from, to int }
	var edges []pair
	var maxes []uint64
	var counts []int
	b.eachKey(func(vs []visit) {
		for i, v := range vs {
			nodes[v.topic].Keys++
			if i == len(vs)-1 {
				nodes[v.topic].Stopped++
				continue
			}
			next := vs[i+1]
			e := &edgeOf[v.topic*width+next.topic]
			if *e < 0 {
				*e = len(edges)
				edges = append(edges, pair{v.topic, next.topic})
				maxes, counts = append(maxes, 0), append(counts, 0)
			}
			counts[*e]++
			maxes[*e] = max(maxes[*e], uint64(next.first-v.first))
		}
	})
	g.Nodes = nodes
	qs := make([]rankQuery, 0, 2*len(edges))
	for e := range edges {
		qs = append(qs, rankQuery{Group: e, Rank: percentileRank(counts[e], 50), Max: maxes[e]},
			rankQuery{Group: e, Rank: percentileRank(counts[e], 95), Max: maxes[e]})
	}
	ranks := ranksOf(qs, func(offer func(int, uint64)) {
		b.eachKey(func(vs []visit) {
			for i := 1; i < len(vs); i++ {
				offer(edgeOf[vs[i-1].topic*width+vs[i].topic], uint64(vs[i].first-vs[i-1].first))
			}
		})
	})
	for e, p := range edges {
		ms := func(v uint64) time.Duration { return time.Duration(v) * time.Millisecond }
		ed := Edge{Type: "edge", From: b.topics[p.from], To: b.topics[p.to], Keys: counts[e],
			P50: ms(ranks[2*e]), P95: ms(ranks[2*e+1]), Max: ms(maxes[e])}
		ed.P50MS, ed.P95MS, ed.MaxMS = ed.P50.Milliseconds(), ed.P95.Milliseconds(), ed.Max.Milliseconds()
		g.Edges = append(g.Edges, ed)
	}
	slices.SortFunc(g.Edges, func(x, y Edge) int {
		if x.From != y.From {
			return b.topicIdx[x.From] - b.topicIdx[y.From]
		}
		return b.topicIdx[x.To] - b.topicIdx[y.To]
	})
	return g
}

// eachKey calls fn with each key's first visits in time order (ties in
// topic order). b.mu is held; vs is reused.
func (b *FlowBuilder) eachKey(fn func(vs []visit)) {
	vs := make([]visit, 0, len(b.topics))
	row := make([]int64, 0, len(b.topics))
	for i := range int32(b.firsts.n) {
		vs = vs[:0]
		row = b.firsts.row(i, row)
		for ti, first := range row {
			if first != notReached {
				vs = append(vs, visit{topic: ti, first: first})
			}
		}
		slices.SortFunc(vs, func(x, y visit) int {
			if x.first != y.first {
				if x.first < y.first {
					return -1
				}
				return 1
			}
			return x.topic - y.topic
		})
		fn(vs)
	}
}

// percentileRank is the 0-based nearest-rank index of percentile p among
// n sorted values.
func percentileRank(n int, p float64) int {
	return max(int(math.Ceil(p/100*float64(n)))-1, 0)
}
