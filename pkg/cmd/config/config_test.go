package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
)

const file = `# kx profiles
current-profile: local
profiles:
  local:
    brokers: 127.0.0.1:9092
  prod:
    brokers: kafka1:9093,kafka2:9093
    sasl:
      mechanism: PLAIN
      username: ops
      password-env: KAFKA_PASSWORD
    timeout: 15s
    schema_registry:
      url: https://registry:8081
      username: ops
      password-env: REGISTRY_PASSWORD
    properties:
      fetch.max.bytes: "1048576"
`

// kx runs kx config ARGS with env as the environment and returns stdout
// and stderr.
func kx(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(k string) string { return env[k] }
	cmd := NewCmdConfig(f)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestView(t *testing.T) {
	path := writeConfig(t)
	env := map[string]string{"KX_CONFIG": path, "KX_PROFILE": "prod", "KAFKA_PASSWORD": "kafka-s3cret", "REGISTRY_PASSWORD": "reg-s3cret"}
	out, _, err := kx(t, env, "view", "-o", "table")
	if err != nil {
		t.Fatal(err)
	}
	want := "config file: " + path + "\nprofile:     prod\nbrokers:     kafka1:9093,kafka2:9093 (from profile prod)\ntimeout:     15s\n" +
		"schema registry: https://registry:8081 (user ops, password [REDACTED]) (from profile prod)\nproperties:\n"
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "  fetch.max.bytes=1048576\n") || !strings.Contains(out, "  sasl.password=[REDACTED]\n") {
		t.Errorf("table:\n%s\nwant it to start:\n%s", out, want)
	}
	table := out
	out, _, err = kx(t, env, "view", "-o", "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if v["profile"] != "prod" || v["timeout"] != "15s" || v["brokers_source"] != "profile prod" || v["properties"].(map[string]any)["sasl.password"] != "[REDACTED]" {
		t.Errorf("ndjson %v", v)
	}
	if strings.Contains(table+out, "s3cret") {
		t.Errorf("a secret printed:\n%s%s", table, out)
	}

	// No file, no profile: the defaults, said so.
	out, _, err = kx(t, map[string]string{"KX_BROKERS": "b:1"}, "view", "-o", "table")
	if err != nil || !strings.Contains(out, "profile:     (none)\nbrokers:     b:1 (from env KX_BROKERS)\n") || strings.Contains(out, "schema registry") {
		t.Errorf("defaults: %v\n%s", err, out)
	}
	if _, _, err := kx(t, env, "view", "-o", "csv"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("-o csv: %v", err)
	}
	if _, _, err := kx(t, map[string]string{"KX_CONFIG": path, "KX_PROFILE": "nope"}, "view"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), `profile "nope" not found`) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestUseProfile(t *testing.T) {
	path := writeConfig(t)
	env := map[string]string{"KX_CONFIG": path}
	_, stderr, err := kx(t, env, "use-profile", "prod")
	if err != nil || stderr != `kx: current profile is now "prod" (`+path+")\n" {
		t.Fatalf("%v, %q", err, stderr)
	}
	data, _ := os.ReadFile(path)
	// Only the value changed: the comment and the rest stay.
	if string(data) != strings.Replace(file, "current-profile: local", "current-profile: prod", 1) {
		t.Errorf("file now:\n%s", data)
	}
	if _, _, err := kx(t, env, "use-profile", "nope"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "(profiles: local, prod)") {
		t.Errorf("unknown profile: %v", err)
	}
	if _, _, err := kx(t, env, "use-profile"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("no name: %v", err)
	}
}
