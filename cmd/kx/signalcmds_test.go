package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["interrupt"] = interruptCmd
	scriptCmds["silent-broker"] = silentBroker
	scriptCmds["wait-accept"] = waitAccept
}

// silentAccepts: per silent broker address, its accepted connections.
var silentAccepts sync.Map

// silentBroker: silent-broker VAR: listen on a free port that accepts
// connections and never answers (a broker that hangs), address in VAR.
func silentBroker(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: silent-broker VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	accepted := make(chan struct{}, 16)
	silentAccepts.Store(l.Addr().String(), accepted)
	var mu sync.Mutex
	var conns []net.Conn
	ts.Defer(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	ts.Setenv(args[0], l.Addr().String())
}

// waitAccept: wait-accept ADDR: wait until the silent broker at ADDR
// accepted a connection (30 s at most).
func waitAccept(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: wait-accept ADDR")
	}
	ch, ok := silentAccepts.Load(args[0])
	if !ok {
		ts.Fatalf("wait-accept: no silent broker at %s", args[0])
	}
	select {
	case <-ch.(chan struct{}):
	case <-time.After(30 * time.Second):
		ts.Fatalf("wait-accept: no connection to the silent broker")
	}
}

// interrupt SIGNAL LINES CODE PROG ARGS...: run PROG, send it SIGNAL (INT
// or TERM) once its stdout holds LINES whole lines, and check it exits
// with CODE. Its stdout and stderr are left in interrupt.stdout and
// interrupt.stderr (grep them).
func interruptCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 4 {
		ts.Fatalf("usage: interrupt INT|TERM LINES CODE PROG ARGS...")
	}
	sig := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[args[0]]
	if sig == 0 {
		ts.Fatalf("interrupt: signal %q: want INT or TERM", args[0])
	}
	lines, err := strconv.Atoi(args[1])
	ts.Check(err)
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	cmd := exec.Command(lookPath(ts, args[3]), args[4:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts)
	out := &lockedBuffer{}
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &errOut
	ts.Check(cmd.Start())
	deadline := time.Now().Add(20 * time.Second)
	for out.lines() < lines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if out.lines() < lines {
		cmd.Process.Kill()
		cmd.Wait()
		ts.Fatalf("interrupt: %d lines on stdout after 20s, want %d; stderr:\n%s", out.lines(), lines, errOut.String())
	}
	ts.Check(cmd.Process.Signal(sig))
	err = cmd.Wait()
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stdout"), out.bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stderr"), errOut.Bytes(), 0o644))
	if got != want {
		ts.Fatalf("interrupt: %s exited %d, want %d; stderr:\n%s", args[3], got, want, errOut.String())
	}
}

// lockedBuffer is a stdout read while the process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Count(b.buf.Bytes(), []byte("\n"))
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
