// Package embedded runs an embedded Kafka-protocol broker (franz-go's kfake)
// for demos, tests and CI smoke checks. Clients reach it over the real Kafka
// wire protocol, exactly as they would reach a cluster.
package embedded

import (
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configure an embedded broker.
type Options struct {
	Port    int    // first port; 0 picks free ports
	Nodes   int    // brokers in the cluster (default 1)
	DataDir string // persist state here across restarts; "" keeps it in memory
	Log     io.Writer
	Debug   bool
	// NoAutoCreate stops the broker creating a topic when a metadata request
	// asks for it (auto.create.topics.enable=false); by default it creates
	// them, as Apache Kafka does.
	NoAutoCreate bool
	// DefaultPartitions of a topic created without a count, automatically or
	// with -1 partitions (Kafka's num.partitions); 0 means 1.
	DefaultPartitions int
}

// Broker is a running embedded cluster.
type Broker struct {
	cluster *kfake.Cluster
	addrs   []string
}

// Start starts the cluster and returns once it accepts connections.
func Start(opts Options) (*Broker, error) {
	if opts.Nodes <= 0 {
		opts.Nodes = 1
	}
	if opts.DefaultPartitions <= 0 {
		opts.DefaultPartitions = 1
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(opts.Nodes),
		kfake.ClusterID("kx-embedded"),
		kfake.DefaultNumPartitions(opts.DefaultPartitions),
	}
	if !opts.NoAutoCreate {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
	if opts.Port > 0 {
		ports := make([]int, opts.Nodes)
		for i := range ports {
			ports[i] = opts.Port + i
		}
		kopts = append(kopts, kfake.Ports(ports...))
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	if opts.Log != nil {
		level := kfake.LogLevelWarn
		if opts.Debug {
			level = kfake.LogLevelDebug
		}
		kopts = append(kopts, kfake.WithLogger(kfake.BasicLogger(opts.Log, level)))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Broker{cluster: c, addrs: c.ListenAddrs()}, nil
}

// Addrs are the bootstrap addresses (127.0.0.1:port, one per node started).
// Kept from Start: kfake's ListenAddrs blocks forever once it is closed.
func (b *Broker) Addrs() []string { return b.addrs }

// Cluster exposes kfake for fault injection in tests.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the cluster (and flushes its data dir).
func (b *Broker) Close() { b.cluster.Close() }
