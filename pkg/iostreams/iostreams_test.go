package iostreams

import (
	"fmt"
	"strings"
	"testing"
)

func TestRedactorMasksSecretsOnStderr(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.AddSecret("hunter2-secret")
	ios.AddSecret("ab") // too short to mask safely: ignored
	fmt.Fprintf(ios.ErrOut, "SASL auth failed for ops:hunter2-secret (ab)\n")
	got := errOut.String()
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "[REDACTED]") || !strings.Contains(got, "(ab)") {
		t.Errorf("got %q", got)
	}
	if r := ios.Redact("x hunter2-secret y"); r != "x [REDACTED] y" {
		t.Errorf("Redact: %q", r)
	}
}

func TestColorNeedsATerminal(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.ColorEnabled() {
		t.Error("color on a buffer")
	}
	ios.SetTTY(true, true)
	ios.colorOff = false
	if !ios.ColorEnabled() {
		t.Error("no color on a terminal")
	}
	ios.DisableColor()
	if ios.ColorEnabled() || ios.ColorStderr() {
		t.Error("--no-color ignored")
	}
}
