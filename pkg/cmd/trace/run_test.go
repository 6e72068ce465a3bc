package trace

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// parse runs kx trace's flag parsing and returns the options.
func parse(t *testing.T, stdin string, argv ...string) (*Options, error) {
	t.Helper()
	ios, in, _, _ := iostreams.Test()
	in.WriteString(stdin)
	var got *Options
	cmd := NewCmdTrace(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "", "o1", "o2", "--topics", "a,b", "--field", ".orderId", "--key", "b=.orderId", "--from", "-1h", "--to", "now", "--scan-all", "--partitioner", "consistent", "-f", "-o", "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Keys, ",") != "o1,o2" || strings.Join(o.Topics, ",") != "a,b" || o.KeyFields["b"] != "orderId" ||
		o.From == nil || o.To == nil || !o.ScanAll || o.Partitioner != "consistent" || !o.Follow || o.Output != output.NDJSON {
		t.Errorf("options %+v", o)
	}
	if o, err := parse(t, "k1\n\n k2 \n"); err != nil || strings.Join(o.Keys, ",") != "k1,k2" {
		t.Errorf("keys from stdin: %v, %v", o, err)
	}
	for _, bad := range [][]string{{}, {"k", "--partitioner", "x"}, {"k", "--from", "soon"}, {"k", "--to", "soon"}, {"k", "--key", "nofield"}} {
		if _, err := parse(t, "", bad...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func shop(t *testing.T) *kafkafake.Cluster {
	t.Helper()
	c := kafkafake.New()
	c.CreateTopic("orders", 2)
	c.CreateTopic("payments", 2)
	for i, id := range []string{"o1", "o2", "o3"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		c.MustAdd(record.Record{Topic: "orders", Partition: -1, Key: []byte(id), Timestamp: at, Value: []byte(`{"orderId":"` + id + `","status":"NEW"}`)})
		status := "OK"
		if id == "o2" {
			status = "ERROR"
		}
		c.MustAdd(record.Record{Topic: "payments", Partition: -1, Key: []byte(id), Timestamp: at.Add(1500 * time.Millisecond), Value: []byte(`{"orderId":"` + id + `","status":"` + status + `"}`)})
	}
	return c
}

func runTrace(t *testing.T, c *kafkafake.Cluster, out output.Format, keys ...string) (string, string, error) {
	t.Helper()
	ios, _, stdout, stderr := iostreams.Test()
	opts := &Options{IO: ios, Output: out, Keys: keys, Partitioner: "murmur2", Skew: time.Minute, Verbose: true}
	opts.Topics, opts.Fields, opts.KeyFields = []string{"orders", "payments"}, []string{"orderId"}, map[string]string{"payments": "orderId"}
	err := trace(context.Background(), c, consume.Readers(c.NewReader), opts)
	return stdout.String(), stderr.String(), err
}

func TestTraceTable(t *testing.T) {
	c := shop(t)
	out, errOut, err := runTrace(t, c, output.Table, "o1", "o2", "o9")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026-11-25T10:00:00.000Z", "payments", "+1.5s", "orderId o1: complete", "orderId o2: cancelled"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "no record carries orderId o9") || !strings.Contains(errOut, "kx: trace: round 1") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestTraceNDJSON(t *testing.T) {
	c := shop(t)
	out, _, err := runTrace(t, c, output.NDJSON, "o3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"topic":"orders"`) || !strings.Contains(lines[2], `"verdict":"complete"`) || !strings.Contains(lines[2], `"records_read":`) {
		t.Errorf("ndjson:\n%s", out)
	}
}

func TestTraceNotFound(t *testing.T) {
	c := shop(t)
	_, _, err := runTrace(t, c, output.Table, "nope")
	if exitcode.Of(err) != exitcode.NoMatch || !strings.Contains(err.Error(), "no record carries orderId nope") {
		t.Errorf("err %v", err)
	}
}

func TestTraceFollow(t *testing.T) {
	c := shop(t)
	ios, _, _, _ := iostreams.Test()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ios.Out, ios.ErrOut = stdout, stderr
	opts := &Options{IO: ios, Output: output.Table, Keys: []string{"o1"}, Partitioner: "murmur2", Skew: time.Minute, Follow: true}
	opts.Topics, opts.Fields = []string{"orders", "payments"}, []string{"orderId"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trace(ctx, c, consume.Readers(c.NewReader), opts) }()
	for !strings.Contains(stderr.String(), "following o1") {
		time.Sleep(time.Millisecond)
	}
	c.MustAdd(record.Record{Topic: "payments", Partition: 0, Key: []byte("o1"), Timestamp: t0.Add(time.Hour), Value: []byte(`{"orderId":"o1","status":"REFUNDED"}`)})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "REFUNDED") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "2026-11-25T11:00:00.000Z  payments  REFUNDED  o1  +") {
		t.Errorf("followed:\n%s", stdout.String())
	}
}

// syncBuffer is a buffer a test reads while a command writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
