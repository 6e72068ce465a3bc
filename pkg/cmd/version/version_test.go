package version

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/build"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
)

func kxVersion(t *testing.T, tty bool, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetTTY(tty, false)
	cmd := NewCmdVersion(cmdutil.New(ios), nil)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), err
}

func TestVersion(t *testing.T) {
	old := build.Commit
	build.Commit = ""
	defer func() { build.Commit = old }()
	// A terminal gets the table; unknown parts are said to be unknown.
	out, err := kxVersion(t, true)
	re := regexp.MustCompile(`^kx \S+\ncommit: unknown\nbuilt: (unknown|\S+)\ngo: go\S+\nlibrdkafka: \d+\.\d+\.\d+\S*\n$`)
	if err != nil || !re.MatchString(out) {
		t.Errorf("table: %v\n%s", err, out)
	}
	// A pipe gets NDJSON, as -o ndjson gives.
	for _, tty := range []bool{false, true} {
		args := []string{}
		if tty {
			args = []string{"-o", "ndjson"}
		}
		out, err := kxVersion(t, tty, args...)
		var v map[string]string
		if err != nil || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || !strings.HasPrefix(v["go"], "go") || v["librdkafka"] == "" || v["commit"] != "" {
			t.Errorf("ndjson (tty %v): %v %q", tty, err, out)
		}
	}
	for _, bad := range [][]string{{"-o", "csv"}, {"extra"}} {
		if _, err := kxVersion(t, true, bad...); cmdutil.ExitCode(err) != exitcode.Usage {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}
