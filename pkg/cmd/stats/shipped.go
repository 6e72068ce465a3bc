package stats

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/alerts"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// ShippedRules is one line of kx stats --list-alerts.
type ShippedRules struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rules       int      `json:"rules"`
	Topics      []string `json:"topics"`
}

// listShippedRules prints the shipped alert rule sets.
func listShippedRules(io *iostreams.IOStreams, format output.Format) error {
	var rows []ShippedRules
	for _, name := range alerts.Names() {
		rules, err := cmdutil.LoadAlertRules(name)
		if err != nil {
			return fmt.Errorf("shipped alert rules %s: %w", name, err)
		}
		data, _ := alerts.Read(name)
		var head struct {
			Description string `yaml:"description"`
		}
		_ = yaml.Unmarshal(data, &head) // it parsed above
		row := ShippedRules{Name: name, Description: head.Description, Rules: len(rules)}
		for _, r := range rules {
			if r.Topic != "" && !contains(row.Topics, r.Topic) {
				row.Topics = append(row.Topics, r.Topic)
			}
		}
		rows = append(rows, row)
	}
	return output.Print(io.Out, format, rows, []output.Column[ShippedRules]{
		{Header: "name", Value: func(r ShippedRules) string { return r.Name }},
		{Header: "rules", Value: func(r ShippedRules) string { return fmt.Sprint(r.Rules) }},
		{Header: "topics", Value: func(r ShippedRules) string { return strings.Join(r.Topics, ", ") }},
		{Header: "description", Value: func(r ShippedRules) string { return r.Description }},
	})
}

// printShippedRules writes the shipped rule set name as it is.
func printShippedRules(io *iostreams.IOStreams, name string) error {
	data, ok := alerts.Read(name)
	if !ok {
		return cmdutil.UsageErrorf("--print-alerts %q: no shipped alert rules of that name (shipped: %s)", name, strings.Join(alerts.Names(), ", "))
	}
	_, err := io.Out.Write(data)
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
