package stats

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/output"
)

// parse runs kx stats ARGS up to run and returns the options it would run.
func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	var got *Options
	cmd := NewCmdStats(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	return got, err
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "orders", "pay.*")
	if err != nil {
		t.Fatal(err)
	}
	if o.Watch || o.Interval != time.Second || o.Window != time.Minute || !o.Groups || o.Output != output.NDJSON ||
		strings.Join(o.Patterns, ",") != "orders,pay.*" || o.Title != "kx stats" || o.Decoder != nil {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parse(t, "--by", ".status", "--topic", "payments", "--idle", "5s", "--no-groups", "--from", "beginning", "-o", "table")
	if err != nil {
		t.Fatal(err)
	}
	if o.By == nil || o.ByTopic != "payments" || !o.Watch || o.Groups || o.From != "beginning" || o.Output != output.Table {
		t.Errorf("--by, --idle: %+v", o)
	}
	o, err = parse(t, "--alerts", "ecommerce", "--fail-on", "WARNING", "--webhook", "https://hooks.example/x")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Rules) == 0 || !o.Watch || o.FailOn == nil || *o.FailOn != alert.Warning || o.Webhook != "https://hooks.example/x" {
		t.Errorf("--alerts: watch %v, fail-on %v, %d rules", o.Watch, o.FailOn, len(o.Rules))
	}
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--interval", "0s"}, "--interval 0s: must be positive"},
		{[]string{"--window", "-1s"}, "--window -1s: must be positive"},
		{[]string{"--idle", "-1s"}, "--idle"},
		{[]string{"--by", ".status"}, "--by needs --topic"},
		{[]string{"--topic", "t"}, "--topic goes with --by EXPR"},
		{[]string{"--by", ".status", "--topic", "pay.*"}, `--topic "pay.*": one topic name, not a pattern`},
		{[]string{"--fail-on", "error"}, "--fail-on needs --alerts FILE"},
		{[]string{"--alerts", "ecommerce", "--fail-on", "fatal"}, "--fail-on: unknown severity"},
		{[]string{"--webhook", "http://x"}, "--webhook needs --alerts FILE"},
		{[]string{"--alerts", "ecommerce", "--webhook", "ftp://x"}, `--webhook "ftp://x": want an http:// or https:// URL`},
		{[]string{"--from", "yesterday-ish"}, "--from: "},
		{[]string{"--alerts", "no-such-rules"}, `no shipped rule set is called "no-such-rules"`},
		{[]string{"-o", "csv"}, "csv"},
		{[]string{"--value-format", "xml"}, "--value-format"},
	} {
		_, err := parse(t, c.args...)
		if cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v (exit %d), want a usage error with %q", c.args, err, cmdutil.ExitCode(err), c.msg)
		}
	}
	// A bad jq expression is the jq error, with its position.
	_, err := parse(t, "--by", ".status ==", "--topic", "t")
	if !errors.As(err, new(*jqfilter.Error)) || cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("bad --by: %v", err)
	}
}
