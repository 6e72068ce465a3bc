package completion

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
)

// tree is a small kx: a command with a file flag, and kx completion.
func tree(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{Use: "kx"}
	export := &cobra.Command{Use: "export", Run: func(*cobra.Command, []string) {}}
	export.Flags().String("report", "", "")
	_ = export.MarkFlagFilename("report", "json")
	export.Flags().String("dir", "", "")
	_ = export.MarkFlagDirname("dir")
	root.AddCommand(export, NewCmdCompletion(f))
	return root
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	root := tree(cmdutil.New(ios))
	root.SetArgs(args)
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	err := root.Execute()
	return out.String(), err
}

func TestShells(t *testing.T) {
	for shell, want := range map[string]string{
		"zsh":        "#compdef kx",
		"fish":       "complete -c kx ",
		"powershell": "Register-ArgumentCompleter",
	} {
		out, err := run(t, "completion", shell)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s: %v, want %q in:\n%.300s", shell, err, want, out)
		}
	}
	for _, bad := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if _, err := run(t, bad...); cmdutil.ExitCode(err) != exitcode.Usage {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
	if err := Write(&bytes.Buffer{}, tree(cmdutil.New(nil)), "tcsh"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `unknown shell "tcsh"`) {
		t.Errorf("Write tcsh: %v", err)
	}
}

// The bash script works without the bash-completion package: every
// _get_comp_words_by_ref and _filedir call falls back to kx's own.
func TestBashStandalone(t *testing.T) {
	out, err := run(t, "completion", "bash")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"declare -F _get_comp_words_by_ref", "\n__kx_filedir()\n", `filteringCmd="__kx_filedir ${fullFilter%|}"`, "__kx_filedir -d"} {
		if !strings.Contains(out, want) {
			t.Errorf("bash script lacks %q", want)
		}
	}
	// The package's _filedir is called only inside __kx_filedir.
	var calls []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || strings.Contains(line, "declare -F _filedir") {
			continue
		}
		if strings.Contains(strings.ReplaceAll(line, "__kx_filedir", ""), "_filedir") {
			calls = append(calls, line)
		}
	}
	if len(calls) != 1 || calls[0] != `_filedir "$@"` {
		t.Errorf("_filedir called in %q, want only in __kx_filedir", calls)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		cmd := exec.Command(bash, "-n")
		cmd.Stdin = strings.NewReader(out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, msg)
		}
	}

	// A cobra script that no longer has a line to patch fails generation.
	b := bytes.NewBufferString(strings.Replace(out, "__start_kx()", "__begin_kx()", 1))
	if err := standaloneBash(b); err == nil || !strings.Contains(err.Error(), "cannot patch") {
		t.Errorf("an unpatchable script: %v", err)
	}
}
