// Command kx watches, debugs and audits Apache Kafka. main only wires the
// process: signals, the command tree, and the exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	"github.com/kx-cli/kx/pkg/cmd/root"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
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

	ios := iostreams.System(kafka.StdoutClosedAtStart())
	stopProfile := startProfile(ios)
	err := root.Execute(ctx, cmdutil.New(ios))
	stopProfile()
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Ctrl-C or SIGTERM ended a call still waiting (for the cluster,
		// mostly): the signal's exit code and name, not "context canceled".
		err = cmdutil.Interrupted(ctx, "kx", "before the command finished")
	}
	switch {
	case err == nil, errors.Is(err, syscall.EPIPE):
		return exitcode.OK
	case exitcode.IsSilent(err):
	default:
		fmt.Fprintf(ios.ErrOut, "kx: %s\n", ios.Redact(err.Error()))
	}
	return cmdutil.ExitCode(err)
}

// interruptContext is cancelled by the first Ctrl-C or SIGTERM, with the
// signal as its cause (cmdutil.Interrupted), so commands stop cleanly; a
// second one exits at once with 128 + its number (130, 143).
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := (<-sig).(syscall.Signal)
		cancel(&cmdutil.SignalCause{Signal: s})
		second := &cmdutil.SignalCause{Signal: (<-sig).(syscall.Signal)}
		os.Exit(second.ExitCode())
	}()
	return ctx, func() { cancel(nil) }
}

// startProfile writes a CPU profile to $KX_CPUPROFILE, a heap profile
// (allocations since start) to $KX_MEMPROFILE and an execution trace to
// $KX_TRACE when they are set: the instruments of bench/run.sh's figures
// (go tool pprof kx FILE; go tool trace FILE, whose -pprof=sync and
// -pprof=sched show where goroutines wait).
func startProfile(ios *iostreams.IOStreams) func() {
	cpuFile := startRecording(ios, "KX_CPUPROFILE", pprof.StartCPUProfile)
	traceFile := startRecording(ios, "KX_TRACE", trace.Start)
	mem := os.Getenv("KX_MEMPROFILE")
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if traceFile != nil {
			trace.Stop()
			traceFile.Close()
		}
		if mem != "" {
			runtime.GC()
			f, err := os.Create(mem)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(ios.ErrOut, "kx: KX_MEMPROFILE: %v\n", err)
			}
		}
	}
}

// startRecording creates the file $env names and starts a recording
// into it; nil when env is unset or it failed (said on stderr).
func startRecording(ios *iostreams.IOStreams, env string, start func(io.Writer) error) *os.File {
	name := os.Getenv(env)
	if name == "" {
		return nil
	}
	f, err := os.Create(name)
	if err == nil {
		if err = start(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "kx: %s: %v\n", env, err)
		return nil
	}
	return f
}
