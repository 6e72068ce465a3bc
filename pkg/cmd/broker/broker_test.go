package broker

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdBroker(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t)
	if err != nil || o.Port != 9092 || o.Nodes != 1 || o.DefaultPartitions != 1 || o.RegistryPort != 0 || o.NoAutoCreate {
		t.Errorf("defaults %+v, %v", o, err)
	}
	o, err = parse(t, "--port", "0", "--nodes", "3", "--data-dir", "d", "--schema-registry-port", "8081", "--debug", "--default-partitions", "4", "--no-auto-create")
	if err != nil || o.Port != 0 || o.Nodes != 3 || o.DataDir != "d" || o.RegistryPort != 8081 || !o.Debug || o.DefaultPartitions != 4 || !o.NoAutoCreate {
		t.Errorf("%+v, %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "0"}, "--nodes must be at least 1"},
		{[]string{"--default-partitions", "0"}, "--default-partitions must be at least 1"},
		{[]string{"--port", "-1"}, "--port -1: out of range"},
		{[]string{"--port", "65536"}, "--port 65536: out of range"},
		{[]string{"--schema-registry-port", "70000"}, "--schema-registry-port 70000: out of range"},
		{[]string{"extra"}, ""},
	} {
		if _, err := parse(t, c.args...); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error %q", c.args, err, c.want)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// run serves until its context ends; a context already ended shows the
// start and stop lines at once.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ios, _, out, errOut := iostreams.Test()
	if err := run(ctx, &Options{IO: ios, Nodes: 2, DefaultPartitions: 3}); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^kx broker: listening on 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ \(2 nodes, in memory, topics auto-created with 3 partitions\); Ctrl-C to stop\nkx broker: stopping\n$`)
	if !re.MatchString(errOut.String()) || out.Len() != 0 {
		t.Errorf("stderr %q, stdout %q", errOut, out)
	}

	errOut.Reset()
	dir, regPort := t.TempDir(), freePort(t)
	if err := run(ctx, &Options{IO: ios, Nodes: 1, DefaultPartitions: 1, DataDir: dir, NoAutoCreate: true, RegistryPort: regPort}); err != nil {
		t.Fatal(err)
	}
	if want := "(1 node, data in " + dir + ", no topic auto-creation); schema registry on http://127.0.0.1:"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q", errOut, want)
	}

	// A port in use: the error says so, nothing is left running.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if err := run(ctx, &Options{IO: ios, Port: port, Nodes: 1, DefaultPartitions: 1}); err == nil || !strings.HasPrefix(err.Error(), "embedded broker: ") {
		t.Errorf("broker port in use: %v", err)
	}
	if err := run(ctx, &Options{IO: ios, Nodes: 1, DefaultPartitions: 1, RegistryPort: port}); err == nil || !strings.HasPrefix(err.Error(), "embedded schema registry: ") {
		t.Errorf("registry port in use: %v", err)
	}
}
