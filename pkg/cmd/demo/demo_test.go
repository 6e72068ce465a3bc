package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/schema"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	var got *Options
	cmd := NewCmdDemo(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "--speed", "10", "--port", "19092", "--keep", "--no-dashboard", "--value-format", "avro", "--schema-registry-port", "8081", "-o", "json")
	if err != nil || o.Play.Speed != 10 || o.Port != 19092 || !o.Keep || !o.NoDashboard || o.Format != "avro" || o.RegistryPort != 8081 || o.Play.Output != play.OutputReport {
		t.Errorf("%+v, %v", o, err)
	}
	// --format is --value-format's other name; the default is json.
	if o, err := parse(t, "--format", "protobuf"); err != nil || o.Format != "protobuf" {
		t.Errorf("--format: %+v, %v", o, err)
	}
	if o, err := parse(t); err != nil || o.Format != "json" || o.ScenarioFile != "" {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--port", "70000"}, "--port 70000: out of range"},
		{[]string{"--schema-registry-port", "-1"}, "--schema-registry-port -1: out of range"},
		{[]string{"--format", "avro", "--value-format", "avro"}, "--format and --value-format are the same flag"},
		{[]string{"--format", "xml"}, `--format "xml": want json, avro or protobuf`},
		{[]string{"--value-format", "xml"}, `--value-format "xml"`},
		{[]string{"--value-format", "avro", "--scenario", "smoke"}, "--value-format applies to the shipped demo scenario"},
		{[]string{"--speed", "0"}, "--speed must be positive"},
		{[]string{"extra"}, ""},
	} {
		if _, err := parse(t, c.args...); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error %q", c.args, err, c.want)
		}
	}
}

func TestLoadScenario(t *testing.T) {
	s, err := loadScenario("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "ecommerce-demo" || len(s.Topics) != 6 {
		t.Errorf("the shipped demo: %s with %d topics", s.Name, len(s.Topics))
	}
	if s, err := loadScenario("smoke"); err != nil || s.Name != "smoke" {
		t.Errorf("--scenario smoke: %v", err)
	}
	if _, err := loadScenario("no-such-scenario"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("an unknown scenario: %v", err)
	}
}

// Every topic of the demo has its shipped Avro and Protobuf schema; with
// neither a configured registry nor the embedded broker there is none.
func TestDemoSchemas(t *testing.T) {
	none := func() (*kafka.Registry, error) { return nil, nil }
	for _, format := range []string{"avro", "protobuf"} {
		s, err := loadScenario("")
		if err != nil {
			t.Fatal(err)
		}
		ios, _, _, errOut := iostreams.Test()
		p := &play.Options{IO: ios}
		opts := &Options{Format: format, Registry: none}
		if _, _, _, err := demoSchemas(opts, s, false, p); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "--value-format "+format+" needs a schema registry") {
			t.Errorf("%s without a registry: %v", format, err)
		}
		sr, reg, closeIt, err := demoSchemas(opts, s, true, p)
		if err != nil {
			t.Fatal(err)
		}
		if sr == nil || reg == nil || p.Registry == nil || !strings.Contains(errOut.String(), "kx demo: embedded schema registry on "+sr.URL()+"; events in "+format) {
			t.Errorf("%s on the embedded broker: %v %v, %q", format, sr, reg, errOut)
		}
		want := schema.TypeAvro
		if format == "protobuf" {
			want = schema.TypeProtobuf
		}
		for _, topic := range s.Topics {
			if enc := topic.Schema; enc == nil || enc.Type != want {
				t.Errorf("%s: topic %s has schema %v", format, topic.Name, enc)
			}
		}
		closeIt()
	}
}

// The demo on its embedded broker, with a scenario of a few seconds played
// fast: the report on stdout, the broker's address on stderr.
func TestRun(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	opts := &Options{
		Play: play.Options{IO: ios, Speed: 100, RateScale: 1, Output: play.OutputReport, Start: time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)},
		Config: func() (*config.Resolved, error) {
			return &config.Resolved{BrokersSource: "default", Timeout: 10 * time.Second}, nil
		},
		Registry:     func() (*kafka.Registry, error) { return nil, nil },
		ScenarioFile: "smoke",
		Format:       "json",
	}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.HasPrefix(errOut.String(), "kx demo: embedded broker on 127.0.0.1:") {
		t.Errorf("stderr %q", errOut)
	}
	var rep struct {
		Topics []struct {
			Topic  string `json:"topic"`
			Events int    `json:"events"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Topics) != 6 {
		t.Fatalf("report %v: %s", err, out)
	}
	for _, tr := range rep.Topics {
		if tr.Events == 0 {
			t.Errorf("no events on %s", tr.Topic)
		}
	}
}

func TestGatedWriter(t *testing.T) {
	var b bytes.Buffer
	g := &gatedWriter{w: &b, released: true}
	g.Write([]byte("a\n"))
	g.hold()
	g.Write([]byte("b\n"))
	if b.String() != "a\n" {
		t.Errorf("held: %q", b.String())
	}
	g.release()
	g.Write([]byte("c\n"))
	g.release()
	if b.String() != "a\nb\nc\n" {
		t.Errorf("released: %q", b.String())
	}
}

// A dashboard that never started (the play failed before its view) still
// releases what was held.
func TestDashboardStopWithoutStart(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	d, err := newDashboard(context.Background(), ios, nil, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.rules) == 0 {
		t.Errorf("no alert rules")
	}
	d.gate.hold()
	d.gate.Write([]byte("kx play: held\n"))
	if err := d.stop(); err != nil || errOut.String() != "kx play: held\n" {
		t.Errorf("stop: %v, %q", err, errOut)
	}
	d.view(nil) // too late: it must not start
	if d.cancel != nil {
		t.Errorf("a view after stop started the dashboard")
	}
}
