package play

import (
	"fmt"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/scenarios"
)

// ShippedScenario is one line of kx play --list.
type ShippedScenario struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Timeline    string   `json:"timeline"` // the end of the last phase: 5m, 1m30s
	Topics      []string `json:"topics"`
}

// listShipped prints the shipped scenarios.
func listShipped(io *iostreams.IOStreams, format output.Format) error {
	var rows []ShippedScenario
	for _, name := range scenarios.Names() {
		s, err := cmdutil.LoadScenario(name)
		if err != nil {
			return fmt.Errorf("shipped scenario %s: %w", name, err)
		}
		row := ShippedScenario{Name: name, Description: s.Description, Timeline: shortDuration(s.Duration())}
		for _, t := range s.Topics {
			row.Topics = append(row.Topics, t.Name)
		}
		rows = append(rows, row)
	}
	return output.Print(io.Out, format, rows, []output.Column[ShippedScenario]{
		{Header: "name", Value: func(r ShippedScenario) string { return r.Name }},
		{Header: "timeline", Value: func(r ShippedScenario) string { return r.Timeline }},
		{Header: "topics", Value: func(r ShippedScenario) string { return strings.Join(r.Topics, ", ") }},
		{Header: "description", Value: func(r ShippedScenario) string { return r.Description }},
	})
}

// printShipped writes the shipped scenario name as it is, comments included.
func printShipped(io *iostreams.IOStreams, name string) error {
	data, ok := scenarios.Read(name)
	if !ok {
		return cmdutil.UsageErrorf("--print %q: no shipped scenario of that name (shipped: %s)", name, strings.Join(scenarios.Names(), ", "))
	}
	_, err := io.Out.Write(data)
	return err
}

// shortDuration is d without zero units: 5m, 1m30s, 45s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
