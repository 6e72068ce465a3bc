package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
	"unsafe"
)

// GeneratorOptions parameterise one run of a scenario.
type GeneratorOptions struct {
	// Seed drives every random choice; the same seed gives the same events.
	Seed int64
	// RunID is copied into every event as scenarioRunId; it changes nothing else.
	RunID string
	// RateScale multiplies phase rates (not fixed counts); <= 0 means 1.
	RateScale float64
	// Start is the wall-clock instant of scenario time 0; zero means
	// 2025-01-01T00:00:00Z so output stays reproducible.
	Start time.Time
	// Speed compresses the timeline: an event at scenario time At has
	// timestamp Start + At/Speed. <= 0 means 1.
	Speed float64
	// Until, when positive, cuts the timeline at this scenario time: no
	// flow starts and no parked flow resumes at or after it; flows in
	// progress finish their steps (with the params in force as they go),
	// and parked flows stay pending (kx play --until PHASE cuts at the
	// phase's end).
	Until time.Duration
}

// Event is one record to produce.
type Event struct {
	// At is scenario time since start; Time = Start + At/Speed is when the
	// player should send it and what the event's timestamps are based on.
	At    time.Duration
	Time  time.Time
	Topic string
	Key   []byte // nil when the topic has no key field
	Value []byte // compact JSON object
	// Phase is the latest phase started at At (flows draining after the
	// last phase, or after GeneratorOptions.Until, count in the last phase
	// played); Flow, FlowID and Step locate the event.
	Phase  string
	Flow   string
	FlowID int64
	Step   string
	// TopicIndex and PhaseIndex are Topic's and Phase's indexes in the
	// scenario's Topics and Phases (PhaseIndex -1: before the first).
	TopicIndex, PhaseIndex int
	// Tags holds the template's tags (e.g. status=ERROR) for statistics,
	// in declaration order; empty values are left out.
	Tags []Tag

	// in, vals and id are what Encode needs of an event NextDeferred
	// left unencoded (in is nil once it is encoded).
	in   *instr
	vals []any
	id   [36]byte
}

// Encode appends the value, then the key, of an event NextDeferred left
// unencoded to arena and sets Value and Key to them; it returns the grown
// arena. An event already encoded is left as it is.
func (e *Event) Encode(arena []byte) []byte {
	if e.in == nil {
		return arena
	}
	start := len(arena)
	arena = appendEvent(arena, e.in, e.vals, &e.id)
	e.Value = arena[start:len(arena):len(arena)]
	if k := e.in.keyIdx; k >= 0 {
		start = len(arena)
		if arena = appendKey(arena, e.vals[k]); len(arena) > start {
			e.Key = arena[start:len(arena):len(arena)]
		} else if e.vals[k] != nil {
			e.Key = []byte{}
		}
	}
	e.in, e.vals = nil, nil
	return arena
}

// Tag is one tag of an event.
type Tag struct{ Name, Value string }

// Tag returns the value of the named tag, "" when the event has none.
func (e *Event) Tag(name string) string {
	for _, t := range e.Tags {
		if t.Name == name {
			return t.Value
		}
	}
	return ""
}

// Stats counts flows by fate so far.
type Stats struct {
	Events       int64
	FlowsStarted int64
	FlowsEnded   int64 // finished their last step or an end branch
	FlowsHeld    int64 // times a flow was parked by a hold phase
	FlowsResumed int64
	Held         int64 // parked now, waiting for a resolve phase
	InFlight     int64 // started, neither ended nor parked
}

type itemKind uint8

const (
	kStart   itemKind = iota // start flow #n of a phase
	kEmit                    // emit the flow's current step
	kAdvance                 // resume a flow after a hold
	kResolve                 // a resolve phase begins
)

// item is 32 bytes, so a node's four children share two cache lines. A
// start item's flow number is Generator.nextStart[phase]: a phase has
// one start scheduled at a time.
type item struct {
	at    time.Duration
	order uint64 // insertion order breaks ties deterministically
	fl    *flowState
	phase int32
	kind  itemKind
}

// itemHeap is a 4-ary min-heap of items by (at, order), written out for
// the item type: container/heap's interface calls and boxing were a
// sixth of the generator's time, and four children a node halve the
// levels a pop walks through tens of thousands of flows.
type itemHeap []item

func (h itemHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].order < h[j].order
}

func (h *itemHeap) push(it item) {
	*h = append(*h, it)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *itemHeap) pop() item {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = item{} // drop the flow pointer
	q = q[:n]
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if q.less(k, m) {
				m = k
			}
		}
		if !q.less(m, i) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

type flowState struct {
	id  int64
	fl  *flow
	pc  int
	ctx []any // per context slot (Scenario.slots), for from: and $ctx
	// ctxBuf holds ctx when the scenario has few slots: the flow's values
	// are then in the object the step queue points to, one cache miss
	// instead of two when the flow's next step is built.
	ctxBuf    [inlineSlots]any
	iterating bool
	iter      int
	iterN     int
	items     []any
	pending   time.Duration // branch delays not yet applied
}

// inlineSlots is the most context slots kept inside flowState (the demo
// has 8).
const inlineSlots = 8

// Generator produces a scenario's events in time order. It is not safe for
// concurrent use.
type Generator struct {
	s         *Scenario
	opts      GeneratorOptions
	rng       *rand.Rand
	h         itemHeap
	order     uint64
	seqs      []int64
	held      []*flowState
	nextFlow  int64
	stop      bool
	stats     Stats
	err       error
	jqParams  []map[string]any // per phaseParams index
	starts    []int            // flows each phase starts
	nextStart []int            // the number of each phase's start item
	lastPhase int              // cached phase lookup
	// Per emit step (instr.id): sizes is the largest value encoded so
	// far, so the next one's buffer starts that large instead of growing
	// (doubling) to it; objs is the map the last event was built in, for
	// the next one when the flow's context did not keep it.
	sizes []int
	objs  []map[string]any
	vals  []any // the values of the event being built
	env   jqEnv // of the expression being evaluated (runJQ)
	// arena and valArena, during NextDeferred, are where the values of
	// the events encoded at once, and the field values of those left
	// unencoded, are appended.
	arena    []byte
	arenaOn  bool
	valArena []any
	deferOn  bool
	// runID is opts.RunID boxed once, not once per event.
	runID any
	// lastMs and lastStamp are the latest default-format timestamp: the
	// events of a busy timeline share milliseconds.
	lastMs    int64
	lastStamp any
	// tags is a chunk the events' Tags are cut from: one allocation for
	// many events instead of one each.
	tags []Tag
}

// NewGenerator prepares a run. Event content depends only on the scenario,
// Seed and RunID (and timestamps on Start and Speed).
func NewGenerator(s *Scenario, opts GeneratorOptions) *Generator {
	if opts.RateScale <= 0 {
		opts.RateScale = 1
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	g := &Generator{
		s:     s,
		opts:  opts,
		rng:   rand.New(rand.NewPCG(uint64(opts.Seed), 0x6b78_706c_6179)), // "kxplay"
		seqs:  make([]int64, s.nseq),
		sizes: make([]int, s.nemit),
		objs:  make([]map[string]any, s.nemit),
		runID: opts.RunID,
	}
	for _, vals := range s.phaseParams {
		m := make(map[string]any, len(vals))
		for i, v := range vals {
			m[s.Params[i].Name] = v.any()
		}
		g.jqParams = append(g.jqParams, m)
	}
	for i, p := range s.Phases {
		n := p.ExpectedFlows(opts.RateScale)
		g.starts = append(g.starts, n)
		g.nextStart = append(g.nextStart, 0)
		if n > 0 {
			g.push(item{at: g.startAt(i, 0), kind: kStart, phase: int32(i)})
		}
		if p.Resolve {
			g.push(item{at: p.Start, kind: kResolve, phase: int32(i)})
		}
	}
	return g
}

func (g *Generator) push(it item) {
	it.order = g.order
	g.order++
	g.h.push(it)
}

// startAt spaces a phase's flow starts evenly, one per slot, with jitter in
// the first half of the slot: each second of a rate-R phase holds R starts.
func (g *Generator) startAt(phase, n int) time.Duration {
	p := g.s.Phases[phase]
	var slot float64 // nanoseconds
	if p.Count > 0 {
		slot = float64(p.Duration) / float64(p.Count)
	} else {
		slot = 1e9 / (p.Rate * g.opts.RateScale)
	}
	return p.Start + time.Duration((float64(n)+g.rng.Float64()*0.5)*slot)
}

// Stats reports flow counters so far.
func (g *Generator) Stats() Stats {
	st := g.stats
	st.Held = int64(len(g.held))
	st.InFlight = st.FlowsStarted - st.FlowsEnded - st.Held
	return st
}

// Err returns the first runtime evaluation error (a jq expression failing on
// generated data); the affected value was emitted as null.
func (g *Generator) Err() error { return g.err }

// StopStarting stops new flows; flows in progress still emit their steps.
func (g *Generator) StopStarting() { g.stop = true }

// Next returns the next event in non-decreasing At order, or false when no
// flow has anything left to emit (held flows never resolved stay pending).
func (g *Generator) Next() (Event, bool) {
	for len(g.h) > 0 {
		it := g.h.pop()
		if len(g.h) > 0 && g.h[0].fl != nil {
			// The next flow's state (context slots included) arrives
			// in cache while this item is handled.
			prefetch(unsafe.Pointer(g.h[0].fl))
		}
		switch it.kind {
		case kStart:
			if g.stop || g.cut(it.at) {
				continue
			}
			ph := int(it.phase)
			if n := g.nextStart[ph] + 1; n < g.starts[ph] {
				g.nextStart[ph] = n
				g.push(item{at: g.startAt(ph, n), kind: kStart, phase: it.phase})
			}
			g.nextFlow++
			g.stats.FlowsStarted++
			fl := &flowState{id: g.nextFlow, fl: g.pickFlow(ph)}
			if k := len(g.s.slots); k <= inlineSlots {
				fl.ctx = fl.ctxBuf[:k:k]
			} else {
				fl.ctx = make([]any, k)
			}
			g.advance(fl, it.at)
		case kResolve:
			if g.cut(it.at) {
				continue
			}
			p := g.s.Phases[it.phase]
			for k, fl := range g.held {
				d := time.Duration(float64(p.ResolveOver) * (float64(k) + 0.5) / float64(len(g.held)))
				g.push(item{at: it.at + d, kind: kAdvance, fl: fl})
				g.stats.FlowsResumed++
			}
			g.held = nil
		case kAdvance:
			g.advance(it.fl, it.at)
		case kEmit:
			if ev, ok := g.emitStep(it.fl, it.at); ok {
				return ev, true
			}
		}
	}
	return Event{}, false
}

// NextDeferred is Next leaving the event's value and key unencoded, its
// field values appended to vals instead: the caller encodes it
// (Event.Encode), on another goroutine if it likes, after which it is done
// with vals. Encoding is a fifth of the generator's work, and unpaced play
// waits on the generator. An event whose fields an expression reads (the
// object they read is reused) is encoded at once, appended to arena. A
// caller done with a batch of events reuses arena and vals for the next.
// It returns the grown arena and vals.
func (g *Generator) NextDeferred(arena []byte, vals []any) (Event, []byte, []any, bool) {
	g.arena, g.arenaOn = arena, true
	g.valArena, g.deferOn = vals, true
	ev, ok := g.Next()
	arena, vals = g.arena, g.valArena
	g.arena, g.arenaOn = nil, false
	g.valArena, g.deferOn = nil, false
	return ev, arena, vals, ok
}

// cut reports whether t is past GeneratorOptions.Until.
func (g *Generator) cut(t time.Duration) bool {
	return g.opts.Until > 0 && t >= g.opts.Until
}

func (g *Generator) pickFlow(phase int) *flow {
	fw := g.s.Phases[phase].Flows
	if len(fw) == 1 {
		return g.s.flows[g.s.flowIdx[fw[0].Flow]]
	}
	total := 0.0
	for _, f := range fw {
		total += f.Weight
	}
	r := g.rng.Float64() * total
	for _, f := range fw {
		if r < f.Weight {
			return g.s.flows[g.s.flowIdx[f.Flow]]
		}
		r -= f.Weight
	}
	return g.s.flows[g.s.flowIdx[fw[len(fw)-1].Flow]]
}

// phaseAt is the latest phase started at t, or -1 before the first.
func (g *Generator) phaseAt(t time.Duration) int {
	ph := g.s.Phases
	i := g.lastPhase
	if i >= len(ph) || ph[i].Start > t {
		i = 0
	}
	if ph[i].Start > t {
		return -1
	}
	for i+1 < len(ph) && ph[i+1].Start <= t {
		i++
	}
	g.lastPhase = i
	return i
}

// params returns the parameter values in force at t.
func (g *Generator) params(t time.Duration) ([]paramVal, int) {
	i := g.phaseAt(t)
	if i < 0 {
		i = len(g.s.Phases) // defaults
	}
	return g.s.phaseParams[i], i
}

// advance runs the flow's control instructions until it schedules an emit,
// ends, or is parked.
func (g *Generator) advance(fl *flowState, now time.Duration) {
	prog := fl.fl.prog
	for {
		if fl.pc >= len(prog) {
			g.stats.FlowsEnded++
			return
		}
		in := &prog[fl.pc]
		vals, _ := g.params(now + fl.pending)
		switch in.op {
		case opEmit:
			d := fl.pending + g.sample(in.after, vals)
			fl.pending = 0
			g.push(item{at: now + d, kind: kEmit, fl: fl})
			return
		case opBranch:
			fl.pending += g.sample(in.after, vals)
			vals, _ = g.params(now + fl.pending)
			fl.pc = in.target
			if k := g.pickOption(in.options, vals); k >= 0 {
				fl.pc = in.options[k].target
			}
		case opJump:
			fl.pc = in.target
		case opEnd:
			g.stats.FlowsEnded++
			return
		case opHold:
			t := now + fl.pending
			if i := g.phaseAt(t); i >= 0 && g.s.Phases[i].Hold && t < g.s.Phases[i].End() {
				fl.pc, fl.pending = in.target, 0
				g.held = append(g.held, fl)
				g.stats.FlowsHeld++
				return
			}
			g.stats.FlowsEnded++
			return
		}
	}
}

func (g *Generator) pickOption(opts []option, vals []paramVal) int {
	ps := make([]float64, len(opts))
	sum, rest := 0.0, -1
	for i, o := range opts {
		if o.prob.rest {
			rest = i
			continue
		}
		ps[i] = max(0, resolve(o.prob, vals))
		sum += ps[i]
	}
	if rest >= 0 {
		ps[rest] = max(0, 1-sum)
		sum += ps[rest]
	}
	r := g.rng.Float64() * max(sum, 1) // sum < 1 without a rest option leaves a gap: no option
	for i, p := range ps {
		if r < p {
			return i
		}
		r -= p
	}
	return -1
}

func resolve(n numRef, vals []paramVal) float64 {
	if n.param >= 0 {
		return vals[n.param].num
	}
	return n.lit
}

func (g *Generator) sample(r durRange, vals []paramVal) time.Duration {
	if !r.set {
		return 0
	}
	lo, hi := resolveDur(r.min, vals), resolveDur(r.max, vals)
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

func resolveDur(d durRef, vals []paramVal) time.Duration {
	if d.param >= 0 {
		v, _ := vals[d.param].duration()
		return v
	}
	return d.lit
}

// emitStep emits one iteration of the flow's current emit step, then
// schedules the next iteration or the next step.
func (g *Generator) emitStep(fl *flowState, at time.Duration) (Event, bool) {
	in := &fl.fl.prog[fl.pc]
	vals, pi := g.params(at)
	if !fl.iterating {
		fl.iterating, fl.iter, fl.iterN, fl.items = true, 0, 1, nil
		switch {
		case in.foreach != nil:
			v := g.runJQ(in.foreach, ctxInput, fl, pi, nil, 0)
			arr, ok := v.([]any)
			if !ok && v != nil {
				g.setErr(fmt.Errorf("flow %s step %s: foreach yielded %T, not an array", fl.fl.name, in.step, v))
			}
			fl.items, fl.iterN = arr, len(arr)
		case in.repeats:
			lo, hi := int(resolve(in.repeat[0], vals)), int(resolve(in.repeat[1], vals))
			fl.iterN = lo
			if hi > lo {
				fl.iterN += g.rng.IntN(hi - lo + 1)
			}
		}
	}
	if fl.iter >= fl.iterN { // foreach over an empty array
		fl.iterating = false
		fl.done(in)
		g.advance(fl, at)
		return Event{}, false
	}
	var cur any
	if fl.items != nil {
		cur = fl.items[fl.iter]
	}
	ev := g.build(fl, in, at, pi, cur, fl.iter)
	fl.iter++
	if fl.iter < fl.iterN {
		g.push(item{at: at + g.sample(in.every, vals), kind: kEmit, fl: fl})
	} else {
		fl.iterating, fl.items = false, nil
		fl.done(in)
		g.advance(fl, at)
	}
	return ev, true
}

// done moves the flow past emit step in, letting go of what no later
// step reads.
func (fl *flowState) done(in *instr) {
	for _, k := range in.drop {
		fl.ctx[k] = nil
	}
	fl.pc++
}

func (g *Generator) setErr(err error) {
	if g.err == nil {
		g.err = err
	}
}

// build generates an event's fields in declaration order (so jq fields see
// the fields above them) and encodes it.
func (g *Generator) build(fl *flowState, in *instr, at time.Duration, pi int, cur any, index int) Event {
	ec := &evalCtx{g: g, fl: fl, at: at, pi: pi, item: cur, index: index}
	// The event's values, in field order then eventId and scenarioRunId;
	// the map only when an expression may read the event.
	var obj map[string]any
	if in.needObj {
		if obj = g.objs[in.id]; obj == nil {
			obj = make(map[string]any, len(in.fields.names)+2)
		}
		g.objs[in.id] = nil
	}
	vals := g.vals[:0]
	for i, name := range in.fields.names {
		v := ec.value(in.fields.gens[i], obj)
		vals = append(vals, v)
		if obj != nil {
			obj[name] = v
		}
	}
	// The eventId is a string only for an expression that reads the
	// event; the value gets its bytes (appendEvent).
	var id [36]byte
	g.uuidInto(&id)
	vals = append(vals, nil, g.runID)
	g.vals = vals
	if obj != nil {
		vals[len(vals)-2] = string(id[:])
		obj["eventId"], obj["scenarioRunId"] = vals[len(vals)-2], vals[len(vals)-1]
	}
	in.store(fl.ctx, obj, vals)

	// Values no expression can reach are not changed once made (the
	// event's object, reused, is only built when one can): an event
	// without that object may be encoded later.
	deferred := g.deferOn && obj == nil
	var buf []byte
	switch {
	case deferred: // Event.Encode, with the values kept below
	case g.arenaOn:
		start := len(g.arena)
		g.arena = appendEvent(g.arena, in, vals, &id)
		buf = g.arena[start:len(g.arena):len(g.arena)]
	default:
		buf = make([]byte, 0, max(256, g.sizes[in.id]))
		buf = appendEvent(buf, in, vals, &id)
		if len(buf) > g.sizes[in.id] {
			g.sizes[in.id] = len(buf)
		}
	}
	topic := g.s.Topics[in.topic]
	ev := Event{
		At: at, Time: g.timeAt(at, 0), Topic: topic.Name, Value: buf,
		Flow: fl.fl.name, FlowID: fl.id, Step: in.step,
		TopicIndex: in.topic, PhaseIndex: -1,
	}
	label := pi
	if g.cut(at) {
		// Flows finishing after the cut count in the last phase played,
		// as flows draining after the last phase do.
		label = g.phaseAt(g.opts.Until - 1)
	}
	if label >= 0 && label < len(g.s.Phases) {
		ev.Phase, ev.PhaseIndex = g.s.Phases[label].Name, label
	}
	if deferred {
		start := len(g.valArena)
		g.valArena = append(g.valArena, vals...)
		ev.in, ev.vals, ev.id = in, g.valArena[start:len(g.valArena):len(g.valArena)], id
	} else if in.keyIdx >= 0 {
		if g.arenaOn {
			start := len(g.arena)
			if g.arena = appendKey(g.arena, vals[in.keyIdx]); len(g.arena) > start {
				ev.Key = g.arena[start:len(g.arena):len(g.arena)]
			} else if vals[in.keyIdx] != nil {
				ev.Key = []byte{}
			}
		} else {
			ev.Key = keyBytes(vals[in.keyIdx])
		}
	}
	for i, t := range in.tmpl.tags {
		var v any
		if t.field != "" {
			if j := in.tagIdx[i]; j >= 0 {
				v = vals[j]
			}
		} else {
			v = g.runJQ(t.jq, obj, fl, pi, cur, index)
		}
		if v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			s = string(appendJSON(nil, v, nil))
		}
		if s != "" {
			if ev.Tags == nil {
				ev.Tags = g.tagSlice(len(in.tmpl.tags))
			}
			ev.Tags = append(ev.Tags, Tag{t.name, s})
		}
	}
	if obj != nil && !in.keep.whole() {
		clear(obj)
		g.objs[in.id] = obj
	}
	clear(vals) // nothing of the event stays reachable from g.vals
	g.stats.Events++
	return ev
}

// tagSlice returns an empty slice with room for n tags, cut from a chunk
// shared with other events.
func (g *Generator) tagSlice(n int) []Tag {
	if cap(g.tags)-len(g.tags) < n {
		g.tags = make([]Tag, 0, max(n, 512))
	}
	out := g.tags[len(g.tags) : len(g.tags) : len(g.tags)+n]
	g.tags = g.tags[:len(g.tags)+n]
	return out
}

// extraKeys are the members build adds to every event.
var extraKeys = []string{"eventId", "scenarioRunId"}

// keyBytes is the record key of a key field's value: a string as it is,
// anything else as JSON, null as no key.
func keyBytes(v any) []byte {
	if v == nil {
		return nil
	}
	return appendKey([]byte{}, v)
}

func appendKey(b []byte, v any) []byte {
	switch k := v.(type) {
	case nil:
		return b
	case string:
		return append(b, k...)
	}
	return appendJSON(b, v, nil)
}

func (g *Generator) timeAt(at, offset time.Duration) time.Time {
	return g.opts.Start.Add(time.Duration(float64(at)/g.opts.Speed) + offset)
}

// uuid returns a version-4 UUID drawn from the seeded generator.
func (g *Generator) uuid() string {
	var out [36]byte
	g.uuidInto(&out)
	return string(out[:])
}

// uuidInto writes a version-4 UUID drawn from the seeded generator.
func (g *Generator) uuidInto(out *[36]byte) {
	var b [16]byte
	a, c := g.rng.Uint64(), g.rng.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexd[x>>4], hexd[x&0xf]
		j += 2
	}
}

func round(f float64, decimals int) float64 {
	if decimals < 0 {
		return f
	}
	p := math.Pow10(decimals)
	return math.Round(f*p) / p
}
