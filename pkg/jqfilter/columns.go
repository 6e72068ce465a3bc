package jqfilter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Column is one named expression of a column spec.
type Column struct {
	Name   string
	Filter *Filter
}

// CompileColumns parses a spec like "id=.orderId,amount=.amount.value" into
// named filters, in order. Columns are separated by commas outside brackets,
// parentheses, braces and strings (string interpolation included). A column
// without "name=" is named after its expression: ".user.id" is "user.id".
// Errors are *Error with positions in spec.
func CompileColumns(spec string, opts ...Option) ([]Column, error) {
	parts, err := splitColumns(spec)
	if err != nil {
		return nil, err
	}
	var cols []Column
	seen := map[string]bool{}
	for _, p := range parts {
		text := spec[p.start:p.end]
		exprStart := p.start
		name := ""
		if i := strings.IndexByte(text, '='); i > 0 && isColumnName(strings.TrimSpace(text[:i])) &&
			!strings.HasPrefix(text[i:], "==") {
			name = strings.TrimSpace(text[:i])
			exprStart = p.start + i + 1
		}
		expr := spec[exprStart:p.end]
		if strings.TrimSpace(expr) == "" {
			line, col := position(spec, exprStart)
			return nil, &Error{Expr: spec, Line: line, Column: col, Msg: "empty column expression"}
		}
		if name == "" {
			name = strings.TrimPrefix(strings.TrimSpace(expr), ".")
			if name == "" {
				name = "."
			}
		}
		if seen[name] {
			line, col := position(spec, p.start)
			return nil, &Error{Expr: spec, Line: line, Column: col, Msg: fmt.Sprintf("duplicate column %q", name)}
		}
		seen[name] = true
		f, err := Compile(expr, opts...)
		if err != nil {
			e := err.(*Error)
			ne := *e
			ne.Expr = spec
			if e.Line > 0 {
				// Translate the position in expr into one in spec.
				off := offsetOf(expr, e.Line, e.Column)
				ne.Line, ne.Column = position(spec, exprStart+off)
			}
			ne.Msg = fmt.Sprintf("column %q: %s", name, e.Msg)
			return nil, &ne
		}
		cols = append(cols, Column{Name: name, Filter: f})
	}
	return cols, nil
}

func isColumnName(s string) bool {
	if s == "" || s[0] == '.' || s[0] == '$' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c == ' ' || '0' <= c && c <= '9' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80) {
			return false
		}
	}
	return true
}

// offsetOf converts a 1-based line and column (in characters) back to a
// byte offset in s.
func offsetOf(s string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(s); c++ {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}

type span struct{ start, end int }

// splitColumns splits at top-level commas. It tracks a stack of contexts:
// code (with bracket depth) and strings, where "\(" opens nested code.
func splitColumns(spec string) ([]span, error) {
	type ctx struct {
		str   bool
		depth int // open brackets in this code context
	}
	stack := []ctx{{}}
	var parts []span
	start := 0
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		top := &stack[len(stack)-1]
		if top.str {
			switch c {
			case '\\':
				if i+1 < len(spec) && spec[i+1] == '(' {
					stack = append(stack, ctx{depth: 1})
				}
				i++
			case '"':
				stack = stack[:len(stack)-1]
			}
			continue
		}
		switch c {
		case '"':
			stack = append(stack, ctx{str: true})
		case '#':
			// A comment runs to the end of the line.
			for i < len(spec) && spec[i] != '\n' {
				i++
			}
		case '(', '[', '{':
			top.depth++
		case ')', ']', '}':
			top.depth--
			if top.depth == 0 && len(stack) > 1 {
				stack = stack[:len(stack)-1] // end of "\(...)"
			}
		case ',':
			if len(stack) == 1 && top.depth <= 0 {
				parts = append(parts, span{start, i})
				start = i + 1
			}
		}
	}
	if len(stack) > 1 {
		line, col := position(spec, len(spec))
		return nil, &Error{Expr: spec, Line: line, Column: col, Msg: "unterminated string or interpolation"}
	}
	parts = append(parts, span{start, len(spec)})
	return parts, nil
}
