// Package play implements `kx play`: it plays a YAML scenario (see
// scenarios/README.md) against a cluster, paced in real time, prints each
// acknowledged record, and verifies at the end that nothing was lost.
package play

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	playpkg "github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/scenario"
)

// Output modes of kx play and kx demo.
const (
	OutputRecords = "ndjson" // one envelope line per acknowledged record
	OutputReport  = "json"   // the final report as one JSON document, no records
	OutputNone    = "none"   // nothing on stdout
)

// Options of kx play (and of kx demo, which plays through Run).
type Options struct {
	IO    *iostreams.IOStreams
	Kafka func() (*kafka.Client, error)

	// File is the scenario path; Scenario, when set, is used instead.
	File     string
	Scenario *scenario.Scenario

	Speed     float64
	RateScale float64
	Seed      int64
	SeedSet   bool
	Start     time.Time // scenario time 0; zero means now
	DryRun    bool
	// Until names the phase after which the run stops (--until): no flow
	// starts and no held flow resumes after its end; empty plays it all.
	Until  string
	Output string // OutputRecords, OutputReport or OutputNone
	Quiet  bool

	// NewView builds the progress view; nil picks the terminal status
	// block or plain lines from the stderr type. kx demo plugs in its own.
	NewView func(s *scenario.Scenario) playpkg.View
	// Name prefixes messages ("kx play", "kx demo").
	Name string
}

// NewCmdPlay builds `kx play`.
func NewCmdPlay(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Name: "kx play"}
	var outputFlag, startFlag string
	cmd := &cobra.Command{
		Use:   "play FILE.yaml",
		Short: "Produce the business events a YAML scenario describes, paced in real time",
		Long: `Play a scenario: a YAML file describing topics, event templates, causal flows
(order created → inventory reserved → payment → notification → shipment →
completed) and a timeline of phases with their rates and incidents. The
format is documented in scenarios/README.md; shipped scenarios:
ecommerce-demo.yaml (five minutes, Black Friday peak at 50 orders/s,
incidents, resolution), black-friday.yaml, incidents.yaml, smoke.yaml.

A malformed scenario fails with file:line:col and exit 2 before anything
is produced. Missing topics are created as declared; existing ones are
kept (a partition-count mismatch is a warning). Each event is sent at its
scheduled time: --speed 10 plays the timeline ten times faster and ten
times denser. Records are keyed as the scenario says and partitioned with
the Java client's murmur2, by an idempotent producer (acks=all, lz4).

stdout (-o):
  ndjson  one line per acknowledged record in the envelope kx tail prints
          (topic, partition, offset, timestamp, key, value); the default
          when stdout is piped
  json    no records; the final report as one JSON document (per topic and
          per phase: events, acked, incidents, statuses, peak_per_sec, and
          the verification)
  none    nothing; the default on a terminal, where the live status is
          the view

stderr: the run id, seed and phases as they start, incidents as they are
first injected, and the progress (a live status block on a terminal,
a line every 5 s otherwise); at the end, statistics per topic and per
phase. --quiet keeps only warnings and errors.

At the end the run verifies itself: every sent record must be
acknowledged and, per partition, the high watermark must have grown by
exactly the acknowledged count. Any shortfall exits 5 with the counts per
topic; a topic that grew more (another writer) is reported, not failed.

--until PHASE rehearses up to a phase: the run stops at the end of PHASE.
No flow starts after it and no held flow is resumed; the flows in progress
finish their steps, as they would have (with the params in force as they
go), and the flows a hold phase parked stay pending (the report's "pending").
kx play scenarios/ecommerce-demo.yaml --until incidents leaves exactly the
held orders open: what kx export --reconcile should then report missing.

--dry-run needs no broker: it prints the events in the same envelope with
the partition murmur2 gives for the declared partition count (-1 when the
record has no key) and offset -1, without pacing.

Ctrl-C stops starting new flows; flows already started send their
remaining events at once (no half-written chains), everything in flight
is flushed, the statistics are printed and kx exits 0. A second Ctrl-C
exits 130 at once.

Every event carries eventId and scenarioRunId; the run id is printed on
stderr so a run can be found again (kx tail … --filter '.scenarioRunId == "…"').
The same --seed gives the same event contents (timestamps follow the start).`,
		Example: `  kx play scenarios/smoke.yaml
  kx play scenarios/ecommerce-demo.yaml --speed 10 --seed 7 > run.ndjson
  kx play scenarios/black-friday.yaml --rate-scale 2 -o json | jq '.topics[] | {topic, peak_per_sec}'
  kx play scenarios/incidents.yaml --dry-run | jq -c 'select(.value.status == "ERROR") | .value'
  kx play scenarios/ecommerce-demo.yaml --until incidents --speed 10   # rehearse up to the incident
  kx play my-flows.yaml --dry-run -o json     # validate a scenario and see what it would produce`,
		Args: cmdutil.ExactArgs(1, "a scenario file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			if err := opts.Validate(outputFlag, startFlag); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	AddFlags(cmd, opts, &outputFlag, &startFlag)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the events without a broker (partition from murmur2, offset -1), unpaced")
	return cmd
}

// AddFlags adds the flags kx play and kx demo share.
func AddFlags(cmd *cobra.Command, opts *Options, outputFlag, startFlag *string) {
	fl := cmd.Flags()
	fl.Float64Var(&opts.Speed, "speed", 1, "play the timeline this many times faster (10: five minutes in 30 s, ten times the rate)")
	fl.Float64Var(&opts.RateScale, "rate-scale", 1, "multiply the phases' flow rates (not fixed counts)")
	fl.Int64Var(&opts.Seed, "seed", 0, "seed of every random choice (default: the scenario's seed, else random)")
	fl.StringVar(startFlag, "start", "", "timestamp of scenario time 0 (RFC 3339; default now); a past start sends the past at once")
	fl.StringVar(&opts.Until, "until", "", "stop after this phase: no flow starts or resumes after its end; flows in progress finish, held ones stay pending")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress and no statistics on stderr, only warnings and errors")
	fl.StringVarP(outputFlag, "output", "o", "auto", "stdout: auto|ndjson|json|none (auto: ndjson when piped, none on a terminal)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"auto", OutputRecords, OutputReport, OutputNone}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the flags and resolves -o and --start.
func (opts *Options) Validate(outputFlag, startFlag string) error {
	if !(opts.Speed > 0) {
		return cmdutil.UsageErrorf("--speed must be positive, got %v", opts.Speed)
	}
	if !(opts.RateScale > 0) {
		return cmdutil.UsageErrorf("--rate-scale must be positive, got %v", opts.RateScale)
	}
	switch strings.ToLower(outputFlag) {
	case "", string(output.Auto):
		opts.Output = OutputRecords
		if opts.IO.IsStdoutTTY() {
			opts.Output = OutputNone
		}
	case OutputRecords, OutputReport, OutputNone:
		opts.Output = strings.ToLower(outputFlag)
	default:
		return cmdutil.UsageErrorf("--output %q: must be one of auto|ndjson|json|none", outputFlag)
	}
	if startFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, startFlag)
		if err != nil {
			return cmdutil.UsageErrorf("--start %q: want an RFC 3339 time such as 2025-11-28T09:00:00Z", startFlag)
		}
		opts.Start = t
	}
	return nil
}

// newRunID returns a random UUID v4: every run is distinguishable in the data.
func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomSeed is used when neither --seed nor the scenario sets one; it is
// printed so the run can be replayed.
func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var n int64
	for _, c := range b[:7] {
		n = n<<8 | int64(c)
	}
	return n
}

// Run plays opts' scenario.
func Run(ctx context.Context, opts *Options) error {
	if opts.Name == "" {
		opts.Name = "kx play"
	}
	s := opts.Scenario
	if s == nil {
		var err error
		if s, err = scenario.Load(opts.File); err != nil {
			if cmdutil.ExitCode(err) == 1 {
				// An unreadable file is bad input, like a malformed one.
				return exitcode.Newf(exitcode.Usage, "%s: scenario: %w", strings.TrimPrefix(opts.Name, "kx "), err)
			}
			return err
		}
	}
	var until time.Duration
	if opts.Until != "" {
		ph, ok := s.Phase(opts.Until)
		if !ok {
			return cmdutil.UsageErrorf("--until %q: scenario %s has no such phase (phases: %s)", opts.Until, s.Name, strings.Join(s.PhaseNames(), ", "))
		}
		until = ph.End()
	}
	seed := opts.Seed
	if !opts.SeedSet {
		if s.HasSeed {
			seed = s.Seed
		} else {
			seed = randomSeed()
		}
	}
	p := &player{opts: opts, s: s, seed: seed, runID: newRunID(), until: until}
	if !opts.Quiet {
		mode := ""
		if opts.Until != "" {
			mode = fmt.Sprintf(", until phase %s (%s)", opts.Until, playpkg.FormatClock(until))
		}
		if opts.DryRun {
			mode += ", dry run"
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s: scenario %s (%s, %s of timeline), run %s, seed %d, speed %s%s\n",
			opts.Name, s.Name, s.File, playpkg.FormatClock(s.Duration()), p.runID, seed, formatFloat(opts.Speed), mode)
	}
	if opts.DryRun {
		return p.dryRun(ctx)
	}
	return p.live(ctx)
}

func formatFloat(f float64) string { return fmt.Sprintf("%g", f) }

// integrityError is the exit-5 error of a failed verification.
func integrityError(name string, checks []playpkg.TopicCheck, cause error) error {
	msg := playpkg.Shortfall(checks)
	if cause != nil {
		msg = cause.Error() + "; " + msg
	}
	return exitcode.Newf(exitcode.Integrity, "%s: verification failed: %s", strings.TrimPrefix(name, "kx "), msg)
}
