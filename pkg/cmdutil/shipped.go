package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kx-cli/kx/alerts"
	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/scenarios"
)

// LoadScenario reads the scenario arg names: an existing file (a file always
// wins), else a shipped scenario by name (black-friday, black-friday.yaml).
// A file that cannot be read is bad input (exit 2), like a malformed one.
func LoadScenario(arg string) (*scenario.Scenario, error) {
	if data, file, ok := scenarios.Lookup(arg); ok {
		return scenario.Parse(file, data)
	}
	s, err := scenario.Load(arg)
	if err == nil || errors.As(err, new(*scenario.Error)) {
		return s, err
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w%s", err, shippedHint(arg, "scenario", scenarios.Names(), "kx play --list"))
	}
	return nil, exitcode.New(exitcode.Usage, err)
}

// LoadAlertRules reads the alert rules arg names: an existing file (a file
// always wins), else a shipped rule set by name (ecommerce, ecommerce.yaml).
func LoadAlertRules(arg string) ([]*alert.Rule, error) {
	if data, file, ok := alerts.Lookup(arg); ok {
		return alert.Parse(file, data)
	}
	rules, err := alert.LoadFile(arg)
	var fe *alert.FileError
	if err != nil && errors.As(err, &fe) {
		if _, serr := os.Stat(arg); errors.Is(serr, fs.ErrNotExist) {
			fe.Msg += shippedHint(arg, "rule set", alerts.Names(), "kx stats --list-alerts")
		}
	}
	return rules, err
}

// shippedHint completes a "no such file" error: a bare name is not a
// shipped one either; a path whose file name is a shipped one (the
// repository's scenarios/smoke.yaml, from another directory) can be
// given by that name.
func shippedHint(arg, what string, names []string, list string) string {
	base := strings.TrimSuffix(filepath.Base(arg), ".yaml")
	if strings.ContainsAny(arg, `/\`) {
		if slices.Contains(names, base) {
			return fmt.Sprintf("; the shipped %s of that name is %q", what, base)
		}
		return ""
	}
	return fmt.Sprintf(", and no shipped %s is called %q (shipped: %s; see %s)", what, arg, strings.Join(names, ", "), list)
}
