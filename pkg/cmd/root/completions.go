package root

import (
	"bytes"

	completioncmd "github.com/kx-cli/kx/pkg/cmd/completion"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
)

//go:generate go run ../../../internal/gencompletions ../../../completions

// Completions renders the shell completion scripts shipped in completions/,
// keyed by file name.
func Completions() (map[string][]byte, error) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdRoot(cmdutil.New(ios))
	files := map[string]string{"kx.bash": "bash", "kx.zsh": "zsh", "kx.fish": "fish", "kx.ps1": "powershell"}
	out := map[string][]byte{}
	for name, shell := range files {
		var b bytes.Buffer
		if err := completioncmd.Write(&b, cmd, shell); err != nil {
			return nil, err
		}
		out[name] = b.Bytes()
	}
	return out, nil
}
