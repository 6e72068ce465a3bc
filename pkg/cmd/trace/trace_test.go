package trace

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/internal/scenariotest"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/scenario"
)

func startBroker(t testing.TB) *kafka.Client {
	t.Helper()
	b, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c := kafka.New(kafka.Options{Brokers: b.Addrs(), Timeout: 10 * time.Second})
	t.Cleanup(c.Close)
	return c
}

// field reads a top-level string field of a generated event.
func field(t testing.TB, ev scenario.Event, name string) string {
	var m map[string]any
	if err := json.Unmarshal(ev.Value, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[name].(string)
	return s
}

func testOptions(keys ...string) *Options {
	ios, _, _, _ := iostreams.Test()
	return &Options{IO: ios, Keys: keys, Partitioner: "murmur2", Skew: time.Minute}
}

// TestTraceSmokeScenario traces every order of the smoke scenario and
// compares with what the generator sent for it.
func TestTraceSmokeScenario(t *testing.T) {
	client := startBroker(t)
	events := scenariotest.Play(t, client, scenariotest.Path("smoke.yaml"), 7, 0)
	byOrder := map[string][]scenario.Event{}
	var orders []string
	failed, cancelled := map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		id := field(t, ev, "orderId")
		if ev.Topic == "orders.created" {
			orders = append(orders, id)
		}
		byOrder[id] = append(byOrder[id], ev)
		if ev.Topic == "payment.transactions" && field(t, ev, "status") == "ERROR" {
			failed[id] = true
		}
		if ev.Topic == "orders.completed" && field(t, ev, "status") == "CANCELLED" {
			cancelled[id] = true
		}
	}
	if len(orders) < 2 || len(failed) < 2 || len(cancelled) == 0 {
		t.Fatalf("scenario gave %d orders, %d failed payments, %d cancelled: want an order held and one cancelled", len(orders), len(failed), len(cancelled))
	}
	opts := testOptions(orders...)
	c, _, err := collect(context.Background(), client, consume.Readers(client.NewReader), opts)
	if err != nil {
		t.Fatal(err)
	}
	traces := c.Tracer.Traces()
	for i, tr := range traces {
		want := byOrder[orders[i]]
		if len(tr.Events) != len(want) {
			t.Errorf("%s: %d events, want %d", tr.Key, len(tr.Events), len(want))
			continue
		}
		for j, ev := range tr.Events {
			if j > 0 && ev.Record.Timestamp.Before(tr.Events[j-1].Record.Timestamp) {
				t.Errorf("%s: event %d out of time order", tr.Key, j)
			}
		}
		// Gaps: the timeline's since-start equals the generator's times.
		steps := flowtrace.Timeline(tr)
		if got, wantGap := steps[len(steps)-1].SinceStart, want[len(want)-1].Time.Truncate(time.Millisecond).Sub(want[0].Time.Truncate(time.Millisecond)); got != wantGap {
			t.Errorf("%s: last step +%s from the start, want +%s", tr.Key, got, wantGap)
		}
		sum := flowtrace.Summarize(c.Flow, tr)
		switch {
		case cancelled[tr.Key]:
			if sum.Verdict != flowtrace.Cancelled || sum.Stage != "payment" || sum.Status != "ERROR" || !strings.HasSuffix(sum.Message, ", order closed CANCELLED") {
				t.Errorf("%s: %s, want cancelled after payment ERROR", tr.Key, sum.Message)
			}
		case failed[tr.Key]: // held: pending, nothing closed it
			if sum.Verdict != flowtrace.Stuck || sum.Stage != "payment" || sum.Status != "ERROR" {
				t.Errorf("%s: %s, want stuck at payment ERROR", tr.Key, sum.Message)
			}
		default:
			if sum.Verdict != flowtrace.Complete {
				t.Errorf("%s: %s, want complete", tr.Key, sum.Message)
			}
		}
	}
}

// TestPartitionPruning: tracing on a topic keyed by the traced id reads
// only the partition the key hashes to, and finds all its records.
func TestPartitionPruning(t *testing.T) {
	client := startBroker(t)
	events := scenariotest.Play(t, client, scenariotest.Path("ecommerce-demo.yaml"), 3, 0.05)
	const topic = "payment.transactions"
	var payments []scenario.Event
	for _, ev := range events {
		if ev.Topic == topic {
			payments = append(payments, ev)
		}
	}
	key := field(t, payments[len(payments)/2], "orderId")
	part := partitioner.Partition([]byte(key), 3)
	inPartition, forKey := 0, 0
	for _, ev := range payments {
		if partitioner.Partition(ev.Key, 3) == part {
			inPartition++
		}
		if string(ev.Key) == key {
			forKey++
		}
	}
	if inPartition == len(payments) {
		t.Fatalf("all %d payments in one partition: the test proves nothing", len(payments))
	}
	for _, scanAll := range []bool{false, true} {
		opts := testOptions(key)
		opts.Topics = []string{topic}
		opts.ScanAll = scanAll
		c, res, err := collect(context.Background(), client, consume.Readers(client.NewReader), opts)
		if err != nil {
			t.Fatal(err)
		}
		wantRead := inPartition
		if scanAll {
			wantRead = len(payments)
		}
		if got := res.Records.Load(); got != int64(wantRead) {
			t.Errorf("scan-all=%v: read %d records, want %d", scanAll, got, wantRead)
		}
		if got := len(c.Tracer.Traces()[0].Events); got != forKey {
			t.Errorf("scan-all=%v: found %d records of %s, want %d", scanAll, got, key, forKey)
		}
	}
	// The whole flow: ids learned from orders.created prune the other
	// topics, and the result is the same as a full scan.
	full, pruned := testOptions(key), testOptions(key)
	full.ScanAll = true
	cf, rf, err := collect(context.Background(), client, consume.Readers(client.NewReader), full)
	if err != nil {
		t.Fatal(err)
	}
	cp, rp, err := collect(context.Background(), client, consume.Readers(client.NewReader), pruned)
	if err != nil {
		t.Fatal(err)
	}
	if rp.Records.Load() >= rf.Records.Load() {
		t.Errorf("pruned trace read %d records, full scan %d: want fewer", rp.Records.Load(), rf.Records.Load())
	}
	if a, b := eventKeys(cp.Tracer.Traces()[0]), eventKeys(cf.Tracer.Traces()[0]); !slices.Equal(a, b) {
		t.Errorf("pruned trace found %v, full scan %v", a, b)
	}
	t.Logf("%s: pruned read %d records (%d partitions), full scan %d (%d partitions)", key,
		rp.Records.Load(), rp.Partitions.Load(), rf.Records.Load(), rf.Partitions.Load())
}

func eventKeys(tr *flowtrace.Trace) []string {
	var out []string
	for _, ev := range tr.Events {
		out = append(out, ev.Record.TP().String()+"@"+time.Duration(ev.Record.Offset).String())
	}
	slices.Sort(out)
	return out
}
