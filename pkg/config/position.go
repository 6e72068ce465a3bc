package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/internal/yamlpos"
)

// fileError turns what viper reports about the config file at path into
// one line, "path:line:col: key: problem", as scenarios and alert rules
// do: viper and mapstructure know the key but not where it is, and
// report every problem on lines of their own.
func fileError(path string, err error) error {
	data, rerr := os.ReadFile(path)
	if rerr != nil {
		return errorf("config %s: %w", path, err)
	}
	var parse viper.ConfigParseError
	if errors.As(err, &parse) {
		line, col, msg := yamlpos.SyntaxError(data, parse.Unwrap())
		return errorf("%s:%d:%d: YAML syntax error: %s", path, line, col, msg)
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return errorf("config %s: %s", path, oneLine(err.Error()))
	}
	var decodes []*mapstructure.DecodeError
	collectDecodeErrors(err, &decodes)
	type located struct {
		line, col int
		msg       string
	}
	var found []located
	for _, de := range decodes {
		path, inner := splitName(de.Name()), de.Unwrap()
		if m := invalidKeysRE.FindStringSubmatch(inner.Error()); m != nil {
			// An unknown key: point at the first one.
			key := strings.Split(m[1], ", ")[0]
			k, _ := lookup(&root, append(path, key))
			if k != nil {
				found = append(found, located{k.Line, k.Column, fmt.Sprintf("%s: unknown key %q", strings.Join(path, "."), key)})
				continue
			}
		}
		_, v := lookup(&root, path)
		if v == nil {
			found = append(found, located{1, 1, fmt.Sprintf("%s: %s", strings.Join(path, "."), oneLine(inner.Error()))})
			continue
		}
		key := strings.Join(path, ".")
		if IsSecretKey(path[len(path)-1]) {
			found = append(found, located{v.Line, v.Column, fmt.Sprintf("%s: %s (the value is not shown: a secret)", key, want(inner))})
			continue
		}
		what := fmt.Sprintf("%q", v.Value)
		if v.Kind != yaml.ScalarNode {
			what = map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}[v.Kind]
		}
		found = append(found, located{v.Line, v.Column, fmt.Sprintf("%s: %s: %s", key, what, want(inner))})
	}
	if len(found) == 0 {
		return errorf("config %s: %s", path, oneLine(err.Error()))
	}
	first := found[0]
	for _, f := range found[1:] {
		if f.line < first.line || f.line == first.line && f.col < first.col {
			first = f
		}
	}
	more := ""
	if len(found) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(found)-1)
	}
	return errorf("%s:%d:%d: %s%s", path, first.line, first.col, first.msg, more)
}

// want says what a key takes, from mapstructure's error about its value.
func want(err error) string {
	var expected reflect.Type
	var unconvertible *mapstructure.UnconvertibleTypeError
	var parse *mapstructure.ParseError
	switch {
	case errors.As(err, &unconvertible):
		expected = unconvertible.Expected.Type()
	case errors.As(err, &parse):
		expected = parse.Expected.Type()
	case strings.HasPrefix(err.Error(), "time: "):
		expected = reflect.TypeFor[time.Duration]()
	case strings.HasPrefix(err.Error(), "expected a map"):
		expected = reflect.TypeFor[map[string]any]()
	default:
		return oneLine(err.Error())
	}
	switch {
	case expected == reflect.TypeFor[time.Duration]():
		return "want a duration (e.g. 15s, 1m30s)"
	case expected.Kind() == reflect.Bool:
		return "want true or false"
	case expected.Kind() == reflect.String:
		return "want a string"
	case expected.Kind() == reflect.Map || expected.Kind() == reflect.Struct:
		return "want a mapping (key: value lines)"
	case expected.Kind() == reflect.Slice:
		return "want a list"
	case expected.Kind() >= reflect.Int && expected.Kind() <= reflect.Float64:
		return "want a number"
	}
	return oneLine(err.Error())
}

var invalidKeysRE = regexp.MustCompile(`^has invalid keys: (.*)$`)

// collectDecodeErrors gathers the innermost-named decode errors of a
// mapstructure error tree (errors.Join of DecodeErrors, nested).
func collectDecodeErrors(err error, out *[]*mapstructure.DecodeError) {
	switch e := err.(type) {
	case *mapstructure.DecodeError:
		before := len(*out)
		collectDecodeErrors(e.Unwrap(), out)
		if len(*out) == before {
			*out = append(*out, e)
		}
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			collectDecodeErrors(x, out)
		}
	case interface{ Unwrap() error }:
		collectDecodeErrors(e.Unwrap(), out)
	}
}

// splitName turns mapstructure's "profiles[a].tls.enabled" into path
// segments: profiles, a, tls, enabled.
func splitName(name string) []string {
	var out []string
	for _, part := range strings.Split(name, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i+1:])
				break
			}
			out = append(out, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	return out
}

// lookup finds the key and value nodes at path, keys compared without
// case (viper lower-cases them); nil when absent.
func lookup(root *yaml.Node, path []string) (key, value *yaml.Node) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range path {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, seg) {
				key, next = n.Content[i], n.Content[i+1]
			}
		}
		if next == nil {
			return nil, nil
		}
		n = next
	}
	return key, n
}

// oneLine joins a multi-line message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// checkUnits refuses what decoding let through but cannot be meant, at
// its file:line:col: a profile timeout without a unit ("timeout: 5"
// decodes as 5 nanoseconds) and brokers that are not host:port ("brokers:
// 5" decodes as the string "5").
func checkUnits(path string, f *File) error {
	type problem struct{ profile, key, want string }
	var bad []problem
	names := make([]string, 0, len(f.Profiles))
	for name := range f.Profiles {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := f.Profiles[name]
		if p.Timeout > 0 && p.Timeout < time.Millisecond {
			bad = append(bad, problem{name, "timeout", "want a duration with a unit (e.g. 15s, 1m30s)"})
		}
		if p.Brokers != "" && !validBrokers(p.Brokers) {
			bad = append(bad, problem{name, "brokers", "want host:port[,host:port…]"})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	b := bad[0]
	line, col, value := 1, 1, ""
	if data, err := os.ReadFile(path); err == nil {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			if _, v := lookup(&root, []string{"profiles", b.profile, b.key}); v != nil {
				line, col, value = v.Line, v.Column, v.Value
			}
		}
	}
	return errorf("%s:%d:%d: profiles.%s.%s: %q: %s", path, line, col, b.profile, b.key, value, b.want)
}

// validBrokers reports whether s is a list of host[:port]: a host that is
// not a bare number, a port that is one.
func validBrokers(s string) bool {
	for _, b := range strings.Split(s, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if _, after, found := strings.Cut(b, "://"); found {
			b = after
		}
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			host, port = b, ""
		}
		if host == "" || isDigits(host) || port != "" && !isDigits(port) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
