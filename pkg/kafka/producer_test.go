package kafka

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// TestProducerRoundTrip: what kx's own producer handle sends is read back
// byte for byte (nil and empty keys, values and header values kept apart,
// timestamps), and each record's delivery report carries its opaque (an
// int, another value, none), its partition and offset, in offset order
// per partition, and its key and value when asked.
func TestProducerRoundTrip(t *testing.T) {
	c := startBroker(t)
	ctx := context.Background()
	const topic, partitions, n = "prod", 3, 500
	if err := c.CreateTopic(ctx, TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := c.NewProducer(ProducerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sent := make([]record.Record, n)
	for i := range sent {
		r := record.Record{Topic: topic, Partition: int32(i % partitions), Timestamp: time.UnixMilli(1700000000000 + int64(i))}
		switch i % 5 {
		case 0:
			r.Key, r.Value = []byte{'k', byte(i)}, []byte(`{"n":1}`)
		case 1:
			r.Value = []byte{}
		case 2:
			r.Key = []byte("tomb")
		case 3:
			r.Key, r.Value = []byte{}, []byte{0, 0xff, byte(i)}
		case 4:
			r.Value = []byte("v")
			if i%10 != 9 {
				break
			}
			r.Headers = []record.Header{{Key: "a", Value: []byte("1")}, {Key: "a", Value: []byte{}}, {Key: "nil"}}
		}
		sent[i] = r
	}
	opaque := func(i int) any {
		switch i % 3 {
		case 0:
			return i
		case 1:
			return "line-" + string(rune('a'+i%26))
		}
		return nil
	}
	got := make(chan []Delivery, 1)
	go func() {
		var ds []Delivery
		for d := range p.Deliveries() {
			ds = append(ds, d)
		}
		got <- ds
	}()
	for i := range sent {
		if err := p.Produce(ctx, &sent[i], opaque(i)); err != nil {
			t.Fatal(err)
		}
	}
	if left := p.Flush(ctx); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	p.Close()
	ds := <-got
	if len(ds) != n {
		t.Fatalf("%d delivery reports for %d records", len(ds), n)
	}
	// Delivery reports come in offset order per partition; the records of
	// a partition are sent in order, so the k-th report of partition P is
	// the k-th record sent to P.
	next := map[int32]int64{}
	byPart := map[int32][]int{}
	for i := range sent {
		byPart[sent[i].Partition] = append(byPart[sent[i].Partition], i)
	}
	for _, d := range ds {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		r := d.Record
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: report of offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
		}
		i := byPart[r.Partition][r.Offset]
		next[r.Partition]++
		want := opaque(i)
		if d.Opaque != want {
			t.Errorf("record %d: opaque %v, want %v", i, d.Opaque, want)
		}
		if !same(r.Key, sent[i].Key) || !same(r.Value, sent[i].Value) || r.Topic != topic || !r.Timestamp.Equal(sent[i].Timestamp) {
			t.Errorf("record %d: report %+v, sent %+v", i, r, sent[i])
		}
	}
	read := readAll(t, c, topic, partitions, n, viaBatch)
	for part, recs := range read {
		for off, r := range recs {
			s := sent[byPart[part][off]]
			if !same(r.Key, s.Key) || !same(r.Value, s.Value) || !r.Timestamp.Equal(s.Timestamp) || len(r.Headers) != len(s.Headers) {
				t.Fatalf("partition %d offset %d: read %+v, sent %+v", part, off, r, s)
			}
			for j, h := range r.Headers {
				if h.Key != s.Headers[j].Key || !same(h.Value, s.Headers[j].Value) {
					t.Fatalf("partition %d offset %d header %d: read %q=%q, sent %q=%q", part, off, j, h.Key, h.Value, s.Headers[j].Key, s.Headers[j].Value)
				}
			}
		}
	}
}

// same compares bytes keeping nil and empty apart.
func same(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// TestProducerErrors: a record the client refuses before sending is an
// error of Produce naming the topic; a closed producer refuses records.
func TestProducerErrors(t *testing.T) {
	c := startBroker(t)
	ctx := context.Background()
	if err := c.CreateTopic(ctx, TopicSpec{Name: "small", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := c.NewProducer(ProducerOptions{NoReportContents: true, Properties: map[string]any{"message.max.bytes": 1000}})
	if err != nil {
		t.Fatal(err)
	}
	go func(p *Producer) { // this producer: p is reassigned below
		for range p.Deliveries() {
		}
	}(p)
	err = p.Produce(ctx, &record.Record{Topic: "small", Partition: -1, Value: make([]byte, 5000)}, 7)
	if err == nil || !strings.Contains(err.Error(), "produce to small") {
		t.Fatalf("a record over message.max.bytes: %v", err)
	}
	p.Close()

	// A record that cannot be delivered is reported with its opaque.
	p, err = c.NewProducer(ProducerOptions{NoReportContents: true, Properties: map[string]any{"message.timeout.ms": 300}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Produce(ctx, &record.Record{Topic: "missing", Partition: -1, Value: []byte("x")}, 42); err != nil {
		t.Fatal(err)
	}
	d := <-p.Deliveries()
	if d.Err == nil || d.Opaque != 42 || !strings.Contains(d.Err.Error(), "produce to missing") {
		t.Fatalf("undeliverable record: %+v", d)
	}
	p.Close()
	if err := p.Produce(ctx, &record.Record{Topic: "small", Partition: -1, Value: []byte("x")}, nil); err == nil {
		t.Fatal("a closed producer took a record")
	}
	if _, err := c.NewProducer(ProducerOptions{Properties: map[string]any{"no.such.property": 1}}); err == nil || !strings.Contains(err.Error(), "no.such.property") {
		t.Fatalf("an unknown property: %v", err)
	}
}

// TestProduceBatch: records handed over in batches (two topics mixed,
// every shape of key, value and header) are read back byte for byte; a
// record librdkafka refuses (over message.max.bytes) or kx refuses (a
// timestamp of 0) in the middle of a batch goes to refused with its
// opaque while the others are sent; OnDeliveries gets every other record's
// report, many at a time, with its opaque; a closed producer refuses all.
func TestProduceBatch(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) { testProduceBatch(t, inline) })
	}
}

func testProduceBatch(t *testing.T, inline bool) {
	c := startBroker(t)
	ctx := context.Background()
	const partitions, n = 3, 600
	for _, topic := range []string{"ba", "bb"} {
		if err := c.CreateTopic(ctx, TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var reports []Delivery
	calls := 0
	p, err := c.NewProducer(ProducerOptions{
		Properties:    map[string]any{"message.max.bytes": 4000},
		InlineReports: inline,
		OnDeliveries: func(ds []Delivery) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			for _, d := range ds {
				r := *d.Record // reused after the call: keep a copy
				r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
				d.Record = &r
				reports = append(reports, d)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sent := make([]record.Record, n)
	for i := range sent {
		r := record.Record{Topic: []string{"ba", "bb"}[i/7%2], Partition: int32(i % partitions)}
		// Runs of records with no timestamp or header of their own go
		// in one librdkafka call; the others one by one.
		if i%8 >= 6 {
			r.Timestamp = time.UnixMilli(1700000000000 + int64(i))
		}
		switch i % 5 {
		case 0:
			r.Key, r.Value = []byte{'k', byte(i)}, []byte(`{"n":1}`)
		case 1:
			r.Value = []byte{}
		case 2:
			r.Key = []byte("tomb")
		case 3:
			r.Key, r.Value = []byte{}, []byte{0, 0xff, byte(i)}
		case 4:
			r.Value = []byte("v")
			if i%10 != 9 {
				break
			}
			r.Headers = []record.Header{{Key: "a", Value: []byte("1")}, {Key: "a", Value: []byte{}}, {Key: "nil"}}
		}
		sent[i] = r
	}
	// tooBig sits in the middle of a run (240 to 244, topic ba): the
	// records of the run before and after it are queued.
	const tooBig, epoch = 242, 251
	sent[tooBig].Value = make([]byte, 5000)
	sent[epoch].Timestamp = time.UnixMilli(0)
	refusals := map[int]error{}
	refused := func(id int, err error) { refusals[id] = err }
	var b Batch
	handed := 0
	for i := range sent {
		b.Add(&sent[i], i)
		if b.Len() == 100 || i == n-1 {
			k, err := p.ProduceBatch(ctx, &b, refused)
			if err != nil || k != b.Len() {
				t.Fatalf("ProduceBatch: %d of %d handed over, %v", k, b.Len(), err)
			}
			handed += k
			b.Reset()
		}
	}
	if handed != n {
		t.Fatalf("%d records handed over, want %d", handed, n)
	}
	if left := p.Flush(ctx); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	p.Close()
	if len(refusals) != 2 || refusals[tooBig] == nil || !strings.Contains(refusals[tooBig].Error(), "produce to ba") {
		t.Fatalf("refused: %v (want records %d and %d)", refusals, tooBig, epoch)
	}
	if err := refusals[epoch]; err == nil || !strings.Contains(err.Error(), "librdkafka") {
		t.Fatalf("a timestamp of 0: %v", err)
	}
	if len(reports) != n-2 || calls >= len(reports)/2 {
		t.Fatalf("%d reports in %d calls, want %d in batches", len(reports), calls, n-2)
	}
	start := time.Now().Add(-time.Minute)
	byPart := map[TP][]int{}
	for i := range sent {
		if i != tooBig && i != epoch {
			tp := TP{Topic: sent[i].Topic, Partition: sent[i].Partition}
			byPart[tp] = append(byPart[tp], i)
		}
	}
	for _, d := range reports {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		i := byPart[TP{Topic: d.Record.Topic, Partition: d.Record.Partition}][d.Record.Offset]
		if d.ID != i || d.Opaque != nil {
			t.Fatalf("%s/%d@%d: ID %d (opaque %v), want %d", d.Record.Topic, d.Record.Partition, d.Record.Offset, d.ID, d.Opaque, i)
		}
	}
	for _, topic := range []string{"ba", "bb"} {
		total := 0
		for part := range int32(partitions) {
			total += len(byPart[TP{Topic: topic, Partition: part}])
		}
		for part, recs := range readAll(t, c, topic, partitions, total, viaBatch) {
			for off, r := range recs {
				s := sent[byPart[TP{Topic: topic, Partition: part}][off]]
				if !same(r.Key, s.Key) || !same(r.Value, s.Value) || len(r.Headers) != len(s.Headers) {
					t.Fatalf("%s/%d@%d: read %+v, sent %+v", topic, part, off, r, s)
				}
				if s.Timestamp.IsZero() && (r.Timestamp.Before(start) || r.Timestamp.After(time.Now())) {
					t.Fatalf("%s/%d@%d: timestamp %v, want the time it was produced", topic, part, off, r.Timestamp)
				}
				if !s.Timestamp.IsZero() && !r.Timestamp.Equal(s.Timestamp) {
					t.Fatalf("%s/%d@%d: timestamp %v, sent %v", topic, part, off, r.Timestamp, s.Timestamp)
				}
				for j, h := range r.Headers {
					if h.Key != s.Headers[j].Key || !same(h.Value, s.Headers[j].Value) {
						t.Fatalf("%s/%d@%d header %d: read %q=%q, sent %q=%q", topic, part, off, j, h.Key, h.Value, s.Headers[j].Key, s.Headers[j].Value)
					}
				}
			}
		}
	}

	clear(refusals)
	b.Add(&sent[0], 1000)
	b.Add(&sent[1], 1001)
	if k, err := p.ProduceBatch(ctx, &b, refused); k != 2 || err != nil || len(refusals) != 2 || refusals[1000] == nil {
		t.Fatalf("a closed producer: %d handed over, %v, refused %v", k, err, refusals)
	}
}

// TestProduceBatchWaitsForRoom: with a local queue of 10 records, a batch
// of 2,000 is queued in full, waiting for room as the deliveries free it,
// and every record is delivered once; a cancelled context ends the wait.
func TestProduceBatchWaitsForRoom(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) { testProduceBatchWaitsForRoom(t, inline) })
	}
}

func testProduceBatchWaitsForRoom(t *testing.T, inline bool) {
	c := startBroker(t)
	ctx := context.Background()
	if err := c.CreateTopic(ctx, TopicSpec{Name: "narrow", Partitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]int{}
	p, err := c.NewProducer(ProducerOptions{
		NoReportContents: true,
		InlineReports:    inline,
		Properties:       map[string]any{"queue.buffering.max.messages": 10, "linger.ms": 0},
		OnDeliveries: func(ds []Delivery) {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range ds {
				if d.Err != nil {
					t.Error(d.Err)
				}
				seen[d.ID]++
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 2000
	var b Batch
	for i := range n {
		b.Add(&record.Record{Topic: "narrow", Partition: -1, Value: []byte(`{"n":1}`)}, i)
	}
	refused := func(id int, err error) { t.Errorf("record %d refused: %v", id, err) }
	if k, err := p.ProduceBatch(ctx, &b, refused); k != n || err != nil {
		t.Fatalf("%d of %d handed over: %v", k, n, err)
	}
	if left := p.Flush(ctx); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	mu.Lock()
	if len(seen) != n {
		t.Errorf("%d records delivered, want %d", len(seen), n)
	}
	for o, k := range seen {
		if k != 1 {
			t.Errorf("record %v delivered %d times", o, k)
		}
	}
	mu.Unlock()

	// The queue full again and the context cancelled: ProduceBatch stops
	// with ctx's error, having handed over fewer than all.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if k, err := p.ProduceBatch(cctx, &b, refused); err != context.Canceled || k >= n {
		t.Fatalf("cancelled: %d of %d handed over, %v", k, n, err)
	}
}

// TestProduceBatchReportsBetweenCalls: without InlineReports the reports
// of a batch arrive while the caller waits for them between two
// ProduceBatch calls (kx play waits so), without Flush.
func TestProduceBatchReportsBetweenCalls(t *testing.T) {
	c := startBroker(t)
	ctx := context.Background()
	if err := c.CreateTopic(ctx, TopicSpec{Name: "acks", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	acked := make(chan int, 100)
	p, err := c.NewProducer(ProducerOptions{NoReportContents: true, OnDeliveries: func(ds []Delivery) { acked <- len(ds) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var b Batch
	for i := range 50 {
		b.Add(&record.Record{Topic: "acks", Partition: -1, Value: []byte("v")}, i)
	}
	if k, err := p.ProduceBatch(ctx, &b, func(id int, err error) { t.Errorf("refused %d: %v", id, err) }); k != 50 || err != nil {
		t.Fatalf("%d handed over: %v", k, err)
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute) // a hang guard, not a speed check
	defer cancel()
	for n := 0; n < 50; {
		select {
		case k := <-acked:
			n += k
		case <-wait.Done():
			t.Fatalf("%d of 50 reports before Flush", n)
		}
	}
}
