package replay

import (
	"slices"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/iostreams"
)

func TestRedactArgs(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	ios.AddSecret("hunter22")
	got := redactArgs(ios, []string{"kx", "replay", "a", "b", "-X", "sasl.password=pw1", "-Xsasl.password=pw2",
		"--property=ssl.key.password=pw3", "-X", "linger.ms=5", "--jq", ".x==\"hunter22\""})
	want := []string{"kx", "replay", "a", "b", "-X", "sasl.password=[REDACTED]", "-Xsasl.password=[REDACTED]",
		"--property=ssl.key.password=[REDACTED]", "-X", "linger.ms=5", "--jq", ".x==\"[REDACTED]\""}
	if !slices.Equal(got, want) {
		t.Errorf("redactArgs =\n%q\nwant\n%q", got, want)
	}
	for _, a := range got {
		for _, secret := range []string{"pw1", "pw2", "pw3", "hunter22"} {
			if strings.Contains(a, secret) {
				t.Errorf("secret %s left in %q", secret, a)
			}
		}
	}
}

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
