package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Records written and read by another client (franz-go's kgo) over the
// wire, outside kx's produce and read paths and outside librdkafka: what
// kcat or a Java producer would leave in a topic (timestamps librdkafka
// cannot send, transaction markers).
func init() {
	scriptCmds["kgo-produce"] = kgoProduce
	scriptCmds["kgo-offsets"] = kgoOffsets
	scriptCmds["report-reads"] = reportReads
}

// reportReads: report-reads REPORT.json FILE writes "PARTITION FIRST LAST"
// for each partition of a kx export --report that read records, sorted by
// partition: the form kgo-offsets writes.
func reportReads(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: report-reads REPORT.json FILE")
	}
	var rep struct {
		Partitions []struct {
			Partition int32 `json:"partition"`
			Read      struct {
				First *int64 `json:"first"`
				Last  *int64 `json:"last"`
			} `json:"read"`
		} `json:"partitions"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep))
	sort.Slice(rep.Partitions, func(i, j int) bool { return rep.Partitions[i].Partition < rep.Partitions[j].Partition })
	var b strings.Builder
	for _, p := range rep.Partitions {
		if p.Read.First == nil && p.Read.Last == nil {
			continue
		}
		if p.Read.First == nil || p.Read.Last == nil {
			ts.Fatalf("report-reads: partition %d: read.first %v, read.last %v", p.Partition, p.Read.First, p.Read.Last)
		}
		fmt.Fprintf(&b, "%d %d %d\n", p.Partition, *p.Read.First, *p.Read.Last)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

// kgoProduce: kgo-produce [-txn|-abort] TOPIC FILE writes FILE's lines, each
// {"partition":P,"key":…,"value":…,"timestamp_ms":N} (key and value as
// JSON text, null for none; "value_text" a string taken as it is;
// "value_depth":N the value [[…1…]] nested N levels deep), to
// TOPIC, in the partition named. -txn writes them in one committed
// transaction, so a commit marker follows them; -abort in one aborted
// transaction.
func kgoProduce(ts *testscript.TestScript, neg bool, args []string) {
	txn, abort := len(args) > 0 && args[0] == "-txn", len(args) > 0 && args[0] == "-abort"
	if txn || abort {
		args = args[1:]
		txn = true
	}
	if len(args) != 2 {
		ts.Fatalf("usage: kgo-produce [-txn|-abort] TOPIC FILE")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(scriptBroker(ts).Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxVersions(kversion.V3_6_0())} // produce by topic name, not id
	if txn {
		opts = append(opts, kgo.TransactionalID("kgo-produce-"+args[0]))
	}
	cl, err := kgo.NewClient(opts...)
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if txn {
		ts.Check(cl.BeginTransaction())
	}
	var recs []*kgo.Record
	for i, line := range strings.Split(ts.ReadFile(args[1]), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var in struct {
			Partition   int32           `json:"partition"`
			Key         json.RawMessage `json:"key"`
			Value       json.RawMessage `json:"value"`
			ValueText   *string         `json:"value_text"`
			ValueDepth  int             `json:"value_depth"`
			TimestampMS *int64          `json:"timestamp_ms"`
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			ts.Fatalf("%s:%d: %v", args[1], i+1, err)
		}
		r := &kgo.Record{Topic: args[0], Partition: in.Partition, Key: seedBytes(in.Key), Value: seedBytes(in.Value)}
		if in.ValueText != nil {
			r.Value = []byte(*in.ValueText)
		}
		if in.ValueDepth > 0 {
			r.Value = []byte(strings.Repeat("[", in.ValueDepth) + "1" + strings.Repeat("]", in.ValueDepth))
		}
		if in.TimestampMS != nil {
			r.Timestamp = time.UnixMilli(*in.TimestampMS)
		}
		recs = append(recs, r)
	}
	if txn {
		ts.Check(cl.ProduceSync(ctx, recs...).FirstErr())
		ts.Check(cl.EndTransaction(ctx, kgo.TransactionEndTry(!abort)))
	} else {
		// kgo converts timestamps through UnixNano too (wrapping after
		// 2262): the batches are built by hand, as a Java producer
		// would send them, one record each.
		for _, r := range recs {
			produceBatch(ts, ctx, cl, r)
		}
	}
	ts.Logf("kgo-produce: %d records to %s", len(recs), args[0])
}

// produceBatch sends r in a record batch of its own, its timestamp as
// milliseconds written as they are.
func produceBatch(ts *testscript.TestScript, ctx context.Context, cl *kgo.Client, r *kgo.Record) {
	ms := r.Timestamp.Unix()*1000 + int64(r.Timestamp.Nanosecond()/1e6)
	if r.Timestamp.IsZero() {
		ms = time.Now().UnixMilli()
	}
	rec := kmsg.Record{Key: r.Key, Value: r.Value}
	body := rec.AppendTo(nil)[1:] // after the varint Length 0
	rec.Length = int32(len(body))
	batch := kmsg.RecordBatch{PartitionLeaderEpoch: -1, Magic: 2, FirstTimestamp: ms, MaxTimestamp: ms,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 1, Records: rec.AppendTo(nil)}
	b := batch.AppendTo(nil)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: r.Topic, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: r.Partition, Records: b}}}}
	resp, err := req.RequestWith(ctx, cl)
	ts.Check(err)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			ts.Check(kerr.ErrorForCode(p.ErrorCode))
		}
	}
}

// kgoOffsets: kgo-offsets TOPIC N FILE reads TOPIC from the start with kgo
// (read_committed) until it has N records, and writes "PARTITION FIRST
// LAST" for each partition it read records from, the offsets of the first
// and the last, sorted by partition: what `kcat -C -e -f '%p %o\n'` shows
// of the same records.
func kgoOffsets(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: kgo-offsets TOPIC N FILE")
	}
	var want int
	_, err := fmt.Sscan(args[1], &want)
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(scriptBroker(ts).Addrs()...), kgo.ConsumeTopics(args[0]),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	ts.Check(err)
	defer cl.Close()
	first, last := map[int32]int64{}, map[int32]int64{}
	for n := 0; n < want; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			ts.Fatalf("kgo-offsets: %d of %d records after 30 s", n, want)
		}
		fs.EachError(func(_ string, _ int32, err error) { ts.Fatalf("kgo-offsets: %v", err) })
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			}
			last[r.Partition] = r.Offset
		})
	}
	parts := make([]int32, 0, len(first))
	for p := range first {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%d %d %d\n", p, first[p], last[p])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(b.String()), 0o644))
}
