package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

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

// Every class of error maps to its documented code (kx help exit-codes),
// also when wrapped with context as the commands do.
func TestExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("kx tail: orders: %w", err) }
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.OK},
		{"no match", exitcode.Silent(exitcode.NoMatch), exitcode.NoMatch},
		{"usage", UsageErrorf("--from: bad"), exitcode.Usage},
		{"a code wins over the class", exitcode.New(exitcode.Failure, kafka.ErrUnreachable), exitcode.Failure},
		{"auth", wrap(kafka.ErrAuth), exitcode.Auth},
		{"unreachable", wrap(kafka.ErrUnreachable), exitcode.Unreachable},
		{"unknown topic", wrap(&kafka.UnknownTopicError{Topic: "orders"}), exitcode.Usage},
		{"invalid request", wrap(kafka.ErrInvalid), exitcode.Usage},
		{"unknown schema", wrap(kafka.ErrSchemaNotFound), exitcode.Usage},
		{"config", wrap(&config.Error{Err: errors.New("profile \"x\" not found")}), exitcode.Usage},
		{"config file unreadable", &config.Error{Err: fs.ErrPermission}, exitcode.Usage},
		{"scenario", wrap(&scenario.Error{File: "s.yaml", Line: 3, Col: 5, Msg: "bad"}), exitcode.Usage},
		{"jq", wrap(&jqfilter.Error{Expr: ".a ==", Msg: "unexpected EOF"}), exitcode.Usage},
		{"alert rules", wrap(&alert.FileError{File: "a.yaml", Line: 1, Col: 1, Msg: "bad"}), exitcode.Usage},
		{"play input", wrap(&play.InputError{Msg: "--until x"}), exitcode.Usage},
		{"schema", wrap(&schema.SchemaError{File: "s.avsc", Msg: "bad"}), exitcode.Usage},
		{"value against schema", wrap(&schema.FieldError{Path: "a", Msg: "want a string"}), exitcode.Usage},
		{"verification", wrap(&play.VerificationError{Msg: "lost 3"}), exitcode.Integrity},
		{"alert fired", wrap(&stats.AlertError{Msg: "alert"}), exitcode.Alert},
		{"deadline without the adapter", context.Canceled, exitcode.Failure},
		{"anything else", errors.New("disk full"), exitcode.Failure},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

func TestIsBadInput(t *testing.T) {
	if IsBadInput(errors.New("disk full")) || IsBadInput(kafka.ErrUnreachable) {
		t.Error("an I/O or cluster error is bad input")
	}
	if !IsBadInput(fmt.Errorf("x: %w", &config.Error{Err: errors.New("bad")})) {
		t.Error("a config error is not bad input")
	}
}
