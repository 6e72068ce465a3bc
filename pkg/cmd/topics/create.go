package topics

import (
	"context"
	"fmt"
	"github.com/kx-cli/kx/pkg/output"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
)

// Creator creates topics (*kafka.Client).
type Creator interface {
	CreateTopic(ctx context.Context, spec kafka.TopicSpec) error
}

// CreateOptions of kx topics create.
type CreateOptions struct {
	IO          *iostreams.IOStreams
	Kafka       func() (Creator, error)
	Spec        kafka.TopicSpec
	IfNotExists bool
}

func newCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Kafka: clientAs(f.Kafka, func(c *kafka.Client) Creator { return c })}
	var configs []string
	cmd := &cobra.Command{
		Use:   "create TOPIC",
		Short: "Create a topic",
		Example: `  kx topics create orders.created --partitions 6 --replication-factor 3
  kx topics create audit --topic-config retention.ms=-1 --topic-config cleanup.policy=compact`,
		Args: cmdutil.ExactArgs(1, "a topic name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Spec.Name = args[0]
			if opts.Spec.Partitions < 1 {
				return cmdutil.UsageErrorf("--partitions must be at least 1")
			}
			if opts.Spec.ReplicationFactor < 1 {
				return cmdutil.UsageErrorf("--replication-factor must be at least 1")
			}
			opts.Spec.Configs = map[string]string{}
			for _, kv := range configs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return cmdutil.UsageErrorf("--topic-config %q: want key=value", kv)
				}
				opts.Spec.Configs[k] = v
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCreate(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Spec.Partitions, "partitions", 1, "number of partitions")
	cmd.Flags().IntVarP(&opts.Spec.ReplicationFactor, "replication-factor", "r", 1, "replicas per partition")
	cmd.Flags().StringArrayVar(&configs, "topic-config", nil, "topic config key=value, repeatable (e.g. retention.ms=86400000)")
	cmd.Flags().BoolVar(&opts.IfNotExists, "if-not-exists", false, "succeed when the topic already exists")
	return cmd
}

func runCreate(ctx context.Context, opts *CreateOptions) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	err = client.CreateTopic(ctx, opts.Spec)
	var exists *kafka.TopicExistsError
	if opts.IfNotExists && errorsAs(err, &exists) {
		fmt.Fprintf(opts.IO.ErrOut, "kx: topic %q already exists\n", opts.Spec.Name)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: created topic %q (%s, replication factor %d)\n", opts.Spec.Name, output.Count(opts.Spec.Partitions, "partition"), opts.Spec.ReplicationFactor)
	return nil
}
