package play

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/record"
)

func TestNewCmdPlayFlags(t *testing.T) {
	tests := []struct {
		args     []string
		stdout   bool
		wantErr  string
		wantOut  string
		wantSeed bool
	}{
		{args: []string{"s.yaml"}, wantOut: play.OutputRecords},
		{args: []string{"s.yaml"}, stdout: true, wantOut: play.OutputNone},
		{args: []string{"s.yaml", "-o", "json", "--seed", "0"}, wantOut: play.OutputReport, wantSeed: true},
		{args: []string{"s.yaml", "--speed", "0"}, wantErr: "--speed must be positive"},
		{args: []string{"s.yaml", "--rate-scale", "-1"}, wantErr: "--rate-scale must be positive"},
		{args: []string{"s.yaml", "-o", "csv"}, wantErr: `--output "csv"`},
		{args: []string{"s.yaml", "--start", "noon"}, wantErr: "RFC 3339"},
		{args: []string{}, wantErr: "want a scenario file"},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		ios.SetTTY(tt.stdout, false)
		f := cmdutil.New(ios)
		var got *Options
		cmd := NewCmdPlay(f, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !regexp.MustCompile(regexp.QuoteMeta(tt.wantErr)).MatchString(err.Error()) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
			} else if exitcode.Of(err) != exitcode.Usage {
				t.Errorf("%v: exit %d, want %d", tt.args, exitcode.Of(err), exitcode.Usage)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if got.Output != tt.wantOut || got.SeedSet != tt.wantSeed || got.File != "s.yaml" {
			t.Errorf("%v: output %q seedSet %v file %q", tt.args, got.Output, got.SeedSet, got.File)
		}
	}
}

func dryRun(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	cmd := NewCmdPlay(cmdutil.New(ios), nil)
	cmd.SetArgs(append([]string{"../../../scenarios/smoke.yaml", "--dry-run"}, args...))
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut)
	}
	return out.String(), errOut.String()
}

var runID = regexp.MustCompile(`"scenarioRunId":"[0-9a-f-]{36}"`)

func TestDryRunReproducible(t *testing.T) {
	a, _ := dryRun(t, "--seed", "11", "--start", "2025-11-28T09:00:00Z")
	b, _ := dryRun(t, "--seed", "11", "--start", "2025-11-28T09:00:00Z")
	c, _ := dryRun(t, "--seed", "12", "--start", "2025-11-28T09:00:00Z")
	if a == b {
		t.Error("two runs share a scenarioRunId")
	}
	strip := func(s string) string { return runID.ReplaceAllString(s, `"scenarioRunId":"-"`) }
	if strip(a) != strip(b) {
		t.Error("the same seed and start gave different events")
	}
	if strip(a) == strip(c) {
		t.Error("another seed gave the same events")
	}
}

func TestDryRunEnvelope(t *testing.T) {
	out, errOut := dryRun(t, "--start", "2025-11-28T09:00:00Z", "--speed", "2")
	lines := bytes.Split(bytes.TrimSpace([]byte(out)), []byte("\n"))
	if len(lines) < 20 {
		t.Fatalf("only %d events", len(lines))
	}
	start := time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)
	parts := map[string]int32{"orders.created": 6, "orders.completed": 3, "inventory.updates": 3,
		"customer.notifications": 3, "payment.transactions": 3, "shipping.events": 3}
	var prev time.Time
	for i, line := range lines {
		r, err := record.Decode(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Offset != -1 {
			t.Errorf("line %d: offset %d, want -1", i+1, r.Offset)
		}
		if want := partitioner.Partition(r.Key, parts[r.Topic]); r.Partition != want {
			t.Errorf("line %d: partition %d, murmur2 says %d", i+1, r.Partition, want)
		}
		// smoke.yaml lasts 3 s: 1.5 s at --speed 2, plus the drain of the last flows.
		if r.Timestamp.Before(start) || r.Timestamp.After(start.Add(3*time.Second)) || r.Timestamp.Before(prev) {
			t.Errorf("line %d: timestamp %v out of order or range", i+1, r.Timestamp)
		}
		prev = r.Timestamp
		var v map[string]any
		if err := json.Unmarshal(r.Value, &v); err != nil || v["eventId"] == nil || v["scenarioRunId"] == nil {
			t.Errorf("line %d: value %s lacks eventId/scenarioRunId", i+1, r.Value)
		}
	}
	// Two payment ERRORs: one order held (pending), one cancelled.
	for _, re := range []string{`payment.transactions\s+6\s+2\s+\d+/s\s+ERROR=2 SUCCESS=4`, `orders.completed\s+5\s+1\s+\d+/s\s+CANCELLED=1 COMPLETED=4`, `flows: 6 started, 5 ended, 1 held, 1 pending`} {
		if !regexp.MustCompile(re).MatchString(errOut) {
			t.Errorf("statistics on stderr: no %s in\n%s", re, errOut)
		}
	}
}
