package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kx-cli/kx/pkg/broker"
)

// TestMain lets testscript run this test binary as the real `kx` command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kx": func() { os.Exit(run()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. Each script
// gets its own embedded broker on a free port (KX_BROKERS) and its own
// empty HOME and XDG_CONFIG_HOME.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("KX_UPDATE_SCRIPTS") != "",
		Setup:               setupScript,
		Cmds:                scriptCmds,
		Condition: func(cond string) (bool, error) {
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

const brokerKey = "broker"

func setupScript(env *testscript.Env) error {
	b, err := broker.Start(broker.Options{})
	if err != nil {
		return err
	}
	env.Defer(b.Close)
	env.Values[brokerKey] = b
	env.Setenv("KX_BROKERS", b.Addrs()[0])
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
	env.Setenv("NO_COLOR", "")
	return nil
}

// scriptBroker returns the script's embedded broker.
func scriptBroker(ts *testscript.TestScript) *broker.Broker {
	return ts.Value(brokerKey).(*broker.Broker)
}

// scriptCmds are the test-only commands scripts may use besides exec.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// freeport VAR: set VAR to a free TCP port on 127.0.0.1.
	"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: freeport VAR")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		port := l.Addr().(*net.TCPAddr).Port
		ts.Check(l.Close())
		ts.Setenv(args[0], strconv.Itoa(port))
	},
	// waitport PORT [TIMEOUT]: wait until 127.0.0.1:PORT accepts connections.
	"waitport": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 1 {
			ts.Fatalf("usage: waitport PORT [TIMEOUT]")
		}
		timeout := 10 * time.Second
		if len(args) > 1 {
			d, err := time.ParseDuration(args[1])
			ts.Check(err)
			timeout = d
		}
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			c, err := net.Dial("tcp", "127.0.0.1:"+args[0])
			if err == nil {
				c.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		ts.Fatalf("port %s not open after %s", args[0], timeout)
	},
	// exits CODE [-within DURATION] PROG ARGS...: run PROG like exec and
	// check its exact exit code (and that it ended within DURATION).
	"exits": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: exits CODE [-within DURATION] PROG ARGS...")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		args = args[1:]
		var within time.Duration
		if args[0] == "-within" && len(args) > 2 {
			within, err = time.ParseDuration(args[1])
			ts.Check(err)
			args = args[2:]
		}
		start := time.Now()
		err = ts.Exec(args[0], args[1:]...)
		elapsed := time.Since(start)
		got := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("%s: %v", args[0], err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("%s exited %d, want %d", args[0], got, want)
		}
		if within > 0 && elapsed > within {
			ts.Fatalf("%s took %s, want at most %s", args[0], elapsed.Round(time.Millisecond), within)
		}
	},
	// sasl-broker VAR MECHANISM USER PASSWORD: start a second embedded
	// broker that requires SASL and set VAR to its address.
	"sasl-broker": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 4 {
			ts.Fatalf("usage: sasl-broker VAR MECHANISM USER PASSWORD")
		}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(args[1], args[2], args[3]))
		ts.Check(err)
		ts.Defer(c.Close)
		ts.Setenv(args[0], c.ListenAddrs()[0])
	},
	// chmod MODE FILE: set a file's permissions (octal).
	"chmod": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: chmod MODE FILE")
		}
		mode, err := strconv.ParseUint(args[0], 8, 32)
		ts.Check(err)
		ts.Check(os.Chmod(ts.MkAbs(args[1]), os.FileMode(mode)))
	},
	// delete-records TOPIC PARTITION OFFSET: move the low watermark, as
	// retention would.
	"delete-records": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: delete-records TOPIC PARTITION OFFSET")
		}
		p, err := strconv.Atoi(args[1])
		ts.Check(err)
		off, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		ts.Check(scriptBroker(ts).Cluster().DeleteRecords(args[0], int32(p), off))
	},
}
