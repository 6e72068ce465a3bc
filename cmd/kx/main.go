// Command kx watches, debugs and audits Apache Kafka. main only wires the
// process: signals, the command tree, and the exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kx-cli/kx/pkg/cmd/root"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
)

func main() {
	os.Exit(run())
}

func run() int {
	// A closed pipe (kx … | head) makes writes fail with EPIPE, which ends
	// the command quietly, instead of killing the process.
	signal.Ignore(syscall.SIGPIPE)

	ctx, cancel := interruptContext()
	defer cancel()

	ios := iostreams.System()
	err := root.Execute(ctx, cmdutil.New(ios))
	switch {
	case err == nil, errors.Is(err, syscall.EPIPE):
		return exitcode.OK
	case exitcode.IsSilent(err):
	default:
		fmt.Fprintf(ios.ErrOut, "kx: %s\n", ios.Redact(err.Error()))
	}
	return cmdutil.ExitCode(err)
}

// interruptContext is cancelled by the first Ctrl-C or SIGTERM, so commands
// stop cleanly; a second one exits at once with 130.
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cancel()
		<-sig
		os.Exit(exitcode.Interrupted)
	}()
	return ctx, cancel
}
