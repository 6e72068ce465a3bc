package config

import (
	"errors"
	"strings"
	"testing"
)

// A config file kx cannot use is one line: file:line:col, the key, the
// value as written (never a secret's) and what the key takes.
func TestFileErrorsAreOneLineWithPosition(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"profiles:\n  a:\n    brokers: b:1\n    timeout: 5 parsecs\n", `:4:14: profiles.a.timeout: "5 parsecs": want a duration (e.g. 15s, 1m30s)`},
		{"profiles:\n  a:\n    brokers: b:1\n    timeout: 5\n", `:4:14: profiles.a.timeout: "5": want a duration with a unit`},
		{"profiles:\n  a:\n    brokers: 5\n", `:3:14: profiles.a.brokers: "5": want host:port[,host:port…]`},
		{"profiles:\n  a:\n    brokers: k1:9092,k2:x\n", `:3:14: profiles.a.brokers: "k1:9092,k2:x": want host:port`},
		{"profiles:\n  a:\n    brokers: b:1\n    tls:\n      enabled: yes please\n", `:5:16: profiles.a.tls.enabled: "yes please": want true or false`},
		{"profiles:\n  a:\n    brokers: b:1\n    sasl: 5\n", `:4:11: profiles.a.sasl: "5": want a mapping`},
		{"profiles:\n  a:\n    brokers: [b, c]\n", `:3:14: profiles.a.brokers: a list: want a string`},
		{"profiles:\n  Prod:\n    brokers: b:1\n    colour: red\n", `:4:5: profiles.prod: unknown key "colour"`},
		{"profiles:\n  a:\n    brokers: b:1\n    sasl:\n      password: [hunter2x]\n", `:5:17: profiles.a.sasl.password: want a string (the value is not shown: a secret)`},
		{"profiles:\n  a:\n    brokers: b:1\n   timeout: 4s\n", `:4:4: YAML syntax error: `},
		{"profiles:\n  a:\n    timeout: x\n    tls: {enabled: maybe}\n", `:3:14: profiles.a.timeout: "x": want a duration (e.g. 15s, 1m30s) (and 1 more)`},
	} {
		path := writeConfig(t, tc.body, 0o600)
		_, err := Load(path, true)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("%q: %v, want a *config.Error", tc.body, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, path+tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2x") {
			t.Errorf("got  %s\nwant %s%s…", msg, path, tc.want)
		}
	}
}
