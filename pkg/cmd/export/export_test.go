package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func testOptions(t *testing.T, args ...string) (*ExportOptions, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	var got *ExportOptions
	cmd := NewCmdExport(cmdutil.New(ios), func(_ context.Context, o *ExportOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	got.Now = func() time.Time { return t0.Add(time.Hour) }
	got.CommandLine = []string{"kx", "export"}
	return got, out, errOut
}

// run exports from c as kx export would, and returns the report.
func run(t *testing.T, c *kafkafake.Cluster, opts *ExportOptions) (*Report, error) {
	t.Helper()
	if opts.Report == "" {
		opts.Report = filepath.Join(t.TempDir(), "report.json")
	}
	job, spec, err := opts.job(opts.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = exportTopics(context.Background(), c, consume.Readers(c.NewReader), opts, job, spec, opts.Now())
	data, rerr := os.ReadFile(opts.Report)
	if rerr != nil {
		return nil, err
	}
	var rep Report
	if jerr := json.Unmarshal(data, &rep); jerr != nil {
		t.Fatal(jerr)
	}
	return &rep, err
}

func add(c *kafkafake.Cluster, topic string, p int32, at time.Duration, value string) {
	c.MustAdd(record.Record{Topic: topic, Partition: p, Timestamp: t0.Add(at), Key: []byte("k"), Value: []byte(value)})
}

func TestValidate(t *testing.T) {
	for _, bad := range [][]string{
		{"t", "-o", "xml"},
		{"t", "--format", "xml"},
		{"t", "--columns", "a=.a", "-o", "ndjson"},
		{"t", "--reconcile", "r"},
		{"t", "--sla", "1m"},
		{"t", "--reconcile", "r", "--on", ".id", "--sla", "-1m"},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdExport(cmdutil.New(ios), func(context.Context, *ExportOptions) error { return nil })
		cmd.SetArgs(bad)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	opts, _, _ := testOptions(t, "t", "-o", "NDJSON")
	if opts.Format != "ndjson" {
		t.Errorf("format %q", opts.Format)
	}
}

// Gaps: a compacted offset and a transaction marker are "no-record" gaps
// (allowed); offsets lost to retention before the read are a failure.
func TestExportGapsAndRetention(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 2)
	for i := range 5 {
		add(c, "t", 0, time.Duration(i)*time.Second, `{"id":"a`+string(rune('0'+i))+`"}`)
		add(c, "t", 1, time.Duration(i)*time.Second, `{"id":"b`+string(rune('0'+i))+`"}`)
	}
	p0, p1 := kafka.TP{Topic: "t", Partition: 0}, kafka.TP{Topic: "t", Partition: 1}
	c.Compact(p0, 2)
	c.AddGap(p0, 1)
	_ = c.DeleteRecords(context.Background(), p1, 2)

	opts, out, errOut := testOptions(t, "t", "-o", "ndjson", "--from", "0")
	rep, err := run(t, c, opts)
	if exitcode.Of(err) != exitcode.Integrity {
		t.Fatalf("err %v, want the integrity exit", err)
	}
	if rep.OK || !rep.Complete || rep.Records != 7 {
		t.Errorf("report ok=%v complete=%v records=%d", rep.OK, rep.Complete, rep.Records)
	}
	r0, r1 := rep.Partitions[0], rep.Partitions[1]
	if len(r0.Gaps) != 2 || r0.Gaps[0].Kind != "no-record" || r0.Gaps[0].From != 2 || r0.Gaps[1].From != 5 || r0.LostToRetention != nil {
		t.Errorf("p0 gaps %+v lost %+v", r0.Gaps, r0.LostToRetention)
	}
	// read.first and read.last are the first and last offsets read (the
	// report left last null).
	if r0.Read.First == nil || *r0.Read.First != 0 || r0.Read.Last == nil || *r0.Read.Last != 4 || r1.Read.Last == nil || *r1.Read.Last != 4 || r0.Read.Count != 4 {
		t.Errorf("read p0 %+v p1 %+v, want first 0 and last 4", r0.Read, r1.Read)
	}
	if r1.LostToRetention == nil || r1.LostToRetention.From != 0 || r1.LostToRetention.Count != 2 {
		t.Errorf("p1 lost %+v", r1.LostToRetention)
	}
	if n := strings.Count(out.String(), "\n"); n != 7 {
		t.Errorf("%d lines exported, want 7", n)
	}
	if !strings.Contains(errOut.String(), "kx: exported 7 records from 2 partitions to stdout") || !strings.Contains(errOut.String(), "kx: integrity check failed") {
		t.Errorf("summary:\n%s", errOut)
	}
}

func TestExportUniqueDuplicates(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 1)
	for i, id := range []string{"o1", "o2", "o1", "o3"} {
		add(c, "t", 0, time.Duration(i)*time.Second, `{"orderId":"`+id+`","status":"OK"}`)
	}
	opts, out, _ := testOptions(t, "t", "--unique", ".orderId", "--columns", "id=.orderId,status=.status")
	rep, err := run(t, c, opts)
	if exitcode.Of(err) != exitcode.Integrity {
		t.Fatalf("err %v", err)
	}
	if rep.Unique == nil || rep.Unique.DuplicatesTotal != 1 || rep.Unique.Duplicates[0].Key != "o1" || rep.Unique.Duplicates[0].Again.Offset != 2 {
		t.Errorf("unique %+v", rep.Unique)
	}
	if strings.Join(rep.Columns, ",") != "id,status" || !strings.HasPrefix(out.String(), "id,status\n") {
		t.Errorf("columns %v, output %q", rep.Columns, out)
	}
}

// Reconciliation: every created order must be completed within the SLA.
func TestExportReconcile(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("created", 1)
	c.CreateTopic("completed", 1)
	add(c, "created", 0, 0, `{"orderId":"o1"}`)
	add(c, "created", 0, time.Second, `{"orderId":"o2"}`)
	add(c, "created", 0, 2*time.Second, `{"orderId":"o3"}`)
	add(c, "completed", 0, 5*time.Second, `{"orderId":"o1"}`)
	add(c, "completed", 0, 20*time.Minute, `{"orderId":"o2"}`) // late
	add(c, "completed", 0, 3*time.Second, `{"orderId":"o9"}`)  // never created
	opts, _, errOut := testOptions(t, "completed", "-o", "ndjson", "--reconcile", "created", "--on", ".orderId", "--sla", "15m")
	rep, err := run(t, c, opts)
	if exitcode.Of(err) != exitcode.Integrity {
		t.Fatalf("err %v", err)
	}
	r := rep.Reconcile
	if r == nil || r.Created != 3 || r.Completed != 3 || r.Matched != 2 || r.MissingTotal != 1 || r.Missing[0].Key != "o3" ||
		r.LateTotal != 1 || r.Late[0].Key != "o2" || r.UnmatchedTotal != 1 {
		t.Errorf("reconcile %+v", r)
	}
	if !strings.Contains(errOut.String(), "kx: reconcile with created on .orderId: 3 created, 3 completed, 2 matched, 1 missing, 1 late") {
		t.Errorf("summary:\n%s", errOut)
	}
	// An unknown reference topic is named.
	opts, _, _ = testOptions(t, "completed", "--reconcile", "nope", "--on", ".orderId")
	if _, err := run(t, c, opts); err == nil || !strings.Contains(err.Error(), "--reconcile") {
		t.Errorf("unknown reference: %v", err)
	}
}

func TestExportOKToFile(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 1)
	for i := range 3 {
		add(c, "t", 0, time.Duration(i)*time.Second, `{"a":1}`)
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	opts, _, _ := testOptions(t, "t", "--out", path, "--to", "2")
	rep, err := run(t, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !rep.OK || rep.Records != 2 || rep.Output.Path != path || rep.Output.Bytes != int64(len(data)) || strings.Count(string(data), "\n") != 3 {
		t.Errorf("report %+v, file %q", rep, data)
	}
}

func TestExportReadErrors(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 1)
	add(c, "t", 0, 0, `{}`)
	boom := errors.New("broker gone")
	c.Fail(kafkafake.OpPoll, boom)
	opts, _, _ := testOptions(t, "t")
	if _, err := run(t, c, opts); !errors.Is(err, boom) {
		t.Errorf("poll error: %v", err)
	}
	c.Fail(kafkafake.OpPoll, nil)
	opts, _, _ = testOptions(t, "nope")
	if _, err := run(t, c, opts); err == nil {
		t.Error("unknown topic exported")
	}
	opts, _, _ = testOptions(t, "t", "--from", "yesterday-ish")
	if _, _, err := opts.job(t0); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("bad --from: %v", err)
	}
}
