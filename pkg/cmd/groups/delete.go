package groups

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/groups"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// DeleteOptions of kx groups delete and delete-offsets.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Admin  func() (groups.Admin, error)
	Group  string
	Topics []string // delete-offsets only
	Yes    bool
}

func newCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Admin: adminOf(f)}
	cmd := &cobra.Command{
		Use:               "delete GROUP --yes",
		Short:             "Delete an inactive consumer group and its commits (refuses without --yes)",
		Example:           `  kx groups delete old-billing --yes`,
		Args:              cmdutil.ExactArgs(1, "a consumer group"),
		ValidArgsFunction: cmdutil.CompleteGroupArg(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
			if !opts.Yes {
				return cmdutil.UsageErrorf("refusing to delete group %s without --yes", opts.Group)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDelete(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "confirm the deletion")
	return cmd
}

func runDelete(ctx context.Context, opts *DeleteOptions) error {
	a, err := opts.Admin()
	if err != nil {
		return err
	}
	if err := groups.Delete(ctx, a, opts.Group); err != nil {
		return mapErr(err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: deleted group %s\n", opts.Group)
	return nil
}

func newCmdDeleteOffsets(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Admin: adminOf(f)}
	cmd := &cobra.Command{
		Use:   "delete-offsets GROUP --topic T… --yes",
		Short: "Delete an inactive group's commits for some topics (refuses without --yes)",
		Long: `Delete the committed offsets of an inactive group for the given topics; its
commits for other topics stay.

The client library kx uses has no OffsetDelete call, so kx deletes the
(inactive) group and commits its other offsets again, metadata included. If
that second step fails, kx prints those offsets as a plan that
kx groups reset GROUP --from-file applies.`,
		Example:           `  kx groups delete-offsets billing --topic orders.legacy --yes`,
		Args:              cmdutil.ExactArgs(1, "a consumer group"),
		ValidArgsFunction: cmdutil.CompleteGroupArg(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
			if len(opts.Topics) == 0 {
				return cmdutil.UsageErrorf("delete-offsets: --topic is required")
			}
			if !opts.Yes {
				return cmdutil.UsageErrorf("refusing to delete the offsets of group %s without --yes", opts.Group)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDeleteOffsets(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Topics, "topic", "t", nil, "topic whose commits to delete (repeatable)")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "confirm the deletion")
	_ = cmd.RegisterFlagCompletionFunc("topic", cmdutil.CompleteTopics(f))
	return cmd
}

func runDeleteOffsets(ctx context.Context, opts *DeleteOptions) error {
	a, err := opts.Admin()
	if err != nil {
		return err
	}
	kept, removed, err := groups.DeleteOffsets(ctx, a, opts.Group, opts.Topics)
	if err != nil {
		var re *groups.RestoreError
		if errors.As(err, &re) {
			// Say how to put back what was lost: a plan reset --from-file reads.
			plan := &groups.Plan{Group: opts.Group}
			for tp, cm := range re.Offsets {
				plan.Rows = append(plan.Rows, groups.PlanRow{Topic: tp.Topic, Partition: tp.Partition, New: cm.Offset})
			}
			sort.Slice(plan.Rows, func(i, j int) bool {
				a, b := plan.Rows[i], plan.Rows[j]
				return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
			})
			fmt.Fprintf(opts.IO.ErrOut, "kx: restore the group's other offsets with: kx groups reset %s --from-file PLAN.csv --execute, PLAN.csv being:\n", opts.Group)
			_ = groups.WritePlanCSV(opts.IO.ErrOut, plan)
		}
		return mapErr(err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: deleted %s of group %s; kept %d\n", output.Count(removed, "commit"), opts.Group, len(kept))
	return nil
}
