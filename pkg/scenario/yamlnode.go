package scenario

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/internal/yamlpos"
)

// Limits that keep hostile documents (alias bombs, deep nesting) cheap.
const (
	maxDocBytes  = 1 << 20   // a scenario is a hand-written file
	maxNodeVisit = 1_000_000 // nodes visited, counting every alias expansion
	maxDepth     = 64
)

// decoder walks a yaml.v3 node tree and records the first error, so parsing
// code can read straight through without checking after every call.
type decoder struct {
	file   string
	err    *Error
	visits int
}

func (d *decoder) failf(n *yaml.Node, format string, a ...any) {
	if d.err != nil {
		return
	}
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	d.err = &Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

func (d *decoder) ok() bool { return d.err == nil }

// deref follows aliases and charges the visit budget: an alias bomb makes the
// walk touch the same anchors exponentially often, so it runs out quickly.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > maxDepth || n.Alias == nil {
			d.failf(n, "alias chain too deep")
			return nil
		}
		n = n.Alias
	}
	d.visits++
	if d.visits > maxNodeVisit {
		d.failf(n, "document too complex (more than %d nodes after alias expansion)", maxNodeVisit)
		return nil
	}
	return n
}

// parseYAML returns the root node of a single-document YAML file.
func parseYAML(file string, data []byte) (*yaml.Node, error) {
	if len(data) > maxDocBytes {
		return nil, &Error{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("scenario too large (%d bytes, limit %d)", len(data), maxDocBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Col: 1, Msg: "empty scenario"}
	}
	return doc.Content[0], nil
}

// syntaxError reports a YAML syntax error at the offending token.
func syntaxError(file string, data []byte, err error) *Error {
	line, col, msg := yamlpos.SyntaxError(data, err)
	return &Error{File: file, Line: line, Col: col, Msg: "YAML syntax error: " + msg}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "string"
		case "!!int":
			return "integer"
		case "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		}
		return "scalar " + n.ShortTag()
	}
	return "node"
}

// fields is a decoded mapping: keys in document order with their key and
// value nodes.
type fields struct {
	order []string
	keys  map[string]*yaml.Node
	vals  map[string]*yaml.Node
}

func (f *fields) get(k string) *yaml.Node {
	if f == nil {
		return nil
	}
	return f.vals[k]
}
func (f *fields) has(k string) bool { return f != nil && f.vals[k] != nil }

// mapping decodes n as a mapping. With allowed keys, any other key is an
// error; duplicate keys are always errors. Merge keys (<<) are honoured.
func (d *decoder) mapping(n *yaml.Node, what string, allowed ...string) *fields {
	n = d.deref(n)
	if !d.ok() {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, "%s: expected a mapping, got %s", what, kindName(n))
		return nil
	}
	f := &fields{keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	d.collect(n, what, allowed, f, false, 0)
	if !d.ok() {
		return nil
	}
	return f
}

func (d *decoder) collect(n *yaml.Node, what string, allowed []string, f *fields, merged bool, depth int) {
	if depth > maxDepth {
		d.failf(n, "merge keys nested too deeply")
		return
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content) && d.ok(); i += 2 {
		k, v := d.deref(n.Content[i]), n.Content[i+1]
		if !d.ok() {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.failf(k, "%s: keys must be strings, got %s", what, kindName(k))
			return
		}
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge") {
			merges = append(merges, v)
			continue
		}
		if _, dup := f.vals[k.Value]; dup {
			if merged { // explicit keys win over merged ones
				continue
			}
			d.failf(k, "%s: duplicate key %q", what, k.Value)
			return
		}
		if allowed != nil && contains(allowed, "x-*") && strings.HasPrefix(k.Value, "x-") {
			continue // extension keys: free-form, e.g. a home for YAML anchors
		}
		if allowed != nil && !contains(allowed, k.Value) {
			d.failf(k, "%s: unknown key %q (allowed: %s)", what, k.Value, strings.Join(allowed, ", "))
			return
		}
		f.order = append(f.order, k.Value)
		f.keys[k.Value], f.vals[k.Value] = k, v
	}
	for _, m := range merges {
		m = d.deref(m)
		if !d.ok() {
			return
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			s = d.deref(s)
			if !d.ok() {
				return
			}
			if s.Kind != yaml.MappingNode {
				d.failf(s, "%s: merge key (<<) needs a mapping, got %s", what, kindName(s))
				return
			}
			d.collect(s, what, allowed, f, true, depth+1)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) seq(n *yaml.Node, what string) []*yaml.Node {
	n = d.deref(n)
	if !d.ok() {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "%s: expected a list, got %s", what, kindName(n))
		return nil
	}
	return n.Content
}

func (d *decoder) str(n *yaml.Node, what string) string {
	n = d.deref(n)
	if !d.ok() {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.failf(n, "%s: expected a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	n = d.deref(n)
	if !d.ok() {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.failf(n, "%s: expected true or false, got %s", what, kindName(n))
	}
	return b
}

func (d *decoder) integer(n *yaml.Node, what string) int64 {
	n = d.deref(n)
	if !d.ok() {
		return 0
	}
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.failf(n, "%s: expected an integer, got %s", what, kindName(n))
	}
	return v
}

// number accepts integers and floats.
func (d *decoder) number(n *yaml.Node, what string) float64 {
	n = d.deref(n)
	if !d.ok() {
		return 0
	}
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.failf(n, "%s: expected a number, got %s", what, kindName(n))
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.failf(n, "%s: expected a finite number", what)
	}
	return v
}

func isNumber(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float")
}

// value converts a node into a plain JSON-compatible Go value (for const).
func (d *decoder) value(n *yaml.Node, depth int) any {
	n = d.deref(n)
	if !d.ok() {
		return nil
	}
	if depth > maxDepth {
		d.failf(n, "value nested too deeply")
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		f := d.mapping(n, "value")
		m := make(map[string]any, len(f.safeOrder()))
		for _, k := range f.safeOrder() {
			m[k] = d.value(f.vals[k], depth+1)
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, d.value(c, depth+1))
		}
		return out
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		return b
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return int(i)
		}
		return d.number(n, "value")
	case "!!float":
		return d.number(n, "value")
	}
	return n.Value
}

func (f *fields) safeOrder() []string {
	if f == nil {
		return nil
	}
	return f.order
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
