package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/kx-cli/kx/pkg/exitcode"
)

// SignalCause is the cause main gives the command context when SIGINT or
// SIGTERM arrives, so a command can tell which one stopped it.
type SignalCause struct{ Signal syscall.Signal }

func (s *SignalCause) Error() string { return "interrupted by " + SignalName(s.Signal) }

// ExitCode is the shell's convention: 128 + the signal number (130 for
// SIGINT, 143 for SIGTERM).
func (s *SignalCause) ExitCode() int { return 128 + int(s.Signal) }

// SignalName is SIGINT or SIGTERM (or the number of another signal).
func SignalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// Interrupted is the error of a bounded read (export, tail -e/--to/-c,
// trace, flow) that ctx stopped before its end: nil when ctx is still
// live. The message says what stopped, by which signal, and how far it got
// (progress, e.g. "after 7795 records; the output is incomplete"); the
// code is 130 for SIGINT, 143 for SIGTERM. A follow read ended by a signal
// is its normal end and does not call this.
func Interrupted(ctx context.Context, what, progress string) error {
	if ctx.Err() == nil {
		return nil
	}
	code, by := exitcode.Interrupted, "interrupted"
	var sc *SignalCause
	if errors.As(context.Cause(ctx), &sc) {
		code, by = sc.ExitCode(), sc.Error()
	}
	return exitcode.Newf(code, "%s %s %s", what, by, progress)
}
