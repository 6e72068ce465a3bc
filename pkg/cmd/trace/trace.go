// Package trace implements `kx trace`: every record of a business key
// (an order) across the topics of a flow, in time order, with a verdict.
package trace

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
)

// Options of kx trace.
type Options struct {
	IO     *iostreams.IOStreams
	Kafka  func() (*kafka.Client, error)
	Output output.Format
	Keys   []string
	// Selection chooses the flow.
	flowtrace.Selection
	From, To    *position.Spec
	ScanAll     bool
	Partitioner string
	Skew        time.Duration
	Follow      bool
	Verbose     bool
	// Decoder builds the Schema Registry decoder (nil: none).
	Decoder func(cmdutil.SchemaFlags) (*cmdutil.RecordDecoder, error)
	Schema  cmdutil.SchemaFlags
}

// NewCmdTrace builds kx trace.
func NewCmdTrace(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Decoder: f.RecordDecoder}
	var outputFlag, fromFlag, toFlag string
	var flowFlags cmdutil.FlowFlags
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
librdkafka's crc32; --scan-all to read everything). The pruned read checks
that its keyed records sit where the partitioner puts their keys; when one
does not (or there is none to check), the topic's other partitions are
read too, so a verdict never rests on skipped partitions.
The root stage (orders.created) is read first; the ids it carries then
prune the topics keyed by them (customer.notifications by customerId,
inventory.updates by productId) and the other topics are read from the
order's creation time on (minus --skew for clock differences); once the
order reached the flow's last stage (orders.completed, read in full), they
are read only up to that time plus --skew (not with --follow). Values are
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
  kx trace --topics signups,emails --field .userId --key signups=userId u-42

  # Watch an order live
  kx trace --follow ORD-000123`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON); err != nil {
				return err
			}
			if opts.Selection, err = flowFlags.Selection(f); err != nil {
				return err
			}
			now := time.Now()
			if opts.From, err = parsePosition("--from", fromFlag, now); err != nil {
				return err
			}
			if opts.To, err = parsePosition("--to", toFlag, now); err != nil {
				return err
			}
			if err := cmdutil.CheckRange(opts.From, opts.To, fromFlag, toFlag); err != nil {
				return err
			}
			if err := cmdutil.NotNegative("--skew", opts.Skew); err != nil {
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
	cmdutil.AddSchemaFlags(cmd, &opts.Schema)
	cmdutil.AddFlowFlags(cmd, &flowFlags)
	fl := cmd.Flags()
	fl.StringVar(&fromFlag, "from", "", "read from this position: "+position.Help+" (default: beginning)")
	fl.StringVar(&toFlag, "to", "", "read up to this position (default: the end now)")
	fl.BoolVar(&opts.ScanAll, "scan-all", false, "read every partition: no pruning by key, no time bound from the root stage")
	fl.StringVar(&opts.Partitioner, "partitioner", "murmur2", "how producers map keys to partitions: murmur2 (Java client) or consistent (librdkafka crc32)")
	fl.DurationVar(&opts.Skew, "skew", time.Minute, "clock skew allowed between producers: later stages are read from the root's time minus this")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "after the trace, keep printing new steps until Ctrl-C")
	return cmd
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

// cluster is what kx trace asks of Kafka.
type cluster interface {
	consume.Offsets
	Metadata(ctx context.Context) (*kafka.Metadata, error)
}

// collect selects the flow and collects the records of opts.Keys.
func collect(ctx context.Context, client cluster, open consume.Opener, opts *Options) (*flowtrace.Collector, *flowtrace.Result, error) {
	meta, err := client.Metadata(ctx)
	if err != nil {
		return nil, nil, err
	}
	flow, err := flowtrace.Select(meta, opts.Selection, opts.IO.ErrOut)
	if err != nil {
		return nil, nil, cmdutil.UsageErrorf("%v", err)
	}
	tracer, err := flowtrace.NewTracer(flow, opts.Keys)
	if err != nil {
		return nil, nil, cmdutil.UsageErrorf("%v", err)
	}
	part, _ := partitioner.ByName(opts.Partitioner)
	if opts.Decoder != nil {
		dec, err := opts.Decoder(opts.Schema)
		if err != nil {
			return nil, nil, err
		}
		if dec != nil {
			defer dec.Report()
			open = consume.Decoding(open, dec.Decode)
		}
	}
	c := &flowtrace.Collector{Offsets: client, Open: open, Flow: flow, Tracer: tracer,
		Partitions: flowtrace.PartitionCounts(meta, flow.Topics()), Partitioner: part,
		ScanAll: opts.ScanAll, Skew: opts.Skew, From: opts.From, To: opts.To, Following: opts.Follow}
	if opts.Verbose {
		c.Log = opts.IO.ErrOut
	}
	res, err := c.Collect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c, res, nil
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
	return trace(ctx, client, consume.Readers(client.NewReader), opts)
}

// trace collects, prints the timelines or the NDJSON records and
// summaries, then follows with --follow.
func trace(ctx context.Context, client cluster, open consume.Opener, opts *Options) error {
	c, res, err := collect(ctx, client, open, opts)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		if opts.Follow {
			return nil // a signal is how a follow ends
		}
		return cmdutil.Interrupted(ctx, "trace", "after reading "+output.Count(res.Records.Load(), "record")+"; nothing printed")
	}
	w := bufio.NewWriterSize(opts.IO.Out, 64<<10)
	found := 0
	last := map[string]time.Time{}
	first := map[string]time.Time{}
	for i, tr := range c.Tracer.Traces() {
		sum := flowtrace.Summarize(c.Flow, tr)
		if sum.Verdict != flowtrace.NotFound {
			found++
			first[tr.Key] = tr.Events[0].Record.Timestamp
			last[tr.Key] = tr.Events[len(tr.Events)-1].Record.Timestamp
		} else if len(opts.Keys) > 1 && opts.Output == output.Table {
			fmt.Fprintf(opts.IO.ErrOut, "kx: trace: no record carries %s %s\n", c.Flow.Field, tr.Key)
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
			if err := output.WriteJSONLine(w, summaryJSON{sum, res.Records.Load(), res.Partitions.Load()}); err != nil {
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
		fmt.Fprintf(w, "%s %s: %s\n", c.Flow.Field, tr.Key, sum.Message)
		if len(sum.Missing) > 0 && (sum.Verdict == flowtrace.Stuck || sum.Verdict == flowtrace.Incomplete) {
			fmt.Fprintf(w, "missing: %s\n", strings.Join(sum.Missing, ", "))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if opts.Follow {
		return follow(ctx, c, opts, res, first, last)
	}
	if found == 0 {
		return exitcode.Newf(exitcode.NoMatch, "trace: no record carries %s %s in %s", c.Flow.Field, strings.Join(opts.Keys, ", "), strings.Join(c.Flow.Topics(), ", "))
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

// follow prints the new steps of the traced keys as they come.
func follow(ctx context.Context, c *flowtrace.Collector, opts *Options, res *flowtrace.Result, first, last map[string]time.Time) error {
	if opts.Output == output.Table {
		fmt.Fprintf(opts.IO.ErrOut, "kx: trace: following %s; Ctrl-C to stop\n", strings.Join(opts.Keys, ", "))
	}
	return c.Follow(ctx, res, func(key string, rec *record.Record) error {
		if opts.Output == output.NDJSON {
			_, err := opts.IO.Out.Write(append(record.AppendJSON(nil, rec), '\n'))
			return err
		}
		ts := rec.Timestamp
		prev, start := "", ""
		if p, ok := last[key]; ok {
			prev, start = "+"+flowtrace.FormatDuration(ts.Sub(p)), "+"+flowtrace.FormatDuration(ts.Sub(first[key]))
		} else {
			first[key] = ts
		}
		last[key] = ts
		ev := lastEvent(c.Tracer, key)
		_, err := fmt.Fprintf(opts.IO.Out, "%s  %s  %s  %s  %s  %s\n", record.FormatTimestamp(ts), rec.Topic, ev.Status, key, prev, start)
		return err
	})
}

func lastEvent(t *flowtrace.Tracer, key string) flowtrace.Event {
	for _, tr := range t.Traces() {
		if tr.Key == key && len(tr.Events) > 0 {
			return tr.Events[len(tr.Events)-1]
		}
	}
	return flowtrace.Event{}
}
