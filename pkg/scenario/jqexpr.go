package scenario

import (
	"math"
	"strconv"

	"github.com/itchyny/gojq"
)

// jqExpr is a compiled jq expression of a scenario. Most expressions in
// scenarios are a path ($ctx.order.items) or a string with paths in it
// ("Order \($ctx.order.orderId) confirmed"): those are evaluated directly,
// without building a jq machine for each event, and any value the direct
// way would not treat exactly as jq does goes to jq instead.
type jqExpr struct {
	code  *gojq.Code
	query *gojq.Query
	// path is set when the expression is a path; parts when it is a
	// string of literals and interpolated paths.
	path  *jqPath
	parts []jqPart
}

// The roots a path can start from: the input and the variables of jqVars,
// in that order.
const (
	rootInput = iota
	rootCtx
	rootParams
	rootItem
	rootIndex
)

// jqPath is .a.b or $var.a.b.
type jqPath struct {
	root  int
	names []string
}

// jqPart is a literal (path nil) or an interpolated path of a string.
type jqPart struct {
	lit  string
	path *jqPath
}

// newJQExpr recognizes the direct forms of q.
func newJQExpr(q *gojq.Query, code *gojq.Code) *jqExpr {
	e := &jqExpr{code: code, query: q}
	if p := pathOf(q); p != nil {
		e.path = p
		return e
	}
	t := plainTerm(q)
	if t == nil || t.Type != gojq.TermTypeString || t.Str == nil || len(t.SuffixList) > 0 || t.Format != "" {
		return e
	}
	if len(t.Str.Queries) == 0 {
		return e // a constant string: rare, leave it to jq
	}
	var parts []jqPart
	for _, sub := range t.Str.Queries {
		st := plainTerm(sub)
		switch {
		case st != nil && st.Type == gojq.TermTypeString && st.Str != nil && len(st.Str.Queries) == 0 && len(st.SuffixList) == 0 && st.Format == "":
			parts = append(parts, jqPart{lit: st.Str.Str})
		case st != nil && st.Type == gojq.TermTypeQuery && len(st.SuffixList) == 0 && pathOf(st.Query) != nil:
			parts = append(parts, jqPart{path: pathOf(st.Query)})
		default:
			return e
		}
	}
	e.parts = parts
	return e
}

// plainTerm returns q's term when q is one term and nothing else.
func plainTerm(q *gojq.Query) *gojq.Term {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || q.Left != nil || q.Right != nil || len(q.Patterns) > 0 || q.Term == nil {
		return nil
	}
	return q.Term
}

// pathOf returns q as a path of plain names, or nil.
func pathOf(q *gojq.Query) *jqPath {
	t := plainTerm(q)
	if t == nil {
		return nil
	}
	p := &jqPath{}
	switch {
	case t.Type == gojq.TermTypeIdentity:
	case t.Type == gojq.TermTypeIndex && t.Index != nil:
		name, ok := plainName(t.Index)
		if !ok {
			return nil
		}
		p.names = append(p.names, name)
	case t.Type == gojq.TermTypeFunc && t.Func != nil && len(t.Func.Args) == 0:
		i := indexOf(jqVars, t.Func.Name)
		if i < 0 {
			return nil
		}
		p.root = i + 1
	default:
		return nil
	}
	for _, s := range t.SuffixList {
		if s.Index == nil || s.Iter || s.Optional {
			return nil
		}
		name, ok := plainName(s.Index)
		if !ok {
			return nil
		}
		p.names = append(p.names, name)
	}
	return p
}

func plainName(x *gojq.Index) (string, bool) {
	if x.Name == "" || x.Str != nil || x.Start != nil || x.End != nil || x.IsSlice {
		return "", false
	}
	return x.Name, true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// eval evaluates the expression directly; ok is false when it has to go
// to jq (not a direct form, or a value jq treats in its own way).
func (e *jqExpr) eval(input, ctx, params, item any, index int) (v any, ok bool) {
	if e.path != nil {
		return e.path.eval(input, ctx, params, item, index)
	}
	if e.parts == nil {
		return nil, false
	}
	var buf [128]byte
	b := buf[:0]
	for _, p := range e.parts {
		if p.path == nil {
			b = append(b, p.lit...)
			continue
		}
		v, ok := p.path.eval(input, ctx, params, item, index)
		if !ok {
			return nil, false
		}
		if b, ok = appendToString(b, v); !ok {
			return nil, false
		}
	}
	return string(b), true
}

func (p *jqPath) eval(input, ctx, params, item any, index int) (any, bool) {
	var v any
	switch p.root {
	case rootInput:
		v = input
	case rootCtx:
		v = ctx
	case rootParams:
		v = params
	case rootItem:
		v = item
	case rootIndex:
		v = index
	}
	for _, name := range p.names {
		switch m := v.(type) {
		case map[string]any:
			v = m[name]
		case nil:
		default:
			return nil, false // jq's error: cannot index
		}
	}
	return v, true
}

// appendToString appends jq's tostring of v for the values whose text is
// plain: strings as they are, null, booleans, integers and floats jq
// writes in fixed notation. Anything else is left to jq.
func appendToString(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return append(b, x...), true
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case float64:
		if a := math.Abs(x); math.IsNaN(x) || a >= 1e21 || (a != 0 && a < 1e-6) {
			return b, false
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64), true
	}
	return b, false
}
