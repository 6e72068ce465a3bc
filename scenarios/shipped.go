package scenarios

import "github.com/kx-cli/kx/internal/shipped"

// Names are the shipped scenarios, by file name without .yaml, sorted.
func Names() []string { return shipped.Names(FS) }

// Lookup returns the shipped scenario arg names (black-friday or
// black-friday.yaml) and the name to show for it in messages, unless arg
// is an existing file: a file always wins.
func Lookup(arg string) (data []byte, file string, ok bool) {
	return shipped.Lookup(FS, "scenarios", arg)
}

// Read returns the shipped scenario name names, whatever files exist (for
// printing it out).
func Read(name string) ([]byte, bool) { return shipped.Read(FS, name) }
