package schemas

import (
	"bytes"
	"context"
	"testing"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
)

func TestFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var show *ShowOptions
	run := func(args ...string) error {
		cmd := NewCmdSchemas(f, nil)
		for _, c := range cmd.Commands() {
			if c.Name() == "show" {
				cmd.RemoveCommand(c)
			}
		}
		cmd.AddCommand(newCmdShow(f, func(_ context.Context, o *ShowOptions) error { show = o; return nil }))
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		return cmd.Execute()
	}
	if err := run("show", "orders-value", "--version", "3", "-o", "raw"); err != nil {
		t.Fatal(err)
	}
	if show.Subject != "orders-value" || show.Version != 3 || show.Output != "raw" {
		t.Errorf("show options %+v", show)
	}
	if err := run("show", "orders-value"); err != nil || show.Version != kafka.LatestVersion {
		t.Errorf("default version %d, %v", show.Version, err)
	}
	for _, bad := range [][]string{{"show"}, {"show", "s", "--version", "0"}, {"register", "s"}, {"check", "s", "a", "b"}} {
		if err := run(bad...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestMatcher(t *testing.T) {
	m, err := matcher([]string{`orders\..*`, "pay-value"})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"orders.created-value": true, "pay-value": true, "pay-value2": false, "xorders.a": false} {
		if m(s) != want {
			t.Errorf("%s: %v", s, !want)
		}
	}
	if _, err := matcher([]string{"("}); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("bad regex: %v", err)
	}
}
