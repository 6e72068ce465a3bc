package iostreams

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// A stdout closed at start fails every write with ErrClosed; an open one
// is the process's stdout.
func TestSystemClosedStdout(t *testing.T) {
	if _, err := fmt.Fprintln(System(true).Out, "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("closed stdout write: %v", err)
	}
	if out := System(false).Out; out != os.Stdout {
		t.Errorf("open stdout: %T", out)
	}
}

func TestTerminalSizeAndTTY(t *testing.T) {
	s, _, _, _ := Test()
	if w, h := s.TerminalSize(); w != 80 || h != 24 || s.TerminalWidth() != 80 {
		t.Errorf("default size %dx%d", w, h)
	}
	s.SetTerminalSize(120, 40)
	if w, h := s.TerminalSize(); w != 120 || h != 40 {
		t.Errorf("set size %dx%d", w, h)
	}
	if s.IsStdoutTTY() || s.IsStderrTTY() || s.ColorEnabled() {
		t.Error("test streams are terminals")
	}
	s.SetTTY(true, false)
	if !s.IsStdoutTTY() || s.IsStderrTTY() {
		t.Error("SetTTY")
	}
	if sys := System(false); sys.Out == nil || sys.ErrOut == nil || sys.In == nil {
		t.Error("System streams missing")
	}
	var none IOStreams
	if none.Redact("abc secret") != "abc secret" {
		t.Error("streams without a redactor changed a message")
	}
}
