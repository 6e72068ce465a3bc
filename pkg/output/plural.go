package output

import (
	"strconv"
	"strings"
)

// Count is n and the noun, plural unless n is 1: "1 record", "3 records",
// "2 entries". noun is the singular form.
func Count[N int | int32 | int64 | uint64](n N, noun string) string {
	return strconv.FormatInt(int64(n), 10) + " " + Plural(n, noun)
}

// Plural is noun, made plural unless n is 1 (regular English plurals).
func Plural[N int | int32 | int64 | uint64](n N, noun string) string {
	if n == 1 {
		return noun
	}
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case len(noun) > 1 && strings.HasSuffix(noun, "y") && !strings.ContainsAny(noun[len(noun)-2:len(noun)-1], "aeiou"):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

// CountHave is Count followed by "has" or "have", agreeing with n:
// "1 record has", "3 records have".
func CountHave[N int | int32 | int64 | uint64](n N, noun string) string {
	if n == 1 {
		return Count(n, noun) + " has"
	}
	return Count(n, noun) + " have"
}
