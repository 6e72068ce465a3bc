// Package play implements `kx play`: it plays a YAML scenario (see
// scenarios/README.md) against a cluster, paced in real time, prints each
// acknowledged record, and verifies at the end that nothing was lost.
package play

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/play"
)

// Options of kx play.
type Options struct {
	play.Options
	// File is the scenario path.
	File string
}

// NewCmdPlay builds `kx play`.
func NewCmdPlay(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Options: play.Options{IO: f.IOStreams, Kafka: cmdutil.PlayCluster(f.Kafka), Registry: cmdutil.PlayRegistry(f.Registry), Name: "kx play"}}
	var outputFlag, startFlag, printName string
	var list bool
	cmd := &cobra.Command{
		Use:   "play FILE.yaml|NAME",
		Short: "Produce the business events a YAML scenario describes, paced in real time",
		Long: `Play a scenario: a YAML file describing topics, event templates, causal flows
(order created → inventory reserved → payment → notification → shipment →
completed) and a timeline of phases with their rates and incidents. The
format is documented in scenarios/README.md of the repository.

Scenarios ship inside kx: ecommerce-demo (five minutes, Black Friday peak
at 50 orders/s, incidents, resolution), black-friday, incidents, smoke.
An argument that names an existing file plays that file (a file always
wins); otherwise a name without a directory plays the shipped scenario of
that name, from any directory. --list lists them (name, timeline length,
topics, description); --print NAME writes one out as a starting point:
kx play --print smoke > my-flows.yaml.

A malformed scenario fails with file:line:col and exit 2 before anything
is produced. Missing topics are created as declared; existing ones are
kept (a partition-count mismatch is a warning). Each event is sent at its
scheduled time: --speed 10 plays the timeline ten times faster and ten
times denser. Records are keyed as the scenario says and partitioned with
the Java client's murmur2, by an idempotent producer (acks=all; no
compression unless --compression or the profile's compression asks).

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
kx play ecommerce-demo --until incidents leaves exactly the
held orders open: what kx export --reconcile should then report missing.

--dry-run needs no broker: it prints the events in the same envelope with
the partition murmur2 gives for the declared partition count (-1 when the
record has no key) and offset -1, without pacing.

Ctrl-C stops starting new flows; flows already started send their
remaining events at once (no half-written chains), everything in flight
is flushed, the statistics are printed and kx exits 0. A second Ctrl-C
exits 130 at once.

Every event carries eventId and scenarioRunId; the run id is printed on
stderr so a run can be found again (kx tail … --jq '.scenarioRunId == "…"').
The same --seed gives the same event contents (timestamps follow the start).`,
		Example: `  kx play smoke
  kx play ecommerce-demo --speed 10 --seed 7 > run.ndjson
  kx play black-friday --rate-scale 2 -o json | jq '.topics[] | {topic, peak_per_sec}'
  kx play incidents --dry-run | jq -c 'select(.value.status == "ERROR") | .value'
  kx play ecommerce-demo --until incidents --speed 10   # rehearse up to the incident
  kx play --list                              # the shipped scenarios
  kx play --print smoke > my-flows.yaml       # a starting point for your own
  kx play my-flows.yaml --dry-run -o json     # validate a scenario and see what it would produce`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list || printName != "" {
				return cmdutil.NoArgs(cmd, args)
			}
			return cmdutil.ExactArgs(1, "a scenario file or shipped scenario name")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				format, err := f.ResolveOutput(outputFlag, output.Table, output.NDJSON)
				if err != nil {
					return err
				}
				return listShipped(opts.IO, format)
			}
			if printName != "" {
				return printShipped(opts.IO, printName)
			}
			opts.File = args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			if err := cmdutil.ValidatePlayFlags(&opts.Options, opts.IO, outputFlag, startFlag); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddPlayFlags(cmd, &opts.Options, &outputFlag, &startFlag)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the events without a broker (partition from murmur2, offset -1), unpaced")
	cmd.Flags().BoolVar(&list, "list", false, "list the shipped scenarios: name, timeline length, topics, description")
	cmd.Flags().StringVar(&printName, "print", "", "write the shipped scenario `NAME` to stdout, as a starting point for your own")
	cmd.MarkFlagsMutuallyExclusive("list", "print")
	return cmd
}

// Run loads the scenario file and plays it.
func Run(ctx context.Context, opts *Options) error {
	s, err := cmdutil.LoadScenario(opts.File)
	if err != nil {
		return err
	}
	if err := cmdutil.CheckRateScale(s, opts.RateScale); err != nil {
		return err
	}
	opts.Scenario = s
	return play.Run(ctx, &opts.Options)
}
