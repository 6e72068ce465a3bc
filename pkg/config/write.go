package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/pkg/exitcode"
)

// SetCurrentProfile sets current-profile in the file at path, keeping the
// rest of the file (comments included) as it is. The write is atomic.
func SetCurrentProfile(path, name string) error {
	f, err := Load(path, true)
	if err != nil {
		return err
	}
	if _, ok := f.Profiles[strings.ToLower(name)]; !ok {
		return exitcode.Newf(exitcode.Usage, "profile %q not found in %s (profiles: %s)", name, path, strings.Join(ProfileNames(f), ", "))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return exitcode.Newf(exitcode.Usage, "config %s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return exitcode.Newf(exitcode.Usage, "config %s: not a YAML mapping", path)
	}
	m := doc.Content[0]
	found := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "current-profile" {
			m.Content[i+1].SetString(name)
			found = true
		}
	}
	if !found {
		k, v := &yaml.Node{}, &yaml.Node{}
		k.SetString("current-profile")
		v.SetString(name)
		m.Content = append([]*yaml.Node{k, v}, m.Content...)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, out)
}

// WriteFileAtomic writes data to a temporary file next to path and renames
// it into place, keeping path's permissions (0600 for a new file).
func WriteFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
