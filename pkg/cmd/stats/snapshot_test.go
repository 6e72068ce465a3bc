package stats

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
	st "github.com/kx-cli/kx/pkg/stats"
)

// payments: 4 records in the last minute, one an hour old; billing
// committed 3 of them.
func payments(t *testing.T) *kafkafake.Cluster {
	t.Helper()
	c := kafkafake.New()
	c.CreateTopic("payments", 1)
	c.MustAdd(record.Record{Topic: "payments", Partition: 0, Value: []byte(`{"status":"OK"}`), Timestamp: time.Now().Add(-time.Hour)})
	for _, v := range []string{"OK", "ERROR", "OK", "OK"} {
		c.MustAdd(record.Record{Topic: "payments", Partition: 0, Value: []byte(`{"status":"` + v + `"}`)})
	}
	c.Commit("billing", kafka.TP{Topic: "payments"}, 3)
	return c
}

func snapOpts(out output.Format) (*Options, func() string) {
	ios, _, stdout, _ := iostreams.Test()
	o := &Options{IO: ios, Output: out, Query: st.Query{Window: time.Minute, Groups: true, By: jqfilter.MustCompile(".status"), ByTopic: "payments"}}
	return o, stdout.String
}

// A snapshot: offsets, the rate over --window, lag, and counts of the
// records of the window only.
func TestSnapshot(t *testing.T) {
	c := payments(t)
	opts, stdout := snapOpts(output.NDJSON)
	if err := snapshot(context.Background(), c, consume.Readers(c.NewReader), opts); err != nil {
		t.Fatal(err)
	}
	var s st.Snapshot
	if err := json.Unmarshal([]byte(stdout()), &s); err != nil {
		t.Fatalf("%q: %v", stdout(), err)
	}
	if s.Kind != st.KindStats || len(s.Topics) != 1 || s.Topics[0].Messages != 5 {
		t.Fatalf("snapshot %+v", s)
	}
	// 4 records in the 60 s window.
	if r := s.Topics[0].MessagesPerSec; r != 0.07 || s.Totals.MessagesPerSec != 0.07 || s.Totals.PeakPerSec != 0.07 {
		t.Errorf("rate %v, totals %+v; want 4/60 rounded", r, s.Totals)
	}
	if len(s.Groups) != 1 || s.Groups[0].Group != "billing" || s.Groups[0].Lag != 2 || s.Totals.Lag != 2 || s.Totals.Groups != 1 {
		t.Errorf("groups %+v, totals %+v", s.Groups, s.Totals)
	}
	if s.By == nil || s.By.Records != 4 || s.ByTotal != nil {
		t.Errorf("by %+v (records of the window only), by_total %+v", s.By, s.ByTotal)
	}
}

func TestSnapshotTable(t *testing.T) {
	c := payments(t)
	opts, stdout := snapOpts(output.Table)
	opts.Latency = true
	if err := snapshot(context.Background(), c, consume.Readers(c.NewReader), opts); err != nil {
		t.Fatal(err)
	}
	out := stdout()
	for _, want := range []string{"TOPIC", "payments", "RECORDS", "GROUP", "billing", "counts of .status on payments (4 records, 0 errors)", "OK", "75.00%",
		"total: 5 messages in 1 topic, 0.1 msg/s, 1 broker, 1 consumer group, lag 2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestSnapshotErrors(t *testing.T) {
	c := payments(t)
	opts, _ := snapOpts(output.NDJSON)
	c.Fail(kafkafake.OpPoll, kafka.ErrUnreachable)
	err := snapshot(context.Background(), c, consume.Readers(c.NewReader), opts)
	if err == nil || !strings.HasPrefix(err.Error(), "stats: read payments: ") {
		t.Errorf("read error: %v", err)
	}
	c.Fail(kafkafake.OpListOffsets, kafka.ErrUnreachable)
	if err := snapshot(context.Background(), c, consume.Readers(c.NewReader), opts); err == nil {
		t.Error("a failed offsets request")
	}
}
