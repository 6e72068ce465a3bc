// Package completion implements `kx completion` and renders the shell
// completion scripts (also shipped in completions/).
package completion

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
)

// Shells are the shells `kx completion` writes a script for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion builds `kx completion bash|zsh|fish|powershell`.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. The scripts are also shipped in completions/.

  bash:       source <(kx completion bash)       (in ~/.bashrc; the bash-completion package is not needed)
  zsh:        kx completion zsh > "${fpath[1]}/_kx"   (then restart zsh; compinit must be on)
  fish:       kx completion fish > ~/.config/fish/completions/kx.fish
  powershell: kx completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: Shells,
		Args:      cmdutil.ExactArgs(1, "one of bash, zsh, fish, powershell"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Write(f.IOStreams.Out, cmd.Root(), args[0])
		},
	}
}

// Write writes the completion script of shell for the command tree root.
func Write(w io.Writer, root *cobra.Command, shell string) error {
	var b bytes.Buffer
	var err error
	switch shell {
	case "bash":
		if err = root.GenBashCompletionV2(&b, true); err == nil {
			err = standaloneBash(&b)
		}
	case "zsh":
		err = root.GenZshCompletion(&b)
	case "fish":
		err = root.GenFishCompletion(&b, true)
	case "powershell":
		err = root.GenPowerShellCompletionWithDesc(&b)
	default:
		return cmdutil.UsageErrorf("completion: unknown shell %q (bash, zsh, fish, powershell)", shell)
	}
	if err != nil {
		return fmt.Errorf("completion %s: %w", shell, err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// cobra's bash script needs _get_comp_words_by_ref and _filedir from the
// bash-completion package; without it every TAB prints "command not found".
// standaloneBash makes the script fall back to its own versions when the
// package is not loaded. A cobra upgrade that changes the patched lines
// fails generation (and the drift test) instead of shipping a broken script.
func standaloneBash(b *bytes.Buffer) error {
	s := b.String()
	for _, r := range []struct{ old, new string }{
		{"    _get_comp_words_by_ref \"$@\" cur prev words cword\n", bashWordsFallback},
		{"        filteringCmd=\"_filedir $fullFilter\"\n", "        filteringCmd=\"__kx_filedir ${fullFilter%|}\"\n"},
		{"pushd \"$subdir\" >/dev/null 2>&1 && _filedir -d && popd", "pushd \"$subdir\" >/dev/null 2>&1 && __kx_filedir -d && popd"},
		{"            _filedir -d\n", "            __kx_filedir -d\n"},
		{"                    _filedir\n", "                    __kx_filedir\n"},
		{"\n__start_kx()\n", bashFiledir + "\n__start_kx()\n"},
		// printf %q escapes a comma, which the shell does not need, and
		// readline then mangles a --topics a,b completion: keep it plain.
		{"            COMPREPLY[0]=$(printf \"%q\" \"${COMPREPLY[0]}\")\n", "            COMPREPLY[0]=$(printf \"%q\" \"${COMPREPLY[0]}\")\n            COMPREPLY[0]=${COMPREPLY[0]//\\\\,/,}\n"},
		{"        COMPREPLY[0]=$(printf \"%q\" \"${COMPREPLY[0]%%$tab*}\")\n", "        COMPREPLY[0]=$(printf \"%q\" \"${COMPREPLY[0]%%$tab*}\")\n        COMPREPLY[0]=${COMPREPLY[0]//\\\\,/,}\n"},
	} {
		if strings.Count(s, r.old) != 1 {
			return fmt.Errorf("bash script: cannot patch %q (cobra's script changed)", strings.TrimSpace(r.old))
		}
		s = strings.Replace(s, r.old, r.new, 1)
	}
	if strings.Contains(s, " _filedir") && !strings.Contains(s, "declare -F _filedir") {
		return fmt.Errorf("bash script: an unpatched _filedir call is left")
	}
	b.Reset()
	b.WriteString(s)
	return nil
}

const bashWordsFallback = `    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref "$@" cur prev words cword
        return
    fi
    # No bash-completion package: rebuild the words from COMP_WORDS, joining
    # what bash split at = and : (--topic=orders, host:port) again.
    local i w line=$COMP_LINE sep
    words=()
    cword=0
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        sep=
        [[ $line == [[:blank:]]* ]] && sep=1
        line=${line#"${line%%[![:blank:]]*}"}
        line=${line#"$w"}
        if ((i > 1)) && [[ -z $sep ]] && [[ $w =~ ^[=:]+$ || ${COMP_WORDS[i-1]} =~ ^[=:]+$ ]]; then
            words[${#words[@]}-1]+=$w
        else
            words+=("$w")
        fi
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    cur=${words[cword]}
    prev=
    ((cword > 0)) && prev=${words[cword-1]}
    return 0
`

const bashFiledir = `
# _filedir from the bash-completion package, or a plain version of it:
# directories with -d, else files ending in one of the |-separated
# extensions of $1 (any file without $1), and directories.
__kx_filedir()
{
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir "$@"
        return
    fi
    local IFS=$'\n' ext
    if [[ $1 == -d ]]; then
        COMPREPLY=($(compgen -d -- "$cur"))
    elif [[ -n $1 ]]; then
        COMPREPLY=($(compgen -d -- "$cur"))
        for ext in ${1//|/$'\n'}; do
            COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
        done
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    compopt -o filenames 2>/dev/null
}
`
