// Package export implements kx export: bounded audit exports of topics to
// CSV or NDJSON, with an integrity report and order reconciliation.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/internal/atomicfile"
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
)

// ExportOptions of kx export.
type ExportOptions struct {
	IO    *iostreams.IOStreams
	Kafka func() (*kafka.Client, error)
	Now   func() time.Time
	// Decoder builds the Schema Registry decoder (nil: none).
	Decoder func(cmdutil.SchemaFlags) (*cmdutil.RecordDecoder, error)

	Topics  []string
	Format  string
	Columns string
	From    string
	To      string
	Out     string
	Report  string
	Unique  string

	Reconcile string
	On        string
	SLA       time.Duration

	Schema      cmdutil.SchemaFlags
	SkipInvalid bool

	CommandLine []string
}

// NewCmdExport builds kx export.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Kafka: f.Kafka, Now: time.Now, Decoder: f.RecordDecoder, CommandLine: os.Args}
	cmd := &cobra.Command{
		Use:   "export TOPIC...",
		Short: "Export topics to CSV or NDJSON with an integrity report",
		Long: `Export reads a bounded range of one or more topics and writes it as CSV or
NDJSON, then checks what it read and reports it.

The range runs from --from (default: the low watermark) up to --to (default:
the high watermarks taken when the export starts); the export never
follows new records. --to is exclusive: --to 100 stops before offset 100.

Formats:
  ndjson  the lossless kx envelope, one record a line (the format of kx
          tail): keys, values and headers come back byte for byte.
  csv     RFC 4180 with a header row. --columns picks the columns with jq
          expressions ('orderId=.orderId,at=$timestamp'); by default they
          are topic, partition, offset, timestamp, key, then the top-level
          fields of the values found in the first 100 records (or the whole
          value when values are not JSON objects). Cells a spreadsheet would
          run as a formula (starting with = + - @ tab or carriage return)
          get a leading ' (OWASP). Values are never truncated; an expression
          with several outputs writes them all as a JSON array.

Avro, Protobuf and JSON Schema values (Schema Registry wire format) are
decoded to JSON when a registry is configured (--value-format forces a
format), so CSV columns are their fields. A record that cannot be decoded
is written raw with value_error and fails the export (exit 5) unless
--skip-invalid leaves it out; the report counts them (undecodable).

--out FILE writes to a temporary file in the same directory and renames it
at the end, with the --report: FILE appears only when the whole export
succeeds, the report included, so an interrupted or failed export never
leaves a file at FILE.

Integrity: per partition, the range asked for and read, the count, gaps
(offsets with no record: "deleted" below the low watermark, an error;
"no-record" inside the log, from compaction or transaction markers,
allowed), records asked for but already lost to retention (an error),
first and last timestamps and timestamps going backwards (a warning),
duplicates of --unique (an error), the SHA-256 of the output, the kx
version and the command line. --report FILE writes it as JSON; a summary
goes to stderr always. Any integrity failure exits 5 after the report.

Reconciliation: --reconcile REFERENCE --on EXPR checks that every key of
the reference topic (e.g. orders.created) has a record in the exported one
(e.g. orders.completed), within --sla when given. It reports orders never
completed, late completions, completions with no creation and duplicates,
and exits 5 when an order is missing or late. With --sla, an order created
less than the SLA before the export started is "open", not missing. Both
topics are read in timestamp order, so memory follows the open orders.`,
		Example: `  # Every completed order, as CSV, to a file, with a JSON report
  kx export orders.completed -o csv --out completed.csv --report report.json

  # Chosen columns; a duplicate orderId is an integrity failure (exit 5)
  kx export orders.completed -o csv \
    --columns 'orderId=.orderId,status=.status,completedAt=.completedAt' --unique .orderId

  # Yesterday's records of two topics, losslessly, then copy them to another topic
  kx export orders.created orders.completed --from 2026-11-27 --to 2026-11-28 -o ndjson > day.ndjson
  kx export orders.created -o ndjson | kx produce orders.copy --create

  # Was every order completed within 15 minutes?
  kx export orders.completed --reconcile orders.created --on .orderId --sla 15m --out /dev/null --report recon.json`,
		Args: cmdutil.MinimumArgs(1, "at least one topic"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topics = args
			if cmd.Flags().Changed("format") {
				fmt.Fprintln(opts.IO.ErrOut, "kx: warning: --format is deprecated; use -o/--output")
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExport(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Format, "output", "o", "csv", "output format: csv|ndjson")
	// --format was export's name for -o; kept hidden so existing scripts
	// run. (pflag's own deprecation note would go to stdout.)
	fl.StringVar(&opts.Format, "format", "csv", "deprecated: use -o/--output")
	_ = fl.MarkHidden("format")
	fl.StringVar(&opts.Columns, "columns", "", "CSV columns as name=jq,… (default: metadata and the values' top-level fields)")
	fl.StringVar(&opts.From, "from", "beginning", "first position: "+position.Help)
	fl.StringVar(&opts.To, "to", "end", "position to stop before (exclusive): "+position.Help)
	fl.StringVar(&opts.Out, "out", "", "write to FILE atomically instead of stdout")
	fl.StringVar(&opts.Report, "report", "", "write the integrity report to FILE as JSON")
	fl.StringVar(&opts.Unique, "unique", "", "jq expression of a business key that must be unique (e.g. .orderId)")
	fl.StringVar(&opts.Reconcile, "reconcile", "", "reference topic whose keys must all appear in the export (e.g. orders.created)")
	fl.StringVar(&opts.On, "on", "", "jq expression of the key matching both topics (e.g. .orderId)")
	fl.DurationVar(&opts.SLA, "sla", 0, "with --reconcile: the most a completion may take after its creation")
	fl.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "leave out records whose key or value cannot be decoded (counted in the report) instead of failing")
	cmdutil.AddFormatFlags(cmd, &opts.Schema)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{export.FormatCSV, export.FormatNDJSON}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Report is the JSON integrity report.
type Report struct {
	KX          string   `json:"kx_version"`
	CommandLine []string `json:"command_line"`
	StartedAt   string   `json:"started_at"`
	FinishedAt  string   `json:"finished_at"`
	Complete    bool     `json:"complete"`
	OK          bool     `json:"ok"`
	Format      string   `json:"format"`
	Columns     []string `json:"columns,omitempty"`
	Output      struct {
		Path   string `json:"path"`
		Bytes  int64  `json:"bytes"`
		SHA256 string `json:"sha256"`
	} `json:"output"`
	*export.Result
	ColumnErrors struct {
		Count int64  `json:"count"`
		First string `json:"first,omitempty"`
	} `json:"column_errors"`
	UnexportedFields struct {
		Count int64            `json:"count"`
		First *export.Location `json:"first,omitempty"`
	} `json:"unexported_fields"`
	// Undecodable counts records whose key or value in a Schema Registry
	// format could not be decoded; Skipped tells they were left out
	// (--skip-invalid) rather than written raw.
	Undecodable struct {
		Count   int64  `json:"count"`
		First   string `json:"first,omitempty"`
		Skipped bool   `json:"skipped,omitempty"`
	} `json:"undecodable"`
	Reconcile *export.ReconcileReport `json:"reconcile,omitempty"`
}

// Validate checks the flags that need no cluster; it lower-cases -o.
func (opts *ExportOptions) Validate() error {
	opts.Format = strings.ToLower(opts.Format)
	if opts.Format != export.FormatCSV && opts.Format != export.FormatNDJSON {
		return cmdutil.UsageErrorf("--output %q: must be csv or ndjson", opts.Format)
	}
	if opts.Columns != "" && opts.Format != export.FormatCSV {
		return cmdutil.UsageErrorf("--columns needs -o csv")
	}
	if (opts.Reconcile == "") != (opts.On == "") {
		return cmdutil.UsageErrorf("--reconcile and --on go together")
	}
	if opts.Out != "" && opts.Report != "" && sameFile(opts.Out, opts.Report) {
		return cmdutil.UsageErrorf("--out and --report are the same file (%s): the report would replace the export", opts.Report)
	}
	if opts.SLA != 0 && opts.Reconcile == "" {
		return cmdutil.UsageErrorf("--sla needs --reconcile")
	}
	if opts.SLA < 0 {
		return cmdutil.UsageErrorf("--sla must be positive")
	}
	return nil
}

// cluster is what an export asks of Kafka.
type cluster interface {
	consume.Offsets
	ResolveTopics(ctx context.Context, patterns []string) ([]kafka.TopicMeta, error)
}

func runExport(ctx context.Context, opts *ExportOptions) error {
	started := opts.Now()
	job, spec, err := opts.job(started)
	if err != nil {
		return err
	}
	var dec *cmdutil.RecordDecoder
	if opts.Decoder != nil {
		if dec, err = opts.Decoder(opts.Schema); err != nil {
			return err
		}
	}
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	return exportTopics(ctx, client, cmdutil.Readers(client, dec), opts, job, spec, started)
}

// exportTopics plans, reads and reports.
func exportTopics(ctx context.Context, c cluster, open consume.Opener, opts *ExportOptions, job export.Job, spec consume.Spec, started time.Time) error {
	p, err := makePlan(ctx, c, opts, spec)
	if err != nil {
		return err
	}
	// --out appears only when the whole command succeeds, the report
	// included: any error before the commit in report leaves nothing.
	out, err := export.Create(opts.Out, opts.IO.Out)
	if err != nil {
		return err
	}
	defer out.Abort()
	res, err := read(ctx, open, opts, job, p, out)
	if err != nil {
		return err
	}
	wm, err := c.Watermarks(ctx, consume.TPs(p.ranges))
	if err != nil {
		return fmt.Errorf("export: low watermarks after the read: %w", err)
	}
	return report(opts, job, p, res, wm, started)
}

// job parses what the flags describe: the positions and jq expressions.
func (opts *ExportOptions) job(started time.Time) (export.Job, consume.Spec, error) {
	job := export.Job{Format: opts.Format}
	fromSpec, err := position.Parse(opts.From, started)
	if err != nil {
		return job, consume.Spec{}, cmdutil.UsageErrorf("--from: %v", err)
	}
	toSpec, err := position.Parse(opts.To, started)
	if err != nil {
		return job, consume.Spec{}, cmdutil.UsageErrorf("--to: %v", err)
	}
	if err := cmdutil.CheckRange(&fromSpec, &toSpec, opts.From, opts.To); err != nil {
		return job, consume.Spec{}, err
	}
	if opts.Columns != "" {
		if job.Columns, err = export.ParseColumns(opts.Columns); err != nil {
			return job, consume.Spec{}, fmt.Errorf("--columns: %w", err)
		}
	}
	if opts.Unique != "" {
		if job.Unique, err = jqfilter.Compile(opts.Unique); err != nil {
			return job, consume.Spec{}, fmt.Errorf("--unique: %w", err)
		}
	}
	if opts.On != "" {
		if job.On, err = jqfilter.Compile(opts.On); err != nil {
			return job, consume.Spec{}, fmt.Errorf("--on: %w", err)
		}
	}
	// Never following: --to is clamped to the high watermarks at start.
	return job, consume.Spec{From: fromSpec, To: &toSpec}, nil
}

// plan is what an export reads.
type plan struct {
	ranges    []consume.Range // the exported topics, each End >= Start
	reference []consume.Range // --reconcile's topic, whole
}

func makePlan(ctx context.Context, c cluster, opts *ExportOptions, spec consume.Spec) (*plan, error) {
	metas, err := c.ResolveTopics(ctx, opts.Topics)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	if p.ranges, err = consume.Plan(ctx, c, kafka.Partitions(metas), nil, spec); err != nil {
		return nil, err
	}
	for i, r := range p.ranges {
		p.ranges[i].End = max(r.End, r.Start)
	}
	if opts.Reconcile == "" {
		return p, nil
	}
	metas, err = c.ResolveTopics(ctx, []string{opts.Reconcile})
	if err != nil {
		return nil, fmt.Errorf("--reconcile: %w", err)
	}
	p.reference, err = consume.Plan(ctx, c, kafka.Partitions(metas), nil, consume.Spec{From: position.Spec{Kind: position.Beginning}})
	return p, err
}

// readResult is what the read leaves for the report.
type readResult struct {
	out          *export.Output
	checker      *export.Checker
	writer       *export.Writer
	recon        *export.Reconciler
	columnErrs   int64
	firstEvalErr error
	unknown      int64
	unknownFirst *export.Location
	undecodable  int64
	undecFirst   string
}

// read writes the export and checks it as it goes; the reconciliation
// reads the reference topic beside it, both streams merged by time. An
// interrupted read returns cmdutil.Interrupted's error: --out is then
// discarded, stdout ends with the last whole record. The output is
// flushed, not committed: report commits it.
func read(ctx context.Context, open consume.Opener, opts *ExportOptions, job export.Job, p *plan, out *export.Output) (*readResult, error) {
	res := &readResult{out: out, checker: export.NewChecker(p.ranges, opts.Unique)}

	var completed chan export.Event
	reconDone := make(chan error, 1)
	reconCtx, cancelRecon := context.WithCancel(ctx)
	defer cancelRecon()
	if opts.Reconcile != "" {
		res.recon = export.NewReconciler(opts.Reconcile, opts.On, opts.SLA)
		created := make(chan export.Event, 4096)
		completed = make(chan export.Event, 4096)
		var mergeWG sync.WaitGroup
		mergeWG.Add(1)
		go func() { defer mergeWG.Done(); export.Merge(reconCtx, res.recon, created, completed) }()
		go func() {
			err := readReference(reconCtx, open, p.reference, job.On, res.recon, created)
			close(created)
			mergeWG.Wait()
			reconDone <- err
		}()
	} else {
		reconDone <- nil
	}

	res.writer = export.NewWriter(job, out, func(d *export.Done) {
		r := d.Record
		loc := export.Location{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
		if d.EvalErr != nil {
			res.columnErrs++
			if res.firstEvalErr == nil {
				res.firstEvalErr = d.EvalErr
			}
		}
		if d.Unknown {
			res.unknown++
			if res.unknownFirst == nil {
				l := loc
				res.unknownFirst = &l
			}
		}
		if job.Unique != nil {
			res.checker.ObserveKey(d.Unique.Key, d.Unique.OK, loc)
		}
		if res.recon != nil {
			// A record without a key goes as an event with an empty Key.
			loc.Timestamp = record.FormatTimestamp(r.Timestamp)
			e := export.Event{Key: d.On.Key, Time: r.Timestamp, Loc: loc}
			if !d.On.OK {
				e.Key = ""
			}
			select {
			case completed <- e:
			case <-reconCtx.Done():
			}
		}
	})

	var total int64
	for _, r := range p.ranges {
		total += r.Count()
	}
	var n atomic.Int64
	stopProgress := startProgress(opts.IO, &n, total)
	readErr := consume.Read(ctx, open, p.ranges, consume.Options{}, func(r *record.Record) error {
		res.checker.Observe(r.TP(), r.Offset, r.Timestamp)
		n.Add(1)
		if why := undecodable(r); why != "" {
			res.undecodable++
			if res.undecFirst == "" {
				res.undecFirst = fmt.Sprintf("%s@%d: %s", r.TP(), r.Offset, why)
			}
			if opts.SkipInvalid {
				return nil
			}
		}
		return res.writer.Add(r)
	})
	closeErr := res.writer.Close()
	stopProgress()
	if completed != nil {
		close(completed)
	}
	if ctx.Err() != nil {
		cancelRecon()
		<-reconDone
		after := "after " + output.Count(n.Load(), "record")
		if opts.Out != "" {
			return nil, cmdutil.Interrupted(ctx, "export", after+"; nothing written to "+opts.Out)
		}
		// The writer holds whole records: writing them out leaves a
		// complete last line on stdout.
		if closeErr == nil {
			closeErr = out.Flush()
		}
		if closeErr != nil && !errors.Is(closeErr, syscall.EPIPE) {
			return nil, closeErr
		}
		return nil, cmdutil.Interrupted(ctx, "export", after+"; the output is incomplete")
	}
	if readErr != nil {
		cancelRecon()
		<-reconDone
		return nil, fmt.Errorf("export: %w", readErr)
	}
	if closeErr != nil {
		cancelRecon()
		<-reconDone
		return nil, closeErr
	}
	if err := <-reconDone; err != nil {
		return nil, err
	}
	if err := out.Flush(); err != nil {
		return nil, err
	}
	return res, nil
}

// undecodable says why r's key or value could not be decoded, "" when it
// could (or needed no decoding).
func undecodable(r *record.Record) string {
	if r.ValueSchema != nil && r.ValueSchema.Err != "" {
		return "value: " + r.ValueSchema.Err
	}
	if r.KeySchema != nil && r.KeySchema.Err != "" {
		return "key: " + r.KeySchema.Err
	}
	return ""
}

// report finishes the integrity report (wm: the watermarks after the
// read), commits --out and --report together (both or neither) and sums it
// up on stderr. An integrity failure still writes both: they are its
// evidence.
func report(opts *ExportOptions, job export.Job, p *plan, res *readResult, wm map[kafka.TP]kafka.Watermark, started time.Time) error {
	rep := &Report{KX: build.Current().Version, CommandLine: cmdutil.RedactArgs(opts.IO, opts.CommandLine), StartedAt: record.FormatTimestamp(started), Format: opts.Format}
	lowAtEnd := map[record.TopicPartition]int64{}
	for tp, m := range wm {
		lowAtEnd[tp] = m.Low
	}
	rep.Result = res.checker.Finish(lowAtEnd, true)
	rep.Complete = true
	rep.FinishedAt = record.FormatTimestamp(opts.Now())
	rep.Output.Path, rep.Output.Bytes, rep.Output.SHA256 = res.out.Path(), res.out.Bytes(), res.out.SHA256()
	if job.Format == export.FormatCSV {
		for _, c := range res.writer.Columns() {
			rep.Columns = append(rep.Columns, c.Name)
		}
	}
	rep.ColumnErrors.Count = res.columnErrs
	if res.firstEvalErr != nil {
		rep.ColumnErrors.First = res.firstEvalErr.Error()
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s failed a jq expression (first: %v); their cells are empty", output.Count(rep.ColumnErrors.Count, "record"), res.firstEvalErr))
	}
	rep.UnexportedFields.Count = res.unknown
	if res.unknownFirst != nil {
		rep.UnexportedFields.First = res.unknownFirst
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s value fields outside the discovered columns (first at %s/%d@%d); choose them with --columns or use -o ndjson",
			output.CountHave(rep.UnexportedFields.Count, "record"), res.unknownFirst.Topic, res.unknownFirst.Partition, res.unknownFirst.Offset))
	}
	rep.Undecodable.Count, rep.Undecodable.First = res.undecodable, res.undecFirst
	if res.undecodable > 0 {
		if opts.SkipInvalid {
			rep.Undecodable.Skipped = true
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s could not be decoded and %s left out (--skip-invalid; first: %s)", output.Count(res.undecodable, "record"), wasWere(res.undecodable), res.undecFirst))
		} else {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s could not be decoded and %s written raw (first: %s); --skip-invalid leaves them out", output.Count(res.undecodable, "record"), wasWere(res.undecodable), res.undecFirst))
		}
	}
	if res.recon != nil {
		rep.Reconcile = res.recon.Finish(started)
		rep.Failures = append(rep.Failures, rep.Reconcile.Failures()...)
		rep.Warnings = append(rep.Warnings, rep.Reconcile.Warnings()...)
	}
	rep.OK = len(rep.Failures) == 0
	var reportFile []*atomicfile.File
	if opts.Report != "" {
		data, err := output.MarshalIndent(rep, "  ")
		if err != nil {
			return err
		}
		f, err := atomicfile.Create(opts.Report, 0o644)
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		reportFile = append(reportFile, f)
		if _, err := f.Write(append(data, '\n')); err != nil {
			f.Abort()
			return fmt.Errorf("--report: write %s: %w", opts.Report, err)
		}
	}
	if err := res.out.Commit(reportFile...); err != nil {
		return err
	}
	printSummary(opts.IO.ErrOut, rep, len(p.ranges))
	if !rep.OK {
		return exitcode.Silent(exitcode.Integrity)
	}
	return nil
}

func printSummary(w io.Writer, rep *Report, partitions int) {
	dest := "stdout"
	if rep.Output.Path != "" {
		dest = rep.Output.Path
	}
	fmt.Fprintf(w, "kx: exported %s from %s to %s (%s, %d bytes, sha256 %s)\n",
		output.Count(rep.Records, "record"), output.Count(partitions, "partition"), dest, rep.Format, rep.Output.Bytes, rep.Output.SHA256)
	if r := rep.Reconcile; r != nil {
		fmt.Fprintf(w, "kx: reconcile with %s on %s: %d created, %d completed, %d matched, %d missing, %d late, %d open\n",
			r.Reference, r.On, r.Created, r.Completed, r.Matched, r.MissingTotal, r.LateTotal, r.OpenTotal)
	}
	for _, s := range rep.Warnings {
		fmt.Fprintf(w, "kx: warning: %s\n", s)
	}
	for _, s := range rep.Failures {
		fmt.Fprintf(w, "kx: integrity: %s\n", s)
	}
	if !rep.OK {
		fmt.Fprintf(w, "kx: integrity check failed (%s)\n", output.Count(len(rep.Failures), "problem"))
	}
}

func readReference(ctx context.Context, open consume.Opener, ranges []consume.Range, on *jqfilter.Filter, recon *export.Reconciler, created chan<- export.Event) error {
	err := consume.Read(ctx, open, ranges, consume.Options{}, func(r *record.Record) error {
		key, ok, _ := export.KeyOf(on, r)
		e := export.Event{Key: key, Time: r.Timestamp, Loc: export.Location{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: record.FormatTimestamp(r.Timestamp)}}
		if !ok {
			e.Key = ""
		}
		select {
		case created <- e:
			return nil
		case <-ctx.Done():
			return consume.ErrStop
		}
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("--reconcile %s: %w", recon.Reference(), err)
	}
	return nil
}

// startProgress prints records, percent and rate on stderr while it is a
// terminal; it returns a function that stops and clears the line.
func startProgress(ios *iostreams.IOStreams, read *atomic.Int64, total int64) func() {
	if !ios.IsStderrTTY() {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(ios.ErrOut, "\r\033[K")
				return
			case <-t.C:
				n := read.Load()
				pct := 100.0
				if total > 0 {
					pct = 100 * float64(n) / float64(total)
				}
				rate := float64(n) / time.Since(start).Seconds()
				fmt.Fprintf(ios.ErrOut, "\r\033[Kkx: export %d/%d records (%.1f%%) %.0f records/s", n, total, pct, rate)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// sameFile reports whether two paths name one file, symlinks resolved
// (a path that does not exist yet is compared as written, made absolute).
func sameFile(a, b string) bool {
	resolve := func(p string) string {
		// A link to a file not written yet: follow it by hand.
		for i := 0; i < 8; i++ {
			t, err := os.Readlink(p)
			if err != nil {
				break
			}
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(p), t)
			}
			p = t
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		} else if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			p = filepath.Join(dir, filepath.Base(p))
		}
		abs, _ := filepath.Abs(p)
		return abs
	}
	return resolve(a) == resolve(b)
}

func wasWere[N int | int64](n N) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
