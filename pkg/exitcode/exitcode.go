// Package exitcode holds kx's documented exit codes and the error type that
// carries one. Commands return errors; only main turns them into a code.
package exitcode

import (
	"errors"
	"fmt"
)

// The documented exit codes (kx help exit-codes).
const (
	OK          = 0
	NoMatch     = 1   // a search found nothing (tail --exit-status, trace)
	Usage       = 2   // bad flags, config, jq expression or YAML
	Unreachable = 3   // cannot reach the cluster, or timed out
	Auth        = 4   // authentication or TLS failure
	Integrity   = 5   // lost, missing or unverifiable data
	Alert       = 6   // an alert threshold was breached (--fail-on)
	Failure     = 7   // an I/O failure or any error no other code describes
	Interrupted = 130 // SIGINT stopped a bounded read, or a second Ctrl-C
	Terminated  = 143 // SIGTERM stopped a bounded read, or a second SIGTERM
)

// Help is the text of `kx help exit-codes`.
const Help = `kx exits with one of these codes:

  0    success
  1    no match: a search found nothing (tail --exit-status, trace); schemas check:
       not compatible
  2    usage error: bad flag, config file, jq expression or YAML (with file:line:col)
  3    cannot reach the cluster, or it did not answer within --timeout
  4    authentication or TLS failure
  5    integrity failure: records lost, missing or unverifiable (play, export)
  6    an alert of the --fail-on severity or worse fired (stats --alerts)
  7    I/O failure or any other error: a full disk, an unwritable --out, a closed
       stdout, a record the broker refused (never "no match")
  130  interrupted by Ctrl-C (SIGINT) before the end of a bounded read (export,
       tail -e/--to/-c, trace, flow, replay): what was written is complete
       lines, but not all of it; any command stopped while it still waits
       for the cluster; or a second Ctrl-C
  143  the same for SIGTERM (timeout, systemd, Kubernetes)

Ctrl-C or SIGTERM is the normal end of a follow read (tail without
-e/--to/-c, trace --follow, stats, topics --watch), play, demo and broker:
they stop cleanly and exit as they would have (0 when all went well).
`

// Coder is implemented by errors that know their exit code.
type Coder interface {
	ExitCode() int
}

// Error wraps an error with an exit code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *Error) Unwrap() error { return e.Err }
func (e *Error) ExitCode() int { return e.Code }

// New wraps err with code.
func New(code int, err error) error { return &Error{Code: code, Err: err} }

// Newf formats an error with code.
func Newf(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Silent is an exit code with nothing to print (e.g. "no match").
func Silent(code int) error { return &Error{Code: code} }

// Of returns the exit code for err: the first Coder in its chain, else
// Failure for any other error (1 means "no match" only), 0 for nil.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return Failure
}

// IsSilent reports whether err carries only a code and no message.
func IsSilent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Err == nil
}
