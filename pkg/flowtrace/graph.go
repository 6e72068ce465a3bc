package flowtrace

import (
	"bytes"
	"cmp"
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
// has millions of keys, so a key is its 64-bit hash and a row of a
// keyTable, about 50 bytes for a key of six topics; past MaxKeys keys the
// rows go to temporary files (keySpill) and memory stops growing. Two keys
// of the same hash would count as one: among n keys the chance that any
// two collide is about n²/2^65 (3·10^-6 for ten million keys), and the
// hash's seed is drawn for each builder, so no data collides on every run.
// Offer is safe for concurrent use; Close removes the files.
type FlowBuilder struct {
	field   Path
	literal []byte
	// single: the path is one plain field, top, read in place.
	single   bool
	top      string
	topicIdx map[string]int
	topics   []string
	seed     maphash.Seed

	// MaxKeys is the number of keys kept in memory before they go to
	// temporary files under TempDir (the system's when empty); 0: never.
	// When the files cannot be made, the keys stay in memory and Warn
	// (when set) is told why.
	MaxKeys int
	TempDir string
	Warn    func(error)

	mu      sync.Mutex
	keys    keyTable
	spill   *keySpill // once the keys passed MaxKeys
	records []int64   // per topic
}

// DefaultMaxKeys keeps about 3 MB of keys in memory: the e-commerce flow
// has about 90,000 keys per million records. Past it, spilling is cheaper
// than the table it replaces (appends, not random reads of a large
// table): at ten million records, 16 s against 19–27 s, 64 MB against
// 102.
const DefaultMaxKeys = 1 << 16

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
		keys:     newKeyTable(len(topics)),
		MaxKeys:  DefaultMaxKeys,
		records:  make([]int64, len(topics)),
	}
	for _, t := range topics {
		b.topicIdx[t] = len(b.topics)
		b.topics = append(b.topics, t)
	}
	return b, nil
}

// Offer counts one record. Its error is the temporary files' (a full
// disk): the graph can no longer be built.
func (b *FlowBuilder) Offer(rec *record.Record) error {
	ti, ok := b.topicIdx[rec.Topic]
	if !ok {
		return nil
	}
	// Skip values that cannot hold the field's name (sound: an escaped
	// name has a backslash and is decoded).
	if !bytes.Contains(rec.Value, b.literal) && bytes.IndexByte(rec.Value, '\\') < 0 {
		b.mu.Lock()
		b.records[ti]++
		b.mu.Unlock()
		return nil
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
		return b.failed()
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
	return b.failed()
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

// reached notes that the key of hash h has a record in topic ti at ms.
// b.mu is held.
func (b *FlowBuilder) reached(h uint64, ti int, ms int64) {
	if b.spill != nil {
		b.spill.add(h, ti, ms)
		return
	}
	b.keys.reached(h, ti, ms)
	if b.MaxKeys > 0 && b.keys.len() >= b.MaxKeys && len(b.topics) <= spillMaxWidth {
		b.startSpill()
	}
}

// startSpill moves the keys to temporary files. b.mu is held.
func (b *FlowBuilder) startSpill() {
	s, err := newKeySpill(b.TempDir, len(b.topics))
	if err != nil {
		// Memory then grows with the keys, as it did before spilling.
		b.MaxKeys = 0
		if b.Warn != nil {
			b.Warn(err)
		}
		return
	}
	s.moveIn(&b.keys)
	b.spill, b.keys = s, keyTable{}
}

// Close removes the temporary files, if any.
func (b *FlowBuilder) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spill != nil {
		b.spill.close()
		b.spill = nil
	}
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
func (b *FlowBuilder) Graph() (Graph, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.failed(); err != nil {
		return Graph{}, err
	}
	keys := b.keys.len()
	if b.spill != nil {
		if err := b.spill.finish(); err != nil {
			return Graph{}, err
		}
		keys = b.spill.keys
	}
	g := Graph{Field: b.field.Name(), Keys: keys}
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
	err := b.eachKey(func(vs []visit) {
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
	if err != nil {
		return Graph{}, err
	}
	g.Nodes = nodes
	qs := make([]rankQuery, 0, 2*len(edges))
	for e := range edges {
		qs = append(qs, rankQuery{Group: e, Rank: percentileRank(counts[e], 50), Max: maxes[e]},
			rankQuery{Group: e, Rank: percentileRank(counts[e], 95), Max: maxes[e]})
	}
	ranks := ranksOf(qs, func(offer func(int, uint64)) {
		err = cmp.Or(err, b.eachKey(func(vs []visit) {
			for i := 1; i < len(vs); i++ {
				offer(edgeOf[vs[i-1].topic*width+vs[i].topic], uint64(vs[i].first-vs[i-1].first))
			}
		}))
	})
	if err != nil {
		return Graph{}, err
	}
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
	return g, nil
}

// eachKey calls fn with each key's first visits in time order (ties in
// topic order), from memory or from the spill's rows. b.mu is held; vs is
// reused.
func (b *FlowBuilder) eachKey(fn func(vs []visit)) error {
	vs := make([]visit, 0, len(b.topics))
	visits := func(row []int64) {
		vs = vs[:0]
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
	if b.spill != nil {
		return b.spill.eachRow(visits)
	}
	row := make([]int64, 0, len(b.topics))
	for i := range int32(b.keys.len()) {
		row = b.keys.firsts.row(i, row)
		visits(row)
	}
	return nil
}

// failed is the error that stopped the builder. b.mu is held.
func (b *FlowBuilder) failed() error {
	if b.spill != nil {
		return b.spill.err
	}
	return nil
}

// percentileRank is the 0-based nearest-rank index of percentile p among
// n sorted values.
func percentileRank(n int, p float64) int {
	return max(int(math.Ceil(p/100*float64(n)))-1, 0)
}
