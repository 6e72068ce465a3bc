package cmdutil

import (
	"errors"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
	"github.com/kx-cli/kx/pkg/stats"
)

// ExitCode is the documented exit code for err. The command layer is the
// only place that knows exit numbers: an error that carries one
// (exitcode.Error) keeps it; the adapter's classes and the domain packages'
// input and integrity errors are mapped here.
func ExitCode(err error) int {
	if err == nil {
		return exitcode.OK
	}
	var coder exitcode.Coder
	if errors.As(err, &coder) {
		return coder.ExitCode()
	}
	switch kafka.Class(err) {
	case kafka.ErrAuth:
		return exitcode.Auth
	case kafka.ErrUnreachable:
		return exitcode.Unreachable
	case kafka.ErrUnknownTopic, kafka.ErrInvalid:
		return exitcode.Usage
	}
	// An unknown subject, version or schema id is like an unknown topic.
	if errors.Is(err, kafka.ErrSchemaNotFound) {
		return exitcode.Usage
	}
	if IsBadInput(err) {
		return exitcode.Usage
	}
	if errors.As(err, new(*play.VerificationError)) {
		return exitcode.Integrity
	}
	if errors.As(err, new(*stats.AlertError)) {
		return exitcode.Alert
	}
	return exitcode.Of(err)
}

// IsBadInput reports whether err is a domain package's error about its
// input: the configuration, a scenario, a jq expression, an alert rules
// file, a schema or a value that does not fit its schema.
func IsBadInput(err error) bool {
	return errors.As(err, new(*config.Error)) || errors.As(err, new(*scenario.Error)) || errors.As(err, new(*jqfilter.Error)) ||
		errors.As(err, new(*alert.FileError)) || errors.As(err, new(*play.InputError)) || errors.As(err, new(*schema.SchemaError)) ||
		errors.As(err, new(*schema.FieldError))
}
