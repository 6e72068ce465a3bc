// Package shipped finds the files kx ships in its binary (scenarios, alert
// rules) by name, so `kx play black-friday` works from any directory. The
// rule: an argument naming an existing file is that file; otherwise a bare
// name (no directory, with or without .yaml) names a shipped file.
package shipped

import (
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Names are the *.yaml files of fsys without their extension, sorted.
func Names(fsys fs.FS) []string {
	m, _ := fs.Glob(fsys, "*.yaml")
	names := make([]string, len(m))
	for i, f := range m {
		names[i] = strings.TrimSuffix(f, ".yaml")
	}
	sort.Strings(names)
	return names
}

// Lookup returns the file of fsys that arg names and the name to show for
// it in messages (dir/NAME.yaml (shipped), dir being where it lives in the
// repository), unless arg is an existing file or holds a directory. ok is
// false when arg names no shipped file.
func Lookup(fsys fs.FS, dir, arg string) (data []byte, file string, ok bool) {
	if arg == "" || strings.ContainsAny(arg, `/\`) {
		return nil, "", false
	}
	if _, err := os.Stat(arg); err == nil {
		return nil, "", false
	}
	data, ok = Read(fsys, arg)
	if !ok {
		return nil, "", false
	}
	return data, path.Join(dir, strings.TrimSuffix(arg, ".yaml")+".yaml") + " (shipped)", true
}

// Read returns the shipped file name names (with or without .yaml),
// whatever files exist.
func Read(fsys fs.FS, name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, false
	}
	data, err := fs.ReadFile(fsys, strings.TrimSuffix(name, ".yaml")+".yaml")
	return data, err == nil
}
