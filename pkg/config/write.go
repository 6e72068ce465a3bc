package config

import (
	"fmt"
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
	out, err := setTopLevel(data, doc.Content[0], "current-profile", name)
	if err != nil {
		return errorf("config %s: %w", path, err)
	}
	// The edit must read back as meant before it replaces the file.
	var check struct {
		Current string `yaml:"current-profile"`
	}
	if err := yaml.Unmarshal(out, &check); err != nil || check.Current != name {
		return errorf("config %s: cannot set current-profile in place; edit the file by hand", path)
	}
	return atomicfile.WriteFile(path, out, 0o600)
}

// setTopLevel sets key to value in the top-level mapping m parsed from
// data by editing the text: only the value's characters change (or one
// line is added before the first key), so the user's indentation, quoting
// and comments stay as they were. A re-encode would re-indent the file.
func setTopLevel(data []byte, m *yaml.Node, key, value string) ([]byte, error) {
	enc, err := yaml.Marshal(value)
	if err != nil {
		return nil, err
	}
	scalar := strings.TrimSuffix(string(enc), "\n")
	if strings.Contains(scalar, "\n") {
		return nil, fmt.Errorf("%s: %q cannot be written on one line", key, value)
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value != key {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Line < 1 || v.Line > len(lines) {
			return nil, fmt.Errorf("%s is not a plain value", key)
		}
		line := lines[v.Line-1]
		from := v.Column - 1
		if v.Tag == "!!null" && v.Value == "" && v.Line == k.Line {
			// "key:" with no value: the value goes after the colon.
			from = strings.Index(line[k.Column-1:], ":") + k.Column
			line = line[:from] + " " + scalar + line[from:]
			lines[v.Line-1] = line
			return []byte(strings.Join(lines, "")), nil
		}
		end, ok := scalarEnd(line, from, v.Style)
		if !ok {
			return nil, fmt.Errorf("%s: value not understood at line %d", key, v.Line)
		}
		lines[v.Line-1] = line[:from] + scalar + line[end:]
		return []byte(strings.Join(lines, "")), nil
	}
	// Not there: a line of its own before the first key (after the
	// comments that open the file).
	at := 0
	if len(m.Content) > 0 {
		at = m.Content[0].Line - 1
	}
	indent := ""
	if len(m.Content) > 0 {
		indent = strings.Repeat(" ", m.Content[0].Column-1)
	}
	lines = append(lines[:at], append([]string{indent + key + ": " + scalar + "\n"}, lines[at:]...)...)
	return []byte(strings.Join(lines, "")), nil
}

// scalarEnd is where the one-line scalar starting at line[from] ends.
func scalarEnd(line string, from int, style yaml.Style) (int, bool) {
	if from < 0 || from >= len(line) {
		return 0, false
	}
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		for i := from + 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
		return 0, false
	case style&yaml.SingleQuotedStyle != 0:
		for i := from + 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, true
			}
		}
		return 0, false
	case style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, false
	}
	// A plain scalar ends at a comment or the end of the line.
	end := len(strings.TrimRight(line, "\r\n"))
	if c := strings.Index(line[from:], " #"); c >= 0 {
		end = from + c
	}
	return from + len(strings.TrimRight(line[from:end], " \t")), true
}
