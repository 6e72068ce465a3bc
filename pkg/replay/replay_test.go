package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
)

var ts0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// payments fills pay (2 partitions) with n records per partition; every
// third is an ERROR, and order ids repeat every 5 records.
func payments(n int) *kafkafake.Cluster {
	c := kafkafake.New()
	c.CreateTopic("pay", 2)
	c.CreateTopic("retry", 2)
	for p := int32(0); p < 2; p++ {
		for i := 0; i < n; i++ {
			status := "OK"
			if i%3 == 0 {
				status = "ERROR"
			}
			c.MustAdd(record.Record{Topic: "pay", Partition: p, Key: []byte(fmt.Sprintf("k%d", i)),
				Value:     fmt.Appendf(nil, `{"orderId":"o%d-%d","status":"%s","i":%d}`, p, i%5, status, i),
				Timestamp: ts0.Add(time.Duration(i) * time.Second)})
		}
	}
	return c
}

func destination(c *kafkafake.Cluster, wrap func(Producer) Producer) Destination {
	return Destination{
		Metadata: c.Metadata,
		NewProducer: func() (Producer, error) {
			p, err := c.NewProducer(cluster.ProducerOptions{})
			if err != nil {
				return nil, err
			}
			if wrap != nil {
				return wrap(p), nil
			}
			return p, nil
		},
		FlushTimeout: time.Second,
	}
}

func baseOptions() Options {
	return Options{Source: "pay", Dest: "retry", RunID: "run-1",
		Spec: consume.Spec{From: position.Spec{Kind: position.Beginning}, UntilEnd: true}}
}

func destRecords(c *kafkafake.Cluster) []*record.Record {
	var out []*record.Record
	for p := int32(0); p < 2; p++ {
		out = append(out, c.Records(cluster.TP{Topic: "retry", Partition: p})...)
	}
	return out
}

func header(r *record.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func TestReplaySelectsRewritesDedupes(t *testing.T) {
	c := payments(12) // ERRORs at 0,3,6,9 per partition; ids o0-0 o0-3 o0-1 o0-4
	opts := baseOptions()
	opts.JQ = jqfilter.MustCompile(`select(.status=="ERROR") | .status="RETRY"`)
	opts.DedupeOn = jqfilter.MustCompile(`.orderId`)
	rep, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	// 8 errors; i=0 and i=9 share no id (0%5=0, 9%5=4; 3%5=3, 6%5=1): no dupes.
	if rep.Read != 24 || rep.Selected != 8 || rep.Sent != 8 || rep.Acknowledged != 8 || rep.Skipped[SkipNotSelected] != 16 || !rep.OK() || !rep.Complete {
		t.Fatalf("report = %+v", rep)
	}
	got := destRecords(c)
	if len(got) != 8 {
		t.Fatalf("dest has %d records", len(got))
	}
	for _, r := range got {
		if !bytes.Contains(r.Value, []byte(`"status":"RETRY"`)) {
			t.Errorf("not rewritten: %s", r.Value)
		}
		src := header(r, HeaderSource)
		if !strings.HasPrefix(src, "pay/") || header(r, HeaderRun) != "run-1" || !strings.HasPrefix(header(r, HeaderTimestamp), "2026-11-25T10:00:") {
			t.Errorf("provenance of %s: %v", r.Value, r.Headers)
		}
	}
	for _, p := range rep.Partitions {
		if p.Read.Count != 12 || *p.Read.First != 0 || *p.Read.Last != 11 || p.Sent != 4 || p.Acknowledged != 4 {
			t.Errorf("partition report %+v", p)
		}
	}

	// A second pass over 2 × 12 more records with the same ids: all dupes
	// of one another within the run.
	c = payments(20)
	opts = baseOptions()
	opts.DedupeOn = jqfilter.MustCompile(`.orderId`)
	opts.NoProvenance = true
	rep, err = Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 10 || rep.Skipped[SkipDuplicate] != 30 || rep.DedupeKeys != 10 {
		t.Fatalf("dedupe report = %+v", rep)
	}
	for _, r := range destRecords(c) {
		if len(r.Headers) != 0 {
			t.Errorf("--no-provenance added headers: %v", r.Headers)
		}
	}
}

func TestReplayKeepsPartitionAndTimestamp(t *testing.T) {
	c := payments(3)
	opts := baseOptions()
	opts.KeepPartition, opts.KeepTimestamp = true, true
	if _, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts); err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 2; p++ {
		rs := c.Records(cluster.TP{Topic: "retry", Partition: p})
		if len(rs) != 3 {
			t.Fatalf("retry/%d has %d records", p, len(rs))
		}
		for i, r := range rs {
			if !r.Timestamp.Equal(ts0.Add(time.Duration(i)*time.Second)) || header(r, HeaderSource) != fmt.Sprintf("pay/%d@%d", p, i) {
				t.Errorf("retry/%d@%d: ts %s, source %s", p, i, r.Timestamp, header(r, HeaderSource))
			}
		}
	}
	c.CreateTopic("small", 1)
	opts.Dest = "small"
	var ue *UsageError
	if _, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts); !errors.As(err, &ue) {
		t.Errorf("--keep-partition into fewer partitions = %v", err)
	}
}

// failing fails the delivery of chosen source records, like a broker
// rejecting them.
type failing struct {
	Producer
	fail func(src string) bool
	out  chan cluster.Delivery
}

func failFor(fail func(string) bool) func(Producer) Producer {
	return func(p Producer) Producer {
		f := &failing{Producer: p, fail: fail, out: make(chan cluster.Delivery, 4096)}
		go func() {
			for d := range p.Deliveries() {
				if d.Record != nil && f.fail(header(d.Record, HeaderSource)) {
					d.Err = errors.New("broker: NOT_ENOUGH_REPLICAS")
				}
				f.out <- d
			}
			close(f.out)
		}()
		return f
	}
}

func (f *failing) Deliveries() <-chan cluster.Delivery { return f.out }

func TestReplayGroupCommitsOnlyAcknowledged(t *testing.T) {
	c := payments(10)
	opts := baseOptions()
	opts.Group = "rg"
	// pay/0@4 is rejected: the group must not commit pay/0 past 4.
	rep, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, failFor(func(src string) bool { return src == "pay/0@4" })), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Failed != 1 || rep.Acknowledged != rep.Sent-1 || !strings.Contains(rep.FirstError, "pay/0@4") || rep.Complete {
		t.Fatalf("report = %+v", rep)
	}
	committed, _ := c.GroupOffsets(context.Background(), "rg")
	p0 := cluster.TP{Topic: "pay", Partition: 0}
	if committed[p0] != 4 || *rep.Partitions[0].Committed != 4 {
		t.Fatalf("committed %v, report %d; want pay/0 at 4", committed, *rep.Partitions[0].Committed)
	}
	firstRun := len(destRecords(c))

	// The rerun resumes: every source record reaches DST, and the only
	// duplicates are what the first run acknowledged past its commits.
	rep2, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts)
	if err != nil || !rep2.OK() || !rep2.Complete {
		t.Fatalf("rerun: %+v, %v", rep2, err)
	}
	seen := map[string]int{}
	for _, r := range destRecords(c) {
		seen[header(r, HeaderSource)]++
	}
	dupes := 0
	for p := 0; p < 2; p++ {
		for i := 0; i < 10; i++ {
			n := seen[fmt.Sprintf("pay/%d@%d", p, i)]
			if n == 0 {
				t.Errorf("pay/%d@%d lost", p, i)
			}
			dupes += n - 1
		}
	}
	// What the first run sent beyond its commits was sent again: the
	// records acknowledged past the failed one, and the failed one (this
	// broker kept it despite the error).
	beyond := rep.Failed
	for _, pr := range rep.Partitions {
		beyond += (pr.Requested.From + pr.Acknowledged) - *pr.Committed
	}
	if int64(dupes) != beyond || firstRun+int(rep2.Sent) != len(destRecords(c)) {
		t.Errorf("%d duplicates, the first report bounds them at %d", dupes, beyond)
	}
	committed, _ = c.GroupOffsets(context.Background(), "rg")
	if committed[p0] != 10 || committed[cluster.TP{Topic: "pay", Partition: 1}] != 10 {
		t.Errorf("after the rerun: %v", committed)
	}
}

func TestReplayDryRunSendsAndCommitsNothing(t *testing.T) {
	c := payments(4)
	opts := baseOptions()
	opts.Group = "rg"
	opts.DryRun = true
	var out bytes.Buffer
	opts.DryRunOut = &out
	rep, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 8 || rep.Sent != 0 || len(destRecords(c)) != 0 || c.Calls(kafkafake.OpNewProducer) != 0 {
		t.Fatalf("dry run printed %d, sent %d, dest %d", n, rep.Sent, len(destRecords(c)))
	}
	if !strings.Contains(out.String(), `"topic":"retry"`) || !strings.Contains(out.String(), HeaderSource) {
		t.Errorf("dry run envelopes: %s", out.String())
	}
	if committed, _ := c.GroupOffsets(context.Background(), "rg"); len(committed) != 0 {
		t.Errorf("dry run committed %v", committed)
	}
}

func TestReplayInterruptFlushesAndReports(t *testing.T) {
	c := payments(50)
	opts := baseOptions()
	opts.Group = "rg"
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	rep, err := Run(ctx, c, consume.Readers(c.NewReader), destination(c, func(p Producer) Producer {
		return &counting{Producer: p, after: func() {
			if n++; n == 30 {
				cancel()
			}
		}}
	}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.Complete || !rep.OK() || rep.Sent != 30 || rep.Acknowledged != 30 {
		t.Fatalf("report = %+v", rep)
	}
	committed, _ := c.GroupOffsets(context.Background(), "rg")
	total := int64(0)
	for _, o := range committed {
		total += o
	}
	if total != 30 {
		t.Errorf("committed %v, want 30 records' worth", committed)
	}
}

type counting struct {
	Producer
	after func()
}

func (c *counting) Produce(ctx context.Context, r *record.Record, opaque any) error {
	err := c.Producer.Produce(ctx, r, opaque)
	c.after()
	return err
}

func TestPacerHoldsTheRate(t *testing.T) {
	now := ts0
	var slept time.Duration
	p := &pacer{rate: 500, now: func() time.Time { return now },
		sleep: func(_ context.Context, d time.Duration) {
			// Sleeps overshoot by up to 30 %, as on a busy machine.
			d += d * 3 / 10
			slept += d
			now = now.Add(d)
		}}
	for i := 0; i < 2000; i++ {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(200 * time.Microsecond) // the cost of one send
	}
	elapsed := now.Sub(ts0).Seconds()
	rate := 2000 / elapsed
	if math.Abs(rate-500)/500 > 0.05 {
		t.Errorf("rate %.1f/s over %.2fs, want 500 ± 5 %%", rate, elapsed)
	}
	if slept == 0 {
		t.Error("never slept")
	}

	// After a stall of 10 s, no burst: the next sends are spaced again.
	now = now.Add(10 * time.Second)
	before := slept
	for i := 0; i < 100; i++ {
		_ = p.wait(context.Background())
	}
	if got := slept - before; got < 150*time.Millisecond {
		t.Errorf("after a stall, 100 sends slept %s: a burst, want them spaced at 500/s", got)
	}

	// Unpaced: no sleeping at all.
	q := &pacer{now: time.Now, sleep: func(context.Context, time.Duration) { t.Fatal("slept unpaced") }}
	for i := 0; i < 10; i++ {
		_ = q.wait(context.Background())
	}
}

// TestReplayFailedCommitNamesNoOffset: when the final commit fails (the
// broker went away), the report names no committed offset (a rerun
// resumes from what the group really holds, which is unknown) and the run
// fails.
func TestReplayFailedCommitNamesNoOffset(t *testing.T) {
	c := payments(10)
	opts := baseOptions()
	opts.Group = "rg"
	c.Fail(kafkafake.OpCommit, errors.New("coordinator gone"))
	rep, err := Run(context.Background(), c, consume.Readers(c.NewReader), destination(c, nil), opts)
	if err == nil || !strings.Contains(err.Error(), "coordinator gone") {
		t.Fatalf("error %v, want the failed commit", err)
	}
	if rep == nil || rep.Complete || rep.Acknowledged != rep.Sent {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range rep.Partitions {
		if p.Committed != nil {
			t.Errorf("partition %d: committed %d in the report after a failed commit", p.Partition, *p.Committed)
		}
	}
}
