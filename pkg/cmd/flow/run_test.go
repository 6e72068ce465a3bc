package flow

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

func parse(t *testing.T, argv ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdFlow(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "--topics", "a,b", "--field", ".user.id", "--from", "-15m", "--to", "now", "-o", "mermaid")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Topics, ",") != "a,b" || o.Fields[0] != ".user.id" || o.From == nil || o.To == nil || o.Output != Mermaid {
		t.Errorf("options %+v", o)
	}
	for _, bad := range [][]string{{"x"}, {"--field", "a", "--field", "b"}, {"--from", "soon"}, {"-o", "csv"}, {"--key", "x"}} {
		if _, err := parse(t, bad...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func run1(t *testing.T, c *kafkafake.Cluster, f output.Format, fields ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	opts := &Options{IO: ios, Output: f}
	opts.Topics, opts.Fields = []string{"signups", "emails"}, fields
	err := graph(context.Background(), c, consume.Readers(c.NewReader), opts)
	return out.String(), err
}

func TestGraph(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("signups", 2)
	c.CreateTopic("emails", 1)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i, u := range []string{"u1", "u2", "u3"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		c.MustAdd(record.Record{Topic: "signups", Partition: -1, Key: []byte(u), Timestamp: at, Value: []byte(`{"user":{"id":"` + u + `"}}`)})
		if u != "u3" {
			c.MustAdd(record.Record{Topic: "emails", Partition: 0, Timestamp: at.Add(2 * time.Second), Value: []byte(`{"user":{"id":"` + u + `"}}`)})
		}
	}
	out, err := run1(t, c, output.Table, ".user.id")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "signups → emails") || !strings.Contains(out, "STOPPED") {
		t.Errorf("table:\n%s", out)
	}
	out, err = run1(t, c, output.NDJSON, ".user.id")
	if err != nil || !strings.Contains(out, `"type":"edge","from":"signups","to":"emails","keys":2`) {
		t.Errorf("ndjson %v:\n%s", err, out)
	}
	if _, err := run1(t, c, output.NDJSON, ".order.id"); exitcode.Of(err) != exitcode.NoMatch {
		t.Errorf("no key: %v", err)
	}
	if _, err := run1(t, c, output.NDJSON); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("custom topics without --field: %v", err)
	}
}

// Keys past the builder's memory go to temporary files: the same graph as
// in memory, the files gone afterwards; where no file can be made, a
// warning and the keys stay in memory.
func TestGraphSpilled(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("signups", 3)
	c.CreateTopic("emails", 2)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range 600 {
		u := fmt.Sprintf(`{"user":{"id":"u%d"}}`, i)
		at := t0.Add(time.Duration(i) * time.Second)
		c.MustAdd(record.Record{Topic: "signups", Partition: -1, Timestamp: at, Value: []byte(u)})
		if i%4 != 0 {
			c.MustAdd(record.Record{Topic: "emails", Partition: -1, Timestamp: at.Add(time.Duration(i%17) * time.Second), Value: []byte(u)})
		}
	}
	var stderr string
	graphOf := func(maxKeys int, dir string) (string, error) {
		ios, _, out, errOut := iostreams.Test()
		opts := &Options{IO: ios, Output: output.NDJSON, maxKeys: maxKeys, tempDir: dir}
		opts.Topics, opts.Fields = []string{"signups", "emails"}, []string{".user.id"}
		err := graph(context.Background(), c, consume.Readers(c.NewReader), opts)
		stderr = errOut.String()
		return out.String(), err
	}
	want, err := graphOf(1<<30, "") // in memory
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(want, `"keys":450`) {
		t.Fatalf("in memory:\n%s", want)
	}
	dir := t.TempDir()
	got, err := graphOf(50, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("spilled:\n%s\nin memory:\n%s", got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left %s behind", left[0].Name())
	}
	// No file can be made: a warning, and the keys stay in memory.
	got, err = graphOf(50, filepath.Join(dir, "missing"))
	if err != nil || got != want || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "TMPDIR") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unwritable directory: %v, stderr %q\n%s", err, stderr, got)
	}
}
