// Package broker implements `kx broker`, the embedded Kafka-protocol broker.
package broker

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// Options of kx broker.
type Options struct {
	IO      *iostreams.IOStreams
	Port    int
	Nodes   int
	DataDir string
	Debug   bool
	// RegistryPort serves an embedded Schema Registry there too (0: none).
	RegistryPort int
	// Like a stock Apache Kafka: topics are created on first use.
	NoAutoCreate      bool
	DefaultPartitions int
}

// NewCmdBroker builds `kx broker`.
func NewCmdBroker(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run an embedded Kafka-protocol broker in the foreground",
		Long: `Run an embedded Kafka-protocol broker (franz-go's kfake) for demos, tests and
CI smoke checks. Any Kafka client reaches it over the wire protocol: kx,
kcat, librdkafka, the Java client. It listens on 127.0.0.1 only.

It behaves like a default Apache Kafka: a client that asks for a topic
that does not exist (a producer's metadata request) creates it, with
--default-partitions partitions (Kafka's auto.create.topics.enable=true
and num.partitions=1). --no-auto-create turns that off. kx's own commands
never create topics by asking: reading an unknown topic is an error, and
producing to one with kx produce is too.

The bootstrap address is printed on stderr. Ctrl-C or SIGTERM stops it
cleanly. Without --data-dir everything is kept in memory and lost on exit;
with it, topics, records and committed offsets survive restarts.

--schema-registry-port also serves a Confluent-compatible Schema Registry
API on 127.0.0.1 (franz-go's srfake, in memory even with --data-dir), for
Avro, Protobuf and JSON Schema records: point kx at it with
--schema-registry http://127.0.0.1:PORT (or KX_SCHEMA_REGISTRY). It does not
check compatibility.`,
		Example: `  kx broker                        # 127.0.0.1:9092, in memory
  kx broker --port 19092 --nodes 3
  kx broker --default-partitions 3 # auto-created topics get 3 partitions
  kx broker --no-auto-create       # producing to a missing topic fails
  kx broker --data-dir ./kafka-data  # persistent
  kx broker --schema-registry-port 8081`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Nodes < 1 {
				return cmdutil.UsageErrorf("--nodes must be at least 1")
			}
			if opts.DefaultPartitions < 1 {
				return cmdutil.UsageErrorf("--default-partitions must be at least 1")
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return cmdutil.UsageErrorf("--port %d: out of range", opts.Port)
			}
			if opts.RegistryPort < 0 || opts.RegistryPort > 65535 {
				return cmdutil.UsageErrorf("--schema-registry-port %d: out of range", opts.RegistryPort)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Port, "port", 9092, "first port to listen on (one port per node; 0 picks free ports)")
	cmd.Flags().IntVar(&opts.Nodes, "nodes", 1, "number of brokers in the cluster")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "persist the cluster's state in this directory across restarts")
	cmd.Flags().IntVar(&opts.RegistryPort, "schema-registry-port", 0, "also serve an embedded Schema Registry on this port (0: none)")
	cmd.Flags().BoolVar(&opts.Debug, "debug", false, "log every request the broker handles (stderr)")
	cmd.Flags().IntVar(&opts.DefaultPartitions, "default-partitions", 1, "partitions of a topic created without a count, automatically or not (Kafka's num.partitions)")
	cmd.Flags().BoolVar(&opts.NoAutoCreate, "no-auto-create", false, "do not create topics on first use (Kafka's auto.create.topics.enable=false)")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	b, err := embedded.Start(embedded.Options{
		Port: opts.Port, Nodes: opts.Nodes, DataDir: opts.DataDir,
		Log: opts.IO.ErrOut, Debug: opts.Debug,
		NoAutoCreate: opts.NoAutoCreate, DefaultPartitions: opts.DefaultPartitions,
	})
	if err != nil {
		return err
	}
	defer b.Close()
	var registry string
	if opts.RegistryPort > 0 {
		reg, err := embedded.StartRegistry(embedded.RegistryOptions{Port: opts.RegistryPort})
		if err != nil {
			return err
		}
		defer reg.Close()
		registry = "; schema registry on " + reg.URL()
	}
	where := "in memory"
	if opts.DataDir != "" {
		where = "data in " + opts.DataDir
	}
	create := fmt.Sprintf("topics auto-created with %d %s", opts.DefaultPartitions, output.Plural(opts.DefaultPartitions, "partition"))
	if opts.NoAutoCreate {
		create = "no topic auto-creation"
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx broker: listening on %s (%d %s, %s, %s)%s; Ctrl-C to stop\n",
		strings.Join(b.Addrs(), ","), opts.Nodes, output.Plural(opts.Nodes, "node"), where, create, registry)
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "kx broker: stopping")
	return nil
}
