// Package replay implements kx replay: re-drive records from one topic to
// another, filtered and rewritten by jq, deduplicated, paced, with
// provenance headers and an integrity report.
package replay

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/build"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/export"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/replay"
)

// Options of kx replay.
type Options struct {
	IO      *iostreams.IOStreams
	Kafka   func() (*kafka.Client, error)
	KafkaTo func(profile, brokers string) (*kafka.Client, bool, error)
	// Decoder builds the Schema Registry decoder --jq and --dedupe-on
	// look through (nil: none).
	Decoder     func(cmdutil.SchemaFlags) (*cmdutil.RecordDecoder, error)
	Registry    func() (*kafka.Registry, error)
	Schema      cmdutil.SchemaFlags
	Now         func() time.Time
	CommandLine []string

	Source, Dest  string
	From, To      string
	Last          int64
	UntilEnd      bool
	JQ            string
	Group         string
	Rate          string
	DryRun        bool
	KeepPartition bool
	KeepTimestamp bool
	NoProvenance  bool
	DedupeOn      string
	ToProfile     string
	ToBrokers     string
	Report        string
}

// NewCmdReplay builds kx replay.
func NewCmdReplay(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, KafkaTo: f.KafkaTo, Decoder: f.RecordDecoder, Registry: f.Registry, Now: time.Now, CommandLine: os.Args}
	cmd := &cobra.Command{
		Use:   "replay SRC DST",
		Short: "Re-drive records from one topic to another, filtered, deduplicated, paced, with an audit trail",
		Long: `Replay reads records of topic SRC and produces them to topic DST (which must
exist), once, with an integrity report.

What to read, as in kx tail: --from (default beginning), --to, -n/--last;
a replay always stops, at --to or at the end each partition had at start
(-e is the default). --jq EXPR: an expression yielding booleans selects
records; one yielding an object replaces the value with it (jq-rewritten
records); anything else skips the record (counted in the report).
--dedupe-on EXPR (jq, e.g. .orderId) sends each key once per run.
Avro, Protobuf and JSON Schema values (Schema Registry wire format) are
decoded for --jq and --dedupe-on as kx tail decodes them (--value-format,
--key-format, --strict) and sent as they were, byte for byte, with their
schema ids; a --jq rewrite is encoded with the value's own schema (the
same id; exit 2 naming the field when it does not fit).

--group G makes the replay resumable: it reads as consumer group G from its
committed offsets, and commits an offset only once DST acknowledged every
record before it. Rerun the same command after a crash or Ctrl-C: nothing
is lost, and at most the records in flight at the stop are sent twice (the
report says how many were sent and acknowledged).

Records keep their key, value and headers. kx adds provenance headers,
unless --no-provenance:

  kx-replay-source     SRC/partition@offset
  kx-replay-timestamp  the original timestamp (RFC 3339)
  kx-replay-run        the run id (also in the report)

DST's partitioner places records by key (murmur2, like the Java client)
unless --keep-partition: a replay feeds DST's consumers, who expect a key
where DST's producers put it. So a record of SRC written by another
partitioner (librdkafka's and kcat's default hashes keys with crc32) may
land in another partition number than it had in SRC; --keep-partition
keeps the number (DST needs as many partitions). Timestamps are the time
of sending unless --keep-timestamp (a timestamp kx cannot send unchanged,
0 or after 2262-04-11, stops the replay naming the record). The producer is idempotent (acks=all). --rate 500/s paces
sending. --dry-run prints the envelopes it would send (NDJSON on stdout)
and sends and commits nothing. --to-profile P or --to-brokers HOST:PORT
sends to another cluster.

A summary goes to stderr; --report FILE writes the JSON report: run id, the
command line (secrets redacted), records read, selected, sent,
acknowledged, failed, skipped by reason, and per partition the requested
range, the first and last offsets read, sent and acknowledged counts and the
group's committed offset (left out when the final commit failed: a rerun
may then send again what was acknowledged). Exit 5 when fewer were
acknowledged than sent.
Ctrl-C stops reading, waits for the records in flight, reports, and
exits 130 (143 for SIGTERM).`,
		Example: `  # Re-send the failed payments of the last hour to the retry topic, once per order
  kx replay payment.transactions payment.retry --from -1h --jq '.status=="ERROR"' --dedupe-on .orderId --report replay.json

  # Resumable, paced, into staging
  kx replay orders.created orders.created --group replay-to-staging --rate 200/s --to-profile staging

  # What would be sent, with the status rewritten
  kx replay payment.transactions payment.retry --jq 'select(.status=="ERROR") | .status="RETRY"' --dry-run -n 3`,
		Args:              cmdutil.ExactArgs(2, "SRC and DST topics"),
		ValidArgsFunction: cmdutil.CompleteTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source, opts.Dest = args[0], args[1]
			if cmd.Flags().Changed("last") {
				if cmd.Flags().Changed("from") {
					return cmdutil.UsageErrorf("--last and --from exclude each other")
				}
				if opts.Last < 0 {
					return cmdutil.UsageErrorf("--last %d: must be 0 or more", opts.Last)
				}
				opts.From = fmt.Sprintf("-%d", opts.Last)
			}
			if opts.ToProfile != "" && opts.ToBrokers != "" {
				return cmdutil.UsageErrorf("--to-profile and --to-brokers exclude each other")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "where to start: "+position.Help+" (default beginning)")
	fl.Int64VarP(&opts.Last, "last", "n", 0, "start N records before the end of each partition")
	fl.StringVar(&opts.To, "to", "", "stop before this offset or time in each partition: OFFSET|TIMESTAMP|now")
	fl.BoolVarP(&opts.UntilEnd, "until-end", "e", false, "stop at the end of each partition as it was at start (the default)")
	fl.StringVar(&opts.JQ, "jq", "", "jq expression: booleans select records, an object replaces the value")
	fl.StringVarP(&opts.Group, "group", "g", "", "resumable: read as this consumer group, committing what DST acknowledged")
	fl.StringVar(&opts.Rate, "rate", "", "send at most N records per second (N/s, N/m)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the envelopes that would be sent; send and commit nothing")
	fl.BoolVar(&opts.KeepPartition, "keep-partition", false, "send each record to its source partition number")
	fl.BoolVar(&opts.KeepTimestamp, "keep-timestamp", false, "keep each record's original timestamp")
	fl.BoolVar(&opts.NoProvenance, "no-provenance", false, "do not add the kx-replay-* headers")
	fl.StringVar(&opts.DedupeOn, "dedupe-on", "", "jq expression: send each of its values once per run (e.g. .orderId)")
	fl.StringVar(&opts.ToProfile, "to-profile", "", "send to the cluster of this config profile")
	fl.StringVar(&opts.ToBrokers, "to-brokers", "", "send to these brokers (host:port[,…]) with this run's settings")
	fl.StringVar(&opts.Report, "report", "", "write the integrity report to FILE as JSON")
	_ = cmd.MarkFlagFilename("report", "json")
	cmdutil.AddSchemaFlags(cmd, &opts.Schema)
	return cmd
}

// ParseRate reads N/s, N/m or N (per second).
func ParseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--rate %q: want a positive N/s or N/m", s)
	}
	switch strings.TrimSpace(unit) {
	case "", "s", "sec":
		return n, nil
	case "m", "min":
		return n / 60, nil
	}
	return 0, fmt.Errorf("--rate %q: want a positive N/s or N/m", s)
}

// Report is the JSON report of --report.
type Report struct {
	KX          string   `json:"kx_version"`
	CommandLine []string `json:"command_line"`
	StartedAt   string   `json:"started_at"`
	FinishedAt  string   `json:"finished_at"`
	OK          bool     `json:"ok"`
	*replay.Report
}

func run(ctx context.Context, opts *Options) error {
	started := opts.Now()
	ro, err := opts.replayOptions(started)
	if err != nil {
		return err
	}
	src, err := opts.Kafka()
	if err != nil {
		return err
	}
	dst, closeDst, err := opts.KafkaTo(opts.ToProfile, opts.ToBrokers)
	if err != nil {
		return err
	}
	if closeDst {
		defer dst.Close()
	}
	destination := replay.Destination{
		Metadata: dst.Metadata,
		NewProducer: func() (replay.Producer, error) {
			// Only the opaque and the error of a delivery are used.
			return dst.NewProducer(kafka.ProducerOptions{NoReportContents: true})
		},
		FlushTimeout: 3 * dst.Timeout(),
	}
	// Only --jq and --dedupe-on look into values: decode for them alone.
	var dec *cmdutil.RecordDecoder
	if (ro.JQ != nil || ro.DedupeOn != nil) && opts.Decoder != nil {
		if dec, err = opts.Decoder(opts.Schema); err != nil {
			return err
		}
		if dec != nil && ro.JQ != nil && opts.Registry != nil {
			reg, err := opts.Registry()
			if err != nil {
				return err
			}
			if reg != nil {
				ro.Reencode = registry.NewReencoder(reg).Encode
			}
		}
	}
	return replayTopics(ctx, opts, ro, started, src, cmdutil.Readers(src, dec), destination, dec.Report)
}

// replayOptions checks and compiles the flags a replay needs before it
// touches a cluster.
func (opts *Options) replayOptions(started time.Time) (replay.Options, error) {
	ro := replay.Options{Source: opts.Source, Dest: opts.Dest, Group: opts.Group, DryRun: opts.DryRun,
		KeepPartition: opts.KeepPartition, KeepTimestamp: opts.KeepTimestamp, NoProvenance: opts.NoProvenance,
		Now: opts.Now, Warn: func(s string) { fmt.Fprintf(opts.IO.ErrOut, "kx: warning: %s\n", s) }}
	var err error
	if opts.JQ != "" {
		if ro.JQ, err = jqfilter.Compile(opts.JQ); err != nil {
			return ro, exitcode.New(exitcode.Usage, fmt.Errorf("--jq: %w", err))
		}
	}
	if opts.DedupeOn != "" {
		if ro.DedupeOn, err = jqfilter.Compile(opts.DedupeOn, jqfilter.WithoutPrefilter()); err != nil {
			return ro, exitcode.New(exitcode.Usage, fmt.Errorf("--dedupe-on: %w", err))
		}
	}
	if opts.Rate != "" {
		if ro.Rate, err = ParseRate(opts.Rate); err != nil {
			return ro, cmdutil.UsageErrorf("%v", err)
		}
	}
	fromText := opts.From
	if fromText == "" {
		fromText = "beginning"
	}
	if ro.Spec.From, err = position.Parse(fromText, started); err != nil {
		return ro, cmdutil.UsageErrorf("--from: %v", err)
	}
	if opts.To != "" {
		s, err := position.Parse(opts.To, started)
		if err != nil {
			return ro, cmdutil.UsageErrorf("--to: %v", err)
		}
		if s.Kind == position.FromEnd {
			return ro, cmdutil.UsageErrorf("--to %s: want an offset, a time or now", opts.To)
		}
		ro.Spec.To = &s
	}
	ro.Spec.UntilEnd = true
	if opts.Group != "" && ro.Spec.From.Kind != position.Beginning && ro.Spec.From.Kind != position.End {
		return ro, cmdutil.UsageErrorf("--group: --from must be beginning or end (a group resumes from its committed offsets)")
	}
	return ro, nil
}

// replayTopics runs the replay, writes the report and the summary and
// picks the outcome. decoded reports what the decoder could not decode.
func replayTopics(ctx context.Context, opts *Options, ro replay.Options, started time.Time, src replay.Source, open consume.Opener, destination replay.Destination, decoded func()) error {
	var out *bufio.Writer
	if opts.DryRun {
		out = bufio.NewWriterSize(opts.IO.Out, 1<<16)
		ro.DryRunOut = out
	}
	rep, runErr := replay.Run(ctx, src, open, destination, ro)
	decoded()
	// Ctrl-C (or SIGTERM) ended a call to the cluster: an interruption
	// (130/143 below), not an I/O failure.
	interrupted := runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err())
	if out != nil {
		if err := out.Flush(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if rep == nil {
		if interrupted {
			return cmdutil.Interrupted(ctx, "replay", "before it read a record; nothing was sent")
		}
		var ue *replay.UsageError
		if errors.As(runErr, &ue) {
			return exitcode.New(exitcode.Usage, runErr)
		}
		return fmt.Errorf("replay %s → %s: %w", opts.Source, opts.Dest, runErr)
	}
	full := &Report{KX: build.Current().Version, CommandLine: cmdutil.RedactArgs(opts.IO, opts.CommandLine),
		StartedAt: record.FormatTimestamp(started), FinishedAt: record.FormatTimestamp(opts.Now()), OK: rep.OK() && runErr == nil, Report: rep}
	if opts.Report != "" {
		data, err := json.MarshalIndent(full, "", "  ")
		if err != nil {
			return err
		}
		if err := export.WriteFileAtomic(opts.Report, append(data, '\n')); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	printSummary(opts, rep)
	if runErr != nil && !interrupted {
		err := fmt.Errorf("replay %s → %s: %w", opts.Source, opts.Dest, runErr)
		if errors.As(runErr, new(*replay.UsageError)) {
			return exitcode.New(exitcode.Usage, err)
		}
		return err
	}
	if !rep.OK() {
		return exitcode.Silent(exitcode.Integrity)
	}
	// A replay is a bounded read: cut short, it must not read as done.
	return cmdutil.Interrupted(ctx, "replay", "after "+output.Count(rep.Read, "record")+" read; every record sent was waited for, the rest was not read")
}

// printSummary writes the run's counts, and what went wrong, on stderr.
func printSummary(opts *Options, rep *replay.Report) {
	w := opts.IO.ErrOut
	verb := "replayed"
	if rep.DryRun {
		verb = "dry run: would replay"
	}
	n := rep.Sent
	if rep.DryRun {
		n = rep.Selected - rep.Skipped[replay.SkipDuplicate]
	}
	fmt.Fprintf(w, "kx: %s %s from %s to %s (read %d, selected %d, sent %d, acknowledged %d", verb, output.Count(n, "record"), rep.Source, rep.Destination, rep.Read, rep.Selected, rep.Sent, rep.Acknowledged)
	if len(rep.Skipped) > 0 {
		var parts []string
		for _, reason := range []string{replay.SkipNotSelected, replay.SkipDuplicate, replay.SkipNotObject, replay.SkipJQError} {
			if c := rep.Skipped[reason]; c > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c, reason))
			}
		}
		fmt.Fprintf(w, "; skipped %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "), run %s\n", rep.RunID)
	if rep.Interrupted {
		if rep.Group != "" {
			fmt.Fprintf(w, "kx: rerun the same command to resume group %s from its committed offsets\n", rep.Group)
		}
	}
	if rep.FirstError != "" {
		fmt.Fprintf(w, "kx: integrity: %d sent, %d acknowledged, %d failed (first: %s)\n", rep.Sent, rep.Acknowledged, rep.Failed, rep.FirstError)
	}
}
