package replay

import (
	"testing"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"500/s": 500, "500": 500, "120/m": 2, " 10 /s": 10} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "0/s", "-5/s", "5/h"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q): want an error", bad)
		}
	}
}
