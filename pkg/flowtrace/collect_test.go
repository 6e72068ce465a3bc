package flowtrace_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func add(c *kafkafake.Cluster, topic, key string, at time.Duration, value string) {
	r := record.Record{Topic: topic, Partition: -1, Timestamp: t0.Add(at), Value: []byte(value)}
	if key != "" {
		r.Key = []byte(key)
	}
	c.MustAdd(r)
}

// orders (the root, unkeyed) → payments (keyed by orderId) → ships.
func shop(t *testing.T) (*kafkafake.Cluster, flowtrace.Flow) {
	t.Helper()
	c := kafkafake.New()
	for _, topic := range []string{"orders", "payments", "ships"} {
		c.CreateTopic(topic, 3)
	}
	// A stray ships record of o4 long before its creation: outside the
	// window the root's time allows.
	add(c, "ships", "", -time.Hour, `{"orderId":"o4","status":"GHOST"}`)
	for i, id := range []string{"o1", "o2", "o3", "o4", "o5", "o6"} {
		at := time.Duration(i) * time.Hour
		add(c, "orders", "", at, `{"orderId":"`+id+`","status":"NEW"}`)
		add(c, "payments", id, at+time.Second, `{"orderId":"`+id+`","status":"OK"}`)
		add(c, "ships", "", at+2*time.Second, `{"orderId":"`+id+`","status":"SHIPPED"}`)
	}
	flow, err := flowtrace.Custom([]string{"orders", "payments", "ships"}, []string{"orderId"}, map[string]string{"payments": "orderId"})
	if err != nil {
		t.Fatal(err)
	}
	return c, flow
}

func collector(t *testing.T, c *kafkafake.Cluster, flow flowtrace.Flow, keys ...string) *flowtrace.Collector {
	t.Helper()
	tracer, err := flowtrace.NewTracer(flow, keys)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := c.Metadata(context.Background())
	return &flowtrace.Collector{Offsets: c, Open: consume.Readers(c.NewReader), Flow: flow, Tracer: tracer,
		Partitions: flowtrace.PartitionCounts(md, flow.Topics()), Partitioner: partitioner.Partition, Skew: time.Minute}
}

func TestCollectPrunes(t *testing.T) {
	c, flow := shop(t)
	col := collector(t, c, flow, "o4")
	var log bytes.Buffer
	col.Log = &log
	res, err := col.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tr := col.Tracer.Traces()[0]
	var got []string
	for _, ev := range tr.Events {
		got = append(got, ev.Record.Topic)
	}
	if strings.Join(got, ",") != "orders,payments,ships" {
		t.Errorf("events %v, want orders, payments, ships (not the ghost)", got)
	}
	if s := flowtrace.Summarize(flow, tr); s.Verdict != flowtrace.Complete {
		t.Errorf("verdict %s", s.Message)
	}
	// Round 1: all of orders, the one partition of payments o4 hashes to;
	// round 2: ships from o4's creation minus the skew (o4..o6 and nothing
	// before).
	inPart := 0
	p := partitioner.Partition([]byte("o4"), 3)
	for _, id := range []string{"o1", "o2", "o3", "o4", "o5", "o6"} {
		if partitioner.Partition([]byte(id), 3) == p {
			inPart++
		}
	}
	if want := int64(6 + inPart + 3); res.Records.Load() != want || res.Rounds != 2 {
		t.Errorf("read %d records in %d rounds, want %d in 2", res.Records.Load(), res.Rounds, want)
	}
	for _, want := range []string{"round 1: payments: partitions [", "round 2: ships: all partitions, from 2026-11-25T12:59:00.000Z", "in 2 rounds"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}

	// --scan-all reads everything in one round.
	all := collector(t, c, flow, "o4")
	all.ScanAll = true
	res, err = all.Collect(context.Background())
	if err != nil || res.Records.Load() != 19 || res.Rounds != 1 {
		t.Errorf("scan-all: %d records, %d rounds, %v", res.Records.Load(), res.Rounds, err)
	}
}

func TestCollectFollow(t *testing.T) {
	c, flow := shop(t)
	col := collector(t, c, flow, "o2")
	res, err := col.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		done <- col.Follow(ctx, res, func(key string, r *record.Record) error {
			got <- key + " " + r.Topic
			return nil
		})
	}()
	add(c, "ships", "", 9*time.Hour, `{"orderId":"o3","status":"RETURNED"}`)
	add(c, "ships", "", 9*time.Hour, `{"orderId":"o2","status":"RETURNED"}`)
	if g := <-got; g != "o2 ships" {
		t.Errorf("followed %q", g)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow: %v", err)
	}
}

func TestSelect(t *testing.T) {
	c, _ := shop(t)
	md, _ := c.Metadata(context.Background())
	var warn bytes.Buffer
	if _, err := flowtrace.Select(md, flowtrace.Selection{}, &warn); err == nil || !strings.Contains(err.Error(), "e-commerce topics") {
		t.Errorf("no e-commerce topics: %v", err)
	}
	if _, err := flowtrace.Select(md, flowtrace.Selection{Topics: []string{"orders", "ships"}}, &warn); err == nil || !strings.Contains(err.Error(), "need --field") {
		t.Errorf("custom topics without a field: %v", err)
	}
	f, err := flowtrace.Select(md, flowtrace.Selection{Topics: []string{"orders", "ships"}, Fields: []string{"orderId"}, KeyFields: map[string]string{"ships": "orderId"}}, &warn)
	if err != nil || len(f.Stages) != 2 || f.Stages[1].Key != "orderId" {
		t.Errorf("custom flow %+v, %v", f, err)
	}
	if _, err := flowtrace.Select(md, flowtrace.Selection{Topics: []string{"orders", "nope"}, Fields: []string{"orderId"}}, &warn); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown topic: %v", err)
	}
	named := f
	if _, err := flowtrace.Select(md, flowtrace.Selection{Named: &named, Topics: []string{"payments"}}, &warn); err == nil {
		t.Error("--topics outside the named flow accepted")
	}
	c.CreateTopic("orders.created", 1)
	md, _ = c.Metadata(context.Background())
	warn.Reset()
	f, err = flowtrace.Select(md, flowtrace.Selection{}, &warn)
	if err != nil || len(f.Stages) != 1 || !strings.Contains(warn.String(), "e-commerce flow without") {
		t.Errorf("partial e-commerce flow %+v, %v, warning %q", f, err, warn.String())
	}
}

// Records placed by librdkafka's default partitioner (crc32) while the
// trace prunes by murmur2: the pruned read sees keys out of place and
// reads the other partitions, so the trace is complete and says so
// truthfully (it missed payments before).
func TestCollectOtherPartitioner(t *testing.T) {
	c := kafkafake.New()
	c.Partitioner = partitioner.CRC32
	for _, topic := range []string{"orders", "payments", "ships"} {
		c.CreateTopic(topic, 6)
	}
	var ids []string
	for i := range 20 {
		id := "ord-" + string(rune('a'+i))
		ids = append(ids, id)
		at := time.Duration(i) * time.Minute
		add(c, "orders", id, at, `{"orderId":"`+id+`","status":"NEW"}`)
		add(c, "payments", id, at+time.Second, `{"orderId":"`+id+`","status":"OK"}`)
		add(c, "ships", id, at+2*time.Second, `{"orderId":"`+id+`","status":"SHIPPED"}`)
	}
	flow, err := flowtrace.Custom([]string{"orders", "payments", "ships"}, []string{"orderId"}, map[string]string{"orders": "orderId", "payments": "orderId", "ships": "orderId"})
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for _, id := range ids {
		if partitioner.CRC32([]byte(id), 6) != partitioner.Partition([]byte(id), 6) {
			moved = append(moved, id)
		}
	}
	if len(moved) < 2 {
		t.Fatal("crc32 and murmur2 agree on the keys: the test proves nothing")
	}
	col := collector(t, c, flow, moved[:2]...)
	res, err := col.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range col.Tracer.Traces() {
		if s := flowtrace.Summarize(flow, tr); s.Verdict != flowtrace.Complete || len(tr.Events) != 3 {
			t.Errorf("%s: %s with %d events, want complete with 3", tr.Key, s.Message, len(tr.Events))
		}
	}
	if len(res.FullReads) == 0 {
		t.Error("no full read after keys out of place")
	}
}

// TestCollectStopsAfterClose: once the order reached the flow's last stage
// (here payments, keyed and read in the first round with no time bound),
// the other stages are read only up to that time plus the skew; the
// verdict rests on the last stage and stays the same. A followed trace
// reads on to the end.
func TestCollectStopsAfterClose(t *testing.T) {
	c, _ := shop(t)
	// o4's shipment event ten minutes after its payment closed it.
	add(c, "ships", "", 3*time.Hour+10*time.Minute, `{"orderId":"o4","status":"LATE"}`)
	flow, err := flowtrace.Custom([]string{"orders", "ships", "payments"}, []string{"orderId"}, map[string]string{"payments": "orderId"})
	if err != nil {
		t.Fatal(err)
	}
	statuses := func(following bool) ([]string, int64, string) {
		col := collector(t, c, flow, "o4")
		col.Following = following
		var log bytes.Buffer
		col.Log = &log
		res, err := col.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tr := col.Tracer.Traces()[0]
		var got []string
		for _, ev := range tr.Events {
			got = append(got, ev.Record.Topic+":"+ev.Status)
		}
		if s := flowtrace.Summarize(flow, tr); s.Verdict != flowtrace.Complete {
			t.Errorf("following %v: verdict %s", following, s.Message)
		}
		return got, res.Records.Load(), log.String()
	}
	bounded, n, log := statuses(false)
	if strings.Join(bounded, ",") != "orders:NEW,payments:OK,ships:SHIPPED" {
		t.Errorf("bounded read: events %v, want the order, its payment and its shipment (not the late one)", bounded)
	}
	if !strings.Contains(log, "until 2026-11-25T13:01:01.000Z (the order closed at 2026-11-25T13:00:01.000Z)") {
		t.Errorf("log does not show the upper bound:\n%s", log)
	}
	all, nAll, _ := statuses(true)
	if strings.Join(all, ",") != "orders:NEW,payments:OK,ships:SHIPPED,ships:LATE" {
		t.Errorf("followed read: events %v, want the late shipment too", all)
	}
	if n >= nAll {
		t.Errorf("the bounded read read %d records, the followed one %d", n, nAll)
	}
}
