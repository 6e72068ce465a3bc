package groups

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/groups"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// DescribeOptions of kx groups describe.
type DescribeOptions struct {
	IO     *iostreams.IOStreams
	Admin  func() (groups.Admin, error)
	Output output.Format
	Group  string
}

func newCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{IO: f.IOStreams, Admin: adminOf(f)}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "describe GROUP",
		Short: "Show a group's members and, per partition, its commit, the end and the lag",
		Long: `Describe a consumer group: its members (client id, host, assigned
partitions) and, for every partition of every topic it reads, the committed
offset, the end offset (high watermark), the lag and the commit's metadata.
A partition without a commit shows "no commit" (committed and lag null in
NDJSON), never dropped, and its records from the log start ("N from start",
lag_from_start): its lag if the group starts at the beginning, 0 if it
starts at the end (the default of librdkafka, Java and kx tail --group).
Commits for topics that were deleted are listed apart.

NDJSON (one object): group, state, type, protocol, members[{member_id,
client_id, instance_id, host, assigned}], partitions[{topic, partition,
committed, end, lag, lag_from_start, metadata, member}], deleted_topics.`,
		Example: `  kx groups describe payment-service
  kx groups describe payment-service -o ndjson | jq '.partitions[] | select(.lag > 0)'`,
		Args:              cmdutil.ExactArgs(1, "a consumer group"),
		ValidArgsFunction: cmdutil.CompleteGroupArg(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribe(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON)
	return cmd
}

func runDescribe(ctx context.Context, opts *DescribeOptions) error {
	a, err := opts.Admin()
	if err != nil {
		return err
	}
	d, err := groups.Describe(ctx, a, opts.Group)
	if err != nil {
		return mapErr(err)
	}
	if opts.Output != output.Table {
		return output.WriteJSONLine(opts.IO.Out, d)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "group %s  state %s  type %s  protocol %s  members %d\n\n", d.Group, d.State, dash(d.Type), dash(d.Protocol), len(d.Members))
	if len(d.Members) > 0 {
		rows := make([][]string, len(d.Members))
		for i, m := range d.Members {
			rows[i] = []string{m.ClientID, m.Host, dash(strings.Join(m.Assigned, ",")), m.ID}
		}
		if err := output.WriteTable(&buf, []string{"client id", "host", "assigned", "member id"}, rows); err != nil {
			return err
		}
		buf.WriteString("\n")
	}
	rows := make([][]string, 0, len(d.Partitions)+len(d.Gone))
	for _, p := range append(d.Partitions, d.Gone...) {
		committed, lag, end := "no commit", "-", strconv.FormatInt(p.End, 10)
		if p.Committed != nil {
			committed = strconv.FormatInt(*p.Committed, 10)
		}
		if p.Lag != nil {
			lag = strconv.FormatInt(*p.Lag, 10)
		} else if p.LagFromStart != nil {
			lag = strconv.FormatInt(*p.LagFromStart, 10) + " from start"
		}
		if p.End < 0 {
			end = "(topic deleted)"
		}
		rows = append(rows, []string{p.Topic, strconv.Itoa(int(p.Partition)), committed, end, lag, dash(p.Member), p.Metadata})
	}
	if len(rows) == 0 {
		buf.WriteString("no committed or assigned partitions\n")
	} else if err := output.WriteTable(&buf, []string{"topic", "partition", "committed", "end", "lag", "member", "metadata"}, rows); err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(buf.Bytes())
	return err
}
