package config

import "fmt"

// Error is configuration kx cannot use: a config file or profile that is
// missing or does not parse, a bad KX_* variable, -X or --timeout, a
// secret file or variable that cannot be read. The command layer maps it
// to the usage exit code.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errorf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}
