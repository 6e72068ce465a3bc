package cluster

import "github.com/kx-cli/kx/pkg/record"

// Special start offsets for an Assignment (librdkafka's values).
const (
	OffsetBeginning int64 = -2
	OffsetEnd       int64 = -1
)

// AnyPartition lets the producer's partitioner choose.
const AnyPartition int32 = -1

// Assignment is a partition to read from an absolute offset (or
// OffsetBeginning / OffsetEnd).
type Assignment struct {
	TP
	Offset int64
}

// ReaderOptions select what a reader reads. Either Assign partitions
// directly (no group, no commits) or join Group and subscribe to Topics.
type ReaderOptions struct {
	Assign []Assignment
	Group  string
	Topics []string
	// Properties override kx's consumer defaults (after the user's -X).
	Properties map[string]any
	// QueueKB bounds the records librdkafka pre-fetches per partition,
	// in kilobytes (0: kx's default, 4096); the user's -X wins. Commands
	// reading many partitions at once (several readers in parallel) give
	// each less, so their memory stays bounded.
	QueueKB int
	// Reuse lets an assign-only reader reuse the memory of the records it
	// returned at its next Poll: a caller that is done with each record
	// before polling again saves an allocation per batch (and the GC work
	// and page faults that come with it).
	Reuse bool
}

// ProducerOptions tune a producer.
type ProducerOptions struct {
	// Properties override kx's producer defaults (after the user's -X).
	Properties map[string]any
	// Compression is the codec (none|gzip|snappy|lz4|zstd), over the client's
	// default and the user's compression.type; "" keeps those.
	Compression string
	// NoReportContents leaves the key and value out of each Delivery's
	// Record (topic, partition, offset and timestamp stay): a copy of
	// every record less for callers that only count deliveries.
	NoReportContents bool
	// OnDeliveries, when set, receives the delivery reports many at a
	// time, from one goroutine, instead of Deliveries (which then carries
	// nothing and is closed by Close): no channel operation per record.
	// The slice and its records are reused once it returns.
	OnDeliveries func([]Delivery)
	// InlineReports lets ProduceBatch read the delivery reports itself,
	// after each batch, on the thread that queued the records (librdkafka
	// frees them there, as a C producer polling between its sends does:
	// less CPU). Between two ProduceBatch calls reports then wait, until
	// the next call or Flush: only for a caller that waits for no report
	// in between.
	InlineReports bool
}

// Delivery is the outcome of one produce: the record with its partition,
// offset and timestamp filled in, or an error. A producer-level fatal error
// arrives with a nil Record.
type Delivery struct {
	Record *record.Record
	// Opaque is Produce's opaque; ID the BatchMessage's (ProduceBatch).
	Opaque any
	ID     int
	Err    error
}
