package kafka

import (
	"fmt"
	"maps"
	"os"
	"sync/atomic"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/pkg/record"
)

// Reader polls records. It is not safe for concurrent use.
type Reader struct {
	c     *ck.Consumer
	owner *Client
	group bool
	logs  *logRoute
	batch *batchReader // assign-only reads: many messages per cgo call
}

var readerSeq atomic.Int64

// readerDefaults: measured against kx broker (1,000,000 records of 170 B,
// 6 partitions, bench/run.sh). Moderate fetches and a small pre-fetch queue
// were both faster and leaner than 50 MB fetches with a 64 MB queue (which
// peaked near 500 MB resident, mostly page faults on fresh fetch buffers):
// the per-record cgo cost of Poll, not the network, is the limit. A short
// queue backoff keeps the fetcher busy once Poll has drained the queue.
var readerDefaults = map[string]any{
	"enable.auto.commit":         false,
	"enable.auto.offset.store":   false,
	"auto.offset.reset":          "earliest",
	"fetch.max.bytes":            2097152,
	"max.partition.fetch.bytes":  524288,
	"queued.max.messages.kbytes": 4096,
	"fetch.queue.backoff.ms":     10,
	"fetch.wait.max.ms":          100,
	"isolation.level":            "read_committed",
	"enable.partition.eof":       false,
}

// NewReader creates a reader and starts fetching.
func (c *Client) NewReader(opts ReaderOptions) (*Reader, error) {
	overrides := map[string]any{}
	for k, v := range opts.Properties {
		overrides[k] = v
	}
	group := opts.Group != ""
	if group {
		overrides["group.id"] = opts.Group
		overrides["enable.auto.commit"] = true
	} else {
		// librdkafka wants a group.id even for assign-only reads; with
		// auto-commit off it never appears in the group list.
		overrides["group.id"] = fmt.Sprintf("kx-reader-%d-%d", os.Getpid(), readerSeq.Add(1))
	}
	defaults := readerDefaults
	if opts.QueueKB > 0 {
		defaults = maps.Clone(readerDefaults)
		defaults["queued.max.messages.kbytes"] = opts.QueueKB
		// A fetch need not be larger than what may be queued.
		defaults["max.partition.fetch.bytes"] = min(opts.QueueKB*1024/2, readerDefaults["max.partition.fetch.bytes"].(int))
		defaults["fetch.max.bytes"] = min(max(opts.QueueKB*1024*2, 1<<20), readerDefaults["fetch.max.bytes"].(int))
	}
	cfg, logs := c.configMap(defaults, overrides)
	consumer, err := ck.NewConsumer(cfg)
	if err != nil {
		logs.close()
		return nil, c.classify("consumer", err)
	}
	r := &Reader{c: consumer, owner: c, group: group, logs: logs}
	if group {
		if err := consumer.SubscribeTopics(opts.Topics, nil); err != nil {
			r.closeClient()
			return nil, c.classify("subscribe", err)
		}
		return r, nil
	}
	tps := make([]ck.TopicPartition, len(opts.Assign))
	for i, a := range opts.Assign {
		t := a.Topic
		tps[i] = ck.TopicPartition{Topic: &t, Partition: a.Partition, Offset: ck.Offset(a.Offset)}
	}
	if err := consumer.Assign(tps); err != nil {
		r.closeClient()
		return nil, c.classify("assign", err)
	}
	r.batch = newBatchReader(consumer)
	if r.batch != nil {
		r.batch.reuse = opts.Reuse
	}
	return r, nil
}

// Poll returns the next record, or nil when none arrived within timeout.
// Transient cluster errors are remembered (see Client) and not returned;
// fatal ones are.
func (r *Reader) Poll(timeout time.Duration) (*record.Record, error) {
	if r.batch != nil {
		return r.batch.poll(r, timeout)
	}
	ev := r.c.Poll(int(timeout.Milliseconds()))
	switch e := ev.(type) {
	case *ck.Message:
		if e.TopicPartition.Error != nil {
			return nil, r.owner.classify(fmt.Sprintf("read %s/%d@%d", *e.TopicPartition.Topic, e.TopicPartition.Partition, e.TopicPartition.Offset), e.TopicPartition.Error)
		}
		return fromMessage(e), nil
	case ck.Error:
		r.owner.noteError(e)
		if e.IsFatal() || e.Code() == ck.ErrUnknownTopicOrPart || e.Code() == ck.ErrTopicAuthorizationFailed || isAuthError(e) {
			return nil, r.owner.classify("read", e)
		}
		if r.owner.opts.Verbose && r.owner.opts.Log != nil {
			fmt.Fprintf(r.owner.opts.Log, "kafka: %v\n", e)
		}
	}
	return nil, nil
}

// Store marks rec as processed; in group mode the stored offsets are
// committed periodically and on Close.
func (r *Reader) Store(rec *record.Record) error {
	if !r.group {
		return nil
	}
	t := rec.Topic
	_, err := r.c.StoreOffsets([]ck.TopicPartition{{Topic: &t, Partition: rec.Partition, Offset: ck.Offset(rec.Offset + 1)}})
	return err
}

// Pause stops fetching tps (e.g. partitions that reached their end).
func (r *Reader) Pause(tps []TP) error {
	if r.batch != nil {
		r.batch.drop(tps)
	}
	return r.c.Pause(toCK(tps))
}

// Close commits stored offsets (group mode) and leaves the group.
//
// librdkafka's commit has no deadline of its own: with the coordinator
// gone it waits about 100 s. Close waits at most the client's timeout;
// past it, the commit and the consumer's close finish in the background
// and Close reports the commit as not answered, so the caller never
// claims offsets the group may not hold.
//
// A reader outside a group (assigned) has nothing to commit or leave: it
// is closed in the background. confluent-kafka-go's close polls for its
// end every 100 ms, which every bounded read (kx tail -e, each round of
// kx trace) waited once; a process that exits first only drops the
// connection.
func (r *Reader) Close() error {
	if !r.group {
		go r.closeClient()
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.c.Commit()
		if ke, ok := err.(ck.Error); ok && ke.Code() == ck.ErrNoOffset {
			err = nil
		}
		cerr := r.closeClient()
		if err != nil {
			done <- fmt.Errorf("commit: %w", err)
			return
		}
		done <- cerr
	}()
	timeout := r.owner.opts.Timeout
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("commit: %w: the group coordinator did not answer within %s", ErrUnreachable, timeout)
	}
}

// closeClient closes the consumer, then its log route and the batch buffers.
func (r *Reader) closeClient() error {
	defer r.logs.close()
	err := r.c.Close()
	if r.batch != nil {
		r.batch.free()
		r.batch = nil
	}
	return err
}

func toCK(tps []TP) []ck.TopicPartition {
	out := make([]ck.TopicPartition, len(tps))
	for i, tp := range tps {
		t := tp.Topic
		out[i] = ck.TopicPartition{Topic: &t, Partition: tp.Partition}
	}
	return out
}

func fromMessage(m *ck.Message) *record.Record {
	r := &record.Record{
		Topic:     *m.TopicPartition.Topic,
		Partition: m.TopicPartition.Partition,
		Offset:    int64(m.TopicPartition.Offset),
		Key:       m.Key,
		Value:     m.Value,
	}
	switch m.TimestampType {
	case ck.TimestampCreateTime:
		r.Timestamp, r.TimestampType = m.Timestamp, record.TimestampCreateTime
	case ck.TimestampLogAppendTime:
		r.Timestamp, r.TimestampType = m.Timestamp, record.TimestampLogAppendTime
	default:
		r.TimestampType = record.TimestampNotAvailable
	}
	if len(m.Headers) > 0 {
		r.Headers = make([]record.Header, len(m.Headers))
		for i, h := range m.Headers {
			r.Headers[i] = record.Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}

// Positions returns the next offset the reader will fetch for each of tps
// (-1 when unknown). It moves past gaps such as transaction markers, so a
// bounded read can tell it reached the end without a record at End-1.
func (r *Reader) Positions(tps []TP) (map[TP]int64, error) {
	res, err := r.c.Position(toCK(tps))
	if err != nil {
		return nil, err
	}
	out := make(map[TP]int64, len(res))
	for _, p := range res {
		out[TP{Topic: *p.Topic, Partition: p.Partition}] = int64(p.Offset)
	}
	return out, nil
}
