package scenario

import (
	"fmt"
	"math"
	"testing"
)

// TestIntFormat checks the formats written out against fmt.Sprintf.
func TestIntFormat(t *testing.T) {
	formats := []string{"%d", "%05d", "%5d", "CUST-%05d", "PROD-%04d", "PT%dM", "ORD-%06d-x", "%01d", "%0d", "%20d", "%020d"}
	values := []int64{0, 1, -1, 7, 42, -42, 9999, 10000, 123456789, -123456789, math.MaxInt64, math.MinInt64}
	for _, f := range formats {
		p := parseIntFormat(f)
		if !p.ok {
			t.Fatalf("%q: not taken", f)
		}
		for _, v := range values {
			if got, want := p.format(v), fmt.Sprintf(f, v); got != want {
				t.Errorf("%q of %d: %q, fmt gives %q", f, v, got, want)
			}
		}
	}
	for _, f := range []string{"%x", "%-5d", "%+d", "%d%%", "%s", "abc", "%.3d", "% d", "%v"} {
		if parseIntFormat(f).ok {
			t.Errorf("%q: taken, fmt must format it", f)
		}
	}
}
