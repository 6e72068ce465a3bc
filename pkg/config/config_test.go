package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// flagSet mimics the root command's global flags; args are parsed so
// Changed is set as for a real command line.
func flagSet(t *testing.T, fl *Flags, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("kx", pflag.ContinueOnError)
	fs.StringVarP(&fl.Brokers, "brokers", "b", DefaultBrokers, "")
	fs.StringVar(&fl.Profile, "profile", "", "")
	fs.StringVar(&fl.ConfigFile, "config", "", "")
	fs.StringArrayVarP(&fl.Properties, "property", "X", nil, "")
	fs.DurationVar(&fl.Timeout, "timeout", DefaultTimeout, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeConfig(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const twoProfiles = `
current-profile: local
profiles:
  local:
    brokers: 127.0.0.1:9092
  prod:
    brokers: kafka1:9093,kafka2:9093
    timeout: 30s
    sasl:
      mechanism: scram-sha-512
      username: ops
      password-env: PROD_PW
    tls:
      ca-file: /etc/ca.pem
    properties:
      fetch.max.bytes: "1000"
`

func TestPrecedence(t *testing.T) {
	path := writeConfig(t, twoProfiles, 0o600)
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantBrokers string
		wantSource  string
		wantTimeout time.Duration
	}{
		{"current profile", nil, nil, "127.0.0.1:9092", "profile local", DefaultTimeout},
		{"profile flag", []string{"--profile", "prod"}, map[string]string{"PROD_PW": "pw"}, "kafka1:9093,kafka2:9093", "profile prod", 30 * time.Second},
		{"env profile", nil, map[string]string{"KX_PROFILE": "prod", "PROD_PW": "pw"}, "kafka1:9093,kafka2:9093", "profile prod", 30 * time.Second},
		{"env beats profile", []string{"--profile", "prod"}, map[string]string{"KX_BROKERS": "e:1", "KX_TIMEOUT": "3s", "PROD_PW": "pw"}, "e:1", "env KX_BROKERS", 3 * time.Second},
		{"flag beats env", []string{"-b", "f:1", "--timeout", "1s"}, map[string]string{"KX_BROKERS": "e:1", "KX_TIMEOUT": "3s"}, "f:1", "flag --brokers", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := &Flags{}
			fs := flagSet(t, fl, append([]string{"--config", path}, tt.args...)...)
			r, err := Resolve(fl, fs, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Brokers, ","); got != tt.wantBrokers {
				t.Errorf("brokers %q, want %q", got, tt.wantBrokers)
			}
			if r.BrokersSource != tt.wantSource {
				t.Errorf("source %q, want %q", r.BrokersSource, tt.wantSource)
			}
			if r.Timeout != tt.wantTimeout {
				t.Errorf("timeout %s, want %s", r.Timeout, tt.wantTimeout)
			}
		})
	}
}

func TestDefaultsWithoutConfigFile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	fl := &Flags{}
	r, err := Resolve(fl, flagSet(t, fl), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Brokers, ",") != DefaultBrokers || r.Profile != "" || r.Timeout != DefaultTimeout {
		t.Errorf("got %+v", r)
	}
}

func TestSecurityProperties(t *testing.T) {
	path := writeConfig(t, twoProfiles, 0o600)
	fl := &Flags{}
	fs := flagSet(t, fl, "--config", path, "--profile", "prod", "-X", "linger.ms=7")
	r, err := Resolve(fl, fs, envOf(map[string]string{"PROD_PW": "s3cr3t-pw"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"security.protocol": "SASL_SSL",
		"sasl.mechanisms":   "SCRAM-SHA-512",
		"sasl.username":     "ops",
		"sasl.password":     "s3cr3t-pw",
		"ssl.ca.location":   "/etc/ca.pem",
		"fetch.max.bytes":   "1000",
		"linger.ms":         "7",
	}
	for k, v := range want {
		if r.Properties[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Properties[k], v)
		}
	}
	if red := r.Redacted()["sasl.password"]; red != "[REDACTED]" {
		t.Errorf("redacted password = %q", red)
	}
	found := false
	for _, s := range r.Secrets {
		found = found || s == "s3cr3t-pw"
	}
	if !found {
		t.Error("the password is not registered as a secret")
	}
	if len(r.Warnings) != 0 {
		t.Errorf("unexpected warnings %v", r.Warnings)
	}
}

// A secret in a file others can read warns, whether it sits under sasl:
// or under properties: (one rule: IsSecretKey).
func TestPasswordInReadableFileWarns(t *testing.T) {
	for _, tc := range []struct{ profile, what string }{
		{"    sasl:\n      mechanism: PLAIN\n      username: u\n      password: inline-secret\n", "sasl.password"},
		{"    properties:\n      sasl.password: inline-secret\n", "properties.sasl.password"},
		{"    properties:\n      ssl.key.password: inline-secret\n", "properties.ssl.key.password"},
		{"    properties:\n      ssl.key.pem: inline-secret\n", "properties.ssl.key.pem"},
		{"    properties:\n      sasl.oauthbearer.config: scope=x principal=inline-secret\n", "properties.sasl.oauthbearer.config"},
		{"    properties:\n      sasl.oauthbearer.client.secret: inline-secret\n", "properties.sasl.oauthbearer.client.secret"},
		{"    properties:\n      fetch.max.bytes: \"1048576\"\n      my.api.token: inline-secret\n", "properties.my.api.token"},
		{"    properties:\n      fetch.max.bytes: \"1048576\"\n", ""},
	} {
		body := "current-profile: p\nprofiles:\n  p:\n    brokers: b:9092\n" + tc.profile
		path := writeConfig(t, body, 0o644)
		fl := &Flags{}
		r, err := Resolve(fl, flagSet(t, fl, "--config", path), envOf(nil))
		if err != nil {
			t.Fatal(err)
		}
		if tc.what == "" {
			if len(r.Warnings) != 0 {
				t.Errorf("no secret: warnings %v", r.Warnings)
			}
			continue
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "chmod 600") || !strings.Contains(r.Warnings[0], "("+tc.what+")") {
			t.Errorf("%s: warnings %v, want one naming it and chmod 600", tc.what, r.Warnings)
		}
		for _, w := range r.Warnings {
			if strings.Contains(w, "inline-secret") {
				t.Error("warning leaks the secret")
			}
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		fl = &Flags{}
		if r, err = Resolve(fl, flagSet(t, fl, "--config", path), envOf(nil)); err != nil || len(r.Warnings) != 0 {
			t.Errorf("%s: 0600 file: warnings %v, err %v", tc.what, r.Warnings, err)
		}
	}
}

func TestErrorsAreUsageErrors(t *testing.T) {
	bad := writeConfig(t, "profiles:\n  p:\n    brokers: [unclosed\n", 0o600)
	unknownKey := writeConfig(t, "profiles:\n  p:\n    brokerz: x\n", 0o600)
	missingEnv := writeConfig(t, "current-profile: p\nprofiles:\n  p:\n    sasl:\n      mechanism: PLAIN\n      password-env: NOPE\n", 0o600)
	for name, args := range map[string][]string{
		"yaml syntax":     {"--config", bad},
		"unknown key":     {"--config", unknownKey},
		"missing file":    {"--config", filepath.Join(t.TempDir(), "nope.yaml")},
		"unknown profile": {"--config", writeConfig(t, twoProfiles, 0o600), "--profile", "staging"},
		"bad -X":          {"--config", writeConfig(t, twoProfiles, 0o600), "-X", "novalue"},
		"empty pw env":    {"--config", missingEnv},
	} {
		fl := &Flags{}
		_, err := Resolve(fl, flagSet(t, fl, args...), envOf(nil))
		if !isConfigError(err) {
			t.Errorf("%s: err %v, want a *config.Error", name, err)
		}
	}
}

func TestSetCurrentProfileKeepsComments(t *testing.T) {
	path := writeConfig(t, "# my clusters\n"+twoProfiles, 0o600)
	if err := SetCurrentProfile(path, "prod"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "# my clusters") || !strings.Contains(string(data), "current-profile: prod") {
		t.Errorf("rewritten file:\n%s", data)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
	}
	if err := SetCurrentProfile(path, "nope"); !isConfigError(err) {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestSetCurrentProfileKeepsTheText: only the value changes; the user's
// indentation, quoting and comments stay byte for byte.
func TestSetCurrentProfileKeepsTheText(t *testing.T) {
	profiles := "profiles:\n  local:\n    brokers: localhost:9092   # dev\n  prod:\n    brokers: k1:9092\n"
	for name, c := range map[string]struct{ in, want string }{
		"plain":         {"current-profile: local\n" + profiles, "current-profile: prod\n" + profiles},
		"comment":       {"# mine\ncurrent-profile: local   # the default\n" + profiles, "# mine\ncurrent-profile: prod   # the default\n" + profiles},
		"double quoted": {"current-profile: \"local\"\n" + profiles, "current-profile: prod\n" + profiles},
		"single quoted": {profiles + "current-profile: 'local' # x\n", profiles + "current-profile: prod # x\n"},
		"empty":         {"current-profile:\n" + profiles, "current-profile: prod\n" + profiles},
		"missing":       {"# my clusters\n\n" + profiles, "# my clusters\n\ncurrent-profile: prod\n" + profiles},
		"four spaces":   {"current-profile: local\nprofiles:\n    local:\n        brokers: a:1\n    prod:\n        brokers: b:1\n", "current-profile: prod\nprofiles:\n    local:\n        brokers: a:1\n    prod:\n        brokers: b:1\n"},
	} {
		path := writeConfig(t, c.in, 0o600)
		if err := SetCurrentProfile(path, "prod"); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, _ := os.ReadFile(path)
		if string(got) != c.want {
			t.Errorf("%s: file is\n%s\nwant\n%s", name, got, c.want)
		}
	}
}

const withFlows = `
flows:
  Signup:
    description: a user from sign-up to activation
    field: .user.id
    errors: [BOUNCED]
    stages:
      - {topic: signups, key: userId, learn: [accountId=.account.id, .user.email]}
      - {topic: emails, name: email, status: .type, optional: true}
`

// Named flows load strictly, keep the case of their values, and are found
// by lower-case name.
func TestFlows(t *testing.T) {
	fl := &Flags{}
	r, err := Resolve(fl, flagSet(t, fl, "--config", writeConfig(t, withFlows, 0o600)), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := r.Flows["signup"]
	if !ok || len(r.FlowNames()) != 1 {
		t.Fatalf("flows %v", r.FlowNames())
	}
	if f.Field != ".user.id" || len(f.Stages) != 2 || f.Errors[0] != "BOUNCED" {
		t.Fatalf("flow %+v", f)
	}
	s := f.Stages[0]
	if s.Topic != "signups" || s.Key != "userId" || strings.Join(s.Learn, " ") != "accountId=.account.id .user.email" {
		t.Errorf("stage %+v", s)
	}
	if e := f.Stages[1]; e.Name != "email" || e.Status != ".type" || !e.Optional {
		t.Errorf("stage %+v", e)
	}
	unknown := writeConfig(t, "flows:\n  f:\n    field: id\n    stages:\n      - {topic: t, keys: id}\n", 0o600)
	fl = &Flags{}
	if _, err := Resolve(fl, flagSet(t, fl, "--config", unknown), envOf(nil)); !isConfigError(err) {
		t.Errorf("unknown stage key: %v, want a usage error", err)
	}
}

func TestSchemaRegistry(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := `profiles:
  basic:
    schema_registry:
      url: https://registry:8081
      username: ops
      password-file: ` + pwFile + `
      ca-file: /etc/ca.pem
  bearer:
    schema_registry:
      url: http://registry:8081
      token-env: SR_TOKEN
  both:
    schema_registry:
      url: http://registry:8081
      username: ops
      password: x
      token: y
  badurl:
    schema_registry:
      url: registry:8081
  none:
    brokers: b:1
`
	path := writeConfig(t, body, 0o600)
	resolve := func(env map[string]string, args ...string) (*Resolved, error) {
		fl := &Flags{}
		fs := pflag.NewFlagSet("kx", pflag.ContinueOnError)
		fs.StringVar(&fl.Profile, "profile", "", "")
		fs.StringVar(&fl.ConfigFile, "config", "", "")
		fs.StringVar(&fl.SchemaRegistry, "schema-registry", "", "")
		if err := fs.Parse(append([]string{"--config", path}, args...)); err != nil {
			t.Fatal(err)
		}
		return Resolve(fl, fs, envOf(env))
	}

	r, err := resolve(nil, "--profile", "basic")
	if err != nil {
		t.Fatal(err)
	}
	g := r.Registry
	if g.URL != "https://registry:8081" || g.Username != "ops" || g.Password != "file-pw" || g.CAFile != "/etc/ca.pem" || g.Source != "profile basic" {
		t.Errorf("registry %+v", g)
	}
	if red := g.Redacted(); strings.Contains(red, "file-pw") || !strings.Contains(red, "user ops") {
		t.Errorf("Redacted() = %q", red)
	}
	if !contains(r.Secrets, "file-pw") {
		t.Error("the registry password is not a secret")
	}

	r, err = resolve(map[string]string{"SR_TOKEN": "tok"}, "--profile", "bearer")
	if err != nil || r.Registry.Token != "tok" || !contains(r.Secrets, "tok") {
		t.Errorf("bearer: %+v, %v", r.Registry, err)
	}
	if _, err = resolve(nil, "--profile", "bearer"); !isConfigError(err) || !strings.Contains(err.Error(), "SR_TOKEN") {
		t.Errorf("unset token env: %v", err)
	}
	if _, err = resolve(nil, "--profile", "both"); !isConfigError(err) {
		t.Errorf("both basic and token: %v", err)
	}
	if _, err = resolve(nil, "--profile", "badurl"); !isConfigError(err) {
		t.Errorf("bad URL: %v", err)
	}

	// Precedence: flag > env > profile; none at all is no registry.
	r, _ = resolve(map[string]string{"KX_SCHEMA_REGISTRY": "http://env:1"}, "--profile", "basic")
	if r.Registry.URL != "http://env:1" || r.Registry.Source != "env KX_SCHEMA_REGISTRY" || r.Registry.Username != "ops" {
		t.Errorf("env: %+v", r.Registry)
	}
	r, _ = resolve(map[string]string{"KX_SCHEMA_REGISTRY": "http://env:1"}, "--schema-registry", "http://u:url-pw@flag:1")
	if r.Registry.URL != "http://u:url-pw@flag:1" || r.Registry.Source != "flag --schema-registry" || !contains(r.Secrets, "url-pw") {
		t.Errorf("flag: %+v", r.Registry)
	}
	if red := r.Registry.Redacted(); red != "http://u:[REDACTED]@flag:1" {
		t.Errorf("Redacted() = %q", red)
	}
	if r, _ = resolve(nil, "--profile", "none"); r.Registry.URL != "" {
		t.Errorf("no registry configured: %+v", r.Registry)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isConfigError reports whether err is the configuration error the command
// layer maps to a usage exit.
func isConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}
