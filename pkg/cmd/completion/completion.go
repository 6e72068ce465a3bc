// Package completion implements `kx completion`.
package completion

import (
	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
)

// NewCmdCompletion builds `kx completion bash|zsh|fish|powershell`.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. The scripts are also shipped in completions/.

  bash:       source <(kx completion bash)
  zsh:        kx completion zsh > "${fpath[1]}/_kx"
  fish:       kx completion fish > ~/.config/fish/completions/kx.fish
  powershell: kx completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cmdutil.ExactArgs(1, "one of bash, zsh, fish, powershell"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return cmdutil.UsageErrorf("completion: unknown shell %q (bash, zsh, fish, powershell)", args[0])
		},
	}
}
