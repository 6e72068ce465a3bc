package scenario

import (
	"reflect"

	"github.com/itchyny/gojq"
)

// A flow in progress keeps its past events for later steps (from: and
// $ctx). Kept whole, they were most of an unpaced run's memory: a run at a
// thousand orders a second holds tens of thousands of flows. So the loader
// finds what the steps actually read and gives each (alias, field) read a
// slot: a flow keeps one value per slot, and reads it by index.
type ctxUse struct {
	// all: some expression reads $ctx in a way the loader does not
	// follow ($ctx alone, $ctx[expr]): every event is kept whole.
	all bool
	// fields maps an alias to the top-level fields read from it; a nil
	// set means the whole event is read ($ctx.order | …).
	fields map[string]map[string]bool
}

// ctxSlot is a value a flow keeps: field of the event aliased alias, or
// the whole event when field is "".
type ctxSlot struct{ alias, field string }

// keep is what an emit step stores in its flow's slots.
type keep struct {
	slots []int
	idx   []int // the field's index among the event's values; keepWhole: the event
}

// keepWhole in keep.idx stores the event itself (as a map).
const keepWhole = -2

// whole reports whether the event itself is kept.
func (k keep) whole() bool {
	for _, i := range k.idx {
		if i == keepWhole {
			return true
		}
	}
	return false
}

// planCtx finds what the scenario's steps read of their flows' context,
// numbers the slots, and sets each emit step's keep and each read's slot.
// An alias read whole anywhere is kept whole everywhere, so one read (a
// template's from:, shared by flows) has one slot.
func planCtx(s *Scenario) {
	u := ctxUse{fields: map[string]map[string]bool{}}
	reads := map[*instr]ctxUse{} // each emit step's own
	s.eachEmit(func(in *instr) {
		r := ctxUse{fields: map[string]map[string]bool{}}
		for _, g := range in.fields.gens {
			r.gen(g)
		}
		r.foreach(in.foreach)
		for _, t := range in.tmpl.tags {
			r.query(t.jq)
		}
		reads[in] = r
		u.merge(r)
	})
	s.slotIdx = map[ctxSlot]int{}
	slot := func(k ctxSlot) int {
		i, ok := s.slotIdx[k]
		if !ok {
			i = len(s.slots)
			s.slotIdx[k] = i
			s.slots = append(s.slots, k)
		}
		return i
	}
	s.eachEmit(func(in *instr) {
		fs, read := u.fields[in.alias]
		in.keep = keep{}
		switch {
		case u.all || (read && fs == nil):
			in.keep.slots, in.keep.idx = []int{slot(ctxSlot{in.alias, ""})}, []int{keepWhole}
		case read:
			for f := range fs {
				in.keep.slots = append(in.keep.slots, slot(ctxSlot{in.alias, f}))
				in.keep.idx = append(in.keep.idx, in.fields.index(f))
			}
		}
	})
	for _, f := range s.flows {
		s.planDrops(f, reads)
	}
	s.eachEmit(func(in *instr) {
		for _, g := range in.fields.gens {
			s.resolveGen(g)
		}
		s.resolveJQ(in.foreach)
		for _, t := range in.tmpl.tags {
			s.resolveJQ(t.jq)
		}
	})
}

// merge adds the reads of r.
func (u *ctxUse) merge(r ctxUse) {
	u.all = u.all || r.all
	for alias, fs := range r.fields {
		if fs == nil {
			u.read(alias, "")
		}
		for f := range fs {
			u.read(alias, f)
		}
	}
}

// planDrops sets each emit step's drop: the slots that no step which can
// run after it reads. A flow lives until its last step, and what it
// reads early (an order's items, for the inventory step) would otherwise
// stay with it: at ten times the demo's rate, a third of the memory of
// a hundred thousand flows in flight. reads holds what each emit step
// itself reads.
func (s *Scenario) planDrops(f *flow, reads map[*instr]ctxUse) {
	n := len(f.prog)
	// live[pc]: the slots read at pc or after it (live[n]: the flow ended).
	live := make([][]bool, n+1)
	for pc := range live {
		live[pc] = make([]bool, len(s.slots))
	}
	for changed := true; changed; {
		changed = false
		for pc := n - 1; pc >= 0; pc-- {
			in := &f.prog[pc]
			var next []int
			switch in.op {
			case opEmit:
				next = []int{pc + 1}
			case opBranch:
				next = []int{in.target}
				for _, o := range in.options {
					next = append(next, o.target)
				}
			case opJump, opHold:
				next = []int{in.target}
			}
			for k := range s.slots {
				v := live[pc][k] || (in.op == opEmit && s.reads(reads[in], k))
				for _, q := range next {
					v = v || live[q][k]
				}
				if v && !live[pc][k] {
					live[pc][k], changed = true, true
				}
			}
		}
	}
	for pc := range f.prog {
		in := &f.prog[pc]
		in.drop = nil
		if in.op != opEmit {
			continue
		}
		for k := range s.slots {
			if !live[pc+1][k] {
				in.drop = append(in.drop, k)
			}
		}
	}
}

// reads reports whether reads r may read slot k.
func (s *Scenario) reads(r ctxUse, k int) bool {
	if r.all {
		return true
	}
	sl := s.slots[k]
	fs, ok := r.fields[sl.alias]
	return ok && (fs == nil || sl.field == "" || fs[sl.field])
}

func (s *Scenario) eachEmit(fn func(in *instr)) {
	for _, f := range s.flows {
		for i := range f.prog {
			if in := &f.prog[i]; in.op == opEmit {
				fn(in)
			}
		}
	}
}

// ctxRead returns the slot holding alias.names… and the names left to
// walk from its value; ok is false when it is not a slot's (the read then
// goes to jq with the context as a map).
func (s *Scenario) ctxRead(names []string) (slot int, rest []string, ok bool) {
	if len(names) == 0 {
		return 0, nil, false
	}
	if i, whole := s.slotIdx[ctxSlot{names[0], ""}]; whole {
		return i, names[1:], true
	}
	if len(names) > 1 {
		if i, ok := s.slotIdx[ctxSlot{names[0], names[1]}]; ok {
			return i, names[2:], true
		}
	}
	return 0, nil, false
}

func (s *Scenario) resolveGen(g *gen) {
	if g == nil {
		return
	}
	switch g.kind {
	case gFrom:
		if root := g.path[0]; root != "item" && root != "index" {
			g.slot, g.rest, _ = s.ctxRead(g.path)
		}
	case gJQ:
		s.resolveJQ(g.jq)
	case gChoice, gList:
		for _, c := range g.choices {
			s.resolveGen(c)
		}
	case gArray:
		s.resolveGen(g.elem)
	case gObject:
		g.mapObj = false
		for _, c := range g.obj.gens {
			s.resolveGen(c)
			g.mapObj = g.mapObj || readsInput(c)
		}
	}
}

// resolveJQ gives the $ctx paths of a direct form their slots.
func (s *Scenario) resolveJQ(e *jqExpr) {
	if e == nil || e.direct == nil {
		return
	}
	eachPath(e.direct, func(p *jqPath) {
		if p.root == rootCtx {
			p.slot, p.rest, p.inSlot = 0, nil, false
			if i, rest, ok := s.ctxRead(p.names); ok {
				p.slot, p.rest, p.inSlot = i, rest, true
			}
		}
	})
}

// foreach notes the reads of a foreach expression, whose input is the
// context as well: .order.items is $ctx.order.items.
func (u *ctxUse) foreach(e *jqExpr) {
	if e == nil {
		return
	}
	if p, ok := e.direct.(*jqPath); ok && p.root == rootInput {
		p.root = rootCtx
		e.readsCtx = true
		switch len(p.names) {
		case 0:
			u.all = true
		case 1:
			u.read(p.names[0], "")
		default:
			u.read(p.names[0], p.names[1])
		}
		return
	}
	if e.direct == nil || e.readsInput() {
		u.all = true // the input is the whole context
		return
	}
	u.query(e)
}

// layout sets where build finds the key, tags and kept fields of an emit
// step's event, and whether it needs the event as a map.
func (in *instr) layout(keyField string) {
	in.keyIdx = -1
	if keyField != "" {
		in.keyIdx = in.fields.index(keyField)
	}
	in.tagIdx = in.tagIdx[:0]
	in.needObj = in.keep.whole()
	for _, t := range in.tmpl.tags {
		idx := -1
		if t.field != "" {
			idx = in.fields.index(t.field)
		} else {
			in.needObj = true
		}
		in.tagIdx = append(in.tagIdx, idx)
	}
	for _, g := range in.fields.gens {
		in.needObj = in.needObj || readsInput(g)
	}
	in.members = in.members[:0]
	for _, name := range append(in.fields.names[:len(in.fields.names):len(in.fields.names)], extraKeys...) {
		in.members = append(in.members, string(appendString(nil, name))+":")
	}
}

// readsInput reports whether g may read the event being built (jq's .).
func readsInput(g *gen) bool {
	if g == nil {
		return false
	}
	switch g.kind {
	case gJQ:
		return g.jq.readsInput()
	case gChoice, gList:
		for _, c := range g.choices {
			if readsInput(c) {
				return true
			}
		}
	case gArray:
		return readsInput(g.elem)
	}
	// gObject's fields read the object itself, not the event.
	return false
}

// read notes that alias (and field, "" for the whole event) is read.
func (u *ctxUse) read(alias, field string) {
	fs, seen := u.fields[alias]
	switch {
	case seen && fs == nil: // already whole
	case field == "":
		u.fields[alias] = nil
	default:
		if fs == nil {
			fs = map[string]bool{}
			u.fields[alias] = fs
		}
		fs[field] = true
	}
}

func (u *ctxUse) gen(g *gen) {
	if g == nil {
		return
	}
	switch g.kind {
	case gFrom:
		if root := g.path[0]; root != "item" && root != "index" {
			field := ""
			if len(g.path) > 1 {
				field = g.path[1]
			}
			u.read(root, field)
		}
	case gJQ:
		u.query(g.jq)
	case gChoice, gList:
		for _, c := range g.choices {
			u.gen(c)
		}
	case gArray:
		u.gen(g.elem)
	case gObject:
		for _, c := range g.obj.gens {
			u.gen(c)
		}
	}
}

// query notes the $ctx reads of a jq expression. Every node of the syntax
// tree is visited (by reflection, so no kind of node is missed): a read
// the loader cannot follow keeps every event whole.
func (u *ctxUse) query(e *jqExpr) {
	if e == nil || u.all {
		return
	}
	walkTerms(reflect.ValueOf(e.query), func(t *gojq.Term) {
		if t.Type != gojq.TermTypeFunc || t.Func == nil || t.Func.Name != "$ctx" {
			return
		}
		alias, ok := plainIndex(t.SuffixList, 0)
		if !ok {
			u.all = true
			return
		}
		field, _ := plainIndex(t.SuffixList, 1)
		u.read(alias, field)
	})
}

// plainIndex returns the name of suffix i when it is a plain .name.
func plainIndex(s []*gojq.Suffix, i int) (string, bool) {
	if i >= len(s) || s[i].Index == nil || s[i].Iter {
		return "", false
	}
	x := s[i].Index
	if x.Name == "" || x.Str != nil || x.Start != nil || x.End != nil || x.IsSlice {
		return "", false
	}
	return x.Name, true
}

var termType = reflect.TypeOf((*gojq.Term)(nil))

// walkTerms calls fn for every *gojq.Term reachable from v.
func walkTerms(v reflect.Value, fn func(*gojq.Term)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == termType {
			fn(v.Interface().(*gojq.Term))
		}
		walkTerms(v.Elem(), fn)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkTerms(v.Field(i), fn)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkTerms(v.Index(i), fn)
		}
	}
}

// store keeps what the flow reads later of the event built by in: the
// event (obj) or fields of it (vals).
func (in *instr) store(ctx []any, obj map[string]any, vals []any) {
	for k, slot := range in.keep.slots {
		switch j := in.keep.idx[k]; {
		case j == keepWhole:
			ctx[slot] = obj
		case j >= 0:
			ctx[slot] = vals[j]
		default:
			ctx[slot] = nil // the event has no such field
		}
	}
}

// ctxMap is the flow's context as jq sees it, for the expressions that go
// to jq: the kept events by alias, with the kept fields.
func (s *Scenario) ctxMap(ctx []any) map[string]any {
	m := make(map[string]any, len(ctx))
	for i, k := range s.slots {
		v := jqValue(ctx[i])
		if k.field == "" {
			if v != nil {
				m[k.alias] = v
			}
			continue
		}
		ev, _ := m[k.alias].(map[string]any)
		if ev == nil {
			ev = map[string]any{}
			m[k.alias] = ev
		}
		if v != nil {
			ev[k.field] = v
		}
	}
	return m
}
