package jqfilter

import (
	"bytes"

	"github.com/itchyny/gojq"

	"github.com/kx-cli/kx/internal/jsonscan"
)

// The prefilter rejects a record from its raw value bytes, without decoding
// it, when the expression provably selects nothing for it.
//
// It is derived only for expressions whose result on a rejected record is
// exactly "nothing selected, no error":
//
//	COND | select(COND) | select(COND) | ANYTHING
//	COND := PATH == "lit" | "lit" == PATH | COND and COND | (COND)
//	PATH := .a | ."a" | .["a"] followed by more such name indexes
//
// COND is a conjunction of string equalities. When the raw value
//
//  1. contains no backslash (so every JSON string in it is spelled byte for
//     byte, without escapes),
//  2. lacks the bytes `"lit"` of at least one conjunct (so no string in the
//     value equals that literal, and that conjunct is false),
//  3. is one valid JSON text in valid UTF-8 (so `.` is that JSON, not a
//     string), in which every proper prefix of every PATH is an object, null
//     or missing (so no index raises "cannot index"),
//
// then every conjunct evaluates without error to one boolean, one of them is
// false, and COND is false: the expression yields false (or, for the select
// forms, nothing). A tombstone (`.` is null) is rejected too: every path is
// null. In every other case the record goes through full evaluation.
type prefilter struct {
	needles [][]byte  // the `"lit"` of every conjunct
	root    *pathNode // prefixes that must be objects (or null) for safety
}

// pathNode requires the value it is matched against to be an object or null;
// members named in children must satisfy the child node in turn.
type pathNode struct {
	children map[string]*pathNode
}

// newPrefilter analyses q; it returns nil when q has no sound prefilter.
func newPrefilter(q *gojq.Query) *prefilter {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 {
		return nil
	}
	p := &prefilter{}
	var ok bool
	switch {
	case q.Op == gojq.OpPipe:
		// select(COND) | ANYTHING: no output from select, no output at all.
		ok = isSelect(q.Left, p)
	default:
		ok = p.cond(q) || isSelect(q, p)
	}
	if !ok || len(p.needles) == 0 {
		return nil
	}
	return p
}

func isSelect(q *gojq.Query, p *prefilter) bool {
	t := plainTerm(q)
	if t == nil || t.Type != gojq.TermTypeFunc || t.Func.Name != "select" || len(t.Func.Args) != 1 {
		return false
	}
	return p.cond(t.Func.Args[0])
}

// plainTerm returns q's term when q is nothing but a term without suffixes.
func plainTerm(q *gojq.Query) *gojq.Term {
	if q == nil || q.Term == nil || q.Op != 0 || q.Left != nil || q.Right != nil ||
		len(q.Patterns) > 0 || len(q.FuncDefs) > 0 || len(q.Imports) > 0 || q.Meta != nil {
		return nil
	}
	if len(q.Term.SuffixList) > 0 && q.Term.Type != gojq.TermTypeIndex {
		return nil
	}
	return q.Term
}

func (p *prefilter) cond(q *gojq.Query) bool {
	if q == nil || len(q.FuncDefs) > 0 || len(q.Imports) > 0 || len(q.Patterns) > 0 {
		return false
	}
	switch q.Op {
	case gojq.OpAnd:
		return p.cond(q.Left) && p.cond(q.Right)
	case gojq.OpEq:
		if path, ok := indexPath(q.Left); ok {
			if lit, ok := stringLiteral(q.Right); ok {
				p.add(path, lit)
				return true
			}
		}
		if path, ok := indexPath(q.Right); ok {
			if lit, ok := stringLiteral(q.Left); ok {
				p.add(path, lit)
				return true
			}
		}
		return false
	case 0:
		t := plainTerm(q)
		if t != nil && t.Type == gojq.TermTypeQuery && len(t.SuffixList) == 0 {
			return p.cond(t.Query)
		}
	}
	return false
}

func (p *prefilter) add(path []string, lit string) {
	needle := make([]byte, 0, len(lit)+2)
	needle = append(needle, '"')
	needle = append(needle, lit...)
	needle = append(needle, '"')
	p.needles = append(p.needles, needle)
	if p.root == nil {
		p.root = &pathNode{}
	}
	n := p.root
	for _, k := range path[:len(path)-1] {
		if n.children == nil {
			n.children = map[string]*pathNode{}
		}
		c := n.children[k]
		if c == nil {
			c = &pathNode{}
			n.children[k] = c
		}
		n = c
	}
}

// indexPath recognises .a.b."c".["d"] and returns the names.
func indexPath(q *gojq.Query) ([]string, bool) {
	t := plainTerm(q)
	if t == nil || t.Type != gojq.TermTypeIndex {
		return nil, false
	}
	var path []string
	name, ok := indexName(t.Index)
	if !ok {
		return nil, false
	}
	path = append(path, name)
	for _, s := range t.SuffixList {
		if s.Index == nil || s.Iter || s.Optional {
			return nil, false
		}
		name, ok := indexName(s.Index)
		if !ok {
			return nil, false
		}
		path = append(path, name)
	}
	return path, true
}

func indexName(ix *gojq.Index) (string, bool) {
	switch {
	case ix == nil || ix.IsSlice || ix.End != nil:
		return "", false
	case ix.Name != "":
		return ix.Name, true
	case ix.Str != nil && ix.Str.Queries == nil:
		return ix.Str.Str, true
	case ix.Start != nil:
		return stringLiteral(ix.Start)
	}
	return "", false
}

func stringLiteral(q *gojq.Query) (string, bool) {
	t := plainTerm(q)
	if t == nil || t.Type != gojq.TermTypeString || len(t.SuffixList) > 0 ||
		t.Str == nil || t.Str.Queries != nil {
		return "", false
	}
	return t.Str.Str, true
}

// reject reports whether the expression certainly selects nothing, without
// error, for a record with this raw value.
func (p *prefilter) reject(v []byte) bool {
	if v == nil {
		return true // tombstone: . is null, every path is null
	}
	absent := false
	for _, n := range p.needles {
		if !containsQuoted(v, n) {
			absent = true
			break
		}
	}
	if !absent || bytes.IndexByte(v, '\\') >= 0 {
		return false
	}
	return validate(v, p.root)
}

// containsQuoted reports whether v contains needle, a quoted literal. It
// searches for the literal and its closing quote first: the opening quote is
// one of the most frequent bytes of JSON and a poor first byte to search for.
func containsQuoted(v, needle []byte) bool {
	if len(needle) <= 2 {
		return bytes.Contains(v, needle)
	}
	tail := needle[1:]
	for i := 1; i < len(v); {
		j := bytes.Index(v[i:], tail)
		if j < 0 {
			return false
		}
		if v[i+j-1] == '"' {
			return true
		}
		i += j + 1
	}
	return false
}

// validate reports whether v is one JSON text in valid UTF-8 that contains
// no backslash (checked by the caller) and satisfies root.
func validate(v []byte, root *pathNode) bool {
	s := jsonscan.NewScanner(v)
	return root.check(&s, 0) && s.End()
}

// check scans the value at s, which depth objects and arrays enclose. A
// non-nil n demands an object or null, whose members named in n.children
// are checked in turn.
func (n *pathNode) check(s *jsonscan.Scanner, depth int) bool {
	switch {
	case n == nil || s.Peek() == 'n':
		return s.Value(depth)
	case n.children == nil:
		return s.Object(depth, nil)
	case s.Peek() == '{':
		return s.Object(depth, func(key []byte, _ bool) bool {
			return n.children[string(key)].check(s, depth+1)
		})
	}
	return false
}
