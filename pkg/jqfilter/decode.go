package jqfilter

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of values decoded as JSON, like encoding/json.
// A deeper value is not treated as JSON (it becomes a string).
const maxDepth = 10000

// decoder turns raw JSON bytes into the values gojq works on: nil, bool,
// int (integers that fit), json.Number (every other number, kept exact),
// string, []any and map[string]any. It is a single pass, hand-written
// decoder: the value is checked for UTF-8 once up front, so the grammar loop
// only deals with ASCII. Object keys are interned so that the same key in a
// million records is allocated once.
//
// A decoder is not safe for concurrent use; Filter keeps them in a pool.
type decoder struct {
	data  []byte
	pos   int
	depth int
	keys  map[string]string
	buf   []byte
}

const maxInternedKeys = 4096

// decodeJSON decodes data when it is exactly one JSON text (surrounding
// whitespace allowed) in valid UTF-8. ok is false otherwise.
func (d *decoder) decodeJSON(data []byte) (v any, ok bool) {
	if !utf8.Valid(data) {
		return nil, false
	}
	d.data, d.pos, d.depth = data, 0, 0
	defer func() { d.data = nil }()
	d.skipSpace()
	v, ok = d.value()
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, false
	}
	return v, true
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, bool) {
	if d.pos >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, ok := d.str(false)
		return s, ok
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, false
	}
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

func (d *decoder) object() (any, bool) {
	d.depth++
	if d.depth > maxDepth {
		return nil, false
	}
	d.pos++ // '{'
	m := make(map[string]any, 8)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, true
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str(true)
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			d.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *decoder) array() (any, bool) {
	d.depth++
	if d.depth > maxDepth {
		return nil, false
	}
	d.pos++ // '['
	a := make([]any, 0, 4)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return a, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			d.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// str decodes the string starting at the opening quote.
func (d *decoder) str(intern bool) (string, bool) {
	start := d.pos + 1
	i := start
	for i < len(d.data) {
		c := d.data[i]
		if c == '"' {
			d.pos = i + 1
			raw := d.data[start:i]
			if intern {
				return d.intern(raw), true
			}
			return string(raw), true
		}
		if c == '\\' {
			return d.strEscaped(start, intern)
		}
		if c < 0x20 {
			return "", false
		}
		i++
	}
	return "", false
}

func (d *decoder) intern(raw []byte) string {
	if s, ok := d.keys[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) < maxInternedKeys {
		d.keys[s] = s
	}
	return s
}

func (d *decoder) strEscaped(start int, intern bool) (string, bool) {
	b := d.buf[:0]
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = b
			if intern {
				return d.intern(b), true
			}
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			return "", false
		}
		e := d.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d.data, i)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
					if x, ok := hex4(d.data, i+2); ok {
						r2 = x
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					i += 6
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
	}
	return "", false
}

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number decodes a JSON number. Integers of up to 18 digits become int
// (exact, and the cheapest type for gojq); anything else stays json.Number so
// that its digits survive (gojq understands json.Number natively).
func (d *decoder) number() (any, bool) {
	start := d.pos
	end, isInt, ok := scanNumber(d.data, d.pos)
	if !ok {
		return nil, false
	}
	d.pos = end
	raw := d.data[start:end]
	neg := raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if isInt && len(digits) <= 18 && !(neg && len(digits) == 1 && digits[0] == '0') {
		n := 0
		for _, c := range digits {
			n = n*10 + int(c-'0')
		}
		if neg {
			n = -n
		}
		return n, true
	}
	return json.Number(string(raw)), true
}

// scanNumber checks the JSON number grammar from i and returns its end.
func scanNumber(data []byte, i int) (end int, isInt, ok bool) {
	n := len(data)
	if i < n && data[i] == '-' {
		i++
	}
	if i >= n {
		return 0, false, false
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		for i < n && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		return 0, false, false
	}
	isInt = true
	if i < n && data[i] == '.' {
		isInt = false
		i++
		s := i
		for i < n && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		if i == s {
			return 0, false, false
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		s := i
		for i < n && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		if i == s {
			return 0, false, false
		}
	}
	return i, isInt, true
}
