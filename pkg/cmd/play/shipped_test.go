package play

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/scenarios"
)

func TestListShipped(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := listShipped(ios, output.NDJSON); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var s ShippedScenario
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		if s.Timeline == "" || len(s.Topics) == 0 || s.Description == "" {
			t.Errorf("scenario %+v lacks a timeline, topics or a description", s)
		}
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != strings.Join(scenarios.Names(), ",") {
		t.Errorf("listed %v, shipped %v", names, scenarios.Names())
	}
	out.Reset()
	if err := listShipped(ios, output.Table); err != nil || !strings.HasPrefix(out.String(), "NAME") {
		t.Errorf("table %q, %v", out.String(), err)
	}
}

func TestPrintShipped(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	want, _ := scenarios.Read("smoke")
	if err := printShipped(ios, "smoke"); err != nil || out.String() != string(want) {
		t.Errorf("--print smoke: %v; the file as shipped: %v", err, out.String() == string(want))
	}
	err := printShipped(ios, "nope")
	if cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `--print "nope": no shipped scenario of that name (shipped: `) {
		t.Errorf("unknown: %v", err)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 90 * time.Second: "1m30s", 45 * time.Second: "45s", 2 * time.Hour: "2h", 1500 * time.Millisecond: "2s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
