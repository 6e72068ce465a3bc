// Package iostreams holds the streams a command reads and writes, and what
// kx knows about them: whether stdout is a terminal, whether to use color.
// Commands never touch os.Stdout directly, so tests can capture output.
package iostreams

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	colorOff  bool
	width     int
	height    int

	redactor *Redactor
}

// System returns the process's streams. Stderr goes through a redactor so a
// secret that reaches a log line or an error is masked. stdoutClosed says
// that stdout was closed when the process started (`>&-`, which the Go
// runtime hides behind /dev/null): every write then fails with ErrClosed.
func System(stdoutClosed bool) *IOStreams {
	r := &Redactor{w: os.Stderr}
	var out io.Writer = os.Stdout
	if stdoutClosed {
		out = closedWriter{}
	}
	s := &IOStreams{
		In:        os.Stdin,
		Out:       out,
		ErrOut:    r,
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		colorOff:  os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
		redactor:  r,
	}
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
	}
	return s
}

// ErrClosed is the write error of a stdout that was closed when kx started
// (`kx … >&-`): the data has nowhere to go, which is a failure, unlike a
// reader that went away (EPIPE, `kx … | head`), which is a normal end.
var ErrClosed = errors.New("stdout is closed")

// closedWriter is stdout closed at start: every write fails.
type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "stdout", Err: ErrClosed}
}

// Test returns streams over buffers: not terminals, no color.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	r := &Redactor{w: errOut}
	return &IOStreams{In: in, Out: out, ErrOut: r, colorOff: true, redactor: r}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal (progress goes there).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY overrides terminal detection (tests, --output).
func (s *IOStreams) SetTTY(stdout, stderr bool) { s.stdoutTTY, s.stderrTTY = stdout, stderr }

// ColorEnabled reports whether to color output on stdout.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.colorOff }

// ColorStderr reports whether to color output on stderr.
func (s *IOStreams) ColorStderr() bool { return s.stderrTTY && !s.colorOff }

// DisableColor turns color off (--no-color).
func (s *IOStreams) DisableColor() { s.colorOff = true }

// TerminalWidth is stdout's width, 80 when unknown.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	return 80
}

// TerminalSize is stdout's size now (a watch view asks at every refresh,
// so a resized terminal is followed), 80×24 when unknown.
func (s *IOStreams) TerminalSize() (width, height int) {
	width, height = s.TerminalWidth(), 24
	if s.height > 0 {
		height = s.height
	}
	if f, ok := s.Out.(*os.File); ok && s.stdoutTTY {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			width, height = w, h
		}
	}
	return width, height
}

// SetTerminalSize sets the size reported for stdout (tests).
func (s *IOStreams) SetTerminalSize(width, height int) { s.width, s.height = width, height }

// AddSecret registers a secret to mask on stderr.
func (s *IOStreams) AddSecret(secret string) {
	if s.redactor != nil {
		s.redactor.Add(secret)
	}
}

// Redact masks registered secrets in msg.
func (s *IOStreams) Redact(msg string) string {
	if s.redactor == nil {
		return msg
	}
	return s.redactor.redact(msg)
}

// Redactor is a writer that masks registered secrets.
type Redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

// Add registers a secret; short strings are ignored (they would mask noise).
func (r *Redactor) Add(secret string) {
	if len(secret) < 3 {
		return
	}
	r.mu.Lock()
	r.secrets = append(r.secrets, secret)
	r.mu.Unlock()
}

func (r *Redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
	}
	return s
}

func (r *Redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	n := len(r.secrets)
	r.mu.Unlock()
	if n == 0 {
		return r.w.Write(p)
	}
	if _, err := io.WriteString(r.w, r.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
