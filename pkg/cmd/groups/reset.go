package groups

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/internal/atomicfile"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/groups"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
)

// ResetOptions of kx groups reset.
type ResetOptions struct {
	IO     *iostreams.IOStreams
	Admin  func() (groups.Admin, error)
	Now    func() time.Time
	Output output.Format

	Group    string
	Topics   []string
	To       string
	ShiftBy  int64
	Shift    bool // --shift-by was given
	FromFile string
	Execute  bool
	Export   string
}

func newCmdReset(f *cmdutil.Factory, runF func(context.Context, *ResetOptions) error) *cobra.Command {
	opts := &ResetOptions{IO: f.IOStreams, Admin: adminOf(f), Now: time.Now}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "reset GROUP (--topic T[:P,P…]… (--to POSITION | --shift-by N) | --from-file PLAN.csv) [--execute]",
		Short: "Move a group's committed offsets: a dry run showing the plan unless --execute",
		Long: `Reset moves the committed offsets of an inactive consumer group.

Which partitions: --topic T (every partition) or --topic T:0,2 (some),
repeatable. Where to, exactly one of:

  --to beginning|end|OFFSET|TIMESTAMP|-DURATION|-N
         the same positions as kx tail --from: earliest/latest, an absolute
         offset, RFC 3339 or epoch milliseconds (the first record at or after
         it), -15m (fifteen minutes ago), -N (N records before the end)
  --shift-by N    N forward (or back, when negative) from the current commit;
                  partitions without a commit are left alone
  --from-file PLAN.csv
                  a plan written by --export (or Kafka's own
                  kafka-consumer-groups --export: topic,partition,offset)

Without --execute nothing changes: kx prints the plan, per partition the
current commit, the new offset, how many offsets that skips or replays, and
a note when the offset was clamped to the partition's range (first offset to
end). --execute applies the whole plan in one commit. --export FILE writes
the plan as CSV for review; --from-file FILE applies it later (the current
commits and ranges are read again, and clamping applies again).

A group with active members is refused (exit 2, naming them): the broker
would reject the commit, or the members would overwrite it. Stop them first.

NDJSON fields (one object per partition): topic, partition, current, new,
low, high, skipped, replayed, note (current, skipped and replayed are null
without a commit).`,
		Example: `  # What would rewinding the payment service to 10:32 do?
  kx groups reset payment-service --topic payment.transactions --to 2026-11-25T10:32:00Z

  # Do it
  kx groups reset payment-service --topic payment.transactions --to 2026-11-25T10:32:00Z --execute

  # Skip 100 records on partitions 0 and 2, reviewed first
  kx groups reset billing --topic orders:0,2 --shift-by 100 --export plan.csv
  kx groups reset billing --from-file plan.csv --execute`,
		Args:              cmdutil.ExactArgs(1, "a consumer group"),
		ValidArgsFunction: cmdutil.CompleteGroupArg(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
			opts.Shift = cmd.Flags().Changed("shift-by")
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON, output.CSV); err != nil {
				return err
			}
			n := 0
			for _, set := range []bool{opts.To != "", opts.Shift, opts.FromFile != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				return cmdutil.UsageErrorf("reset: want exactly one of --to, --shift-by or --from-file")
			}
			if opts.FromFile != "" && len(opts.Topics) > 0 {
				return cmdutil.UsageErrorf("reset: --from-file names its partitions; drop --topic")
			}
			if opts.FromFile == "" && len(opts.Topics) == 0 {
				return cmdutil.UsageErrorf("reset: --topic is required (TOPIC or TOPIC:P,P…)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReset(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Topics, "topic", "t", nil, "topic to reset, TOPIC or TOPIC:P,P… (repeatable)")
	fl.StringVar(&opts.To, "to", "", "new position: "+position.Help)
	fl.Int64Var(&opts.ShiftBy, "shift-by", 0, "move each committed offset by N (negative: back)")
	fl.StringVar(&opts.FromFile, "from-file", "", "apply a plan CSV written by --export")
	fl.BoolVar(&opts.Execute, "execute", false, "commit the plan (default: dry run)")
	fl.StringVar(&opts.Export, "export", "", "write the plan as CSV to this file")
	_ = cmd.RegisterFlagCompletionFunc("topic", cmdutil.CompleteTopics(f))
	_ = cmd.MarkFlagFilename("from-file", "csv")
	_ = cmd.MarkFlagFilename("export", "csv")
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, output.CSV)
	return cmd
}

var planColumns = []output.Column[groups.PlanRow]{
	{Header: "topic", Value: func(r groups.PlanRow) string { return r.Cells()[0] }},
	{Header: "partition", Value: func(r groups.PlanRow) string { return r.Cells()[1] }},
	{Header: "current", Value: func(r groups.PlanRow) string { return orNone(r.Cells()[2]) }},
	{Header: "new", Value: func(r groups.PlanRow) string { return dash(r.Cells()[3]) }},
	{Header: "skipped", Value: func(r groups.PlanRow) string { return dash(r.Cells()[6]) }},
	{Header: "replayed", Value: func(r groups.PlanRow) string { return dash(r.Cells()[7]) }},
	{Header: "note", Value: func(r groups.PlanRow) string { return r.Note }},
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func runReset(ctx context.Context, opts *ResetOptions) error {
	var target groups.Target
	var sel []groups.TopicSelection
	switch {
	case opts.FromFile != "":
		f, err := os.Open(opts.FromFile)
		if err != nil {
			return cmdutil.UsageErrorf("--from-file: %v", err)
		}
		rows, err := groups.ReadPlanCSV(f, opts.FromFile)
		f.Close()
		if err != nil {
			return mapErr(err)
		}
		target = groups.Target{File: rows, FileName: opts.FromFile}
	case opts.Shift:
		target.Shift = &opts.ShiftBy
	default:
		spec, err := position.Parse(opts.To, opts.Now())
		if err != nil {
			return cmdutil.UsageErrorf("--to: %v", err)
		}
		target.To = &spec
	}
	for _, t := range opts.Topics {
		s, err := groups.ParseTopicSelection(t)
		if err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
		sel = append(sel, s)
	}
	a, err := opts.Admin()
	if err != nil {
		return err
	}
	// Refuse an active group before planning, so a dry run says so too.
	if err := groups.CheckInactive(ctx, a, opts.Group); err != nil {
		return mapErr(err)
	}
	plan, err := groups.PlanReset(ctx, a, opts.Group, sel, target)
	if err != nil {
		return mapErr(err)
	}
	if opts.Export != "" {
		f, err := atomicfile.Create(opts.Export, 0o644)
		if err != nil {
			return fmt.Errorf("--export: %w", err)
		}
		if err := groups.WritePlanCSV(f, plan); err != nil {
			f.Abort()
			return fmt.Errorf("--export %s: %w", opts.Export, err)
		}
		if err := f.Commit(); err != nil {
			return fmt.Errorf("--export %s: %w", opts.Export, err)
		}
	}
	if opts.Output == output.CSV {
		if err := groups.WritePlanCSV(opts.IO.Out, plan); err != nil {
			return err
		}
	} else if err := output.Print(opts.IO.Out, opts.Output, plan.Rows, planColumns); err != nil {
		return err
	}
	if opts.Export != "" {
		fmt.Fprintf(opts.IO.ErrOut, "kx: plan written to %s\n", opts.Export)
	}
	if !opts.Execute {
		fmt.Fprintf(opts.IO.ErrOut, "kx: dry run: nothing changed; add --execute to commit %s for group %s\n", output.Count(plan.Changes(), "offset"), opts.Group)
		return nil
	}
	if err := groups.Apply(ctx, a, plan); err != nil {
		return mapErr(fmt.Errorf("reset %s: %w", opts.Group, err))
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: committed %s for group %s\n", output.Count(plan.Changes(), "offset"), opts.Group)
	return nil
}
