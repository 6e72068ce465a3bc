package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

var (
	failMu   sync.Mutex
	failLeft = map[*embedded.Broker]int{}
)

// failProduceLeft is how many injected produce errors are still to serve.
func failProduceLeft(b *embedded.Broker) int {
	failMu.Lock()
	defer failMu.Unlock()
	return failLeft[b]
}

// failProduce makes the broker answer the next n produce requests with
// error code on every partition, writing nothing.
func failProduce(b *embedded.Broker, n int, code int16) {
	c := b.Cluster()
	failMu.Lock()
	failLeft[b] = n
	failMu.Unlock()
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		failMu.Lock()
		defer failMu.Unlock()
		left := failLeft[b]
		if left <= 0 {
			c.DropControl()
			return nil, nil, false
		}
		left--
		failLeft[b] = left
		if left > 0 {
			c.KeepControl()
		}
		preq := req.(*kmsg.ProduceRequest)
		resp := preq.ResponseKind().(*kmsg.ProduceResponse)
		for _, t := range preq.Topics {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic = t.Topic
			rt.TopicID = t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = code
				rp.BaseOffset = -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
}

func testClient(b *embedded.Broker) *kafka.Client {
	return kafka.New(kafka.Options{Brokers: b.Addrs(), Timeout: 10 * time.Second})
}

// topicCounts returns the record counts of two topics.
func topicCounts(b *embedded.Broker, t1, t2 string) (int64, int64, error) {
	c := testClient(b)
	defer c.Close()
	topics, err := c.ResolveTopics(context.Background(), []string{t1, t2})
	if err != nil {
		return 0, 0, err
	}
	wm, err := c.Watermarks(context.Background(), kafka.Partitions(topics))
	if err != nil {
		return 0, 0, err
	}
	counts := map[string]int64{}
	for tp, w := range wm {
		counts[tp.Topic] += w.Count()
	}
	return counts[t1], counts[t2], nil
}

// waitRecords waits until topic holds at least n records.
func waitRecords(b *embedded.Broker, topic string, n int64, timeout time.Duration) error {
	c := testClient(b)
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		var total int64
		md, err := c.Metadata(context.Background())
		if err == nil {
			if t, ok := md.Topic(topic); ok {
				wm, err := c.Watermarks(context.Background(), kafka.Partitions([]kafka.TopicMeta{t}))
				if err == nil {
					for _, w := range wm {
						total += w.High
					}
				}
			}
		}
		if total >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait-records: %s holds %d records after %s, want %d", topic, total, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkNDJSON reads back every envelope line of path at the offset it names
// and compares key and value.
func checkNDJSON(b *embedded.Broker, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	want := map[kafka.TP]map[int64]*record.Record{}
	lines := 0
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		r, err := record.Decode(line)
		if err != nil {
			return 0, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		if r.Offset < 0 {
			return 0, fmt.Errorf("%s:%d: offset %d", path, i+1, r.Offset)
		}
		tp := r.TP()
		if want[tp] == nil {
			want[tp] = map[int64]*record.Record{}
		}
		if _, dup := want[tp][r.Offset]; dup {
			return 0, fmt.Errorf("%s:%d: %s offset %d appears twice", path, i+1, tp, r.Offset)
		}
		want[tp][r.Offset] = r
		lines++
	}
	var ranges []consume.Range
	for tp, offs := range want {
		lo, hi := int64(-1), int64(-1)
		for o := range offs {
			if lo < 0 || o < lo {
				lo = o
			}
			if o > hi {
				hi = o
			}
		}
		ranges = append(ranges, consume.Range{TP: tp, Start: lo, End: hi + 1})
	}
	c := testClient(b)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	matched := 0
	err = consume.Read(ctx, consume.Readers(c.NewReader), ranges, consume.Options{Idle: 5 * time.Second}, func(got *record.Record) error {
		w, ok := want[got.TP()][got.Offset]
		if !ok {
			return nil
		}
		if !bytes.Equal(w.Key, got.Key) || !bytes.Equal(w.Value, got.Value) {
			return fmt.Errorf("%s offset %d: read key %q value %q, the file says key %q value %q", got.TP(), got.Offset, got.Key, got.Value, w.Key, w.Value)
		}
		matched++
		return nil
	})
	if err != nil {
		return matched, err
	}
	if matched != lines {
		return matched, fmt.Errorf("%d of %d records read back", matched, lines)
	}
	return matched, nil
}

// rateWindows counts topic's records per whole second of record timestamp,
// from the first record's timestamp on.
func rateWindows(path, topic string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var times []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		r, err := record.Decode(sc.Bytes())
		if err != nil {
			return nil, err
		}
		if r.Topic == topic {
			times = append(times, r.Timestamp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(times) == 0 {
		return nil, nil
	}
	first, last := times[0], times[0]
	for _, t := range times {
		if t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	n := int(last.Sub(first) / time.Second) // whole windows only
	counts := make([]int, n)
	for _, t := range times {
		if i := int(t.Sub(first) / time.Second); i < n {
			counts[i]++
		}
	}
	return counts, nil
}
