package stats

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kx-cli/kx/alerts"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// --list-alerts: one row per shipped rule set, its topics once each and
// none for rules without a topic (connection).
func TestListShippedRules(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := listShippedRules(ios, output.NDJSON); err != nil {
		t.Fatal(err)
	}
	var r ShippedRules
	if err := json.Unmarshal([]byte(strings.Split(out.String(), "\n")[0]), &r); err != nil {
		t.Fatal(err)
	}
	rules, _ := cmdutil.LoadAlertRules(r.Name)
	if r.Name != alerts.Names()[0] || r.Rules != len(rules) || r.Description == "" || slices.Contains(r.Topics, "") {
		t.Errorf("row %+v", r)
	}
	for i, topic := range r.Topics {
		if slices.Contains(r.Topics[i+1:], topic) {
			t.Errorf("topic %s listed twice", topic)
		}
	}
	out.Reset()
	if err := listShippedRules(ios, output.Table); err != nil || !strings.HasPrefix(out.String(), "NAME") {
		t.Errorf("table %q, %v", out.String(), err)
	}
}

func TestPrintShippedRules(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	want, _ := alerts.Read("ecommerce")
	if err := printShippedRules(ios, "ecommerce"); err != nil || out.String() != string(want) {
		t.Errorf("--print-alerts ecommerce: %v", err)
	}
	if err := printShippedRules(ios, "nope"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("unknown: %v", err)
	}
}
