package record

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxDepth matches encoding/json, whose Valid rejects deeper nesting.
const maxDepth = 10000

// embeddable reports in one pass what json.Valid(b) && utf8.Valid(b) would,
// with the envelope's extra rules: no whitespace before or after the value,
// no CR or LF anywhere (a line of NDJSON), and not the literal null. It sits
// on the hot path of every printed record.
func embeddable(b []byte) bool {
	if len(b) == 0 || (len(b) == 4 && string(b) == "null") {
		return false
	}
	v := validator{b: b}
	if !v.value(0) {
		return false
	}
	return v.pos == len(b)
}

type validator struct {
	b   []byte
	pos int
}

// plain marks the bytes a JSON string holds as they are: printable ASCII
// other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// space skips the whitespace allowed between tokens; CR and LF are not.
func (v *validator) space() bool {
	for v.pos < len(v.b) {
		switch v.b[v.pos] {
		case ' ', '\t':
			v.pos++
		case '\n', '\r':
			return false
		default:
			return true
		}
	}
	return true
}

func (v *validator) value(depth int) bool {
	if v.pos >= len(v.b) {
		return false
	}
	switch c := v.b[v.pos]; {
	case c == '"':
		return v.str()
	case c == '{':
		return v.object(depth + 1)
	case c == '[':
		return v.array(depth + 1)
	case c == '-' || (c >= '0' && c <= '9'):
		return v.number()
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	}
	return false
}

func (v *validator) literal(s string) bool {
	if len(v.b)-v.pos < len(s) || string(v.b[v.pos:v.pos+len(s)]) != s {
		return false
	}
	v.pos += len(s)
	return true
}

func (v *validator) object(depth int) bool {
	if depth > maxDepth {
		return false
	}
	v.pos++ // {
	if !v.space() {
		return false
	}
	if v.pos < len(v.b) && v.b[v.pos] == '}' {
		v.pos++
		return true
	}
	for {
		if v.pos >= len(v.b) || v.b[v.pos] != '"' || !v.str() || !v.space() {
			return false
		}
		if v.pos >= len(v.b) || v.b[v.pos] != ':' {
			return false
		}
		v.pos++
		if !v.space() || !v.value(depth) || !v.space() || v.pos >= len(v.b) {
			return false
		}
		switch v.b[v.pos] {
		case ',':
			v.pos++
			if !v.space() {
				return false
			}
		case '}':
			v.pos++
			return true
		default:
			return false
		}
	}
}

func (v *validator) array(depth int) bool {
	if depth > maxDepth {
		return false
	}
	v.pos++ // [
	if !v.space() {
		return false
	}
	if v.pos < len(v.b) && v.b[v.pos] == ']' {
		v.pos++
		return true
	}
	for {
		if !v.value(depth) || !v.space() || v.pos >= len(v.b) {
			return false
		}
		switch v.b[v.pos] {
		case ',':
			v.pos++
			if !v.space() {
				return false
			}
		case ']':
			v.pos++
			return true
		default:
			return false
		}
	}
}

// str scans a string starting at its opening quote, checking escapes and
// UTF-8.
func (v *validator) str() bool {
	b := v.b
	i := v.pos + 1
	for {
		// Eight bytes at a time while none needs a closer look.
		for i+8 <= len(b) && !special(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			v.pos = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (v *validator) number() bool {
	b := v.b
	i := v.pos
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	v.pos = i
	return true
}

const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// special reports whether any byte of x is a quote, a backslash, a control
// character or not ASCII (SWAR: exact when it answers false).
func special(x uint64) bool {
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	m := (quote - ones) & ^quote
	m |= (backslash - ones) & ^backslash
	m |= (x - ones*0x20) & ^x
	m |= x
	return m&high != 0
}

// IsJSON reports whether b is one JSON value on one line, valid UTF-8,
// without surrounding whitespace: what kx produce takes as a record value.
// Unlike Classify it accepts the literal null.
func IsJSON(b []byte) bool {
	if len(b) == 4 && string(b) == "null" {
		return true
	}
	return embeddable(b)
}
