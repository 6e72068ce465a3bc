package cmdutil

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/config"
)

// AddCompressionFlag adds --compression, the producer codec of kx produce,
// kx play and kx demo.
func AddCompressionFlag(cmd *cobra.Command, value *string) {
	cmd.Flags().StringVar(value, "compression", "", "compress produced batches: "+strings.Join(config.Compressions, "|")+" (default: the profile's compression, else none)")
	_ = cmd.RegisterFlagCompletionFunc("compression", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return config.Compressions, cobra.ShellCompDirectiveNoFileComp
	})
}

// ValidateCompression checks a --compression value and returns it in lower case.
func ValidateCompression(value string) (string, error) {
	v := strings.ToLower(value)
	if v != "" && !slices.Contains(config.Compressions, v) {
		return "", UsageErrorf("--compression %q: must be one of %s", value, strings.Join(config.Compressions, "|"))
	}
	return v, nil
}
