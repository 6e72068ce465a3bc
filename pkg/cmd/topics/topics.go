// Package topics implements `kx topics`: list, describe, create, delete and
// watch topics.
package topics

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// Offsets is what listing and watching topics ask of the cluster
// (*kafka.Client; kafkafake in tests).
type Offsets interface {
	ResolveTopics(ctx context.Context, patterns []string) ([]kafka.TopicMeta, error)
	Watermarks(ctx context.Context, tps []kafka.TP) (map[kafka.TP]kafka.Watermark, error)
	ListOffsets(ctx context.Context, tps []kafka.TP, spec kafka.OffsetSpec) (map[kafka.TP]kafka.OffsetInfo, error)
}

// Describer is what describing a topic asks of the cluster.
type Describer interface {
	Metadata(ctx context.Context) (*kafka.Metadata, error)
	Watermarks(ctx context.Context, tps []kafka.TP) (map[kafka.TP]kafka.Watermark, error)
	TopicConfigs(ctx context.Context, topic string) ([]kafka.ConfigEntry, error)
}

// clientAs hands out the factory's client as the interface a run uses.
func clientAs[T any](kafkaClient func() (*kafka.Client, error), as func(*kafka.Client) T) func() (T, error) {
	return func() (T, error) {
		c, err := kafkaClient()
		if err != nil {
			var zero T
			return zero, err
		}
		return as(c), nil
	}
}

// ListOptions of kx topics.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Kafka    func() (Offsets, error)
	Output   output.Format
	Patterns []string
	Wide     bool
	Watch    bool
	Interval time.Duration
}

// NewCmdTopics builds `kx topics` and its subcommands.
func NewCmdTopics(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Kafka: clientAs(f.Kafka, func(c *kafka.Client) Offsets { return c })}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "topics [TOPIC|REGEX…]",
		Short: "List topics with partitions, replication and message counts; watch offsets live",
		Long: `List topics: name, partitions, replication factor and messages (the sum of
high minus low watermarks over the partitions). Arguments filter by name or by
regular expression ('orders\..*'). --wide adds the first and last record
timestamps. --watch shows offset progression and messages per second per
topic and per partition, refreshed every --interval.

NDJSON fields (one object per topic): topic, partitions, replication_factor,
messages, and with --wide first_timestamp, last_timestamp. With --watch:
time, topic, messages, messages_per_sec, partitions[{partition, low, high,
messages_per_sec}], one object per topic per interval.`,
		Example: `  kx topics
  kx topics 'orders\..*' --wide
  kx topics --watch --interval 2s
  kx topics -o ndjson | jq -r 'select(.messages == 0) | .topic'`,
		ValidArgsFunction: cmdutil.CompleteTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Patterns = args
			formats := []output.Format{output.Table, output.NDJSON, output.CSV}
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, formats...); err != nil {
				return err
			}
			if opts.Interval <= 0 {
				return cmdutil.UsageErrorf("--interval must be positive")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Watch {
				return runWatch(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, output.CSV)
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, "add the first and last record timestamps")
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "refresh offsets and rates every --interval until Ctrl-C")
	cmd.Flags().DurationVar(&opts.Interval, "interval", time.Second, "refresh interval for --watch")
	cmd.AddCommand(
		newCmdDescribe(f, nil),
		newCmdCreate(f, nil),
		newCmdDelete(f, nil),
	)
	return cmd
}

// TopicRow is one line of kx topics.
type TopicRow struct {
	Topic             string  `json:"topic"`
	Partitions        int     `json:"partitions"`
	ReplicationFactor int     `json:"replication_factor"`
	Messages          int64   `json:"messages"`
	FirstTimestamp    *string `json:"first_timestamp,omitempty"`
	LastTimestamp     *string `json:"last_timestamp,omitempty"`
}

func runList(ctx context.Context, opts *ListOptions) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	topics, err := client.ResolveTopics(ctx, opts.Patterns)
	if err != nil {
		return err
	}
	tps := kafka.Partitions(topics)
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return err
	}
	var first, last map[kafka.TP]kafka.OffsetInfo
	if opts.Wide {
		if first, err = client.ListOffsets(ctx, tps, kafka.AtTime(time.UnixMilli(0))); err != nil {
			return err
		}
		if last, err = client.ListOffsets(ctx, tps, kafka.MaxTimestamp); err != nil {
			return err
		}
	}
	rows := make([]TopicRow, 0, len(topics))
	for _, t := range topics {
		row := TopicRow{Topic: t.Name, Partitions: len(t.Partitions), ReplicationFactor: t.ReplicationFactor()}
		var lo, hi time.Time
		for _, p := range t.Partitions {
			tp := kafka.TP{Topic: t.Name, Partition: p.ID}
			row.Messages += wm[tp].Count()
			if !opts.Wide || wm[tp].Count() == 0 {
				continue
			}
			if ts := first[tp].Timestamp; !ts.IsZero() && (lo.IsZero() || ts.Before(lo)) {
				lo = ts
			}
			if ts := last[tp].Timestamp; !ts.IsZero() && ts.After(hi) {
				hi = ts
			}
		}
		if opts.Wide {
			row.FirstTimestamp, row.LastTimestamp = tsPtr(lo), tsPtr(hi)
		}
		rows = append(rows, row)
	}
	cols := []output.Column[TopicRow]{
		{Header: "topic", Value: func(r TopicRow) string { return r.Topic }},
		{Header: "partitions", Value: func(r TopicRow) string { return strconv.Itoa(r.Partitions) }},
		{Header: "replicas", Value: func(r TopicRow) string { return strconv.Itoa(r.ReplicationFactor) }},
		{Header: "messages", Value: func(r TopicRow) string { return strconv.FormatInt(r.Messages, 10) }},
	}
	if opts.Wide {
		cols = append(cols,
			output.Column[TopicRow]{Header: "first timestamp", Value: func(r TopicRow) string { return deref(r.FirstTimestamp) }},
			output.Column[TopicRow]{Header: "last timestamp", Value: func(r TopicRow) string { return deref(r.LastTimestamp) }},
		)
	}
	return output.Print(opts.IO.Out, opts.Output, rows, cols)
}

func tsPtr(t time.Time) *string {
	s := record.FormatTimestamp(t)
	return &s
}

func deref(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

func joinIDs(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return strings.Join(parts, ",")
}
