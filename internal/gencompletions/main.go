// Command gencompletions writes the shell completion scripts in
// completions/ from the command tree. Run it with `go generate ./...`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kx-cli/kx/pkg/cmd/root"
)

func main() {
	dir := "completions"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files, err := root.Completions()
	if err == nil {
		for name, data := range files {
			if err = os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencompletions:", err)
		os.Exit(1)
	}
}
