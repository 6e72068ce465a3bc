package export

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// maxDepth matches jqfilter's decoder: deeper values are not JSON to jq.
const maxDepth = 10000

// scanner walks one JSON text without building values: it validates the
// grammar and hands back raw member bytes. It is the fast path of CSV
// columns; anything unusual (escaped keys, invalid JSON) makes the caller
// fall back to jq, so both paths agree.
type scanner struct {
	data  []byte
	pos   int
	depth int
}

// objectMembers calls visit for each top-level member of data when data is
// exactly one valid JSON object (whitespace around allowed) whose keys have
// no escapes. ok is false otherwise, and visit may have been called: the
// caller must then discard what it saw.
func objectMembers(data []byte, visit func(key, val []byte)) (ok bool) {
	if !utf8.Valid(data) {
		return false
	}
	s := scanner{data: data}
	s.space()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return false
	}
	s.pos++
	s.depth++
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
	} else {
		for {
			s.space()
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				return false
			}
			kstart := s.pos + 1
			escaped, good := s.str()
			if !good || escaped {
				return false
			}
			key := s.data[kstart : s.pos-1]
			s.space()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return false
			}
			s.pos++
			s.space()
			vstart := s.pos
			if !s.value() {
				return false
			}
			visit(key, s.data[vstart:s.pos])
			s.space()
			if s.pos >= len(s.data) {
				return false
			}
			if s.data[s.pos] == ',' {
				s.pos++
				continue
			}
			if s.data[s.pos] != '}' {
				return false
			}
			s.pos++
			break
		}
	}
	s.space()
	return s.pos == len(s.data)
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) value() bool {
	if s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '{' || c == '[':
		return s.container(c)
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) container(open byte) bool {
	closeB := byte('}')
	if open == '[' {
		closeB = ']'
	}
	s.depth++
	if s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.pos++
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == closeB {
		s.pos++
		return true
	}
	for {
		s.space()
		if open == '{' {
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				return false
			}
			if _, ok := s.str(); !ok {
				return false
			}
			s.space()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return false
			}
			s.pos++
			s.space()
		}
		if !s.value() {
			return false
		}
		s.space()
		if s.pos >= len(s.data) {
			return false
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case closeB:
			s.pos++
			return true
		default:
			return false
		}
	}
}

// str skips a string starting at the opening quote.
func (s *scanner) str() (escaped, ok bool) {
	s.pos++
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, true
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return escaped, false
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					return escaped, false
				}
				for _, h := range s.data[s.pos+2 : s.pos+6] {
					if !isHex(h) {
						return escaped, false
					}
				}
				s.pos += 6
			default:
				return escaped, false
			}
		case c < 0x20:
			return escaped, false
		default:
			s.pos++
		}
	}
	return escaped, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return false
	}
	s.pos += len(lit)
	return true
}

func (s *scanner) number() bool {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(s.data) {
		return false
	}
	if s.data[s.pos] == '0' {
		s.pos++
	} else if s.digits() == 0 {
		return false
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return false
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return s.pos > start
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// appendRawCell appends the CSV cell text of one valid raw JSON value:
// strings unquoted, null empty, numbers as written (never rounded), objects
// and arrays as compact JSON.
func appendRawCell(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return dst
	}
	switch raw[0] {
	case '"':
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return append(dst, inner...)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return append(dst, inner...)
		}
		return append(dst, s...)
	case 'n':
		return dst
	case '{', '[':
		if bytes.ContainsAny(raw, " \t\r\n") {
			var b bytes.Buffer
			if json.Compact(&b, raw) == nil {
				return append(dst, b.Bytes()...)
			}
		}
		return append(dst, raw...)
	default:
		return append(dst, raw...)
	}
}
