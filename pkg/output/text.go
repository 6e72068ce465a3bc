package output

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Text renders s for a table cell on a terminal. Text that prints as
// itself (letters, marks, numbers, punctuation, symbols, spaces) stays as
// it is; anything else, a control character (ESC, CR, BEL, NUL, DEL, the
// C1 range), a format character that reorders or hides text (U+202E,
// U+200B…), a line or paragraph separator or invalid UTF-8, makes the
// whole cell a Go-quoted string ("a\x1b[2Jb"), so a record cannot move the
// cursor, clear the screen or retitle the terminal, and escaped text never
// looks like plain text.
func Text(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

func printable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r) {
			return false
		}
		i += size
	}
	return true
}
