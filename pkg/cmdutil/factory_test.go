package cmdutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

// testFactory is a factory reading env instead of the environment and no
// config file of the user's.
func testFactory(t *testing.T, env map[string]string) (*Factory, *iostreams.IOStreams, func() string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ios, _, _, errOut := iostreams.Test()
	f := New(ios)
	f.Getenv = func(k string) string { return env[k] }
	return f, ios, errOut.String
}

// The factory resolves the configuration once, prints its warnings and
// registers its secrets for redaction; the clients it builds use it.
func TestFactoryConfigAndClients(t *testing.T) {
	f, ios, stderr := testFactory(t, map[string]string{
		"KX_BROKERS": "a:1, b:2", "KX_SASL_PASSWORD": "pw-from-env", "KX_SCHEMA_REGISTRY": "http://sr:secret@127.0.0.1:1",
	})
	f.Flags.Properties = []string{"ssl.key.password=pw-on-cmdline"}
	f.Flags.Verbose = true
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := f.Config(); again != cfg {
		t.Error("the configuration was resolved twice")
	}
	if !slices.Equal(cfg.Brokers, []string{"a:1", "b:2"}) {
		t.Errorf("brokers %v", cfg.Brokers)
	}
	for _, s := range []string{"pw-from-env", "pw-on-cmdline", "secret"} {
		if got := ios.Redact("x " + s + " y"); strings.Contains(got, s) {
			t.Errorf("secret %q not redacted: %q", s, got)
		}
	}
	if strings.Count(stderr(), "kx: warning: -X ssl.key.password on the command line") != 1 {
		t.Errorf("stderr:\n%s\nwant the -X warning once", stderr())
	}
	client, err := f.Kafka()
	if err != nil || !slices.Equal(client.Brokers(), cfg.Brokers) || client.Timeout() != config.DefaultTimeout {
		t.Fatalf("client %v, %v", client, err)
	}
	if c2, _ := f.Kafka(); c2 != client {
		t.Error("a second client")
	}
	reg, err := f.Registry()
	if err != nil || reg == nil {
		t.Fatalf("registry %v, %v", reg, err)
	}
	e := stderr()
	if !strings.Contains(e, "kx: brokers [a:1 b:2] (from env KX_BROKERS)") || !strings.Contains(e, "kx: schema registry http://") || strings.Contains(e, "secret") {
		t.Errorf("verbose stderr:\n%s", e)
	}
	f.Close()
}

// A bad configuration reaches every client as a *config.Error, exit 2.
func TestFactoryConfigError(t *testing.T) {
	f, _, _ := testFactory(t, map[string]string{"KX_CONFIG": filepath.Join(t.TempDir(), "missing.yaml")})
	_, err := f.Kafka()
	if !errors.As(err, new(*config.Error)) || ExitCode(err) != exitcode.Usage {
		t.Errorf("Kafka: %v (exit %d), want a config error", err, ExitCode(err))
	}
	if _, err := f.Registry(); !errors.As(err, new(*config.Error)) {
		t.Errorf("Registry: %v", err)
	}
	f.Close() // nothing was built: nothing to close
}

func TestFactoryNoRegistry(t *testing.T) {
	f, _, _ := testFactory(t, nil)
	if reg, err := f.Registry(); reg != nil || err != nil {
		t.Errorf("no registry configured: %v, %v", reg, err)
	}
	dec, err := f.RecordDecoder(SchemaFlags{})
	if dec != nil || err != nil {
		t.Errorf("nothing to decode: %v, %v", dec, err)
	}
}

func TestResolveOutputAndArgs(t *testing.T) {
	f, ios, _ := testFactory(t, nil)
	if fm, err := f.ResolveOutput("auto", output.Table, output.NDJSON); err != nil || fm != output.NDJSON {
		t.Errorf("auto when piped: %v, %v", fm, err)
	}
	ios.SetTTY(true, true)
	if fm, err := f.ResolveOutput("auto", output.Table, output.NDJSON); err != nil || fm != output.Table {
		t.Errorf("auto on a terminal: %v, %v", fm, err)
	}
	if _, err := f.ResolveOutput("csv", output.Table, output.NDJSON); ExitCode(err) != exitcode.Usage {
		t.Errorf("an unsupported -o: %v", err)
	}
	cmd := &cobra.Command{Use: "thing TOPIC"}
	for name, c := range map[string]struct {
		check cobra.PositionalArgs
		args  []string
		ok    bool
	}{
		"exact":        {ExactArgs(1, "TOPIC"), []string{"a"}, true},
		"exact, two":   {ExactArgs(1, "TOPIC"), []string{"a", "b"}, false},
		"minimum":      {MinimumArgs(1, "a TOPIC"), []string{"a", "b"}, true},
		"minimum none": {MinimumArgs(1, "a TOPIC"), nil, false},
		"no args":      {NoArgs, nil, true},
		"no args, one": {NoArgs, []string{"x"}, false},
	} {
		err := c.check(cmd, c.args)
		if (err == nil) != c.ok || (err != nil && (ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "thing: "))) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidatePlayFlags(t *testing.T) {
	parse := func(tty bool, args ...string) (*play.Options, error) {
		cmd := &cobra.Command{Use: "play"}
		opts := &play.Options{}
		var outFlag, startFlag string
		AddPlayFlags(cmd, opts, &outFlag, &startFlag)
		if err := cmd.ParseFlags(args); err != nil {
			return nil, err
		}
		ios, _, _, _ := iostreams.Test()
		ios.SetTTY(tty, tty)
		return opts, ValidatePlayFlags(opts, ios, outFlag, startFlag)
	}
	opts, err := parse(false)
	if err != nil || opts.Speed != 1 || opts.RateScale != 1 || opts.Output != play.OutputRecords || !opts.Start.IsZero() || opts.Compression != "" {
		t.Errorf("defaults when piped: %+v, %v", opts, err)
	}
	if opts, _ = parse(true); opts.Output != play.OutputNone {
		t.Errorf("-o auto on a terminal: %q, want none", opts.Output)
	}
	opts, err = parse(false, "--speed", "10", "-o", "JSON", "--start", "2025-11-28T09:00:00Z", "--compression", "ZSTD")
	if err != nil || opts.Speed != 10 || opts.Output != play.OutputReport || !opts.Start.Equal(time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)) || opts.Compression != "zstd" {
		t.Errorf("set: %+v, %v", opts, err)
	}
	for _, bad := range [][]string{{"--speed", "0"}, {"--rate-scale", "-1"}, {"-o", "table"}, {"--start", "tomorrow"}, {"--compression", "brotli"}} {
		if _, err := parse(false, bad...); ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v, want a usage error naming the flag", bad, err)
		}
	}
}

// The record decoder: formats checked, wire formats refused without a
// registry, undecodable values kept raw with one warning, or an error with
// --strict.
func TestRecordDecoder(t *testing.T) {
	for _, sf := range []SchemaFlags{{KeyFormat: "yaml"}, {ValueFormat: "xml"}, {ValueFormat: "avro"}, {KeyFormat: "protobuf"}} {
		if _, err := NewRecordDecoder(nil, sf, nil); ExitCode(err) != exitcode.Usage {
			t.Errorf("%+v: %v, want a usage error", sf, err)
		}
	}
	if d, err := NewRecordDecoder(nil, SchemaFlags{ValueFormat: "raw"}, nil); d != nil || err != nil {
		t.Errorf("raw: %v, %v; want no decoder", d, err)
	}
	var nilDec *RecordDecoder
	if nilDec.Decode(context.Background(), &record.Record{}) != nil || nilDec.Failed() != 0 {
		t.Error("a nil decoder does something")
	}

	var errOut strings.Builder
	d, err := NewRecordDecoder(nil, SchemaFlags{ValueFormat: "json"}, &errOut)
	if err != nil || d == nil {
		t.Fatalf("json: %v, %v", d, err)
	}
	ctx := context.Background()
	for i, v := range []string{`{"ok":1}`, `not json`, `nor this`} {
		r := &record.Record{Topic: "t", Offset: int64(i), Value: []byte(v)}
		if err := d.Decode(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if d.Failed() != 2 || strings.Count(errOut.String(), "kx: warning: t/0@1: value cannot be decoded: not JSON") != 1 || strings.Contains(errOut.String(), "@2") {
		t.Errorf("failed %d, stderr:\n%s\nwant one warning for two failures", d.Failed(), errOut.String())
	}
	d.Report()
	if !strings.Contains(errOut.String(), "kx: 2 keys or values could not be decoded") {
		t.Errorf("report:\n%s", errOut.String())
	}

	strict, _ := NewRecordDecoder(nil, SchemaFlags{KeyFormat: "json", Strict: true}, &errOut)
	err = strict.Decode(ctx, &record.Record{Topic: "t", Partition: 2, Offset: 7, Key: []byte("{")})
	if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "t/2@7: key cannot be decoded: not JSON (--strict)") {
		t.Errorf("strict: %v", err)
	}
}

func TestValidateCompression(t *testing.T) {
	if v, err := ValidateCompression("LZ4"); v != "lz4" || err != nil {
		t.Errorf("LZ4: %q, %v", v, err)
	}
	if v, err := ValidateCompression(""); v != "" || err != nil {
		t.Errorf("empty: %q, %v", v, err)
	}
}

const configFile = `current-profile: local
profiles:
  local:
    brokers: local:9092
  staging:
    brokers: staging-1:9092,staging-2:9092
    timeout: 3s
flows:
  signup:
    field: userId
    stages:
      - {topic: signups}
      - {topic: emails, name: email, learn: [.account.id]}
`

func writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A second cluster: a profile's own settings (not KX_BROKERS), or the
// run's settings at other brokers, or the run's client.
func TestKafkaTo(t *testing.T) {
	f, _, _ := testFactory(t, map[string]string{"KX_BROKERS": "run:9092", "KX_CONFIG": writeConfig(t)})
	run, closeIt, err := f.KafkaTo("", "")
	if err != nil || closeIt || !slices.Equal(run.Brokers(), []string{"run:9092"}) {
		t.Errorf("neither: %v, close %v, %v", run.Brokers(), closeIt, err)
	}
	c, closeIt, err := f.KafkaTo("staging", "")
	if err != nil || !closeIt || !slices.Equal(c.Brokers(), []string{"staging-1:9092", "staging-2:9092"}) || c.Timeout() != 3*time.Second {
		t.Fatalf("profile: %v, close %v, %v", c, closeIt, err)
	}
	c.Close()
	c, _, err = f.KafkaTo("", " x:1, y:2 ")
	if err != nil || !slices.Equal(c.Brokers(), []string{"x:1", "y:2"}) {
		t.Errorf("brokers: %v, %v", c.Brokers(), err)
	}
	c.Close()
	if _, _, err := f.KafkaTo("", " , "); ExitCode(err) != exitcode.Usage {
		t.Errorf("no broker: %v", err)
	}
	_, _, err = f.KafkaTo("nope", "")
	if ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "--to-profile nope: profile \"nope\" not found") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestFlowSelection(t *testing.T) {
	f, _, _ := testFactory(t, map[string]string{"KX_CONFIG": writeConfig(t)})
	ff := &FlowFlags{Keys: []string{"orders=.orderId"}, Fields: []string{"orderId"}}
	sel, err := ff.Selection(f)
	if err != nil || sel.KeyFields["orders"] != "orderId" || sel.Named != nil || sel.Fields[0] != "orderId" {
		t.Errorf("keys: %+v, %v", sel, err)
	}
	ff = &FlowFlags{Flow: "SignUp"}
	sel, err = ff.Selection(f)
	if err != nil || sel.Named == nil || sel.Named.Name != "signup" || len(sel.Named.Stages) != 2 || sel.Named.Stages[1].Learn["account.id"] != ".account.id" {
		t.Fatalf("named: %+v, %v", sel.Named, err)
	}
	if st := sel.Named.Stages[0]; !st.Root || st.Name != "signups" || st.Status != ".status" {
		t.Errorf("stage defaults: %+v", st)
	}
	for _, bad := range []*FlowFlags{{Keys: []string{"orders"}}, {Keys: []string{"=id"}}, {Flow: "nope"}} {
		if _, err := bad.Selection(f); ExitCode(err) != exitcode.Usage {
			t.Errorf("%+v: %v, want a usage error", bad, err)
		}
	}
	if _, err := FlowFromConfig("x", config.Flow{Field: "id"}); err == nil {
		t.Error("a flow without stages")
	}
	if _, err := FlowFromConfig("x", config.Flow{Stages: []config.FlowStage{{Topic: "t"}}}); err == nil {
		t.Error("a flow without a field")
	}
}

func TestLoadShipped(t *testing.T) {
	if s, err := LoadScenario("smoke"); err != nil || s.Name == "" {
		t.Errorf("shipped scenario: %v", err)
	}
	_, err := LoadScenario("no-such-scenario")
	if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `no shipped scenario is called "no-such-scenario" (shipped: `) {
		t.Errorf("missing scenario: %v", err)
	}
	_, err = LoadScenario(filepath.Join(t.TempDir(), "smoke.yaml"))
	if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `; the shipped scenario of that name is "smoke"`) {
		t.Errorf("missing path named like a shipped one: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: [\n"), 0o600)
	if _, err := LoadScenario(bad); !errors.As(err, new(*scenario.Error)) {
		t.Errorf("malformed scenario: %v", err)
	}
	if rs, err := LoadAlertRules("ecommerce"); err != nil || len(rs) == 0 {
		t.Errorf("shipped rules: %v", err)
	}
	_, err = LoadAlertRules("nope")
	if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `no shipped rule set is called "nope"`) {
		t.Errorf("missing rules: %v", err)
	}
	if names, _ := CompleteScenarios(nil, nil, ""); !slices.Contains(names, "smoke") {
		t.Errorf("scenario completion %v", names)
	}
	if names, _ := CompleteAlertRules(nil, nil, ""); !slices.Contains(names, "ecommerce") {
		t.Errorf("rules completion %v", names)
	}
}

func TestCompleteProfiles(t *testing.T) {
	f, _, _ := testFactory(t, nil)
	f.Flags.ConfigFile = writeConfig(t)
	if names, _ := CompleteProfiles(f)(nil, nil, ""); !slices.Equal(names, []string{"local", "staging"}) {
		t.Errorf("profiles %v", names)
	}
}

// A bounded read stopped by a signal exits 128+signal, naming it.
func TestInterrupted(t *testing.T) {
	if Interrupted(context.Background(), "export", "") != nil {
		t.Error("a live context is interrupted")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&SignalCause{Signal: syscall.SIGTERM})
	err := Interrupted(ctx, "kx export", "after 3 records")
	if ExitCode(err) != 143 || err.Error() != "kx export interrupted by SIGTERM after 3 records" {
		t.Errorf("SIGTERM: %v (exit %d)", err, ExitCode(err))
	}
	ctx, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := Interrupted(ctx, "kx tail", "early"); ExitCode(err) != exitcode.Interrupted || err.Error() != "kx tail interrupted early" {
		t.Errorf("no signal: %v", err)
	}
	if SignalName(syscall.SIGINT) != "SIGINT" || SignalName(syscall.SIGHUP) != "signal 1" {
		t.Error("SignalName")
	}
}

func TestSchemaFlags(t *testing.T) {
	cmd := &cobra.Command{Use: "tail"}
	var sf SchemaFlags
	AddSchemaFlags(cmd, &sf)
	if err := cmd.ParseFlags([]string{"--value-format", "avro", "--key-format", "raw", "--strict"}); err != nil {
		t.Fatal(err)
	}
	if sf != (SchemaFlags{KeyFormat: "raw", ValueFormat: "avro", Strict: true}) {
		t.Errorf("flags %+v", sf)
	}
	own := &cobra.Command{Use: "export"}
	own.Flags().Bool("strict", false, "export's own")
	AddSchemaFlags(own, &sf) // must not add a second --strict (cobra panics on one)
}
