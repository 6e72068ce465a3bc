package kafka

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/record"
)

func startBroker(t testing.TB) *Client {
	t.Helper()
	b, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c := New(Options{Brokers: b.Addrs(), Timeout: 10 * time.Second})
	t.Cleanup(c.Close)
	return c
}

// produceShapes sends n records to topic's partitions round-robin, in
// every shape a reader must keep apart: JSON, a nil key, an empty value, a
// tombstone, binary bytes, headers (with a nil value and duplicates).
func produceShapes(t *testing.T, c *Client, topic string, partitions, n int) {
	t.Helper()
	ctx := context.Background()
	if err := c.CreateTopic(ctx, TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := c.NewProducer(ProducerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan error, 1)
	go func() {
		var first error
		for i := 0; i < n; i++ {
			d := <-p.Deliveries()
			if d.Err != nil && first == nil {
				first = d.Err
			}
		}
		done <- first
	}()
	for i := 0; i < n; i++ {
		r := &record.Record{Topic: topic, Partition: int32(i % partitions), Timestamp: time.UnixMilli(1700000000000 + int64(i))}
		switch i % 5 {
		case 0:
			r.Key, r.Value = []byte(fmt.Sprintf("k%d", i)), []byte(fmt.Sprintf(`{"n":%d}`, i))
		case 1:
			r.Value = []byte{}
		case 2:
			r.Key = []byte("tomb")
		case 3:
			r.Key, r.Value = []byte{}, []byte{0, 0xff, byte(i)}
		case 4:
			r.Value = []byte("v")
			r.Headers = []record.Header{{Key: "a", Value: []byte("1")}, {Key: "a", Value: []byte("2")}, {Key: "nil"}}
		}
		if err := p.Produce(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	if left := p.Flush(ctx); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The ways readAll reads.
const (
	viaPoll  = iota // confluent-kafka-go's Poll
	viaBatch        // the batch read
	viaReuse        // the batch read reusing its memory (ReaderOptions.Reuse)
)

// readAll reads n records of topic one of the ways above; the records are
// copied, as the reused ones are overwritten at the next Poll.
func readAll(t *testing.T, c *Client, topic string, partitions, n int, via int) map[int32][]record.Record {
	t.Helper()
	// Offset 0, not OffsetBeginning: kx reads from planned offsets, and a
	// logical one costs librdkafka's 500 ms offset query timer per reader.
	var assign []Assignment
	for p := 0; p < partitions; p++ {
		assign = append(assign, Assignment{TP: TP{Topic: topic, Partition: int32(p)}, Offset: 0})
	}
	r, err := c.NewReader(ReaderOptions{Assign: assign, Reuse: via == viaReuse})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.batch == nil {
		t.Fatal("the batch read is not available with this confluent-kafka-go: its handle layout changed")
	}
	if via == viaPoll {
		r.batch.free()
		r.batch = nil
	}
	got := map[int32][]record.Record{}
	deadline := time.Now().Add(20 * time.Second)
	for count := 0; count < n; {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d records", count, n)
		}
		rec, err := r.Poll(100 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			continue
		}
		cp := *rec
		cp.Key, cp.Value = clone(rec.Key), clone(rec.Value)
		cp.Headers = nil
		for _, h := range rec.Headers {
			cp.Headers = append(cp.Headers, record.Header{Key: h.Key, Value: clone(h.Value)})
		}
		got[rec.Partition] = append(got[rec.Partition], cp)
		count++
	}
	return got
}

// clone copies b, keeping nil and empty apart.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// TestBatchReadMatchesPoll: the batch read, reusing its memory or not,
// gives the same records, byte for byte and nil for nil, in the same order
// per partition, as confluent-kafka-go's Poll.
func TestBatchReadMatchesPoll(t *testing.T) {
	c := startBroker(t)
	const partitions, n = 3, 3000
	produceShapes(t, c, "shapes", partitions, n)
	polled := readAll(t, c, "shapes", partitions, n, viaPoll)
	batched := readAll(t, c, "shapes", partitions, n, viaBatch)
	reused := readAll(t, c, "shapes", partitions, n, viaReuse)
	for p := int32(0); p < partitions; p++ {
		a := polled[p]
		for name, b := range map[string][]record.Record{"batch": batched[p], "reused": reused[p]} {
			if len(a) != len(b) {
				t.Fatalf("partition %d: Poll read %d records, the %s read %d", p, len(a), name, len(b))
			}
			for i := range a {
				if !reflect.DeepEqual(a[i], b[i]) {
					t.Fatalf("partition %d record %d:\nPoll   %#v\n%-6s %#v", p, i, a[i], name, b[i])
				}
			}
		}
	}
	// The shapes really differ: a tombstone and an empty value both came.
	var tomb, empty bool
	for _, r := range batched[2] {
		tomb = tomb || (r.Value == nil && string(r.Key) == "tomb")
	}
	for _, r := range batched[1] {
		empty = empty || (r.Value != nil && len(r.Value) == 0)
	}
	if !tomb || !empty {
		t.Fatalf("tombstone seen %v, empty value seen %v", tomb, empty)
	}
}

// TestBatchPauseDropsBuffered: after Pause, no record of the paused
// partition comes out of an already fetched batch.
func TestBatchPauseDropsBuffered(t *testing.T) {
	c := startBroker(t)
	const partitions, n = 2, 2000
	produceShapes(t, c, "paused", partitions, n)
	r, err := c.NewReader(ReaderOptions{Assign: []Assignment{
		{TP: TP{Topic: "paused", Partition: 0}, Offset: 0}, // as readAll
		{TP: TP{Topic: "paused", Partition: 1}, Offset: 0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var paused *TP
	other := 0
	deadline := time.Now().Add(20 * time.Second)
	for other < n/partitions && time.Now().Before(deadline) {
		rec, err := r.Poll(100 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			continue
		}
		if paused == nil {
			tp := rec.TP()
			paused = &tp
			if err := r.Pause([]TP{tp}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if rec.TP() == *paused {
			t.Fatalf("record %s/%d@%d after its partition was paused", rec.Topic, rec.Partition, rec.Offset)
		}
		other++
	}
	if other != n/partitions {
		t.Fatalf("read %d records of the partition not paused, want %d", other, n/partitions)
	}
}
