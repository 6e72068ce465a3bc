package kafka

import (
	"context"
	"fmt"
	"maps"
	"math"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/pkg/record"
)

// Producer sends records and reports each delivery.
type Producer struct {
	p          *ck.Producer
	owner      *Client
	deliveries chan Delivery
	done       chan struct{}
	logs       *logRoute
}

// producerDefaults: idempotent and acks=all so nothing is lost or doubled;
// murmur2 like the Java client so every tool agrees where a key lives; no
// compression, like librdkafka and the Java client, because not every
// client reads every codec (kafkajs has no lz4 without a plugin).
var producerDefaults = map[string]any{
	"enable.idempotence": true,
	"acks":               "all",
	"partitioner":        "murmur2_random",
	"compression.type":   "none",
	"linger.ms":          5,
	// librdkafka's default: an unpaced play or a large produce keeps the
	// queue full, and 500,000 queued records took 150 MB.
	"queue.buffering.max.messages": 100000,
	"go.batch.producer":            false,
	// confluent-kafka-go allocates both channels up front at 1,000,000
	// entries (24 MB that every GC cycle scans); Deliveries drains the
	// events and ProduceChannel is not used.
	"go.events.channel.size":  4096,
	"go.produce.channel.size": 1,
}

// NewProducer creates a producer. Deliveries must be drained.
func (c *Client) NewProducer(opts ProducerOptions) (*Producer, error) {
	overrides := map[string]any{}
	for k, v := range opts.Properties {
		overrides[k] = v
	}
	if _, ok := overrides["message.timeout.ms"]; !ok {
		if _, user := c.opts.Properties["message.timeout.ms"]; !user {
			// librdkafka retries for 5 minutes by default; bound it.
			overrides["message.timeout.ms"] = int(3 * c.opts.Timeout.Milliseconds())
		}
	}
	if opts.NoReportContents {
		overrides["go.delivery.report.fields"] = "none"
	}
	if opts.Compression != "" {
		overrides["compression.type"] = opts.Compression
	}
	defaults := producerDefaults
	if c.opts.Compression != "" {
		defaults = maps.Clone(producerDefaults)
		defaults["compression.type"] = c.opts.Compression
	}
	cfg, logs := c.configMap(defaults, overrides)
	p, err := ck.NewProducer(cfg)
	if err != nil {
		logs.close()
		return nil, c.classify("producer", err)
	}
	pr := &Producer{p: p, owner: c, deliveries: make(chan Delivery, 4096), done: make(chan struct{}), logs: logs}
	go pr.forward()
	return pr, nil
}

func (p *Producer) forward() {
	defer close(p.done)
	defer close(p.deliveries)
	for ev := range p.p.Events() {
		switch e := ev.(type) {
		case *ck.Message:
			d := Delivery{Record: fromMessage(e), Opaque: e.Opaque}
			if e.TopicPartition.Error != nil {
				d.Err = p.owner.classify(fmt.Sprintf("produce to %s", d.Record.Topic), e.TopicPartition.Error)
			}
			p.deliveries <- d
		case ck.Error:
			p.owner.noteError(e)
			if e.IsFatal() {
				p.deliveries <- Delivery{Err: p.owner.classify("producer", e)}
			} else if p.owner.opts.Verbose && p.owner.opts.Log != nil {
				fmt.Fprintf(p.owner.opts.Log, "kafka: %v\n", e)
			}
		}
	}
}

// Deliveries reports every produced record, in order per partition. It is
// closed by Close.
func (p *Producer) Deliveries() <-chan Delivery { return p.deliveries }

// LatestTimestamp is the latest record timestamp kx can produce:
// confluent-kafka-go converts a time through int64 nanoseconds
// (time.Time.UnixNano), which wraps after it.
var LatestTimestamp = time.Unix(0, math.MaxInt64).Truncate(time.Millisecond).UTC()

// TimestampError says why a record timestamp cannot be produced.
type TimestampError struct {
	Timestamp time.Time
	Reason    string
}

func (e *TimestampError) Error() string {
	return fmt.Sprintf("timestamp %s (%d ms): %s", record.FormatTimestamp(e.Timestamp), e.Timestamp.UnixMilli(), e.Reason)
}

// CheckTimestamp tells whether t can be produced as it is. The zero time
// is none (the producer stamps the time of sending). Kafka holds any
// millisecond count from 0 up, but librdkafka takes 0 as "none" and
// confluent-kafka-go wraps times after LatestTimestamp: both would change the
// timestamp silently, so they are refused, as are times before 1970.
func CheckTimestamp(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	switch ms := t.UnixMilli(); {
	case ms < 0:
		return &TimestampError{t, "before 1970-01-01, which Kafka timestamps cannot hold"}
	case ms == 0:
		return &TimestampError{t, "librdkafka, kx's producer, sends 0 as the time of sending; kx cannot produce it"}
	case t.After(LatestTimestamp):
		return &TimestampError{t, "after " + record.FormatTimestamp(LatestTimestamp) + ", the latest timestamp kx's producer (librdkafka through confluent-kafka-go) can send"}
	}
	return nil
}

// Produce queues r (r.Partition < 0 lets the partitioner choose). When the
// local queue is full it waits for room until ctx ends. A timestamp
// CheckTimestamp refuses is an error: nothing is queued.
func (p *Producer) Produce(ctx context.Context, r *record.Record, opaque any) error {
	if err := CheckTimestamp(r.Timestamp); err != nil {
		return err
	}
	t := r.Topic
	partition := r.Partition
	if partition < 0 {
		partition = AnyPartition
	}
	msg := &ck.Message{
		TopicPartition: ck.TopicPartition{Topic: &t, Partition: partition},
		Key:            r.Key,
		Value:          r.Value,
		Timestamp:      r.Timestamp,
		Opaque:         opaque,
	}
	if len(r.Headers) > 0 {
		msg.Headers = make([]ck.Header, len(r.Headers))
		for i, h := range r.Headers {
			msg.Headers[i] = ck.Header{Key: h.Key, Value: h.Value}
		}
	}
	for {
		err := p.p.Produce(msg, nil)
		if err == nil {
			return nil
		}
		if ke, ok := err.(ck.Error); ok && ke.Code() == ck.ErrQueueFull {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		return p.owner.classify("produce to "+t, err)
	}
}

// Flush waits until every queued record is delivered or ctx ends; it
// returns how many are still in flight.
func (p *Producer) Flush(ctx context.Context) int {
	for {
		n := p.p.Flush(100)
		if n == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return p.p.Len()
		default:
		}
	}
}

// Len is the number of records not yet delivered.
func (p *Producer) Len() int { return p.p.Len() }

// Close shuts the producer down; undelivered records are dropped, so Flush
// first. Deliveries is closed once its last event is forwarded.
func (p *Producer) Close() {
	p.p.Close()
	<-p.done
	p.logs.close()
}
