package consume_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
)

var (
	p0 = cluster.TP{Topic: "t", Partition: 0}
	p1 = cluster.TP{Topic: "t", Partition: 1}
)

// fakeCluster has topic t with 2 partitions and n records in each.
func fakeCluster(t *testing.T, n int) *kafkafake.Cluster {
	t.Helper()
	c := kafkafake.New()
	c.CreateTopic("t", 2)
	for i := range n {
		for p := range int32(2) {
			c.MustAdd(record.Record{Topic: "t", Partition: p, Value: []byte(strconv.Itoa(i))})
		}
	}
	return c
}

// collect gathers what a read passes to its callback, as "p@offset".
type collect struct {
	mu  sync.Mutex
	got []string
}

func (c *collect) add(r *record.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, strconv.Itoa(int(r.Partition))+"@"+strconv.FormatInt(r.Offset, 10))
	return nil
}

func (c *collect) sorted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.got)
	slices.Sort(out)
	return out
}

func plan(t *testing.T, c consume.Offsets, spec consume.Spec) []consume.Range {
	t.Helper()
	rs, err := consume.Plan(context.Background(), c, []cluster.TP{p0, p1}, nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func pos(t *testing.T, s string) position.Spec {
	t.Helper()
	p, err := position.Parse(s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadBounded(t *testing.T) {
	c := fakeCluster(t, 5)
	rs := plan(t, c, consume.Spec{From: pos(t, "2"), To: ptr(pos(t, "4"))})
	var got collect
	if err := consume.Read(context.Background(), consume.Readers(c.NewReader), rs, consume.Options{}, got.add); err != nil {
		t.Fatal(err)
	}
	if want := []string{"0@2", "0@3", "1@2", "1@3"}; !slices.Equal(got.sorted(), want) {
		t.Errorf("read %v, want %v", got.sorted(), want)
	}
}

func ptr[T any](v T) *T { return &v }

// A range that ends on a transaction marker (an offset without a record)
// ends by the reader's position, not by a record at End-1.
func TestReadEndsOnGap(t *testing.T) {
	c := fakeCluster(t, 3)
	c.AddGap(p0, 1) // the commit marker of a transaction: offset 3
	c.Compact(p1, 2)
	rs := plan(t, c, consume.Spec{From: pos(t, "beginning")})
	if rs[0].End != 4 || rs[1].End != 3 {
		t.Fatalf("ends %d, %d; want 4 and 3", rs[0].End, rs[1].End)
	}
	var got collect
	done := make(chan error, 1)
	go func() {
		done <- consume.Read(context.Background(), consume.Readers(c.NewReader), rs, consume.Options{}, got.add)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a range ending on a gap never ended")
	}
	if want := []string{"0@0", "0@1", "0@2", "1@0", "1@1"}; !slices.Equal(got.sorted(), want) {
		t.Errorf("read %v, want %v", got.sorted(), want)
	}
}

// The error of Positions ends the read (it used to be dropped, and a read
// ending on a gap polled on).
func TestReadPositionsError(t *testing.T) {
	c := fakeCluster(t, 1)
	c.AddGap(p0, 1)
	rs := plan(t, c, consume.Spec{From: pos(t, "beginning")})
	boom := errors.New("positions: broker gone")
	c.Fail(kafkafake.OpPositions, boom)
	var got collect
	done := make(chan error, 1)
	go func() {
		done <- consume.Read(context.Background(), consume.Readers(c.NewReader), rs, consume.Options{}, got.add)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("err %v, want the Positions error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Positions error was dropped: the read polls on")
	}
}

func TestReadErrors(t *testing.T) {
	c := fakeCluster(t, 2)
	rs := plan(t, c, consume.Spec{From: pos(t, "beginning")})
	open := consume.Readers(c.NewReader)
	ctx := context.Background()

	boom := errors.New("boom")
	n := 0
	err := consume.Read(ctx, open, rs, consume.Options{}, func(*record.Record) error { n++; return boom })
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("callback error: err %v after %d records", err, n)
	}
	n = 0
	err = consume.Read(ctx, open, rs, consume.Options{}, func(*record.Record) error { n++; return consume.ErrStop })
	if err != nil || n != 1 {
		t.Errorf("ErrStop: err %v after %d records", err, n)
	}

	c.Fail(kafkafake.OpPoll, boom)
	if err := consume.Read(ctx, open, rs, consume.Options{}, func(*record.Record) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("poll error: %v", err)
	}
	c.Fail(kafkafake.OpPoll, nil)

	c.Fail(kafkafake.OpNewReader, boom)
	if err := consume.Read(ctx, open, rs, consume.Options{}, func(*record.Record) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("open error: %v", err)
	}
	c.Fail(kafkafake.OpNewReader, nil)

	// Empty ranges: nothing to open.
	empty := plan(t, c, consume.Spec{From: pos(t, "end")})
	before := c.Calls(kafkafake.OpNewReader)
	if err := consume.Read(ctx, open, empty, consume.Options{}, func(*record.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if c.Calls(kafkafake.OpNewReader) != before {
		t.Error("opened a reader for empty ranges")
	}
}

func TestReadFollowIdleAndOnIdle(t *testing.T) {
	c := fakeCluster(t, 2)
	rs := plan(t, c, consume.Spec{From: pos(t, "beginning"), Follow: true})
	if consume.Bounded(rs) {
		t.Fatal("a follow plan is bounded")
	}
	var got collect
	idles := 0
	err := consume.Read(context.Background(), consume.Readers(c.NewReader), rs,
		consume.Options{Idle: 50 * time.Millisecond, OnIdle: func() error { idles++; return nil }}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.sorted()) != 4 || idles == 0 {
		t.Errorf("read %v with %d idle calls", got.sorted(), idles)
	}
	boom := errors.New("flush failed")
	err = consume.Read(context.Background(), consume.Readers(c.NewReader), rs,
		consume.Options{OnIdle: func() error { return boom }}, func(*record.Record) error { return nil })
	if !errors.Is(err, boom) {
		t.Errorf("OnIdle error: %v", err)
	}
}

// A follow read sees records produced while it runs and ends with ctx.
func TestReadFollowNewRecords(t *testing.T) {
	c := fakeCluster(t, 0)
	rs := plan(t, c, consume.Spec{From: pos(t, "end"), Follow: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- consume.Read(ctx, consume.Readers(c.NewReader), rs, consume.Options{}, func(r *record.Record) error {
			seen <- string(r.Value)
			return nil
		})
	}()
	c.MustAdd(record.Record{Topic: "t", Partition: 1, Value: []byte("new")})
	if v := <-seen; v != "new" {
		t.Errorf("followed %q", v)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("cancelled follow: %v", err)
	}
}

// --to OFFSET past the end: a following read waits for it.
func TestReadFollowUpToOffset(t *testing.T) {
	c := fakeCluster(t, 1)
	rs := plan(t, c, consume.Spec{From: pos(t, "beginning"), To: ptr(pos(t, "3")), Follow: true})
	var got collect
	done := make(chan error, 1)
	go func() {
		done <- consume.Read(context.Background(), consume.Readers(c.NewReader), rs, consume.Options{}, got.add)
	}()
	for i := range 3 {
		for p := range int32(2) {
			c.MustAdd(record.Record{Topic: "t", Partition: p, Value: []byte(strconv.Itoa(i))})
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []string{"0@0", "0@1", "0@2", "1@0", "1@1", "1@2"}; !slices.Equal(got.sorted(), want) {
		t.Errorf("read %v, want %v", got.sorted(), want)
	}
}

func TestLoopGroup(t *testing.T) {
	c := fakeCluster(t, 4)
	ctx := context.Background()
	c.Commit("g", p0, 4) // p0 read to its end already
	c.Commit("g", p1, 1)
	spec := consume.Spec{From: pos(t, "beginning"), UntilEnd: true, Follow: true}
	rs, err := consume.PlanGroup(ctx, c, "g", []cluster.TP{p0, p1}, nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Start != 4 || !rs[0].Empty() || rs[1].Start != 1 || rs[1].End != 4 {
		t.Fatalf("group plan %+v", rs)
	}
	// New records past the planned end are not read.
	c.MustAdd(record.Record{Topic: "t", Partition: 0})
	rd, err := c.NewReader(cluster.ReaderOptions{Group: "g", Topics: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	err = consume.Loop(ctx, rd, rs, consume.Options{}, func(r *record.Record) error {
		_ = rd.Store(r)
		return got.add(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1@1", "1@2", "1@3"}; !slices.Equal(got.sorted(), want) {
		t.Errorf("read %v, want %v", got.sorted(), want)
	}
	offs, _ := c.GroupOffsets(ctx, "g")
	if offs[p0] != 4 || offs[p1] != 4 {
		t.Errorf("committed %v", offs)
	}

	// A group that never committed starts where a new member would.
	rs, err = consume.PlanGroup(ctx, c, "fresh", []cluster.TP{p0, p1}, nil, spec)
	if err != nil || rs[0].Start != 0 || rs[0].End != 5 {
		t.Errorf("new group plan %+v, %v", rs, err)
	}
	if _, err := consume.PlanGroup(ctx, c, "g", []cluster.TP{p0}, nil, consume.Spec{From: pos(t, "5")}); err == nil {
		t.Error("a group read from an offset was planned")
	}
	c.Fail(kafkafake.OpGroupOffsets, errors.New("coordinator"))
	if _, err := consume.PlanGroup(ctx, c, "g", []cluster.TP{p0}, nil, spec); err == nil {
		t.Error("GroupOffsets error dropped")
	}
}

func TestReadParallel(t *testing.T) {
	c := fakeCluster(t, 3)
	c.CreateTopic("u", 1)
	c.MustAdd(record.Record{Topic: "u", Partition: 0})
	ctx := context.Background()
	tps := []cluster.TP{p0, p1, {Topic: "u"}}
	rs, err := consume.Plan(ctx, c, tps, nil, consume.Spec{From: pos(t, "beginning")})
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	var mu sync.Mutex
	var queues []int
	open := func(o cluster.ReaderOptions) (consume.Reader, error) {
		mu.Lock()
		queues = append(queues, o.QueueKB)
		mu.Unlock()
		return c.NewReader(o)
	}
	if err := consume.ReadParallel(ctx, open, rs, consume.Options{}, got.add); err != nil {
		t.Fatal(err)
	}
	// Three partitions in two readers: each partition's pre-fetch queue
	// is bounded (the share of the total is above the 4 MB default).
	if !slices.Equal(queues, []int{4096, 4096}) {
		t.Errorf("queue sizes %v, want 4096 for both readers", queues)
	}
	if len(got.sorted()) != 7 {
		t.Errorf("read %v", got.sorted())
	}
	// 43 partitions: each gets its share of the 12 MB.
	c.CreateTopic("w", 40)
	wide := slices.Clone(tps)
	for p := range int32(40) {
		c.MustAdd(record.Record{Topic: "w", Partition: p})
		wide = append(wide, cluster.TP{Topic: "w", Partition: p})
	}
	wrs, err := consume.Plan(ctx, c, wide, nil, consume.Spec{From: pos(t, "beginning")})
	if err != nil {
		t.Fatal(err)
	}
	queues = nil
	if err := consume.ReadParallel(ctx, open, wrs, consume.Options{}, func(*record.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(queues, []int{12 << 10 / 43, 12 << 10 / 43, 12 << 10 / 43}) {
		t.Errorf("queue sizes %v, want %d for each of the three readers", queues, 12<<10/43)
	}
	if !slices.Equal(consume.TPs(rs), tps) {
		t.Errorf("TPs %v", consume.TPs(rs))
	}
	c.Fail(kafkafake.OpNewReader, errors.New("boom"))
	if err := consume.ReadParallel(ctx, consume.Readers(c.NewReader), rs, consume.Options{}, got.add); err == nil {
		t.Error("error dropped")
	}
}

func TestPlanRequestedAndErrors(t *testing.T) {
	c := fakeCluster(t, 5)
	ctx := context.Background()
	_ = c.DeleteRecords(ctx, p0, 2)
	rs := plan(t, c, consume.Spec{From: pos(t, "1")})
	if rs[0].Start != 2 || rs[0].Requested != 1 || rs[1].Requested != 1 || rs[0].Count() != 3 {
		t.Errorf("plan %+v", rs)
	}
	c.Fail(kafkafake.OpWatermarks, errors.New("boom"))
	if _, err := consume.Plan(ctx, c, []cluster.TP{p0}, nil, consume.Spec{}); err == nil {
		t.Error("watermarks error dropped")
	}
	c.Fail(kafkafake.OpWatermarks, nil)
	c.Fail(kafkafake.OpListOffsets, errors.New("boom"))
	if _, err := consume.Plan(ctx, c, []cluster.TP{p0}, nil, consume.Spec{From: pos(t, "-10m")}); err == nil {
		t.Error("from: list offsets error dropped")
	}
	if _, err := consume.Plan(ctx, c, []cluster.TP{p0}, nil, consume.Spec{To: ptr(pos(t, "-10m"))}); err == nil {
		t.Error("to: list offsets error dropped")
	}
}
