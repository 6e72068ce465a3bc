package flowtrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Path is a compiled field path: the subset of jq paths that select
// fields, `.a.b`, `.items[].productId` (a leading dot is optional).
type Path struct {
	text     string
	segments []segment
}

type segment struct {
	field string
	each  bool // [] after the field: every element of the array
}

// ParsePath compiles a path such as orderId, .order.id or .items[].id.
func ParsePath(s string) (Path, error) {
	text := strings.TrimPrefix(strings.TrimSpace(s), ".")
	if text == "" {
		return Path{}, fmt.Errorf("empty field path")
	}
	var p Path
	for _, part := range strings.Split(text, ".") {
		seg := segment{field: part}
		if strings.HasSuffix(part, "[]") {
			seg = segment{field: strings.TrimSuffix(part, "[]"), each: true}
		}
		if seg.field == "" || strings.ContainsAny(seg.field, "[]|()$ \"'") {
			return Path{}, fmt.Errorf("field path %q: want .field, .a.b or .items[].id", s)
		}
		p.segments = append(p.segments, seg)
	}
	p.text = text
	return p, nil
}

// isSingle reports whether the path is one plain field (orderId), the
// common case read without decoding the value.
func (p Path) isSingle() bool { return len(p.segments) == 1 && !p.segments[0].each }

// Name is the path without its leading dot: how ids are named.
func (p Path) Name() string { return p.text }

// Values appends the string forms of the values at p in v (strings as
// they are, numbers as written); objects, arrays and nulls are skipped.
func (p Path) Values(dst []string, v any) []string {
	return walk(dst, p.segments, v)
}

func walk(dst []string, segs []segment, v any) []string {
	if len(segs) == 0 {
		if s, ok := scalar(v); ok {
			dst = append(dst, s)
		}
		return dst
	}
	m, ok := v.(map[string]any)
	if !ok {
		return dst
	}
	next, ok := m[segs[0].field]
	if !ok {
		return dst
	}
	if !segs[0].each {
		return walk(dst, segs[1:], next)
	}
	arr, ok := next.([]any)
	if !ok {
		return dst
	}
	for _, el := range arr {
		dst = walk(dst, segs[1:], el)
	}
	return dst
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// decodeValue decodes a record value as JSON; nil when it is not JSON.
func decodeValue(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}
