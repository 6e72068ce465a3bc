package flowtrace

import (
	"bytes"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// Event is one record of a trace, with what the timeline shows of it.
type Event struct {
	Record *record.Record
	Stage  string
	Index  int // the stage's position in the flow
	Status string
	// IDs are the flow ids this record carries (orderId, shipmentId…).
	IDs map[string]string
}

// Trace is everything found for one traced key.
type Trace struct {
	Key    string
	Events []Event
	// Learned are the ids learned from its records, in order of discovery.
	Learned map[string][]string
}

// Tracer collects the records of several traced keys in one scan. Offer is
// safe for concurrent use, so topics can be read in parallel.
type Tracer struct {
	flow   Flow
	stages map[string]*compiledStage

	mu sync.RWMutex
	// known[id][value] is the traced key that id value belongs to: the
	// keys themselves under the flow's field, then the ids learned from
	// their records (customerId, shipmentId…).
	known  map[string]map[string]string
	traces map[string]*Trace
	order  []string
	seen   map[record.TopicPartition]map[int64]bool

	decoded, skipped atomic.Int64
}

type compiledStage struct {
	Stage
	index  int
	match  []Path
	learn  map[string]Path
	status *Path
}

// NewTracer prepares a trace of keys (values of the flow's field).
func NewTracer(flow Flow, keys []string) (*Tracer, error) {
	if err := flow.Validate(); err != nil {
		return nil, err
	}
	field, _ := ParsePath(flow.Field)
	t := &Tracer{
		flow:   flow,
		stages: map[string]*compiledStage{},
		known:  map[string]map[string]string{field.Name(): {}},
		traces: map[string]*Trace{},
		seen:   map[record.TopicPartition]map[int64]bool{},
	}
	for i, s := range flow.Stages {
		cs := &compiledStage{Stage: s, index: i, learn: map[string]Path{}}
		for _, m := range flow.match(s) {
			p, _ := ParsePath(m)
			cs.match = append(cs.match, p)
		}
		for id, ps := range s.Learn {
			p, _ := ParsePath(ps)
			cs.learn[id] = p
		}
		if s.Status != "" {
			p, _ := ParsePath(s.Status)
			cs.status = &p
		}
		t.stages[s.Topic] = cs
	}
	for _, k := range keys {
		if _, dup := t.traces[k]; dup {
			continue
		}
		t.traces[k] = &Trace{Key: k}
		t.order = append(t.order, k)
		t.known[field.Name()][k] = k
	}
	return t, nil
}

// Known returns the values known so far for an id (traced or learned).
func (t *Tracer) Known(id string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.known[id]))
	for v := range t.known[id] {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Stats reports how many records were decoded and how many the byte
// prefilter skipped without decoding.
func (t *Tracer) Stats() (decoded, skipped int64) { return t.decoded.Load(), t.skipped.Load() }

// Offer looks at one record and keeps a copy when it belongs to a trace
// (rec itself is not kept). It returns the traced key the record belongs
// to, and false when it does not belong to any (or was already offered).
func (t *Tracer) Offer(rec *record.Record) (string, bool) {
	cs, ok := t.stages[rec.Topic]
	if !ok {
		return "", false
	}
	t.mu.RLock()
	pass := t.prefilter(cs, rec.Value)
	t.mu.RUnlock()
	if !pass {
		t.skipped.Add(1)
		return "", false
	}
	t.decoded.Add(1)
	v := decodeValue(rec.Value)
	if v == nil {
		return "", false
	}
	var buf []string
	ids := map[string]string{}
	owner := ""
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range cs.match {
		buf = p.Values(buf[:0], v)
		for _, val := range buf {
			if key, ok := t.known[p.Name()][val]; ok {
				ids[p.Name()] = val
				if owner == "" {
					owner = key
				}
			}
		}
	}
	if owner == "" {
		return "", false
	}
	// The same record can come twice when a partition is read by two
	// rounds (pruned, then learned); keep it once.
	offs := t.seen[rec.TP()]
	if offs == nil {
		offs = map[int64]bool{}
		t.seen[rec.TP()] = offs
	}
	if offs[rec.Offset] {
		return "", false
	}
	offs[rec.Offset] = true
	for id, p := range cs.learn {
		for _, val := range p.Values(nil, v) {
			m := t.known[id]
			if m == nil {
				m = map[string]string{}
				t.known[id] = m
			}
			if _, taken := m[val]; !taken {
				m[val] = owner
				tr := t.traces[owner]
				if tr.Learned == nil {
					tr.Learned = map[string][]string{}
				}
				tr.Learned[id] = append(tr.Learned[id], val)
			}
			if _, shown := ids[id]; !shown {
				ids[id] = val
			}
		}
	}
	// Kept: a copy, as the reader reuses the record's memory.
	ev := Event{Record: rec.Clone(), Stage: cs.Name, Index: cs.index, Status: cs.Name, IDs: ids}
	if cs.status != nil {
		if s := cs.status.Values(nil, v); len(s) > 0 {
			ev.Status = s[0]
		}
	}
	tr := t.traces[owner]
	tr.Events = append(tr.Events, ev)
	return owner, true
}

// prefilter is the byte-level test before any JSON decode: the value must
// contain one of the known literals of the ids the stage matches on. It is
// sound: a value with a backslash may escape characters of the literal,
// so it is always decoded.
func (t *Tracer) prefilter(cs *compiledStage, value []byte) bool {
	if bytes.IndexByte(value, '\\') >= 0 {
		return true
	}
	for _, p := range cs.match {
		for lit := range t.known[p.Name()] {
			if bytes.Contains(value, []byte(lit)) {
				return true
			}
		}
	}
	return false
}

// Traces returns the traces in the order of the keys, each in time order.
func (t *Tracer) Traces() []*Trace {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Trace, 0, len(t.order))
	for _, k := range t.order {
		tr := t.traces[k]
		sortEvents(tr.Events)
		out = append(out, tr)
	}
	return out
}

func sortEvents(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int {
		if c := a.Record.Timestamp.Compare(b.Record.Timestamp); c != 0 {
			return c
		}
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		if a.Record.Partition != b.Record.Partition {
			return int(a.Record.Partition - b.Record.Partition)
		}
		return int(a.Record.Offset - b.Record.Offset)
	})
}

// Start is the earliest event time of the trace's root stage (or of the
// whole trace when the root was not found); zero when nothing was found.
func (tr *Trace) Start(flow Flow) time.Time {
	var first time.Time
	for _, ev := range tr.Events {
		if s, _, ok := flow.Stage(ev.Record.Topic); ok && s.Root {
			if first.IsZero() || ev.Record.Timestamp.Before(first) {
				first = ev.Record.Timestamp
			}
		}
	}
	return first
}
