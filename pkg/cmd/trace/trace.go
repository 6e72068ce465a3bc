// Package trace implements `kx trace`: every record of a business key
// (an order) across the topics of a flow, in time order, with a verdict.
package trace

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scan"
	flowtrace "github.com/kx-cli/kx/pkg/trace"
)

// Options of kx trace.
type Options struct {
	IO     *iostreams.IOStreams
	Kafka  func() (*kafka.Client, error)
	Output output.Format
	Keys   []string
	// FlowOptions choose the flow.
	FlowOptions
	From, To    *position.Spec
	ScanAll     bool
	Partitioner string
	Skew        time.Duration
	Follow      bool
	Verbose     bool
}

// FlowOptions choose the topics and correlation fields (shared with kx flow).
type FlowOptions struct {
	// Flow names a flow of the config file (--flow); ResolveNamedFlow
	// loads it into Named, which then replaces the e-commerce flow.
	Flow   string
	Named  *flowtrace.Flow
	Topics []string
	Fields []string
	// KeyFields maps a topic to the id its record key holds (--key).
	KeyFields map[string]string
}

// NewCmdTrace builds kx trace.
func NewCmdTrace(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka}
	var outputFlag, fromFlag, toFlag string
	var keyFlags []string
	cmd := &cobra.Command{
		Use:   "trace [KEY…]",
		Short: "Follow one business key (an order) across topics: timeline and verdict",
		Long: `Trace finds every record that carries a business key (an orderId) in the
topics of a flow and tells its story in time order, then a verdict:
complete, cancelled (the last stage closed with a failure status:
"cancelled: payment ERROR at 10:32:07, order closed CANCELLED"), stuck at a
failed step ("stuck at payment ERROR at 10:32:07, no shipping event since"),
or incomplete, with the expected stages missing.

The flow. --flow NAME takes a named flow from the config file's flows:
section (kx config --help shows one): its topics, traced field, record
keys and error statuses. By default the built-in e-commerce flow, when its
topics exist:
orders.created → inventory.updates → payment.transactions →
customer.notifications → shipping.events → orders.completed, traced by
orderId; the customerId, productIds and shipmentId of the order are learned
along the chain. --topics restricts it or names other topics (stages in the
order given); --field changes the correlation field, as a jq path (orderId,
.order.id, .items[].id). Give --field several times to also follow ids
learned from matched records (--field orderId --field shipmentId matches
shipping events that carry only the shipmentId).

Keys are the arguments, or one per line on stdin when there are none.
Several keys share one scan.

Reading little. Where the record key is the traced id (orders.completed
and payment.transactions are keyed by orderId), only the partition the key
hashes to is read (murmur2 as the Java client, --partitioner consistent for
librdkafka's crc32; --scan-all when the producers used something else).
The root stage (orders.created) is read first; the ids it carries then
prune the topics keyed by them (customer.notifications by customerId,
inventory.updates by productId) and the other topics are read from the
order's creation time on (minus --skew for clock differences). Values are
checked for the key's bytes before any JSON decode. --from and --to bound
the read as in kx tail (default: the whole retained log).

Output: on a terminal, a timeline per key (time, topic, event, ids, time
since the previous step, time since the start) and the verdict. -o ndjson:
the records as envelopes in time order, then one summary object per key:
{trace, verdict (complete|cancelled|stuck|incomplete|not_found), message, stage,
status, at, stages, missing, events, first, last, duration_ms, ids,
records_read, partitions_read}.

--follow prints the trace, then keeps watching and prints new steps as they
happen, until Ctrl-C.

Exit status: 0 when at least one key was found, 1 when none was.`,
		Example: `  # Where is order ORD-000123?
  kx trace ORD-000123

  # Two orders in one scan, as NDJSON, the summaries only
  kx trace ORD-000123 ORD-000124 -o ndjson | jq -c 'select(.verdict)'

  # Orders whose payment failed in the last hour, traced together
  kx tail payment.transactions --from -1h -e -o ndjson | jq -r 'select(.value.status=="ERROR") | .value.orderId' | kx trace

  # A flow named in the config file (flows: section)
  kx trace --flow signup u-42

  # Other topics and field, with the key of one topic declared for pruning
  kx trace --topics signups,emails --field .user.id --key signups=user.id u-42

  # Watch an order live
  kx trace --follow ORD-000123`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON); err != nil {
				return err
			}
			if opts.FlowOptions.KeyFields, err = ParseKeyFlags(keyFlags); err != nil {
				return err
			}
			if err := ResolveNamedFlow(f, &opts.FlowOptions); err != nil {
				return err
			}
			now := time.Now()
			if opts.From, err = parsePosition("--from", fromFlag, now); err != nil {
				return err
			}
			if opts.To, err = parsePosition("--to", toFlag, now); err != nil {
				return err
			}
			if _, err := partitioner.ByName(opts.Partitioner); err != nil {
				return cmdutil.UsageErrorf("--partitioner: %v", err)
			}
			opts.Keys = args
			if len(opts.Keys) == 0 {
				if opts.Keys, err = readKeys(opts.IO.In); err != nil {
					return err
				}
			}
			if len(opts.Keys) == 0 {
				return cmdutil.UsageErrorf("trace: no key given (arguments or one per line on stdin)")
			}
			opts.Verbose = f.Flags.Verbose
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON)
	AddFlowFlags(cmd, &opts.FlowOptions, &keyFlags)
	fl := cmd.Flags()
	fl.StringVar(&fromFlag, "from", "", "read from this position: "+position.Help+" (default: beginning)")
	fl.StringVar(&toFlag, "to", "", "read up to this position (default: the end now)")
	fl.BoolVar(&opts.ScanAll, "scan-all", false, "read every partition: no pruning by key, no time bound from the root stage")
	fl.StringVar(&opts.Partitioner, "partitioner", "murmur2", "how producers map keys to partitions: murmur2 (Java client) or consistent (librdkafka crc32)")
	fl.DurationVar(&opts.Skew, "skew", time.Minute, "clock skew allowed between producers: later stages are read from the root's time minus this")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "after the trace, keep printing new steps until Ctrl-C")
	return cmd
}

// AddFlowFlags adds --topics, --field and --key (shared with kx flow).
func AddFlowFlags(cmd *cobra.Command, opts *FlowOptions, keyFlags *[]string) {
	fl := cmd.Flags()
	fl.StringVar(&opts.Flow, "flow", "", "a named flow of the config file (flows: section; see kx config --help)")
	fl.StringSliceVar(&opts.Topics, "topics", nil, "topics of the flow, in stage order (default: the e-commerce flow)")
	fl.StringArrayVar(&opts.Fields, "field", nil, "correlation field as a jq path (default orderId); repeat to follow learned ids")
	fl.StringArrayVar(keyFlags, "key", nil, "TOPIC=FIELD: the field the topic's record key holds, for partition pruning; repeatable")
}

// ParseKeyFlags reads --key TOPIC=FIELD flags.
func ParseKeyFlags(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range flags {
		topic, field, ok := strings.Cut(k, "=")
		if !ok || topic == "" || field == "" {
			return nil, cmdutil.UsageErrorf("--key %q: want TOPIC=FIELD", k)
		}
		out[topic] = strings.TrimPrefix(field, ".")
	}
	return out, nil
}

func parsePosition(flag, value string, now time.Time) (*position.Spec, error) {
	if value == "" {
		return nil, nil
	}
	s, err := position.Parse(value, now)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%s: %v", flag, err)
	}
	return &s, nil
}

func readKeys(in io.Reader) ([]string, error) {
	var keys []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" {
			keys = append(keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trace: reading keys from stdin: %w", err)
	}
	return keys, nil
}

// SelectFlow picks the flow: the named flow of --flow, or the e-commerce
// flow (restricted to --topics when they all belong to it, else to its
// topics that exist), or a custom flow over --topics.
func SelectFlow(meta *kafka.Metadata, opts FlowOptions, warn io.Writer) (flowtrace.Flow, error) {
	eco := flowtrace.Ecommerce()
	var flow flowtrace.Flow
	switch {
	case opts.Named != nil:
		flow = opts.Named.Restrict(opts.Topics)
		if len(opts.Topics) > 0 && !allIn(opts.Topics, opts.Named.Topics()) {
			return flowtrace.Flow{}, cmdutil.UsageErrorf("--topics: not all in flow %s (%s)", opts.Named.Name, strings.Join(opts.Named.Topics(), ", "))
		}
	case len(opts.Topics) > 0 && allIn(opts.Topics, eco.Topics()):
		flow = eco.Restrict(opts.Topics)
	case len(opts.Topics) > 0:
		fields := opts.Fields
		if len(fields) == 0 {
			return flowtrace.Flow{}, cmdutil.UsageErrorf("--topics outside the e-commerce flow need --field (the correlation field)")
		}
		f, err := flowtrace.Custom(opts.Topics, fields, opts.KeyFields)
		if err != nil {
			return flowtrace.Flow{}, cmdutil.UsageErrorf("%v", err)
		}
		flow = f
	default:
		var present, missing []string
		for _, t := range eco.Topics() {
			if _, ok := meta.Topic(t); ok {
				present = append(present, t)
			} else {
				missing = append(missing, t)
			}
		}
		if len(present) == 0 {
			return flowtrace.Flow{}, cmdutil.UsageErrorf("no flow: the e-commerce topics (%s) do not exist; name the topics with --topics and the field with --field", strings.Join(eco.Topics(), ", "))
		}
		if len(missing) > 0 {
			fmt.Fprintf(warn, "kx: warning: e-commerce flow without %s (no such topic)\n", strings.Join(missing, ", "))
		}
		flow = eco.Restrict(present)
	}
	flow = flow.WithFields(opts.Fields)
	for i, s := range flow.Stages {
		if k, ok := opts.KeyFields[s.Topic]; ok {
			flow.Stages[i].Key = k
		}
	}
	for _, t := range flow.Topics() {
		if _, ok := meta.Topic(t); !ok {
			return flowtrace.Flow{}, &kafka.UnknownTopicError{Topic: t}
		}
	}
	if err := flow.Validate(); err != nil {
		return flowtrace.Flow{}, cmdutil.UsageErrorf("%v", err)
	}
	return flow, nil
}

func allIn(xs, set []string) bool {
	for _, x := range xs {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// Result is a finished trace with what it read.
type Result struct {
	Flow    flowtrace.Flow
	Tracer  *flowtrace.Tracer
	Bounds  Bounds
	Stats   *ReadStats
	Rounds  int
	TotalTP int
}

// Collect runs the trace's rounds of reads (see flowtrace.Plan).
func Collect(ctx context.Context, client *kafka.Client, opts *Options) (*Result, error) {
	meta, err := client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	flow, err := SelectFlow(meta, opts.FlowOptions, opts.IO.ErrOut)
	if err != nil {
		return nil, err
	}
	part, _ := partitioner.ByName(opts.Partitioner)
	tracer, err := flowtrace.NewTracer(flow, opts.Keys)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%v", err)
	}
	numParts := map[string]int32{}
	var all []kafka.TP
	for _, t := range flow.Topics() {
		tm, _ := meta.Topic(t)
		numParts[t] = int32(len(tm.Partitions))
		for _, p := range tm.Partitions {
			all = append(all, kafka.TP{Topic: t, Partition: p.ID})
		}
	}
	bounds, err := ResolveBounds(ctx, client, all, opts.From, opts.To)
	if err != nil {
		return nil, err
	}
	res := &Result{Flow: flow, Tracer: tracer, Bounds: bounds, Stats: &ReadStats{}, TotalTP: len(all)}
	plan := &flowtrace.Plan{Flow: flow, ScanAll: opts.ScanAll}
	for ctx.Err() == nil {
		rootStart := earliestRoot(flow, tracer)
		reads := plan.Next(tracer.Known, !rootStart.IsZero())
		if len(reads) == 0 {
			break
		}
		res.Rounds++
		var ranges []scan.Range
		for _, rd := range reads {
			var tps []kafka.TP
			if len(rd.Keys) > 0 {
				for _, p := range flowtrace.Partitions(part, rd.Keys, numParts[rd.Topic]) {
					tps = append(tps, kafka.TP{Topic: rd.Topic, Partition: p})
				}
			} else {
				for p := range numParts[rd.Topic] {
					tps = append(tps, kafka.TP{Topic: rd.Topic, Partition: p})
				}
			}
			var after map[kafka.TP]int64
			if rd.AfterRoot {
				if after, err = OffsetsAt(ctx, client, tps, rootStart.Add(-opts.Skew), bounds); err != nil {
					return nil, err
				}
			}
			for _, tp := range tps {
				start := bounds.Start[tp]
				if off, ok := after[tp]; ok && off > start {
					start = off
				}
				ranges = append(ranges, scan.Range{TP: tp, Start: start, End: bounds.End[tp]})
			}
			if opts.Verbose {
				how := "all partitions"
				if len(rd.Keys) > 0 {
					how = fmt.Sprintf("partitions %v of %d (by %d key(s))", tpParts(tps), numParts[rd.Topic], len(rd.Keys))
				}
				if rd.AfterRoot {
					how += fmt.Sprintf(", from %s", record.FormatTimestamp(rootStart.Add(-opts.Skew)))
				}
				fmt.Fprintf(opts.IO.ErrOut, "kx: trace: round %d: %s: %s\n", res.Rounds, rd.Topic, how)
			}
		}
		if err := ReadParallel(ctx, client, ranges, res.Stats, func(r *record.Record) { tracer.Offer(r) }); err != nil {
			return nil, err
		}
	}
	if opts.Verbose {
		dec, skip := tracer.Stats()
		fmt.Fprintf(opts.IO.ErrOut, "kx: trace: read %d records from %d of %d partitions in %d round(s); %d decoded, %d skipped by the byte prefilter\n",
			res.Stats.Records.Load(), res.Stats.Partitions.Load(), res.TotalTP, res.Rounds, dec, skip)
	}
	return res, nil
}

func tpParts(tps []kafka.TP) []int32 {
	out := make([]int32, len(tps))
	for i, tp := range tps {
		out[i] = tp.Partition
	}
	return out
}

func earliestRoot(flow flowtrace.Flow, tracer *flowtrace.Tracer) time.Time {
	var first time.Time
	for _, tr := range tracer.Traces() {
		if s := tr.Start(flow); !s.IsZero() && (first.IsZero() || s.Before(first)) {
			first = s
		}
	}
	return first
}

// summaryJSON is the final NDJSON object of a key.
type summaryJSON struct {
	flowtrace.Summary
	RecordsRead    int64 `json:"records_read"`
	PartitionsRead int64 `json:"partitions_read"`
}

func run(ctx context.Context, opts *Options) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	res, err := Collect(ctx, client, opts)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	w := bufio.NewWriterSize(opts.IO.Out, 64<<10)
	found := 0
	last := map[string]time.Time{}
	first := map[string]time.Time{}
	for i, tr := range res.Tracer.Traces() {
		sum := flowtrace.Summarize(res.Flow, tr)
		if sum.Verdict != flowtrace.NotFound {
			found++
			first[tr.Key] = tr.Events[0].Record.Timestamp
			last[tr.Key] = tr.Events[len(tr.Events)-1].Record.Timestamp
		} else if len(opts.Keys) > 1 && opts.Output == output.Table {
			fmt.Fprintf(opts.IO.ErrOut, "kx: trace: no record carries %s %s\n", res.Flow.Field, tr.Key)
		}
		if opts.Output == output.NDJSON {
			var buf []byte
			for _, ev := range tr.Events {
				buf = record.AppendJSON(buf[:0], ev.Record)
				buf = append(buf, '\n')
				if _, err := w.Write(buf); err != nil {
					return err
				}
			}
			if err := output.WriteJSONLine(w, summaryJSON{sum, res.Stats.Records.Load(), res.Stats.Partitions.Load()}); err != nil {
				return err
			}
			continue
		}
		if sum.Verdict == flowtrace.NotFound {
			continue
		}
		if i > 0 && found > 1 {
			fmt.Fprintln(w)
		}
		if err := writeTimeline(w, tr); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s %s: %s\n", res.Flow.Field, tr.Key, sum.Message)
		if len(sum.Missing) > 0 && (sum.Verdict == flowtrace.Stuck || sum.Verdict == flowtrace.Incomplete) {
			fmt.Fprintf(w, "missing: %s\n", strings.Join(sum.Missing, ", "))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if opts.Follow {
		return follow(ctx, client, opts, res, first, last)
	}
	if found == 0 {
		return exitcode.Newf(exitcode.NoMatch, "trace: no record carries %s %s in %s", res.Flow.Field, strings.Join(opts.Keys, ", "), strings.Join(res.Flow.Topics(), ", "))
	}
	return nil
}

func writeTimeline(w io.Writer, tr *flowtrace.Trace) error {
	steps := flowtrace.Timeline(tr)
	rows := make([][]string, len(steps))
	for i, s := range steps {
		prev, start := "", ""
		if i > 0 {
			prev, start = "+"+flowtrace.FormatDuration(s.SincePrev), "+"+flowtrace.FormatDuration(s.SinceStart)
		}
		rows[i] = []string{record.FormatTimestamp(s.Time), s.Topic, s.Status, s.IDs, prev, start}
	}
	return output.WriteTable(w, []string{"time", "topic", "event", "ids", "since prev", "since start"}, rows)
}

// follow reads every partition of the flow from where the trace stopped
// and prints the new steps of the traced keys as they come.
func follow(ctx context.Context, client *kafka.Client, opts *Options, res *Result, first, last map[string]time.Time) error {
	var ranges []scan.Range
	for tp, end := range res.Bounds.End {
		ranges = append(ranges, scan.Range{TP: tp, Start: end, End: -1})
	}
	if opts.Output == output.Table {
		fmt.Fprintf(opts.IO.ErrOut, "kx: trace: following %s; Ctrl-C to stop\n", strings.Join(opts.Keys, ", "))
	}
	var mu sync.Mutex
	var writeErr error
	err := scan.Read(ctx, client, ranges, scan.Options{}, func(rec *record.Record) error {
		key, ok := res.Tracer.Offer(rec)
		if !ok {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if opts.Output == output.NDJSON {
			b := append(record.AppendJSON(nil, rec), '\n')
			_, writeErr = opts.IO.Out.Write(b)
		} else {
			ts := rec.Timestamp
			prev, start := "", ""
			if p, ok := last[key]; ok {
				prev, start = "+"+flowtrace.FormatDuration(ts.Sub(p)), "+"+flowtrace.FormatDuration(ts.Sub(first[key]))
			} else {
				first[key] = ts
			}
			last[key] = ts
			ev := lastEvent(res.Tracer, key)
			_, writeErr = fmt.Fprintf(opts.IO.Out, "%s  %s  %s  %s  %s  %s\n", record.FormatTimestamp(ts), rec.Topic, ev.Status, key, prev, start)
		}
		if writeErr != nil {
			return writeErr
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func lastEvent(t *flowtrace.Tracer, key string) flowtrace.Event {
	for _, tr := range t.Traces() {
		if tr.Key == key && len(tr.Events) > 0 {
			return tr.Events[len(tr.Events)-1]
		}
	}
	return flowtrace.Event{}
}
