package play

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/internal/golden"
	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

const testScenario = `
name: t
seed: 5
params: {err: 0}
topics:
  - {name: orders, partitions: 2, key: id}
  - {name: payments, partitions: 1, key: id}
templates:
  order:
    topic: orders
    fields: {id: {sequence: "O-%03d"}}
  payment:
    topic: payments
    fields:
      id: {from: order.id}
      status: {choice: [ERROR, SUCCESS], weights: [err, rest]}
    tags: {status: .status}
flows:
  f:
    steps:
      - emit: order
      - {emit: payment, after: 100ms}
phases:
  - {name: calm, duration: 2s, rate: 10}
  - {name: storm, duration: 1s, rate: 20, overrides: {err: 1}}
`

var start = time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)

// playAll feeds every event of the test scenario to a tracker, as a dry run does.
func playAll(t *testing.T, speed float64) *Tracker {
	t.Helper()
	s, err := scenario.Parse("t.yaml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	g := scenario.NewGenerator(s, scenario.GeneratorOptions{Seed: 5, RunID: "run", Start: start, Speed: speed})
	tr := NewTracker(s, start)
	ids := make([]int, 1)
	for {
		ev, ok := g.Next()
		if !ok {
			break
		}
		tr.TrackAll([]scenario.Event{ev}, nil, ids)
		acked := []cluster.Delivery{{Record: &record.Record{Topic: ev.Topic}, ID: ids[0]}}
		tr.Settle(acked, make([]Meta, 1))
	}
	return tr
}

func TestTrackerCounts(t *testing.T) {
	tr := playAll(t, 1)
	topics, phases, _ := tr.Totals()
	if len(topics) != 2 || len(phases) != 2 {
		t.Fatalf("got %d topics, %d phases", len(topics), len(phases))
	}
	orders, payments := topics[0], topics[1]
	if orders.Events != 40 || orders.Acked != 40 {
		t.Errorf("orders: %d events, %d acked, want 40 (2s at 10/s + 1s at 20/s)", orders.Events, orders.Acked)
	}
	// The last calm flow starts within 1.90–1.95 s: its payment, 100 ms
	// later, falls in the storm and takes the storm's error ratio.
	if payments.Statuses["ERROR"] != 21 || payments.Statuses["SUCCESS"] != 19 || payments.Incidents != 21 {
		t.Errorf("payments statuses %v, incidents %d; want 21 ERROR (storm) and 19 SUCCESS (calm)", payments.Statuses, payments.Incidents)
	}
	if orders.PeakPerSec != 20 {
		t.Errorf("orders peak %d/s, want 20 (the storm rate)", orders.PeakPerSec)
	}
	if phases[0].FlowsStarted != 20 || phases[1].FlowsStarted != 20 {
		t.Errorf("flows per phase %d, %d; want 20, 20", phases[0].FlowsStarted, phases[1].FlowsStarted)
	}
	if phases[1].Incidents != 21 || phases[0].Incidents != 0 {
		t.Errorf("incidents per phase %d, %d; want 0, 21", phases[0].Incidents, phases[1].Incidents)
	}
}

func TestTrackerPeakFollowsSpeed(t *testing.T) {
	topics, _, _ := playAll(t, 10).Totals()
	// At --speed 10 the whole 3 s timeline fits in 0.3 s of timestamps.
	if got := topics[0].PeakPerSec; got != 40 {
		t.Errorf("orders peak at speed 10: %d/s, want 40 (every order in one second)", got)
	}
}

func TestTrackerNotices(t *testing.T) {
	tr := playAll(t, 1)
	snap := tr.Snapshot(3 * time.Second)
	var texts []string
	for _, n := range snap.Notices {
		texts = append(texts, FormatClock(n.At)+" "+n.Text)
	}
	want := []string{
		"0:00 phase calm 0:00–0:02, 10 flows/s",
		"0:02 phase storm 0:02–0:03, 20 flows/s, overrides: err=1",
		"0:02 incident: ERROR on payments (phase storm)",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	if again := tr.Snapshot(0).Notices; len(again) != 0 {
		t.Errorf("notices are handed out once, got %v again", again)
	}
	if snap.Incidents["ERROR"] != 21 || snap.Events != 80 || snap.Phase != "storm" {
		t.Errorf("snapshot: %+v", snap)
	}
}

func tp(topic string, p int32) record.TopicPartition {
	return record.TopicPartition{Topic: topic, Partition: p}
}

func TestVerify(t *testing.T) {
	topics := []TopicReport{
		{Topic: "ok", Counts: Counts{Events: 5, Acked: 5}},
		{Topic: "lost", Counts: Counts{Events: 5, Acked: 5}},
		{Topic: "other", Counts: Counts{Events: 2, Acked: 2}},
		{Topic: "failed", Counts: Counts{Events: 3, Acked: 1, Failed: 2}},
		{Topic: "unconfirmed", Counts: Counts{Events: 3, Acked: 1}},
	}
	acked := map[record.TopicPartition]int64{
		tp("ok", 0): 3, tp("ok", 1): 2, tp("lost", 0): 5, tp("other", 0): 2, tp("failed", 0): 1, tp("unconfirmed", 0): 1,
	}
	before := map[record.TopicPartition]int64{tp("ok", 0): 10, tp("ok", 1): 0, tp("lost", 0): 0, tp("other", 0): 7}
	after := map[record.TopicPartition]int64{
		tp("ok", 0): 13, tp("ok", 1): 2, tp("lost", 0): 4, tp("other", 0): 12, tp("failed", 0): 1, tp("unconfirmed", 0): 1,
	}
	checks := Verify(topics, acked, before, after)
	got := map[string]string{}
	for _, c := range checks {
		got[c.Topic] = c.Status
	}
	want := map[string]string{"ok": VerifyOK, "lost": VerifyShortfall, "other": VerifyInterfered, "failed": VerifyShortfall, "unconfirmed": VerifyShortfall}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if checks[1].Partitions[0] != (PartitionCheck{Partition: 0, Acked: 5, Growth: 4}) {
		t.Errorf("lost mismatch: %+v", checks[1].Partitions)
	}
	msg := Shortfall(checks)
	wantMsg := "lost: sent 5, acknowledged 5, log grew by 4; failed: sent 3, acknowledged 1, failed 2, log grew by 1; unconfirmed: sent 3, acknowledged 1, unconfirmed 2, log grew by 1"
	if msg != wantMsg {
		t.Errorf("Shortfall:\n%s\nwant\n%s", msg, wantMsg)
	}
	if Shortfall(checks[:1]) != "" {
		t.Error("a clean topic reports a shortfall")
	}
}

func TestPacer(t *testing.T) {
	now := start
	p := Pacer{Now: func() time.Time { return now }}
	late, err := p.Wait(context.Background(), start.Add(-time.Second))
	if err != nil || late != time.Second {
		t.Errorf("past event: late %v, err %v; want 1s, nil", late, err)
	}
	late, err = p.Wait(context.Background(), start.Add(100*time.Microsecond))
	if err != nil || late != 0 {
		t.Errorf("event due in 100µs: late %v, err %v; want 0 at once", late, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Wait(ctx, start.Add(time.Hour)); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}

func TestReportText(t *testing.T) {
	tr := playAll(t, 1)
	r := &Report{Command: "kx play", RunID: "run", Scenario: "t", Seed: 5, Speed: 1, RateScale: 1, WallSeconds: 3.1,
		Flows: FlowReport{Started: 40, Ended: 40}}
	r.Fill(tr)
	r.Verification = Verify(r.Topics, tr.AckedByPartition(),
		map[record.TopicPartition]int64{}, map[record.TopicPartition]int64{tp("orders", 0): 40, tp("payments", 0): 41})
	var b bytes.Buffer
	if err := r.WriteText(&b, 0); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, b.Bytes())
}

func TestLineView(t *testing.T) {
	tr := playAll(t, 1)
	var b bytes.Buffer
	now := start
	v := NewView(&b, "kx play", false, false, 80).(*LineView)
	v.Now = func() time.Time { return now }
	v.Update(tr.Snapshot(3 * time.Second))
	now = now.Add(6 * time.Second)
	v.Update(tr.Snapshot(3 * time.Second))
	v.Close(tr.Snapshot(3 * time.Second))
	golden.Assert(t, b.Bytes())
}

func TestTermView(t *testing.T) {
	tr := playAll(t, 1)
	var b bytes.Buffer
	now := start
	v := NewView(&b, "kx play", true, false, 60).(*TermView)
	v.Now = func() time.Time { return now }
	v.Update(tr.Snapshot(4 * time.Second))
	now = now.Add(time.Second)
	v.Update(tr.Snapshot(4 * time.Second))
	v.Close(tr.Snapshot(4 * time.Second))
	golden.Assert(t, b.Bytes())
	for _, line := range strings.Split(b.String(), "\n") {
		if n := len([]rune(stripANSI(line))); n > 59 {
			t.Errorf("line of %d runes wraps a 60-column terminal: %q", n, line)
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
				esc = false
			}
		case r == '\x1b':
			esc = true
		case r == '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestFormatClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 90 * time.Second: "1:30", 3*time.Hour + 5*time.Second: "3:00:05", 1500 * time.Millisecond: "0:01"} {
		if got := FormatClock(d); got != want {
			t.Errorf("FormatClock(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestWaitPending: the producer loop waits while too many records are
// unacknowledged, goes on once reports come, and stops with its context.
func TestWaitPending(t *testing.T) {
	s, err := scenario.Parse("t.yaml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	g := scenario.NewGenerator(s, scenario.GeneratorOptions{Seed: 5, RunID: "run", Start: start})
	tr := NewTracker(s, start)
	ev, _ := g.Next()
	evs := make([]scenario.Event, maxPending+1)
	for i := range evs {
		evs[i] = ev
	}
	ids := make([]int, len(evs))
	tr.TrackAll(evs, nil, ids)
	if tr.Pending() != maxPending+1 {
		t.Fatalf("pending %d, want %d", tr.Pending(), maxPending+1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitPending(ctx, tr) {
		t.Fatal("waitPending returned true with too many pending and a done context")
	}
	go func() {
		tr.Settle([]cluster.Delivery{
			{Record: &record.Record{Topic: ev.Topic}, ID: ids[0]},
			{Record: &record.Record{Topic: ev.Topic}, ID: ids[1], Err: errors.New("refused")},
		}, make([]Meta, 2))
	}()
	if !waitPending(context.Background(), tr) || tr.Pending() != maxPending-1 {
		t.Fatalf("pending %d after two reports, want %d", tr.Pending(), maxPending-1)
	}
}

// TestCountsPeak: the peak is the most events in one second, also when an
// event comes back to a second left behind.
func TestCountsPeak(t *testing.T) {
	c := newCounts()
	for _, sec := range []int64{1, 1, 2, 2, 1, 3, 1, 2} {
		c.add(sec, -1, false)
	}
	if c.PeakPerSec != 4 || c.Events != 8 {
		t.Errorf("peak %d of %d events, want 4 of 8 (second 1)", c.PeakPerSec, c.Events)
	}
}

// TestSettleCounts: a batch of reports counts each acknowledged record
// once on its partition however the partitions interleave, a failed one
// as failed, a report without a record not at all; statuses count per
// topic whatever order they come in.
func TestSettleCounts(t *testing.T) {
	s, err := scenario.Parse("t.yaml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(s, start)
	pay := scenario.Event{Topic: "payments", TopicIndex: 1, PhaseIndex: 0, Time: start}
	statuses := []string{"SUCCESS", "ERROR", "ERROR", "SUCCESS", "", "SUCCESS"}
	evs := make([]scenario.Event, len(statuses))
	for i, st := range statuses {
		evs[i] = pay
		if st != "" {
			evs[i].Tags = []scenario.Tag{{Name: "status", Value: st}}
		}
	}
	ids := make([]int, len(evs))
	tr.TrackAll(evs, nil, ids)
	on := func(p int32) *record.Record { return &record.Record{Topic: "payments", Partition: p} }
	tr.Settle([]cluster.Delivery{
		{Record: on(0), ID: ids[0]}, {Record: on(0), ID: ids[1]}, {Record: on(1), ID: ids[2]},
		{Record: on(0), ID: ids[3]}, {Record: on(1), ID: ids[4], Err: errors.New("refused")},
		{Err: errors.New("fatal")},
	}, make([]Meta, 6))
	want := map[record.TopicPartition]int64{{Topic: "payments", Partition: 0}: 3, {Topic: "payments", Partition: 1}: 1}
	if got := tr.AckedByPartition(); !maps.Equal(got, want) {
		t.Errorf("acked by partition %v, want %v", got, want)
	}
	if tr.Pending() != 1 {
		t.Errorf("pending %d, want 1 (ids[5] unreported)", tr.Pending())
	}
	topics, _, _ := tr.Totals()
	c := topics[1].Counts
	if c.Acked != 4 || c.Failed != 1 || c.Incidents != 2 || !maps.Equal(c.Statuses, map[string]int64{"SUCCESS": 3, "ERROR": 2}) {
		t.Errorf("payments: acked %d failed %d incidents %d statuses %v; want 4, 1, 2, SUCCESS 3 ERROR 2", c.Acked, c.Failed, c.Incidents, c.Statuses)
	}
}
