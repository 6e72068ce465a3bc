// Package jsonscan is kx's one JSON scanner. It checks the grammar and
// UTF-8 in a single pass without building values, and hands back raw bytes:
// the envelope's validator (record), the CSV fast path (export) and the jq
// prefilter use it, and jqfilter's decoder builds its values on the same
// string and number primitives.
//
// Every entry point accepts exactly what encoding/json.Valid and
// unicode/utf8.Valid both accept (ValidLine adds the rules of one NDJSON
// line), nesting included: more than MaxDepth objects and arrays inside one
// another are rejected, as encoding/json rejects them.
package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// MaxDepth is how deep objects and arrays may nest, as in encoding/json.
const MaxDepth = 10000

// Valid reports whether b is one JSON text in valid UTF-8, with whitespace
// around it allowed: what json.Valid(b) && utf8.Valid(b) reports.
func Valid(b []byte) bool {
	s := NewScanner(b)
	return s.Value(0) && s.End()
}

// ValidLine reports whether b is one JSON value on one line with nothing
// around it: Valid, no whitespace before or after the value, and no CR or
// LF anywhere. It is the check of a value embedded in an NDJSON line, on the
// hot path of every printed record.
func ValidLine(b []byte) bool {
	s := Scanner{b: b, line: true}
	return s.Value(0) && s.pos == len(b)
}

// ValidLineMembers is ValidLine that also calls visit for each top-level
// member when b is an object: the key between its quotes (escapes as
// written, escaped says whether it has any) and the raw value. One pass
// both checks a line and finds its members (kx produce's keys and envelope
// test). When it is false visit may have been called: discard what it saw.
func ValidLineMembers(b []byte, visit func(key []byte, escaped bool, val []byte)) bool {
	s := Scanner{b: b, line: true}
	if s.Peek() != '{' {
		return s.Value(0) && s.pos == len(b)
	}
	return s.members(func(key []byte, escaped bool, val []byte) bool {
		visit(key, escaped, val)
		return true
	}) && s.pos == len(b)
}

// ObjectMembers calls visit for each top-level member of b, with the key
// (between its quotes) and the raw value, when b is one valid JSON object
// (whitespace around allowed) whose keys have no escapes. It is false
// otherwise, and visit may have been called: the caller must then discard
// what it saw.
func ObjectMembers(b []byte, visit func(key, val []byte)) bool {
	s := NewScanner(b)
	return s.members(func(key []byte, escaped bool, val []byte) bool {
		if escaped {
			return false
		}
		visit(key, val)
		return true
	}) && s.End()
}

// members scans the object at s, calling visit with each member's key and
// raw value; visit returning false ends the scan as invalid.
func (s *Scanner) members(visit func(key []byte, escaped bool, val []byte) bool) bool {
	return s.Object(0, func(key []byte, escaped bool) bool {
		start := s.pos
		return s.Value(1) && visit(key, escaped, s.b[start:s.pos])
	})
}

// A Scanner reads one JSON text, for callers that check more than its
// validity: they steer through the value with Peek, Object and Value, then
// call End. For example, to accept only objects:
//
//	s := jsonscan.NewScanner(b)
//	ok := s.Object(0, nil) && s.End()
//
// Keep a Scanner in a local variable: passing its address to an unknown
// function makes it escape to the heap.
type Scanner struct {
	b    []byte
	pos  int
	line bool // CR and LF are not whitespace (ValidLine)
}

// NewScanner returns a Scanner at the start of b's value, after any
// whitespace.
func NewScanner(b []byte) Scanner {
	s := Scanner{b: b}
	s.space()
	return s
}

// End skips the whitespace after the value and reports whether b ends
// there.
func (s *Scanner) End() bool {
	s.space()
	return s.pos == len(s.b)
}

// Pos is the scanner's position in b: after a Value, the end of the value.
func (s *Scanner) Pos() int { return s.pos }

// Peek returns the byte at the scanner's position, 0 at the end.
func (s *Scanner) Peek() byte {
	if s.pos < len(s.b) {
		return s.b[s.pos]
	}
	return 0
}

// Value scans the value at the scanner's position, which depth objects and
// arrays enclose, and reports whether it is valid.
func (s *Scanner) Value(depth int) bool {
	if s.pos >= len(s.b) {
		return false
	}
	switch c := s.b[s.pos]; {
	case c == '"':
		end, _, ok := ScanString(s.b, s.pos)
		s.pos = end
		return ok
	case c == '{':
		return s.Object(depth, nil)
	case c == '[':
		return s.array(depth)
	case c == '-' || (c >= '0' && c <= '9'):
		end, _, ok := ScanNumber(s.b, s.pos)
		s.pos = end
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// Object scans the object at the scanner's position, which depth objects
// and arrays enclose. For each member it calls member with the key (between
// its quotes, escapes as written) and the scanner at the member's value;
// member must scan that value (at depth+1, e.g. with s.Value(depth+1)) and
// report whether to go on. A nil member scans values with Value.
func (s *Scanner) Object(depth int, member func(key []byte, escaped bool) bool) bool {
	if depth >= MaxDepth || s.Peek() != '{' {
		return false
	}
	if s.open('}') {
		return true
	}
	for {
		s.space()
		if s.Peek() != '"' {
			return false
		}
		start := s.pos
		end, escaped, ok := ScanString(s.b, start)
		s.pos = end
		if !ok {
			return false
		}
		s.space()
		if s.Peek() != ':' {
			return false
		}
		s.pos++
		s.space()
		if member == nil {
			if !s.Value(depth + 1) {
				return false
			}
		} else if !member(s.b[start+1:end-1], escaped) {
			return false
		}
		if more, ok := s.more('}'); !more {
			return ok
		}
	}
}

func (s *Scanner) array(depth int) bool { return s.Array(depth, nil) }

// Array scans the array at the scanner's position, which depth objects and
// arrays enclose. For each element it calls elem with the scanner at the
// element; elem must scan it and report whether to go on. A nil elem scans
// elements with Value(depth+1).
func (s *Scanner) Array(depth int, elem func() bool) bool {
	if depth >= MaxDepth || s.Peek() != '[' {
		return false
	}
	if s.open(']') {
		return true
	}
	for {
		s.space()
		if elem == nil {
			if !s.Value(depth + 1) {
				return false
			}
		} else if !elem() {
			return false
		}
		if more, ok := s.more(']'); !more {
			return ok
		}
	}
}

// open steps over the opening brace or bracket and the whitespace after it,
// and over the closing one too when the container is empty.
func (s *Scanner) open(closing byte) (empty bool) {
	s.pos++
	s.space()
	if s.Peek() == closing {
		s.pos++
		return true
	}
	return false
}

// more steps over what follows an element: a comma (more to come) or the
// closing byte (ok, no more).
func (s *Scanner) more(closing byte) (more, ok bool) {
	s.space()
	c := s.Peek()
	s.pos++
	return c == ',', c == ',' || c == closing
}

func (s *Scanner) literal(lit string) bool {
	if !Literal(s.b, s.pos, lit) {
		return false
	}
	s.pos += len(lit)
	return true
}

func (s *Scanner) space() {
	// Most tokens follow one another with no whitespace: decide that
	// inline, without the call.
	if s.pos < len(s.b) && s.b[s.pos] > ' ' {
		return
	}
	s.pos = skipSpace(s.b, s.pos, s.line)
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func SkipSpace(b []byte, i int) int {
	return skipSpace(b, i, false)
}

// skipSpace skips whitespace; on one line CR and LF are not whitespace, and
// wherever a scan stops at one the grammar rejects it.
func skipSpace(b []byte, i int, line bool) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t':
		case '\n', '\r':
			if line {
				return i
			}
		default:
			return i
		}
	}
	return i
}

// Literal reports whether b holds lit (true, false or null) at i.
func Literal(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// ScanString scans the string whose opening quote is at b[i], checking its
// escapes and its UTF-8, and returns the index after the closing quote.
// escaped reports whether the string holds a backslash escape.
func ScanString(b []byte, i int) (end int, escaped, ok bool) {
	i++
	for {
		if i+8 <= len(b) {
			// Eight bytes at a time: the lowest byte the mask marks is the
			// first that needs a closer look.
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else {
			for i < len(b) && plain[b[i]] {
				i++
			}
			if i >= len(b) {
				return i, escaped, false
			}
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return i, escaped, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, escaped, false
				}
				i += 6
			default:
				return i, escaped, false
			}
		case c < 0x20:
			return i, escaped, false
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, escaped, false
			}
			i += size
		}
	}
}

// plain marks the bytes a JSON string holds as they are: printable ASCII
// other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// special marks the high bit of each byte of x that is a quote, a
// backslash, a control character or not ASCII (SWAR). Only the lowest marked
// byte is sure: a borrow may mark bytes above it too.
func special(x uint64) uint64 {
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	m := (quote - ones) & ^quote
	m |= (backslash - ones) & ^backslash
	m |= (x - ones*0x20) & ^x
	m |= x
	return m & high
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// ScanNumber scans the number that starts at b[i] and returns the index
// after it. isInt reports that it has neither fraction nor exponent.
func ScanNumber(b []byte, i int) (end int, isInt, ok bool) {
	n := len(b)
	if i < n && b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, false, false
	}
	isInt = true
	if i < n && b[i] == '.' {
		isInt = false
		start := i + 1
		if i = digits(b, start); i == start {
			return i, false, false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, start); i == start {
			return i, false, false
		}
	}
	return i, isInt, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
