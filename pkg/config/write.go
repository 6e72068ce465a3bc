package config

import (
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/internal/atomicfile"
)

// SetCurrentProfile sets current-profile in the file at path, keeping the
// rest of the file (comments included) as it is. The write is atomic.
func SetCurrentProfile(path, name string) error {
	f, err := Load(path, true)
	if err != nil {
		return err
	}
	if _, ok := f.Profiles[strings.ToLower(name)]; !ok {
		return errorf("profile %q not found in %s (profiles: %s)", name, path, strings.Join(ProfileNames(f), ", "))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return errorf("config %s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return errorf("config %s: not a YAML mapping", path)
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
	return atomicfile.WriteFile(path, out, 0o600)
}
