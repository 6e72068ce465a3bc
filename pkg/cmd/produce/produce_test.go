package produce

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

func parse(t *testing.T, argv ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdProduce(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "orders", "--key-jq", ".id", "-p", "2", "-H", "a=1", "--header", "b=x=y", "--skip-invalid")
	if err != nil {
		t.Fatal(err)
	}
	if o.Topic != "orders" || o.KeyJQ != ".id" || o.Partition != 2 || !o.SkipInvalid ||
		len(o.Headers) != 2 || o.Headers[1].Key != "b" || string(o.Headers[1].Value) != "x=y" {
		t.Errorf("options %+v", o)
	}
	if o, _ := parse(t, "orders"); o.Partition != -1 {
		t.Errorf("default partition %d, want -1 (by key)", o.Partition)
	}
	for _, bad := range [][]string{{}, {"a", "b"}, {"orders.*"}, {"t", "-H", "novalue"}, {"t", "-p", "-2"}, {"t", "-p", "1", "--keep-partition"}, {"t", "-p", "1", "--keep-partition=false"}} {
		if _, err := parse(t, bad...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v (exit %d), want a usage error", bad, err, exitcode.Of(err))
		}
	}
}

func TestConvert(t *testing.T) {
	opts := &Options{Partition: -1, Headers: []record.Header{{Key: "src", Value: []byte("t")}}}
	c := &converter{topic: "dst", opts: opts, parted: 3, keyJQ: jqfilter.MustCompile(".id")}
	env := record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 2, Offset: 9,
		Timestamp: time.UnixMilli(1700000000123), TimestampType: record.TimestampCreateTime,
		Key: []byte{0xff}, Value: []byte{}, Headers: []record.Header{{Key: "h", Value: nil}}})

	r, err := c.convert(env)
	if err != nil {
		t.Fatal(err)
	}
	if r.Topic != "dst" || r.Partition != -1 || !bytes.Equal(r.Key, []byte{0xff}) || r.Value == nil || len(r.Value) != 0 ||
		r.Timestamp.UnixMilli() != 1700000000123 || len(r.Headers) != 2 || r.Headers[0].Value != nil || r.Headers[1].Key != "src" {
		t.Errorf("envelope → %+v", r)
	}
	// A copy keeps partitions when the envelope's topic has as many as the
	// target (issue 12, item 8), and goes by key otherwise.
	c.sources = map[string]int32{"src": 3}
	if r, _ := c.convert(env); r.Partition != 2 {
		t.Errorf("copy between topics of 3 partitions: partition %d, want 2", r.Partition)
	}
	opts.ByKey = true
	if r, _ := c.convert(env); r.Partition != -1 {
		t.Errorf("--keep-partition=false: partition %d, want -1 (by key)", r.Partition)
	}
	opts.ByKey = false
	c.sources = map[string]int32{"src": 6}
	if r, _ := c.convert(env); r.Partition != -1 {
		t.Errorf("copy from 6 partitions into 3: partition %d, want -1 (by key)", r.Partition)
	}
	c.sources = nil
	opts.KeepPartition = true
	if r, _ := c.convert(env); r.Partition != 2 {
		t.Errorf("--keep-partition: partition %d", r.Partition)
	}
	c.parted = 2
	if _, err := c.convert(env); err == nil || !strings.Contains(err.Error(), "has 2 partitions") {
		t.Errorf("partition out of range: %v", err)
	}
	opts.KeepPartition = false

	for line, wantKey := range map[string]string{
		`{"id":"k1","n":1.50}`: "k1",
		`{"id":42}`:            "42",
		`{"id":{"a":1}}`:       `{"a":1}`,
		`{"n":1}`:              "<nil>",
		`"text"`:               "error",
		`[1,2]`:                "error",
	} {
		r, err := c.convert([]byte(line))
		if wantKey == "error" {
			if err == nil {
				t.Errorf("%s: no key-jq error", line)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		got := string(r.Key)
		if r.Key == nil {
			got = "<nil>"
		}
		if got != wantKey || string(r.Value) != line {
			t.Errorf("%s: key %q value %q", line, got, r.Value)
		}
	}
	c.keyJQ = nil
	for _, bad := range []string{`{"a":1`, `plain text`, `{"topic":"t","partition":0,"offset":0,"value":"!","value_encoding":"base64"}`} {
		if _, err := c.convert([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if r, err := c.convert([]byte(`null`)); err != nil || string(r.Value) != "null" {
		t.Errorf("null line: %v %q", err, r.Value)
	}
}

func TestReadLongLines(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	in := bytes.NewBufferString(`"` + long + "\"\n{}")
	r := newReader(in)
	var lines []string
	for {
		line, err := readLine(r, nil)
		if len(line) > 0 {
			lines = append(lines, string(line))
		}
		if err != nil {
			break
		}
	}
	if len(lines) != 2 || len(lines[0]) != len(long)+3 || lines[1] != "{}" {
		t.Errorf("got %d lines", len(lines))
	}
}

func TestTally(t *testing.T) {
	ta := newTally()
	ta.queued = 5
	ok := func(p int32) kafka.Delivery { return kafka.Delivery{Record: &record.Record{Partition: p}} }
	ta.add(ok(0))
	ta.add(ok(1))
	ta.add(ok(1))
	ta.add(kafka.Delivery{Record: &record.Record{}, ID: 7, Err: exitcode.Newf(exitcode.Unreachable, "timed out")})
	ta.add(kafka.Delivery{Record: &record.Record{}, ID: 3, Err: errors.New("too large")})
	var buf bytes.Buffer
	ta.report(&buf, "t", 0)
	if buf.String() != "kx: produced 3 records to t (partition 0: 1, partition 1: 2)\n" {
		t.Errorf("report %q", buf.String())
	}
	err := ta.err(0)
	if err == nil || !strings.Contains(err.Error(), "2 of 5 records failed (input lines 3, 7): timed out") || exitcode.Of(err) != exitcode.Unreachable {
		t.Errorf("err %v (exit %d)", err, exitcode.Of(err))
	}
	if err := newTally().err(0); err != nil {
		t.Errorf("no failure: %v", err)
	}
}

// Issue 12 item 3: a timestamp librdkafka would change (0 is "now" to it)
// or confluent-kafka-go would wrap (after 2262-04-11) refuses the line; the
// latest it can send and year 1 ms go through unchanged.
func TestConvertTimestamps(t *testing.T) {
	c := &converter{topic: "dst", opts: &Options{Partition: -1}, parted: 1}
	line := func(ts string) []byte {
		return []byte(`{"topic":"a","partition":0,"offset":0,"timestamp":"` + ts + `","timestamp_type":"CreateTime","key":null,"value":1,"headers":[]}`)
	}
	for ts, want := range map[string]string{
		"1970-01-01T00:00:00.000Z": "librdkafka, kx's producer, sends 0 as the time of sending",
		"1969-12-31T23:59:59.999Z": "before 1970-01-01",
		"2262-04-11T23:47:16.855Z": "after 2262-04-11T23:47:16.854Z",
		"2999-12-31T23:59:59.999Z": "after 2262-04-11T23:47:16.854Z",
		"1970-01-01T00:00:00.001Z": "",
		"2262-04-11T23:47:16.854Z": "",
	} {
		r, err := c.convert(line(ts))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", ts, err)
		case want == "" && record.FormatTimestamp(r.Timestamp) != ts:
			t.Errorf("%s became %s", ts, record.FormatTimestamp(r.Timestamp))
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), ts)):
			t.Errorf("%s: error %v, want one naming it and %q", ts, err, want)
		}
	}
	// LogAppendTime is the target broker's to set: never refused.
	if _, err := c.convert([]byte(`{"topic":"a","partition":0,"offset":0,"timestamp":"2999-12-31T23:59:59.999Z","timestamp_type":"LogAppendTime","value":1}`)); err != nil {
		t.Errorf("LogAppendTime: %v", err)
	}
}
