// Package tail implements kx tail: records as NDJSON (or a table, or raw
// values), filtered by jq, from exact positions.
package tail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

// Options of kx tail.
type Options struct {
	IO    *iostreams.IOStreams
	Kafka func() (*kafka.Client, error)
	Now   func() time.Time
	// Decoder builds the Schema Registry decoder (nil: none).
	Decoder func(cmdutil.SchemaFlags) (*cmdutil.RecordDecoder, error)

	Topics     []string
	JQ         string
	From       string
	Last       int64
	To         string
	UntilEnd   bool
	Max        int64
	Idle       time.Duration
	Group      string
	ExitStatus bool
	Strict     bool
	Output     output.Format
	Pretty     bool
	Schema     cmdutil.SchemaFlags

	dec *cmdutil.RecordDecoder // built by run from Decoder and Schema
}

// NewCmdTail builds kx tail.
func NewCmdTail(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Now: time.Now, Decoder: f.RecordDecoder}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "tail TOPIC|REGEXP...",
		Short: "Print the records of topics, filtered by jq, from exact positions",
		Long: `Tail prints the records of one or more topics, named or matched by a regular
expression ('orders\..*' matches every topic starting with "orders.").

By default it follows new records from the end, like tail -f, until Ctrl-C
(which exits 0). A bounded read (-e, --to, -c) stopped by Ctrl-C or SIGTERM
before its end exits 130 or 143, its last line whole. Where to start:

  --from beginning|end|OFFSET|TIMESTAMP|-DURATION
         TIMESTAMP is RFC 3339 or epoch milliseconds; -10m means ten minutes
         ago; -N (a bare number) means N records before the end
  -n, --last N   the last N records of each partition (same as --from -N)

When to stop (the first that happens):

  -e, --until-end  at the high watermark each partition had at start
  --to OFFSET|TIMESTAMP|now  before that offset or time in each partition
  -c, --max N      after N printed lines (records, or --jq outputs)
  --idle DURATION  after that long without a record

With -e or --to and no --from, reading starts at the beginning.

--jq EXPR runs a jq expression (gojq) on each record's value, decoded as
JSON. The whole envelope is $record; $topic, $partition, $offset, $key,
$timestamp and $headers are variables. An expression that yields booleans
selects records (.status=="ERROR" prints the envelopes that match); any
other expression prints its outputs (.orderId prints ids). The expression
is compiled before connecting: a syntax error exits 2 and reads nothing. An
error on one record (a value that is not JSON, .x.y on a string) is counted
and reported once on stderr; --strict makes it fatal (exit 2).

Output (-o): ndjson, the default when piped, prints one envelope per line:

  {"topic":"orders","partition":0,"offset":42,"timestamp":"2026-11-25T10:00:00.000Z",
   "timestamp_type":"CreateTime","key":"ord-1","key_encoding":"utf8",
   "value":{"orderId":"ord-1"},"headers":[]}

(values that are JSON are embedded as they are; see docs/envelope.md).
Keys and values in the Schema Registry wire format (Avro, Protobuf, JSON
Schema) are decoded to JSON when a registry is configured
(--schema-registry, KX_SCHEMA_REGISTRY or the profile), for every output
and for --jq; --value-format/--key-format force a format (raw: never
decode). One that cannot be decoded is printed raw (base64) with a
value_error member, counted and reported on stderr; --strict makes it fatal
(exit 2).
table, the default on a terminal, shows time, age (read time minus record
time), topic, partition, offset, key and a shortened value, in red when its
"status" field is ERROR and yellow when WARN; binary as base64:…, no key as
(no key), a tombstone as (tombstone), empty as (empty), and text holding
control characters (ESC, CR, NUL…) Go-quoted, never sent raw. raw prints each value as it
is on the wire (or jq output, strings unquoted) and a newline, like kcat. --pretty indents JSON.

--group NAME reads as a member of a consumer group and commits the offsets
of the records it printed; without it, partitions are read directly and
nothing is committed. In a group, --from beginning|end applies only to
partitions without a committed offset.

Transactions: tail (like export and trace) reads committed records only;
records of aborted transactions are hidden. To see uncommitted and aborted
records too: -X isolation.level=read_uncommitted.

--exit-status exits 1 when no record was printed, like grep, for CI:

  kx tail payment.transactions --from -5m -e --jq '.status=="ERROR"' --exit-status`,
		Example: `  # Follow new orders as they arrive
  kx tail orders.created

  # Everything so far, as NDJSON, then stop
  kx tail -e orders.created > orders.ndjson

  # Payment errors of the last 10 minutes, then stop
  kx tail payment.transactions --from -10m -e --jq '.status=="ERROR"'

  # Just the order ids of the last 5 records of each partition
  kx tail orders.created -n 5 -e --jq .orderId

  # Every topic under orders., the first 3 records, indented
  kx tail 'orders\..*' --from beginning -c 3 --pretty

  # Fail a CI job when an error was recorded in the last 5 minutes
  ! kx tail payment.transactions --from -5m -e --jq '.status=="ERROR"' --exit-status -c 1 > /dev/null`,
		Args: cmdutil.MinimumArgs(1, "at least one topic or regular expression"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topics = args
			fm, err := f.ResolveOutput(outputFlag, output.NDJSON, output.Table, output.Raw)
			if err != nil {
				return err
			}
			opts.Output = fm
			if cmd.Flags().Changed("last") {
				if cmd.Flags().Changed("from") {
					return cmdutil.UsageErrorf("--last and --from exclude each other")
				}
				if opts.Last < 0 {
					return cmdutil.UsageErrorf("--last %d: must be 0 or more", opts.Last)
				}
				opts.From = fmt.Sprintf("-%d", opts.Last)
			}
			if opts.Max < 0 {
				return cmdutil.UsageErrorf("--max %d: must be 0 or more", opts.Max)
			}
			if err := cmdutil.NotNegative("--idle", opts.Idle); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.JQ, "jq", "", "jq expression: booleans select records, anything else is printed")
	fl.StringVar(&opts.From, "from", "", "where to start: "+position.Help+" (default end, or beginning with -e/--to)")
	fl.Int64VarP(&opts.Last, "last", "n", 0, "start N records before the end of each partition")
	fl.StringVar(&opts.To, "to", "", "stop before this offset or time in each partition: OFFSET|TIMESTAMP|now")
	fl.BoolVarP(&opts.UntilEnd, "until-end", "e", false, "stop at the end of each partition as it was at start")
	fl.Int64VarP(&opts.Max, "max", "c", 0, "stop after N printed lines: records, or --jq outputs (0: no limit)")
	fl.DurationVar(&opts.Idle, "idle", 0, "stop after this long without a record (e.g. 5s)")
	fl.StringVarP(&opts.Group, "group", "g", "", "consume as a member of this consumer group, committing what was printed")
	fl.BoolVar(&opts.ExitStatus, "exit-status", false, "exit 1 when no record was printed")
	fl.BoolVar(&opts.Strict, "strict", false, "a jq error or an undecodable key or value on one record is fatal (exit 2)")
	fl.BoolVar(&opts.Pretty, "pretty", false, "indent JSON output")
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.NDJSON, output.Table, output.Raw)
	cmdutil.AddSchemaFlags(cmd, &opts.Schema)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	var filter *jqfilter.Filter
	if opts.JQ != "" {
		var err error
		if filter, err = jqfilter.Compile(opts.JQ); err != nil {
			return fmt.Errorf("--jq: %w", err)
		}
	}
	now := opts.Now()
	bounded := opts.UntilEnd || opts.To != ""
	fromText := opts.From
	if fromText == "" {
		fromText = "end"
		if bounded {
			fromText = "beginning"
		}
	}
	from, err := position.Parse(fromText, now)
	if err != nil {
		return cmdutil.UsageErrorf("--from: %v", err)
	}
	var to *position.Spec
	if opts.To != "" {
		s, err := position.Parse(opts.To, now)
		if err != nil {
			return cmdutil.UsageErrorf("--to: %v", err)
		}
		if s.Kind == position.FromEnd {
			return cmdutil.UsageErrorf("--to %s: want an offset, a time or now", opts.To)
		}
		to = &s
		if err := cmdutil.CheckRange(&from, to, fromText, opts.To); err != nil {
			return err
		}
	}
	if opts.Group != "" && from.Kind != position.Beginning && from.Kind != position.End {
		return cmdutil.UsageErrorf("--group: --from must be beginning or end (a group resumes from its committed offsets)")
	}

	if opts.Decoder != nil {
		opts.Schema.Strict = opts.Strict
		if opts.dec, err = opts.Decoder(opts.Schema); err != nil {
			return err
		}
	}

	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	spec := consume.Spec{From: from, To: to, UntilEnd: opts.UntilEnd, Follow: true}
	return tail(ctx, client, consume.Readers(client.NewReader), opts, filter, spec)
}

// cluster is what kx tail asks of Kafka.
type cluster interface {
	consume.GroupOffsets
	ResolveTopics(ctx context.Context, patterns []string) ([]kafka.TopicMeta, error)
}

// tail reads and prints.
func tail(ctx context.Context, client cluster, open consume.Opener, opts *Options, filter *jqfilter.Filter, spec consume.Spec) error {
	topics, err := client.ResolveTopics(ctx, opts.Topics)
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	tps := kafka.Partitions(topics)
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}

	w := newWriter(opts, filter)
	w.follow = !spec.UntilEnd && spec.To == nil
	w.ctx, w.dec = ctx, opts.dec
	defer opts.dec.Report()
	var readErr error
	if opts.Group != "" {
		readErr = readGroup(ctx, client, open, opts, topics, tps, wm, spec, w)
	} else {
		ranges, err := consume.Plan(ctx, client, tps, wm, spec)
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		// The writer is done with a record when it returns (it neither
		// keeps it nor hands it on), so the reader reuses its memory.
		readErr = consume.Read(ctx, open, ranges, consume.Options{Idle: opts.Idle, OnIdle: w.idle, Reuse: true}, w.write)
	}
	if err := w.finish(); err != nil && readErr == nil {
		readErr = err
	}
	if readErr != nil {
		return readErr
	}
	// A bounded read (-e, --to, -c) stopped by a signal did not print all
	// it was asked for; following, a signal is the normal end.
	if bounded := !w.follow || opts.Max > 0; bounded && (opts.Max == 0 || w.printed < opts.Max) {
		if err := cmdutil.Interrupted(ctx, "tail", "after "+output.Count(w.printed, "record")+"; the output is incomplete"); err != nil {
			return err
		}
	}
	if opts.ExitStatus && w.printed == 0 {
		return exitcode.Silent(exitcode.NoMatch)
	}
	return nil
}

// readGroup consumes as a group member. Offsets are stored (and so
// committed) only once the records are flushed to stdout.
func readGroup(ctx context.Context, c consume.GroupOffsets, open consume.Opener, opts *Options, topics []kafka.TopicMeta, tps []kafka.TP, wm map[kafka.TP]kafka.Watermark, spec consume.Spec, w *writer) error {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	reset := "latest"
	if spec.From.Kind == position.Beginning {
		reset = "earliest"
	}
	var ranges []consume.Range
	var err error
	if spec.UntilEnd || spec.To != nil {
		// A partition already read to its end fetches nothing, so its
		// position never shows it is done: the plan starts it at its
		// committed offset, which tells.
		ranges, err = consume.PlanGroup(ctx, c, opts.Group, tps, wm, spec)
	} else {
		ranges, err = consume.Plan(ctx, c, tps, wm, spec)
	}
	if err != nil {
		return fmt.Errorf("tail --group %s: %w", opts.Group, err)
	}
	rd, err := open(kafka.ReaderOptions{Group: opts.Group, Topics: names,
		Properties: map[string]any{"auto.offset.reset": reset}})
	if err != nil {
		return err
	}
	pending := map[kafka.TP]int64{}
	w.onFlush = func() error {
		for tp, off := range pending {
			if err := rd.Store(&record.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: off}); err != nil {
				return fmt.Errorf("store offset %s@%d: %w", tp, off, err)
			}
			delete(pending, tp)
		}
		return nil
	}
	err = consume.Loop(ctx, rd, ranges, consume.Options{Idle: opts.Idle, OnIdle: w.idle}, func(rec *record.Record) error {
		err := w.write(rec)
		if err == nil || errors.Is(err, consume.ErrStop) {
			pending[rec.TP()] = rec.Offset
		}
		return err
	})
	if ferr := w.flush(); err == nil {
		err = ferr
	}
	if cerr := rd.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tail --group %s: %w", opts.Group, cerr)
	}
	return err
}

// writer turns records into output: a 1 MB buffer, flushed when reads go
// idle and at least every flushEvery, so a followed record shows within a
// second without a syscall per record on a fast topic.
type writer struct {
	opts    *Options
	filter  *jqfilter.Filter
	out     *bufio.Writer
	errOut  io.Writer
	buf     []byte
	table   *tableWriter
	onFlush func() error
	// dec decodes Schema Registry formats (nil: none), into scratch: the
	// writer is done with a record when write returns.
	dec     *cmdutil.RecordDecoder
	scratch schema.Scratch
	ctx     context.Context

	follow    bool
	printed   int64
	evalErrs  int64
	lastFlush time.Time
}

const flushEvery = 200 * time.Millisecond

func newWriter(opts *Options, filter *jqfilter.Filter) *writer {
	w := &writer{opts: opts, filter: filter, out: bufio.NewWriterSize(opts.IO.Out, 1<<20), errOut: opts.IO.ErrOut, lastFlush: time.Now()}
	if opts.Output == output.Table {
		w.table = newTableWriter(opts.IO, opts.Now)
	}
	return w
}

func (w *writer) write(r *record.Record) error {
	if w.dec != nil {
		if err := w.dec.DecodeReusing(w.ctx, r, &w.scratch); err != nil {
			return err
		}
	}
	if w.filter == nil {
		return w.emit(r, nil, false)
	}
	ctx := w.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	// Outputs are written as the filter produces them: a generator's
	// first lines show at once, -c stops it mid-record (emit's ErrStop),
	// and Ctrl-C stops a long evaluation (gojq checks ctx).
	res, err := w.filter.Each(ctx, r, func(o []byte) error {
		return w.emit(r, [][]byte{o}, false)
	})
	if err != nil {
		var evalErr *jqfilter.EvalError
		if !errors.As(err, &evalErr) {
			return err // a write error, or ErrStop at -c
		}
		if ctx.Err() != nil {
			return nil // interrupted: the read ends and says so
		}
		w.evalErrs++
		if w.opts.Strict {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--jq: %w", err))
		}
		if w.evalErrs == 1 {
			fmt.Fprintf(w.errOut, "kx: warning: --jq: %v (further errors are counted)\n", err)
		}
	}
	if res.Keep && res.Streamed == 0 {
		return w.emit(r, nil, res.ValueEmbeddable) // select mode: the record
	}
	return w.maybeFlush()
}

// emit writes r, or the filter's outputs for it, and counts them against
// -c: one line printed (a record, or one output) is one.
func (w *writer) emit(r *record.Record, outputs [][]byte, embedded bool) error {
	var err error
	switch {
	case w.table != nil:
		err = w.table.write(w.out, r, outputs)
	case w.opts.Output == output.Raw:
		err = w.writeRaw(r, outputs)
	default:
		err = w.writeNDJSON(r, outputs, embedded)
	}
	if err != nil {
		return err
	}
	w.printed++
	if w.opts.Max > 0 && w.printed >= w.opts.Max {
		return consume.ErrStop
	}
	return w.maybeFlush()
}

func (w *writer) writeNDJSON(r *record.Record, outputs [][]byte, embedded bool) error {
	if outputs == nil {
		if embedded {
			// The filter decoded the value: no second scan.
			w.buf = record.AppendJSONEmbedded(w.buf[:0], r)
		} else {
			w.buf = record.AppendJSON(w.buf[:0], r)
		}
		return w.line(w.buf)
	}
	for _, o := range outputs {
		if err := w.line(o); err != nil {
			return err
		}
	}
	return nil
}

// line writes one JSON document and a newline, indented with --pretty.
func (w *writer) line(b []byte) error {
	if w.opts.Pretty {
		b = indent(b)
	}
	w.out.Write(b)
	return w.out.WriteByte('\n')
}

func (w *writer) writeRaw(r *record.Record, outputs [][]byte) error {
	if outputs == nil {
		w.out.Write(r.RawValue())
		return w.out.WriteByte('\n')
	}
	for _, o := range outputs {
		w.out.Write(unquote(o))
		if err := w.out.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) maybeFlush() error {
	if w.out.Buffered() == 0 {
		return nil
	}
	// A bounded read flushes when the buffer fills or the read goes idle;
	// following, a record must show within flushEvery.
	if w.follow && time.Since(w.lastFlush) >= flushEvery {
		return w.flush()
	}
	return nil
}

func (w *writer) idle() error {
	if w.out.Buffered() == 0 && w.onFlush == nil {
		return nil
	}
	return w.flush()
}

func (w *writer) flush() error {
	w.lastFlush = time.Now()
	if err := w.out.Flush(); err != nil {
		return err
	}
	if w.onFlush != nil {
		return w.onFlush()
	}
	return nil
}

// finish flushes and reports the jq errors.
func (w *writer) finish() error {
	err := w.flush()
	if w.evalErrs > 1 {
		fmt.Fprintf(w.errOut, "kx: warning: --jq failed on %s\n", output.Count(w.evalErrs, "record"))
	}
	return err
}
