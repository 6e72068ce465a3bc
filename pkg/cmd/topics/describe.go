package topics

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
)

// DescribeOptions of kx topics describe.
type DescribeOptions struct {
	IO     *iostreams.IOStreams
	Kafka  func() (Describer, error)
	Output output.Format
	Topic  string
}

func newCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{IO: f.IOStreams, Kafka: clientAs(f.Kafka, func(c *kafka.Client) Describer { return c })}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "describe TOPIC",
		Short: "Show a topic's partitions (leader, replicas, ISR, watermarks) and its non-default configs",
		Long: `Show per partition the leader, replicas, in-sync replicas, low and high
watermarks and message count, then the topic's non-default configs.

NDJSON: one object per partition {"kind":"partition", topic, partition,
leader, replicas, isr, low, high, messages}, then one per non-default config
{"kind":"config", topic, name, value, source}.`,
		Example: `  kx topics describe orders.created
  kx topics describe payment.transactions -o ndjson | jq 'select(.kind=="partition") | .high'`,
		ValidArgsFunction: cmdutil.CompleteTopics(f),
		Args:              cmdutil.ExactArgs(1, "a topic name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic = args[0]
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

// PartitionRow is one partition of kx topics describe.
type PartitionRow struct {
	Kind      string  `json:"kind"`
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	ISR       []int32 `json:"isr"`
	Low       int64   `json:"low"`
	High      int64   `json:"high"`
	Messages  int64   `json:"messages"`
}

// ConfigRow is one non-default config of kx topics describe.
type ConfigRow struct {
	Kind   string `json:"kind"`
	Topic  string `json:"topic"`
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func runDescribe(ctx context.Context, opts *DescribeOptions) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	md, err := client.Metadata(ctx)
	if err != nil {
		return err
	}
	topic, ok := md.Topic(opts.Topic)
	if !ok {
		return &kafka.UnknownTopicError{Topic: opts.Topic}
	}
	tps := kafka.Partitions([]kafka.TopicMeta{topic})
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return err
	}
	configs, err := client.TopicConfigs(ctx, opts.Topic)
	if err != nil {
		return err
	}
	parts := make([]PartitionRow, 0, len(topic.Partitions))
	for _, p := range topic.Partitions {
		w := wm[kafka.TP{Topic: topic.Name, Partition: p.ID}]
		parts = append(parts, PartitionRow{
			Kind: "partition", Topic: topic.Name, Partition: p.ID, Leader: p.Leader,
			Replicas: p.Replicas, ISR: p.ISR, Low: w.Low, High: w.High, Messages: w.Count(),
		})
	}
	var cfgRows []ConfigRow
	for _, c := range configs {
		if c.IsDefault {
			continue
		}
		cfgRows = append(cfgRows, ConfigRow{Kind: "config", Topic: topic.Name, Name: c.Name, Value: c.Value, Source: c.Source})
	}
	partCols := []output.Column[PartitionRow]{
		{Header: "partition", Value: func(r PartitionRow) string { return strconv.Itoa(int(r.Partition)) }},
		{Header: "leader", Value: func(r PartitionRow) string { return strconv.Itoa(int(r.Leader)) }},
		{Header: "replicas", Value: func(r PartitionRow) string { return joinIDs(r.Replicas) }},
		{Header: "isr", Value: func(r PartitionRow) string { return joinIDs(r.ISR) }},
		{Header: "low", Value: func(r PartitionRow) string { return strconv.FormatInt(r.Low, 10) }},
		{Header: "high", Value: func(r PartitionRow) string { return strconv.FormatInt(r.High, 10) }},
		{Header: "messages", Value: func(r PartitionRow) string { return strconv.FormatInt(r.Messages, 10) }},
	}
	if opts.Output == output.Table {
		fmt.Fprintf(opts.IO.Out, "TOPIC %s  partitions=%d  replication-factor=%d\n\n", topic.Name, len(topic.Partitions), topic.ReplicationFactor())
	}
	if err := output.Print(opts.IO.Out, opts.Output, parts, partCols); err != nil {
		return err
	}
	if opts.Output == output.Table {
		if len(cfgRows) == 0 {
			_, err := fmt.Fprintln(opts.IO.Out, "\nCONFIGS (non-default): none")
			return err
		}
		fmt.Fprintln(opts.IO.Out, "\nCONFIGS (non-default)")
	}
	return output.Print(opts.IO.Out, opts.Output, cfgRows, []output.Column[ConfigRow]{
		{Header: "name", Value: func(r ConfigRow) string { return r.Name }},
		{Header: "value", Value: func(r ConfigRow) string { return r.Value }},
		{Header: "source", Value: func(r ConfigRow) string { return r.Source }},
	})
}
