package cmdutil

import (
	"time"

	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/scenario"
)

// CheckRange is a usage error when --from comes after --to (as given on
// the command line: fromText, toText), when that is known without the
// cluster; nil when either is nil.
func CheckRange(from, to *position.Spec, fromText, toText string) error {
	if from == nil || to == nil {
		return nil
	}
	if err := position.CheckRange(*from, *to); err != nil {
		return UsageErrorf("--from %s --to %s: %v", fromText, toText, err)
	}
	return nil
}

// NotNegative is a usage error naming flag and value when d < 0 (a
// negative --idle would never end, a negative --skew reads nothing).
func NotNegative(flag string, d time.Duration) error {
	if d < 0 {
		return UsageErrorf("%s %s: must not be negative", flag, d)
	}
	return nil
}

// CheckRateScale is a usage error when --rate-scale takes a phase of s
// past the scenario package's maximum rate or flow count.
func CheckRateScale(s *scenario.Scenario, rateScale float64) error {
	if err := s.CheckRateScale(rateScale); err != nil {
		return UsageErrorf("--rate-scale %g: %v", rateScale, err)
	}
	return nil
}
