package scenario

import (
	"reflect"

	"github.com/itchyny/gojq"
)

// A flow in progress keeps its past events for later steps (from: and
// $ctx). Kept whole, they are most of an unpaced run's memory: a run at a
// thousand orders a second holds tens of thousands of flows. ctxUse is
// what the flow's steps actually read, so each event keeps only that.
type ctxUse struct {
	// all: some expression reads $ctx in a way the loader does not
	// follow ($ctx alone, $ctx[expr]): every event is kept whole.
	all bool
	// fields maps an alias to the top-level fields read from it; a nil
	// set means the whole event is read ($ctx.order | …).
	fields map[string]map[string]bool
}

// keep is how an emit step stores its event in the flow's context.
type keep struct {
	mode   keepMode
	fields []string // keepFields
	idx    []int    // each field's index in the event's fields (-1: absent)
}

type keepMode uint8

const (
	keepNone   keepMode = iota // no later step reads the alias
	keepWhole                  // stored as built
	keepFields                 // a copy with only these fields
)

// analyseCtx sets each emit step's keep from what the flow reads.
func analyseCtx(f *flow) {
	u := ctxUse{fields: map[string]map[string]bool{}}
	for i := range f.prog {
		in := &f.prog[i]
		if in.op != opEmit {
			continue
		}
		for _, g := range in.fields.gens {
			u.gen(g)
		}
		u.query(in.foreach)
		for _, t := range in.tmpl.tags {
			u.query(t.jq)
		}
	}
	for i := range f.prog {
		in := &f.prog[i]
		if in.op != opEmit {
			continue
		}
		fs, read := u.fields[in.alias]
		switch {
		case u.all || (read && fs == nil):
			in.keep = keep{mode: keepWhole}
		case !read:
			in.keep = keep{mode: keepNone}
		default:
			k := keep{mode: keepFields}
			for name := range fs {
				k.fields = append(k.fields, name)
			}
			in.keep = k
		}
	}
}

// layout sets where build finds the key, tags and kept fields of an emit
// step's event, and whether it needs the event as a map.
func (in *instr) layout(keyField string) {
	in.keyIdx = -1
	if keyField != "" {
		in.keyIdx = in.fields.index(keyField)
	}
	in.tagIdx = in.tagIdx[:0]
	in.needObj = in.keep.mode == keepWhole
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
	in.keep.idx = in.keep.idx[:0]
	for _, f := range in.keep.fields {
		in.keep.idx = append(in.keep.idx, in.fields.index(f))
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

// stored is what the flow's context keeps of an event built by in: obj
// itself, or the kept fields from vals.
func (in *instr) stored(obj map[string]any, vals []any) (any, bool) {
	switch in.keep.mode {
	case keepWhole:
		return obj, true
	case keepFields:
		m := make(map[string]any, len(in.keep.fields))
		for i, f := range in.keep.fields {
			if j := in.keep.idx[i]; j >= 0 {
				m[f] = vals[j]
			}
		}
		return m, true
	}
	return nil, false
}
