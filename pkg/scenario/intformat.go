package scenario

import (
	"strconv"
	"strings"
)

// intFormat is a format of one integer verb (%d, %06d, %5d) between a
// literal prefix and suffix, as scenarios write ids ("CUST-%05d"): written
// out without fmt, whose boxing and parsing were the most of a sequence's
// or int's cost. ok is false for any other format, which goes to fmt.
type intFormat struct {
	prefix, suffix string
	width          int
	zero           bool
	ok             bool
}

func parseIntFormat(f string) intFormat {
	i := strings.IndexByte(f, '%')
	if i < 0 {
		return intFormat{}
	}
	out := intFormat{prefix: f[:i]}
	j := i + 1
	if j < len(f) && f[j] == '0' {
		out.zero = true
		j++
	}
	k := j
	for k < len(f) && f[k] >= '0' && f[k] <= '9' {
		k++
	}
	if k > j {
		w, err := strconv.Atoi(f[j:k])
		if err != nil || w > 64 {
			return intFormat{}
		}
		out.width = w
	}
	if k >= len(f) || f[k] != 'd' || strings.IndexByte(f[k+1:], '%') >= 0 {
		return intFormat{}
	}
	out.suffix = f[k+1:]
	out.ok = true
	return out
}

// format is fmt.Sprintf(f, v) for the formats parseIntFormat accepts.
func (f *intFormat) format(v int64) string {
	var buf [96]byte
	b := append(buf[:0], f.prefix...)
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], abs64(v), 10)
	n := len(d)
	if v < 0 {
		n++
	}
	pad := f.width - n
	if !f.zero {
		for ; pad > 0; pad-- {
			b = append(b, ' ')
		}
	}
	if v < 0 {
		b = append(b, '-')
	}
	for ; pad > 0; pad-- {
		b = append(b, '0')
	}
	b = append(b, d...)
	return string(append(b, f.suffix...))
}

// abs64 is |v| as a uint64, right for math.MinInt64 too.
func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}
