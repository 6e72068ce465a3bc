package jqfilter

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kx-cli/kx/internal/jsonscan"
)

// decoder turns raw JSON bytes into the values gojq works on: nil, bool,
// int (integers that fit), json.Number (every other number, kept exact),
// string, []any and map[string]any. It is a single pass, hand-written
// decoder on jsonscan's primitives, which check strings (escapes and UTF-8)
// and numbers; it accepts what jsonscan.Valid accepts, nesting up to
// jsonscan.MaxDepth (a deeper value is not treated as JSON: it becomes a
// string). Object keys are interned so that the same key in a million
// records is allocated once.
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
	d.pos = jsonscan.SkipSpace(d.data, d.pos)
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
	if jsonscan.Literal(d.data, d.pos, lit) {
		d.pos += len(lit)
		return true
	}
	return false
}

func (d *decoder) object() (any, bool) {
	d.depth++
	if d.depth > jsonscan.MaxDepth {
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
	if d.depth > jsonscan.MaxDepth {
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
	end, escaped, ok := jsonscan.ScanString(d.data, d.pos)
	if !ok {
		return "", false
	}
	raw := d.data[d.pos+1 : end-1]
	d.pos = end
	if escaped {
		d.buf = unescape(d.buf[:0], raw)
		raw = d.buf
	}
	if intern {
		return d.intern(raw), true
	}
	return string(raw), true
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

// unescape appends the text of raw, the contents of a string that
// jsonscan.ScanString accepted, to b. A lone surrogate becomes U+FFFD, as
// in encoding/json.
func unescape(b, raw []byte) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			n := bytes.IndexByte(raw[i:], '\\')
			if n < 0 {
				n = len(raw) - i
			}
			b = append(b, raw[i:i+n]...)
			i += n
			continue
		}
		e := raw[i+1]
		i += 2
		switch e {
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
			r := hex4(raw[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					i += 6
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\' and '/'
			b = append(b, e)
		}
	}
	return b
}

// hex4 reads the four hex digits (already checked) of a \u escape.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number decodes a JSON number. Integers of up to 18 digits become int
// (exact, and the cheapest type for gojq); anything else stays json.Number so
// that its digits survive (gojq understands json.Number natively).
func (d *decoder) number() (any, bool) {
	start := d.pos
	end, isInt, ok := jsonscan.ScanNumber(d.data, d.pos)
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
