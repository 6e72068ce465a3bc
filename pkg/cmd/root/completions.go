package root

import (
	"bytes"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
)

//go:generate go run ../../../internal/gencompletions ../../../completions

// Completions renders the shell completion scripts shipped in completions/,
// keyed by file name.
func Completions() (map[string][]byte, error) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdRoot(cmdutil.New(ios))
	gens := map[string]func(*bytes.Buffer) error{
		"kx.bash": func(b *bytes.Buffer) error { return cmd.GenBashCompletionV2(b, true) },
		"kx.zsh":  func(b *bytes.Buffer) error { return cmd.GenZshCompletion(b) },
		"kx.fish": func(b *bytes.Buffer) error { return cmd.GenFishCompletion(b, true) },
		"kx.ps1":  func(b *bytes.Buffer) error { return cmd.GenPowerShellCompletionWithDesc(b) },
	}
	out := map[string][]byte{}
	for name, gen := range gens {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return nil, err
		}
		out[name] = b.Bytes()
	}
	return out, nil
}
