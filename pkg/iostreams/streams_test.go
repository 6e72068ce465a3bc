//go:build unix

package iostreams

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Only /dev/null opened read-write (what the Go runtime puts in place of a
// closed stdout) counts as closed; a shell's >/dev/null and files do not.
func TestClosedAtStart(t *testing.T) {
	for _, c := range []struct {
		path   string
		flag   int
		closed bool
	}{
		{os.DevNull, os.O_RDWR, true},
		{os.DevNull, os.O_WRONLY, false},
		{filepath.Join(t.TempDir(), "out"), os.O_RDWR | os.O_CREATE, false},
	} {
		f, err := os.OpenFile(c.path, c.flag, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if got := closedAtStart(int(f.Fd())); got != c.closed {
			t.Errorf("%s (flags %#x): closed %v, want %v", c.path, c.flag, got, c.closed)
		}
		f.Close()
	}
	if _, err := (closedWriter{}).Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("closed stdout write: %v", err)
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
	if sys := System(); sys.Out == nil || sys.ErrOut == nil || sys.In == nil {
		t.Error("System streams missing")
	}
	var none IOStreams
	if none.Redact("abc secret") != "abc secret" {
		t.Error("streams without a redactor changed a message")
	}
}
