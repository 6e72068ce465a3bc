package topics

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
)

// Deleter deletes topics it finds in the metadata (*kafka.Client).
type Deleter interface {
	Metadata(ctx context.Context) (*kafka.Metadata, error)
	DeleteTopics(ctx context.Context, names []string) error
}

// DeleteOptions of kx topics delete.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Kafka  func() (Deleter, error)
	Topics []string
	Yes    bool
}

func newCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Kafka: clientAs(f.Kafka, func(c *kafka.Client) Deleter { return c })}
	cmd := &cobra.Command{
		Use:               "delete TOPIC… --yes",
		Short:             "Delete topics (refuses without --yes)",
		Example:           `  kx topics delete orders.created orders.completed --yes`,
		ValidArgsFunction: cmdutil.CompleteTopics(f),
		Args:              cmdutil.MinimumArgs(1, "at least one topic name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topics = args
			if !opts.Yes {
				return cmdutil.UsageErrorf("refusing to delete %s without --yes", strings.Join(args, ", "))
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
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	// Check every name first, so a typo deletes nothing.
	md, err := client.Metadata(ctx)
	if err != nil {
		return err
	}
	for _, t := range opts.Topics {
		if _, ok := md.Topic(t); !ok {
			return &kafka.UnknownTopicError{Topic: t}
		}
	}
	if err := client.DeleteTopics(ctx, opts.Topics); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: deleted %s\n", strings.Join(opts.Topics, ", "))
	return nil
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
