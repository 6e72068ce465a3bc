// Package stats implements `kx stats`: a snapshot of topics, rates and
// consumer-group lag, a live dashboard (--watch), counts by a jq
// expression (--by), end-to-end latency (--latency) and alert rules
// (--alerts) with webhook notifications.
package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	st "github.com/kx-cli/kx/pkg/stats"
)

// Options of kx stats.
type Options struct {
	st.Query
	IO     *iostreams.IOStreams
	Kafka  func() (*kafka.Client, error)
	Output output.Format
	Watch  bool
	// Decoder decodes Schema Registry formats in the records read (nil:
	// none); NewCmdStats builds it from the flags and the registry.
	Decoder *cmdutil.RecordDecoder
	Schema  cmdutil.SchemaFlags

	flags flagValues
}

// NewCmdStats builds `kx stats`.
func NewCmdStats(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Query: st.Query{Title: "kx stats"}}
	cmd := &cobra.Command{
		Use:     "stats [TOPIC|REGEX…]",
		Short:   "Topic and cluster statistics, a live dashboard, lag, counts by field, latency and alerts",
		Long:    statsLong,
		Example: statsExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Patterns = args
			var err error
			if opts.Output, err = f.ResolveOutput(opts.flags.output, output.Table, output.NDJSON); err != nil {
				return err
			}
			if opts.flags.listRules {
				return listShippedRules(opts.IO, opts.Output)
			}
			if opts.flags.printRules != "" {
				return printShippedRules(opts.IO, opts.flags.printRules)
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if opts.Decoder, err = f.RecordDecoder(opts.Schema); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	addFlags(cmd, opts)
	return cmd
}

// flagValues are the flags Validate turns into the Query.
type flagValues struct {
	output, by, alerts, failOn, printRules string
	listRules, noGroups                    bool
}

func addFlags(cmd *cobra.Command, opts *Options) {
	cmdutil.AddOutputFlag(cmd, &opts.flags.output, output.Table, output.NDJSON)
	cmdutil.AddSchemaFlags(cmd, &opts.Schema)
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Watch, "watch", "w", false, "refresh every --interval until Ctrl-C (dashboard on a terminal, NDJSON when piped)")
	fl.DurationVar(&opts.Interval, "interval", time.Second, "refresh interval of --watch")
	fl.DurationVar(&opts.Window, "window", time.Minute, "time span of a snapshot's messages per second (and of its record reads)")
	fl.StringVar(&opts.flags.by, "by", "", "count the records of --topic by the value of this jq expression (e.g. .status)")
	fl.StringVar(&opts.ByTopic, "topic", "", "the topic whose records --by counts")
	fl.BoolVar(&opts.Latency, "latency", false, "read records and report end-to-end latency (p50, p95, max)")
	fl.StringVar(&opts.flags.alerts, "alerts", "", "alert rules: a YAML `FILE`, or the name of a shipped rule set (ecommerce); implies --watch")
	fl.BoolVar(&opts.flags.listRules, "list-alerts", false, "list the shipped alert rule sets: name, rule count, topics, description")
	fl.StringVar(&opts.flags.printRules, "print-alerts", "", "write the shipped alert rules `NAME` to stdout, as a starting point for your own")
	fl.StringVar(&opts.From, "from", "", "where record reading starts: "+position.Help+" (default: end; a snapshot: -WINDOW)")
	fl.StringVar(&opts.Webhook, "webhook", "", "also POST each alert as JSON to this `URL`")
	fl.StringVar(&opts.flags.failOn, "fail-on", "", "exit 6 as soon as an alert of this `SEVERITY` or worse fires (error|warning|info|success)")
	fl.DurationVar(&opts.Idle, "idle", 0, "end the watch after this long without new records (implies --watch)")
	fl.BoolVar(&opts.flags.noGroups, "no-groups", false, "skip consumer groups and lag")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"error", "warning", "info", "success"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the flags and fills the query from them: --by and its
// topic, the alert rules (which imply --watch, as --idle does), --fail-on,
// --webhook, --from.
func (opts *Options) Validate() error {
	if opts.Interval <= 0 {
		return cmdutil.UsageErrorf("--interval %s: must be positive", opts.Interval)
	}
	if opts.Window <= 0 {
		return cmdutil.UsageErrorf("--window %s: must be positive", opts.Window)
	}
	if err := cmdutil.NotNegative("--idle", opts.Idle); err != nil {
		return err
	}
	if err := opts.validateBy(); err != nil {
		return err
	}
	if err := opts.validateAlerts(); err != nil {
		return err
	}
	if opts.Idle > 0 {
		opts.Watch = true
	}
	if opts.From != "" {
		if _, err := position.Parse(opts.From, time.Now()); err != nil {
			return cmdutil.UsageErrorf("--from: %v", err)
		}
	}
	opts.Groups = !opts.flags.noGroups
	return nil
}

// validateBy compiles --by, which needs one --topic.
func (opts *Options) validateBy() error {
	if opts.flags.by == "" {
		if opts.ByTopic != "" {
			return cmdutil.UsageErrorf("--topic goes with --by EXPR")
		}
		return nil
	}
	if opts.ByTopic == "" {
		return cmdutil.UsageErrorf("--by needs --topic: the topic whose records to count")
	}
	if kafka.IsPattern(opts.ByTopic) {
		return cmdutil.UsageErrorf("--topic %q: one topic name, not a pattern", opts.ByTopic)
	}
	var err error
	if opts.By, err = jqfilter.Compile(opts.flags.by); err != nil {
		return fmt.Errorf("--by: %w", err)
	}
	return nil
}

// validateAlerts loads --alerts (which implies --watch) and checks
// --fail-on and --webhook, which need it.
func (opts *Options) validateAlerts() error {
	alertsFile := opts.flags.alerts
	if alertsFile != "" {
		var err error
		if opts.Rules, err = cmdutil.LoadAlertRules(alertsFile); err != nil {
			return err
		}
		opts.Watch = true
	}
	if failOn := opts.flags.failOn; failOn != "" {
		if alertsFile == "" {
			return cmdutil.UsageErrorf("--fail-on needs --alerts FILE")
		}
		sev, err := alert.ParseSeverity(failOn)
		if err != nil {
			return cmdutil.UsageErrorf("--fail-on: %v", err)
		}
		opts.FailOn = &sev
	}
	if opts.Webhook != "" {
		if alertsFile == "" {
			return cmdutil.UsageErrorf("--webhook needs --alerts FILE")
		}
		if !strings.HasPrefix(opts.Webhook, "http://") && !strings.HasPrefix(opts.Webhook, "https://") {
			return cmdutil.UsageErrorf("--webhook %q: want an http:// or https:// URL", opts.Webhook)
		}
	}
	return nil
}

const statsLong = `Show statistics of topics (all by default; names or regular expressions
select some): per topic the messages (high minus low watermarks), the
partitions and how evenly the messages spread over them (min, max, skew =
max/mean), messages per second over the last --window, the last record's
timestamp; totals; brokers; and the lag of each consumer group per topic
(high watermark minus committed offset, summed, with the worst partition;
partitions without a commit are counted apart, "no commit", with their
records from the log start). A transaction marker leaves a lag of 1 after
the last record was read (docs/stats.md). Without --by, --latency or --alerts it reads offsets and metadata only,
never record contents.

--watch refreshes every --interval. On a terminal it is a dashboard that
redraws in place, with a throughput sparkline per topic, current and peak
rates, totals, lag, and the last alerts colored by severity; Ctrl-C ends it
and prints a summary. Piped, it prints one NDJSON stats object per interval
and a summary object at the end, so 'kx stats --watch | jq' works.

--by EXPR --topic T reads T's records and counts them by the value of a jq
expression (.status gives SUCCESS/ERROR counts and their share per
interval). --latency reads the records of the selected topics and reports
end-to-end latency (read time minus record timestamp: p50, p95, max per
interval). Records are read from --from (default: end, i.e. new records
only; in a one-shot snapshot, the last --window).

--alerts FILE evaluates alert rules (YAML; kx stats --print-alerts ecommerce) on the
records of their topics and implies --watch. Each rule has a name, a topic,
a jq condition (when), a severity (error, warning, info, success), an
optional threshold ("> 5 in 10s": more than 5 matches in 10 s; "> 2% in 1m":
more than 2 % of the topic's records), an optional resolve message (sent
as a success notification when the rule falls back under its threshold)
and a message template ({{count}}, {{window}}, {{.field}} of the record).
Rules with a kind watch the cluster itself, judged once per interval from
offsets and group commits: lag (a consumer group, or a pattern, over a
threshold for a window, or growing), throughput (records/s under or over
a rate, or a multiple of the topic's baseline), skew (one partition's
share) and connection (the cluster unreachable for longer than a window;
the watch then goes on through the outage). See docs/stats.md.
Alerts print as NDJSON objects (kind "alert") when piped and as colored
notifications on the dashboard. --webhook URL also posts each alert as JSON
(retried with back-off in the background; a failed post is reported on
stderr). --fail-on SEVERITY exits 6 as soon as an alert of that severity
or worse fires. --idle D ends the watch after D without new records.

--alerts takes a file, or the name of a rule set that ships inside kx
(ecommerce: the demo's payment, stock and shipping rules) from any
directory; a file of that name always wins. --list-alerts lists them;
--print-alerts NAME writes one out as a starting point.

NDJSON: every object has "kind": "stats" (one per interval; a snapshot
prints one), "alert", or "summary" (the last one). See docs/stats.md for
the fields.`

const statsExample = `  # Snapshot of every topic, and of the orders topics only
  kx stats
  kx stats 'orders\..*' -o table

  # Live dashboard; the same as NDJSON for scripts
  kx stats --watch
  kx stats --watch --interval 5s | jq -c '.totals'

  # Payment status counts and error share, with end-to-end latency
  kx stats --watch --topic payment.transactions --by .status --latency

  # Counts of every status since the topic's beginning
  kx stats --topic payment.transactions --by .status --from beginning

  # Alerts on a terminal, to a webhook, and as a CI smoke check
  kx stats --alerts ecommerce
  kx stats --alerts ecommerce --webhook http://127.0.0.1:9000/hook
  kx stats --alerts ecommerce --fail-on error --idle 30s

  # The shipped rule sets; one written out as a starting point for your own
  kx stats --list-alerts
  kx stats --print-alerts ecommerce > my-rules.yaml`

// Run runs kx stats with opts: a snapshot, or the watch loop when
// opts.Watch. It returns nil when ctx is cancelled (Ctrl-C).
func Run(ctx context.Context, opts *Options) error {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Window <= 0 {
		opts.Window = time.Minute
	}
	if opts.Title == "" {
		opts.Title = "kx stats"
	}
	if opts.Watch {
		return runWatch(ctx, opts)
	}
	return runSnapshot(ctx, opts)
}

func runWatch(ctx context.Context, opts *Options) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	var dash *st.Dashboard
	if opts.Output == output.Table {
		_, height := opts.IO.TerminalSize() // the dashboard never scrolls
		dash = &st.Dashboard{Width: min(opts.IO.TerminalWidth(), 120), Height: height, Color: opts.IO.ColorEnabled(), Title: opts.Title, Brokers: st.JoinBrokers(client.Brokers())}
	}
	return st.NewWatcher(&opts.Query, client, cmdutil.Readers(client, opts.Decoder), opts.IO.Out, opts.IO.ErrOut, dash).Run(ctx)
}
