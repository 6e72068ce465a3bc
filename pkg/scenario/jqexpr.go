package scenario

import (
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// jqExpr is a compiled jq expression of a scenario. Most expressions in
// scenarios are a path ($ctx.order.items), a string with paths in it
// ("Order \(\$ctx.order.orderId) confirmed") or an if over comparisons of
// a path with a literal: those are evaluated directly, without building a
// jq machine for each event, and any value the direct way would not treat
// exactly as jq does goes to jq instead.
type jqExpr struct {
	code   *gojq.Code
	query  *gojq.Query
	direct jqNode // nil: always jq
	// readsCtx: the expression mentions $ctx, so jq needs it as a map.
	readsCtx bool
}

// jqEnv is what an expression sees: the input and the variables of
// jqVars, $ctx as the flow's context slots.
type jqEnv struct {
	input, params, item any
	slots               []any
	index               int
}

// jqNode is one node of a direct form; ok is false when the value has to
// come from jq.
type jqNode interface {
	eval(e *jqEnv) (v any, ok bool)
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

// jqPath is ., .a.b or $var.a.b. A $ctx path reads context slot slot,
// then walks rest (inSlot false: not a slot's, it goes to jq).
type jqPath struct {
	root   int
	names  []string
	slot   int
	rest   []string
	inSlot bool
}

// jqString is a string of literals and interpolated paths.
type jqString struct{ parts []jqPart }

// jqPart is a literal (path nil) or an interpolated path of a string.
type jqPart struct {
	lit  string
	path *jqPath
}

// jqLiteral is a constant: a number, a string, null, true or false.
type jqLiteral struct{ v any }

// jqCompare is a comparison of two direct forms (==, !=, <, <=, >, >=).
type jqCompare struct {
	op   gojq.Operator
	l, r jqNode
}

// jqArith is +, - or * of two direct forms, on numbers.
type jqArith struct {
	op   gojq.Operator
	l, r jqNode
}

// jqSum is [over[] | each] | add.
type jqSum struct {
	over *jqPath
	each jqNode
}

// jqIf is if … then … elif … else … end.
type jqIf struct {
	conds, thens []jqNode
	els          jqNode
}

// newJQExpr recognizes the direct form of q, if it has one.
func newJQExpr(q *gojq.Query, code *gojq.Code) *jqExpr {
	e := &jqExpr{code: code, query: q}
	if n := directOf(q, true); n != nil {
		e.direct = n
	}
	walkTerms(reflect.ValueOf(q), func(t *gojq.Term) {
		if t.Type == gojq.TermTypeFunc && t.Func != nil && t.Func.Name == "$ctx" {
			e.readsCtx = true
		}
	})
	return e
}

// directOf returns q's direct form or nil. top: a lone literal is left to
// jq (rare, and jq already folds it).
func directOf(q *gojq.Query, top bool) jqNode {
	if q == nil {
		return nil
	}
	if q.Meta == nil && len(q.Imports) == 0 && len(q.FuncDefs) == 0 && len(q.Patterns) == 0 && q.Term == nil && q.Left != nil && q.Right != nil {
		switch q.Op {
		case gojq.OpEq, gojq.OpNe, gojq.OpLt, gojq.OpLe, gojq.OpGt, gojq.OpGe:
			l, r := directOf(q.Left, false), directOf(q.Right, false)
			if l == nil || r == nil {
				return nil
			}
			return &jqCompare{op: q.Op, l: l, r: r}
		case gojq.OpAdd, gojq.OpSub, gojq.OpMul:
			l, r := directOf(q.Left, false), directOf(q.Right, false)
			if l == nil || r == nil {
				return nil
			}
			return &jqArith{op: q.Op, l: l, r: r}
		case gojq.OpPipe:
			return sumOf(q)
		}
		return nil
	}
	if p := pathOf(q); p != nil {
		return p
	}
	t := plainTerm(q)
	if t == nil || len(t.SuffixList) > 0 {
		return nil
	}
	switch t.Type {
	case gojq.TermTypeString:
		if t.Str == nil || t.Format != "" {
			return nil
		}
		if len(t.Str.Queries) == 0 {
			if top {
				return nil
			}
			return &jqLiteral{t.Str.Str}
		}
		return stringOf(t.Str)
	case gojq.TermTypeNumber:
		if top {
			return nil
		}
		if i, err := strconv.Atoi(t.Number); err == nil {
			return &jqLiteral{i}
		}
		if f, err := strconv.ParseFloat(t.Number, 64); err == nil && !math.IsInf(f, 0) && strings.ContainsAny(t.Number, ".eE") {
			return &jqLiteral{f}
		}
	case gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse:
		if !top {
			return &jqLiteral{map[gojq.TermType]any{gojq.TermTypeNull: nil, gojq.TermTypeTrue: true, gojq.TermTypeFalse: false}[t.Type]}
		}
	case gojq.TermTypeIf:
		return ifOf(t.If)
	case gojq.TermTypeQuery:
		return directOf(t.Query, top)
	}
	return nil
}

// sumOf recognizes [PATH[] | EXPR] | add, the total of a list.
func sumOf(q *gojq.Query) jqNode {
	if f := plainTerm(q.Right); f == nil || f.Type != gojq.TermTypeFunc || f.Func == nil || f.Func.Name != "add" || len(f.Func.Args) > 0 || len(f.SuffixList) > 0 {
		return nil
	}
	a := plainTerm(q.Left)
	if a == nil || a.Type != gojq.TermTypeArray || a.Array == nil || len(a.SuffixList) > 0 {
		return nil
	}
	in := a.Array.Query
	if in == nil || in.Op != gojq.OpPipe || in.Term != nil || in.Left == nil || in.Right == nil {
		return nil
	}
	t := plainTerm(in.Left)
	if t == nil || len(t.SuffixList) == 0 || !t.SuffixList[len(t.SuffixList)-1].Iter || t.SuffixList[len(t.SuffixList)-1].Index != nil || t.SuffixList[len(t.SuffixList)-1].Optional {
		return nil
	}
	// The path without its [].
	cut := *t
	cut.SuffixList = t.SuffixList[:len(t.SuffixList)-1]
	over := pathOf(&gojq.Query{Term: &cut})
	each := directOf(in.Right, false)
	if over == nil || each == nil {
		return nil
	}
	return &jqSum{over: over, each: each}
}

func stringOf(str *gojq.String) jqNode {
	var parts []jqPart
	for _, sub := range str.Queries {
		st := plainTerm(sub)
		switch {
		case st != nil && st.Type == gojq.TermTypeString && st.Str != nil && len(st.Str.Queries) == 0 && len(st.SuffixList) == 0 && st.Format == "":
			parts = append(parts, jqPart{lit: st.Str.Str})
		case st != nil && st.Type == gojq.TermTypeQuery && len(st.SuffixList) == 0 && pathOf(st.Query) != nil:
			parts = append(parts, jqPart{path: pathOf(st.Query)})
		default:
			return nil
		}
	}
	return &jqString{parts}
}

func ifOf(x *gojq.If) jqNode {
	n := &jqIf{}
	add := func(c, t *gojq.Query) bool {
		cn, tn := directOf(c, false), directOf(t, false)
		n.conds, n.thens = append(n.conds, cn), append(n.thens, tn)
		return cn != nil && tn != nil
	}
	if x == nil || !add(x.Cond, x.Then) {
		return nil
	}
	for _, ei := range x.Elif {
		if !add(ei.Cond, ei.Then) {
			return nil
		}
	}
	if x.Else == nil {
		n.els = &jqPath{} // if without else yields its input
	} else if n.els = directOf(x.Else, false); n.els == nil {
		return nil
	}
	return n
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

// eachPath calls fn for every path of a direct form.
func eachPath(n jqNode, fn func(*jqPath)) {
	switch n := n.(type) {
	case *jqPath:
		fn(n)
	case *jqString:
		for _, p := range n.parts {
			if p.path != nil {
				fn(p.path)
			}
		}
	case *jqCompare:
		eachPath(n.l, fn)
		eachPath(n.r, fn)
	case *jqArith:
		eachPath(n.l, fn)
		eachPath(n.r, fn)
	case *jqSum:
		fn(n.over)
		eachPath(n.each, fn)
	case *jqIf:
		for i := range n.conds {
			eachPath(n.conds[i], fn)
			eachPath(n.thens[i], fn)
		}
		eachPath(n.els, fn)
	}
}

// readsInput reports whether the expression may read its input (.):
// always when it goes to jq.
func (x *jqExpr) readsInput() bool {
	return x.direct == nil || nodeReadsInput(x.direct)
}

func nodeReadsInput(n jqNode) bool {
	switch n := n.(type) {
	case *jqPath:
		return n.root == rootInput
	case *jqString:
		for _, p := range n.parts {
			if p.path != nil && p.path.root == rootInput {
				return true
			}
		}
		return false
	case *jqLiteral:
		return false
	case *jqCompare:
		return nodeReadsInput(n.l) || nodeReadsInput(n.r)
	case *jqArith:
		return nodeReadsInput(n.l) || nodeReadsInput(n.r)
	case *jqSum:
		return n.over.root == rootInput // each reads the list's elements
	case *jqIf:
		for i := range n.conds {
			if nodeReadsInput(n.conds[i]) || nodeReadsInput(n.thens[i]) {
				return true
			}
		}
		return nodeReadsInput(n.els)
	}
	return true
}

// eval evaluates the expression directly; ok is false when it has to go
// to jq.
func (x *jqExpr) eval(e *jqEnv) (any, bool) {
	if x.direct == nil {
		return nil, false
	}
	return x.direct.eval(e)
}

func (p *jqPath) eval(e *jqEnv) (any, bool) {
	var v any
	names := p.names
	switch p.root {
	case rootInput:
		v = e.input
	case rootCtx:
		if !p.inSlot {
			return nil, false
		}
		v, names = e.slots[p.slot], p.rest
	case rootParams:
		v = e.params
	case rootItem:
		v = e.item
	case rootIndex:
		v = e.index
	}
	for _, name := range names {
		var ok bool
		if v, ok = member(v, name); !ok {
			return nil, false // jq's error: cannot index
		}
	}
	return v, true
}

func (s *jqString) eval(e *jqEnv) (any, bool) {
	var buf [128]byte
	b := buf[:0]
	for _, p := range s.parts {
		if p.path == nil {
			b = append(b, p.lit...)
			continue
		}
		v, ok := p.path.eval(e)
		if !ok {
			return nil, false
		}
		if b, ok = appendToString(b, v); !ok {
			return nil, false
		}
	}
	return string(b), true
}

func (l *jqLiteral) eval(*jqEnv) (any, bool) { return l.v, true }

func (c *jqCompare) eval(e *jqEnv) (any, bool) {
	l, ok := c.l.eval(e)
	if !ok {
		return nil, false
	}
	r, ok := c.r.eval(e)
	if !ok {
		return nil, false
	}
	n := gojq.Compare(jqValue(l), jqValue(r)) // jq's order of all values
	switch c.op {
	case gojq.OpEq:
		return n == 0, true
	case gojq.OpNe:
		return n != 0, true
	case gojq.OpLt:
		return n < 0, true
	case gojq.OpLe:
		return n <= 0, true
	case gojq.OpGt:
		return n > 0, true
	}
	return n >= 0, true
}

func (a *jqArith) eval(e *jqEnv) (any, bool) {
	l, ok := a.l.eval(e)
	if !ok {
		return nil, false
	}
	r, ok := a.r.eval(e)
	if !ok {
		return nil, false
	}
	return arith(a.op, l, r)
}

// arith is jq's +, - and * on ints and floats (an int result that would
// overflow, or any other type, goes to jq).
func arith(op gojq.Operator, l, r any) (any, bool) {
	li, lInt := l.(int)
	ri, rInt := r.(int)
	if lInt && rInt {
		switch op {
		case gojq.OpAdd:
			if v := li + ri; (v >= li) == (ri >= 0) {
				return v, true
			}
		case gojq.OpSub:
			if v := li - ri; (v <= li) == (ri >= 0) {
				return v, true
			}
		case gojq.OpMul:
			if li == 0 || ri == 0 {
				return 0, true
			}
			if v := li * ri; ri != -1 && li != -1 && v/ri == li {
				return v, true
			}
		}
		return nil, false
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if !lok || !rok {
		return nil, false
	}
	switch op {
	case gojq.OpAdd:
		return lf + rf, true
	case gojq.OpSub:
		return lf - rf, true
	}
	return lf * rf, true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func (s *jqSum) eval(e *jqEnv) (any, bool) {
	v, ok := s.over.eval(e)
	if !ok {
		return nil, false
	}
	list, isList := v.([]any)
	if !isList {
		return nil, false // null[] and the like: jq's own error
	}
	in := e.input
	defer func() { e.input = in }()
	var sum any
	for _, x := range list {
		e.input = x
		t, ok := s.each.eval(e)
		if !ok {
			return nil, false
		}
		switch {
		case t == nil:
		case sum == nil:
			if _, num := toFloat(t); !num {
				return nil, false
			}
			sum = t
		default:
			if sum, ok = arith(gojq.OpAdd, sum, t); !ok {
				return nil, false
			}
		}
	}
	return sum, true
}

func (x *jqIf) eval(e *jqEnv) (any, bool) {
	for i, c := range x.conds {
		v, ok := c.eval(e)
		if !ok {
			return nil, false
		}
		if v != nil && v != false {
			return x.thens[i].eval(e)
		}
	}
	return x.els.eval(e)
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
