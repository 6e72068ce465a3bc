package stats

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/kx-cli/kx/internal/golden"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/record"
)

func offsets(topic string, highs ...int64) TopicOffsets {
	to := TopicOffsets{Topic: topic}
	for i, h := range highs {
		to.Partitions = append(to.Partitions, PartitionOffsets{Partition: int32(i), High: h})
	}
	return to
}

func TestSpread(t *testing.T) {
	lo, hi, skew := Spread([]PartitionOffsets{{High: 6}, {High: 3}, {Low: 2, High: 3}})
	if lo != 1 || hi != 6 || skew != 1.8 {
		t.Errorf("Spread = %d %d %v, want 1 6 1.8", lo, hi, skew)
	}
	if lo, hi, skew := Spread([]PartitionOffsets{{}, {}}); lo != 0 || hi != 0 || skew != 0 {
		t.Errorf("empty Spread = %d %d %v", lo, hi, skew)
	}
}

func TestTrackerRatesPeakAndSummary(t *testing.T) {
	tr := NewTracker(3)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	samples := [][]int64{{0, 0}, {10, 10}, {40, 30}, {40, 30}, {45, 30}}
	for i, s := range samples {
		tr.ObserveOffsets(t0.Add(time.Duration(i)*time.Second), []TopicOffsets{offsets("orders", s...)})
	}
	// Rates per interval: 20, 50, 0, 5; the history keeps the last 3.
	if got := tr.Rates("orders"); len(got) != 3 || got[0] != 50 || got[1] != 0 || got[2] != 5 {
		t.Errorf("Rates = %v, want [50 0 5]", got)
	}
	snap := tr.Snapshot(t0.Add(4*time.Second), time.Second, []string{"orders"})
	ts := snap.Topics[0]
	if ts.MessagesPerSec != 5 || ts.PeakPerSec != 50 || ts.Messages != 75 || ts.PartitionMin != 30 || ts.PartitionMax != 45 {
		t.Errorf("topic stats = %+v", ts)
	}
	if snap.Totals.PeakPerSec != 50 {
		t.Errorf("total peak = %v, want 50", snap.Totals.PeakPerSec)
	}
	sum := tr.Summary(t0.Add(5*time.Second), []string{"orders"})
	if sum.Kind != KindSummary || sum.Topics[0].Produced != 75 || sum.Topics[0].MessagesPerSec != 15 {
		t.Errorf("summary = %+v", sum.Topics[0])
	}
}

func TestTotalPeakAlignsTopics(t *testing.T) {
	tr := NewTracker(10)
	t0 := time.Unix(0, 0)
	tr.ObserveOffsets(t0, []TopicOffsets{offsets("a", 0)})
	tr.ObserveOffsets(t0.Add(time.Second), []TopicOffsets{offsets("a", 10), offsets("b", 0)})
	tr.ObserveOffsets(t0.Add(2*time.Second), []TopicOffsets{offsets("a", 12), offsets("b", 5)})
	// Intervals: a = 10, 2; b = -, 5: the sums are 10 and 7.
	if p := tr.totalPeak([]string{"a", "b"}); p != 10 {
		t.Errorf("totalPeak = %v, want 10", p)
	}
}

// Records read for --by or alert rules have no latency anyone asked for
// (kx stats --by .status printed the age of old records as a latency).
func TestNoLatencyUnlessAsked(t *testing.T) {
	tr := NewTracker(0)
	now := time.Unix(1000, 0)
	tr.MarkRead("t")
	tr.ObserveRecord(&record.Record{Topic: "t", Value: []byte("v"), Timestamp: now.Add(-time.Hour)}, now)
	snap := tr.Snapshot(now, time.Minute, []string{"t"})
	if l := snap.Topics[0].Latency; l != nil {
		t.Errorf("latency %+v without --latency", l)
	}
}

func TestLatencyAndBytes(t *testing.T) {
	tr := NewTracker(0)
	tr.Latency = true
	now := time.Unix(1000, 0)
	tr.MarkRead("t")
	for i := 1; i <= 100; i++ {
		tr.ObserveRecord(&record.Record{Topic: "t", Value: []byte("0123456789"), Timestamp: now.Add(-time.Duration(i) * time.Millisecond)}, now)
	}
	tr.ObserveOffsets(now, []TopicOffsets{offsets("t", 100)})
	snap := tr.Snapshot(now, 2*time.Second, []string{"t"})
	l := snap.Topics[0].Latency
	if l == nil || l.Samples != 100 || l.P50Ms != 50 || l.P95Ms != 95 || l.MaxMs != 100 {
		t.Errorf("latency = %+v", l)
	}
	if b := snap.Topics[0].BytesPerSec; b == nil || *b != 500 {
		t.Errorf("bytes/s = %v, want 500", b)
	}
	// A new interval starts empty.
	snap = tr.Snapshot(now, time.Second, []string{"t"})
	if snap.Topics[0].Latency != nil || *snap.Topics[0].BytesPerSec != 0 {
		t.Errorf("second interval = %+v", snap.Topics[0])
	}
}

func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{{50, 2}, {75, 3}, {95, 4}, {100, 4}, {1, 1}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestByCounter(t *testing.T) {
	b := NewByCounter(jqfilter.MustCompile(".status"), "pay")
	for _, v := range []string{`{"status":"OK"}`, `{"status":"ERROR"}`, `{"status":"OK"}`, `{"status":3}`, `{}`, `not json`} {
		b.Observe(&record.Record{Topic: "pay", Value: []byte(v)})
	}
	b.Observe(&record.Record{Topic: "other", Value: []byte(`{"status":"OK"}`)})
	s := b.Snapshot()
	got := ""
	for _, v := range s.Values {
		got += v.Value + "=" + time.Duration(v.Count).String() + " "
	}
	if s.Records != 6 || s.Errors != 1 || got != "OK=2ns 3=1ns ERROR=1ns null=1ns " {
		t.Errorf("by = %+v (%s)", s, got)
	}
	if s.Values[0].Share != 33.33 {
		t.Errorf("share = %v", s.Values[0].Share)
	}
	if n := b.Snapshot(); n.Records != 0 || len(n.Values) != 0 {
		t.Errorf("interval not reset: %+v", n)
	}
	if tot := b.Totals(); tot.Records != 6 {
		t.Errorf("totals = %+v", tot)
	}
}

func TestLag(t *testing.T) {
	committed := map[PartitionKey]int64{{"a", 0}: 5, {"a", 1}: 10, {"b", 0}: 3, {"gone", 0}: 1}
	wm := map[PartitionKey]PartitionOffsets{{"a", 0}: {0, 0, 10}, {"a", 1}: {1, 0, 30}, {"a", 2}: {2, 2, 7}, {"b", 0}: {0, 0, 3}, {"c", 0}: {0, 0, 9}}
	got := Lag("g", committed, wm)
	// a/2 has no commit: counted apart with its 5 records, not dropped
	// (issue 12, item 5); c has no commit at all: not the group's topic.
	if len(got) != 2 || got[0] != (GroupLag{Group: "g", Topic: "a", Lag: 25, WorstPartition: 1, WorstLag: 20, Partitions: 2, NoCommit: 1, NoCommitRecords: 5}) ||
		got[1] != (GroupLag{Group: "g", Topic: "b", Lag: 0, WorstPartition: 0, WorstLag: 0, Partitions: 1}) {
		t.Errorf("Lag = %+v", got)
	}
}

func TestSparkline(t *testing.T) {
	if got := Sparkline([]float64{0, 1, 2, 4, 8}, 10); got != " ▁▂▄█" {
		t.Errorf("Sparkline = %q", got)
	}
	if got := Sparkline([]float64{8, 8, 8, 1}, 2); got != "█▁" {
		t.Errorf("Sparkline keeps the last values: %q", got)
	}
	if got := Sparkline(nil, 5); got != "" {
		t.Errorf("Sparkline(nil) = %q", got)
	}
}

// dashboardFixture is a tracker and a snapshot with every section.
func dashboardFixture() (*Tracker, *Snapshot, *Dashboard) {
	tr := NewTracker(60)
	tr.Latency = true
	tr.SetBy(NewByCounter(jqfilter.MustCompile(".status"), "payment.transactions"))
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var o, p int64
	for i := 0; i < 40; i++ {
		o += int64(10 + i%7*5)
		p += int64(3 + i%3)
		tr.ObserveOffsets(t0.Add(time.Duration(i)*time.Second), []TopicOffsets{
			offsets("a.very.long.topic.name.that.does.not.fit", 1), offsets("orders.created", o, o/2), offsets("payment.transactions", p)})
	}
	for i := 0; i < 20; i++ {
		st := "SUCCESS"
		if i%5 == 0 {
			st = "ERROR"
		}
		tr.ObserveRecord(&record.Record{Topic: "payment.transactions", Value: []byte(`{"status":"` + st + `"}`), Timestamp: t0.Add(39*time.Second - time.Duration(i)*time.Millisecond)}, t0.Add(39*time.Second))
	}
	snap := tr.Snapshot(t0.Add(39*time.Second), time.Second, []string{"a.very.long.topic.name.that.does.not.fit", "orders.created", "payment.transactions"})
	snap.Brokers = 1
	snap.Groups = []GroupLag{{Group: "billing", Topic: "payment.transactions", Lag: 1234, WorstPartition: 2, WorstLag: 1000, Partitions: 3}}
	d := &Dashboard{Width: 80, Title: "kx stats", Brokers: "127.0.0.1:9092"}
	d.Notify(Notice{Time: t0, Severity: "error", Text: "payment-errors: 7 payment errors in 10s (last: order ORD-000123, bank API timeout and a long tail of text)"})
	d.Notify(Notice{Time: t0, Severity: "success", Text: "payment-errors: payments back to normal"})
	return tr, snap, d
}

func TestDashboardLines(t *testing.T) {
	t.Setenv("TZ", "UTC")
	tr, snap, d := dashboardFixture()
	lines := d.Lines(tr, snap)
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("line of %d columns: %q", w, l)
		}
		if strings.Contains(l, "\x1b") {
			t.Errorf("escape sequence without color: %q", l)
		}
	}
	golden.Assert(t, []byte(strings.Join(lines, "\n")+"\n"))
}

// The dashboard fits 60×20, 80×24 and 120×40 terminals: the clock stays
// whole, sparklines keep their newest samples, and sections give way when
// the rows run out (alerts last).
func TestDashboardSizes(t *testing.T) {
	t.Setenv("TZ", "UTC")
	for _, size := range [][2]int{{60, 20}, {80, 24}, {120, 40}, {60, 12}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			tr, snap, d := dashboardFixture()
			d.Width, d.Height = w, h
			lines := d.Lines(tr, snap)
			if len(lines) > h {
				t.Errorf("%d lines on %d rows", len(lines), h)
			}
			for _, l := range lines {
				if lw := runewidth.StringWidth(l); lw > w {
					t.Errorf("line of %d columns: %q", lw, l)
				}
			}
			if !strings.HasSuffix(lines[0], "10:00:39") {
				t.Errorf("header %q lost its clock", lines[0])
			}
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "payments back to normal") }) {
				t.Errorf("the newest alert is gone")
			}
			golden.Assert(t, []byte(strings.Join(lines, "\n")+"\n"))
		})
	}
}

func TestDashboardRenderInPlaceWithColor(t *testing.T) {
	tr, snap, d := dashboardFixture()
	d.Color = true
	var buf bytes.Buffer
	if err := d.Render(&buf, tr, snap); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\x1b[H") || !strings.HasSuffix(out, "\x1b[J") {
		t.Errorf("frame does not start at home and clear below: %q…", out[:20])
	}
	if !strings.Contains(out, "\x1b[1;31m") || !strings.Contains(out, "\x1b[32m") {
		t.Errorf("error red and success green missing")
	}
	// Notices beyond MaxNotices scroll out.
	for i := 0; i < 7; i++ {
		d.Notify(Notice{Severity: "info", Text: "n"})
	}
	if len(d.notices) != 5 {
		t.Errorf("%d notices kept, want 5", len(d.notices))
	}
}
