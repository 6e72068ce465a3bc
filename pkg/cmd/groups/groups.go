// Package groups implements `kx groups`: list and describe consumer
// groups, reset their offsets from a reviewed plan, delete them.
package groups

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/groups"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// ListOptions of kx groups.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Admin    func() (groups.Admin, error)
	Output   output.Format
	Watch    bool
	Interval time.Duration
}

// adminOf adapts the factory's client to the domain interface.
func adminOf(f *cmdutil.Factory) func() (groups.Admin, error) {
	return func() (groups.Admin, error) {
		c, err := f.Kafka()
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// NewCmdGroups builds `kx groups` and its subcommands.
func NewCmdGroups(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Admin: adminOf(f)}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "List consumer groups with their lag; describe, reset and delete them",
		Long: `List every consumer group: state, members, partition assignor (protocol),
the topics it reads (committed or assigned) and its total lag: over the
partitions it has committed, the records between the commit and the end.
Partitions of those topics without a commit are counted apart
(uncommitted): their lag is unknown. --watch refreshes every --interval.

NDJSON fields (one object per group): group, state, type, members, protocol,
topics, lag, uncommitted_partitions.

Subcommands: describe a group's members and per-partition commits; reset
its offsets (a dry run unless --execute); delete it or some of its offsets.`,
		Example: `  kx groups
  kx groups -o ndjson | jq -r 'select(.lag > 1000) | .group'
  kx groups describe payment-service
  kx groups reset payment-service --topic payment.transactions --to -15m`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON, output.CSV); err != nil {
				return err
			}
			if opts.Interval <= 0 {
				return cmdutil.UsageErrorf("--interval must be positive")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, output.CSV)
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "refresh every --interval until Ctrl-C")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "refresh interval for --watch")
	cmd.AddCommand(
		newCmdDescribe(f, nil),
		newCmdReset(f, nil),
		newCmdDelete(f, nil),
		newCmdDeleteOffsets(f, nil),
	)
	return cmd
}

var listColumns = []output.Column[groups.Summary]{
	{Header: "group", Value: func(s groups.Summary) string { return s.Group }},
	{Header: "state", Value: func(s groups.Summary) string { return s.State }},
	{Header: "members", Value: func(s groups.Summary) string { return strconv.Itoa(s.Members) }},
	{Header: "protocol", Value: func(s groups.Summary) string { return dash(s.Protocol) }},
	{Header: "topics", Value: func(s groups.Summary) string { return dash(strings.Join(s.Topics, ",")) }},
	{Header: "lag", Value: func(s groups.Summary) string { return strconv.FormatInt(s.Lag, 10) }},
	{Header: "uncommitted", Value: func(s groups.Summary) string { return strconv.Itoa(s.Uncommitted) }},
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runList(ctx context.Context, opts *ListOptions) error {
	a, err := opts.Admin()
	if err != nil {
		return err
	}
	if !opts.Watch {
		list, err := groups.List(ctx, a)
		if err != nil {
			return mapErr(err)
		}
		if len(list) == 0 && opts.Output == output.Table {
			fmt.Fprintln(opts.IO.ErrOut, "kx: no consumer groups")
			return nil
		}
		return output.Print(opts.IO.Out, opts.Output, list, listColumns)
	}
	if opts.Output == output.Table {
		fmt.Fprint(opts.IO.Out, output.EnterScreen)
		defer fmt.Fprint(opts.IO.Out, output.LeaveScreen)
	}
	ticker := time.NewTicker(opts.Interval)
	defer ticker.Stop()
	for {
		list, err := groups.List(ctx, a)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return mapErr(err)
		}
		if err := printWatch(opts, list, time.Now()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// watchLine is one group in one --watch sample (NDJSON).
type watchLine struct {
	Time string `json:"time"`
	groups.Summary
}

func printWatch(opts *ListOptions, list []groups.Summary, now time.Time) error {
	if opts.Output != output.Table {
		for _, s := range list {
			if err := output.WriteJSONLine(opts.IO.Out, watchLine{Time: record.FormatTimestamp(now), Summary: s}); err != nil {
				return err
			}
		}
		return nil
	}
	width, height := opts.IO.TerminalSize()
	header, rows := output.Cells(list, listColumns)
	lines, err := output.FitTable(header, rows, width, "uncommitted", "protocol", "topics")
	if err != nil {
		return err
	}
	title := fmt.Sprintf("kx groups --watch  every %s  %s  (Ctrl-C to stop)", opts.Interval, now.Format("15:04:05"))
	return output.Frame(opts.IO.Out, append([]string{title, ""}, lines...), width, height)
}

// mapErr gives the domain's errors their exit codes: refusals and bad
// input are usage errors (2).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var (
		active   *groups.ActiveMembersError
		usage    *groups.UsageError
		unknown  *kafka.UnknownGroupError
		noCommit *groups.NoCommitsError
	)
	switch {
	case errors.As(err, &active), errors.As(err, &usage), errors.As(err, &unknown), errors.As(err, &noCommit):
		return exitcode.New(exitcode.Usage, err)
	}
	return err
}
