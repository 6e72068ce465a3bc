package tail

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/internal/golden"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scan"
)

func parse(t *testing.T, argv ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var got *Options
	cmd := NewCmdTail(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "orders", `pay\..*`, "-n", "5", "-e", "-c", "10", "--idle", "2s", "--group", "g", "--exit-status", "--strict", "--jq", ".a", "-o", "raw", "--pretty")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Topics, ",") != `orders,pay\..*` || o.From != "-5" || !o.UntilEnd || o.Max != 10 || o.Idle != 2*time.Second ||
		o.Group != "g" || !o.ExitStatus || !o.Strict || o.JQ != ".a" || o.Output != output.Raw || !o.Pretty {
		t.Errorf("options %+v", o)
	}
	// Piped: NDJSON by default.
	if o, _ := parse(t, "orders"); o.Output != output.NDJSON {
		t.Errorf("default output %q, want ndjson", o.Output)
	}
	for _, bad := range []string{``, `orders -n 2 --from beginning`, `orders -o csv`, `orders -c -1`, `orders -n -3`} {
		if _, err := parse(t, strings.Fields(bad)...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: err %v (exit %d), want a usage error", bad, err, exitcode.Of(err))
		}
	}
}

// fakeOffsets answers ListOffsets by time with fixed offsets.
type fakeOffsets struct{ byTime map[kafka.TP]int64 }

func (f fakeOffsets) ListOffsets(_ context.Context, tps []kafka.TP, _ kafka.OffsetSpec) (map[kafka.TP]kafka.OffsetInfo, error) {
	out := map[kafka.TP]kafka.OffsetInfo{}
	for _, tp := range tps {
		out[tp] = kafka.OffsetInfo{Offset: f.byTime[tp]}
	}
	return out, nil
}

func (f fakeOffsets) Watermarks(context.Context, []kafka.TP) (map[kafka.TP]kafka.Watermark, error) {
	return nil, nil
}

func TestMakePlan(t *testing.T) {
	a, b := kafka.TP{Topic: "t", Partition: 0}, kafka.TP{Topic: "t", Partition: 1}
	tps := []kafka.TP{a, b}
	wm := map[kafka.TP]kafka.Watermark{a: {Low: 10, High: 100}, b: {Low: 0, High: 5}}
	now := time.Now()
	spec := func(s string) position.Spec {
		p, err := position.Parse(s, now)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	to := func(s string) *position.Spec { p := spec(s); return &p }
	lister := fakeOffsets{byTime: map[kafka.TP]int64{a: 50, b: -1}}
	for _, c := range []struct {
		name     string
		from     position.Spec
		to       *position.Spec
		untilEnd bool
		want     []scan.Range
		bounded  bool
	}{
		{"follow from end", spec("end"), nil, false, []scan.Range{{TP: a, Start: 100, End: -1}, {TP: b, Start: 5, End: -1}}, false},
		{"-e from beginning", spec("beginning"), nil, true, []scan.Range{{TP: a, Start: 10, End: 100}, {TP: b, Start: 0, End: 5}}, true},
		{"last 3", spec("-3"), nil, true, []scan.Range{{TP: a, Start: 97, End: 100}, {TP: b, Start: 2, End: 5}}, true},
		{"to offset past the end follows up to it", spec("beginning"), to("200"), false, []scan.Range{{TP: a, Start: 10, End: 200}, {TP: b, Start: 0, End: 200}}, true},
		{"-e and --to: the nearer", spec("beginning"), to("20"), true, []scan.Range{{TP: a, Start: 10, End: 20}, {TP: b, Start: 0, End: 5}}, true},
		{"from a time (none after it in b)", spec("-10m"), nil, true, []scan.Range{{TP: a, Start: 50, End: 100}, {TP: b, Start: 5, End: 5}}, true},
		{"to now", spec("beginning"), to("now"), false, []scan.Range{{TP: a, Start: 10, End: 100}, {TP: b, Start: 0, End: 5}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := makePlan(context.Background(), lister, tps, wm, c.from, c.to, c.untilEnd)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.ranges) != len(c.want) {
				t.Fatalf("ranges %v, want %v", p.ranges, c.want)
			}
			for i := range c.want {
				if p.ranges[i] != c.want[i] {
					t.Errorf("range %d = %+v, want %+v", i, p.ranges[i], c.want[i])
				}
			}
			if p.bounded != c.bounded {
				t.Errorf("bounded %v, want %v", p.bounded, c.bounded)
			}
		})
	}
}

var now = time.Date(2026, 11, 25, 10, 0, 5, 0, time.UTC)

func records() []*record.Record {
	ts := now.Add(-1500 * time.Millisecond)
	return []*record.Record{
		{Topic: "payment.transactions", Partition: 0, Offset: 41, Timestamp: ts, Key: []byte("ord-1"), Value: []byte(`{"id":"p1","status":"APPROVED"}`)},
		{Topic: "payment.transactions", Partition: 2, Offset: 7, Timestamp: ts.Add(-3 * time.Hour), Key: nil, Value: []byte(`{"id":"p2","status":"ERROR","detail":"card declined by the issuing bank after three attempts"}`)},
		{Topic: "payment.transactions.dead-letter", Partition: 11, Offset: 123456789, Timestamp: ts, Key: []byte{0xff, 0x01}, Value: nil},
		{Topic: "audit", Partition: 0, Offset: 0, Key: []byte("multi\nline"), Value: []byte("warn: disk\tfull")},
		{Topic: "audit", Partition: 0, Offset: 1, Timestamp: ts.Add(-50 * time.Hour), Value: []byte(`{"status":"warn"}`)},
	}
}

func render(t *testing.T, color bool, filter string) []byte {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	opts := &Options{IO: ios, Now: func() time.Time { return now }, Output: output.Table}
	var f *jqfilter.Filter
	if filter != "" {
		f = jqfilter.MustCompile(filter)
	}
	w := newWriter(opts, f)
	w.table.color = color
	for _, r := range records() {
		if err := w.write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestTable(t *testing.T) {
	t.Setenv("TZ", "UTC")
	golden.Assert(t, render(t, false, ""))
}

func TestTableColor(t *testing.T) {
	got := string(render(t, true, ""))
	lines := strings.Split(got, "\n")
	if !strings.HasPrefix(lines[2], ansiRed) || !strings.HasPrefix(lines[5], ansiYellow) || strings.Contains(lines[1], "\x1b") {
		t.Errorf("colors wrong:\n%q", got)
	}
}

func TestTableOutputs(t *testing.T) {
	t.Setenv("TZ", "UTC")
	golden.Assert(t, render(t, false, `.id`))
}

func TestNDJSONAndRaw(t *testing.T) {
	for _, c := range []struct {
		format output.Format
		filter string
		pretty bool
		want   string
	}{
		{output.NDJSON, `.status=="ERROR"`, false, string(record.AppendJSON(nil, records()[1])) + "\n"},
		// A tombstone is null to jq; a value that is not JSON a string.
		{output.NDJSON, `.id`, false, "\"p1\"\n\"p2\"\nnull\nnull\n"},
		{output.Raw, `.id // empty`, false, "p1\np2\n"},
		{output.Raw, `select($topic=="audit")`, false, "warn: disk\tfull\n{\"status\":\"warn\"}\n"},
		{output.NDJSON, `select(.id?) | {id}`, true, "{\n  \"id\": \"p1\"\n}\n{\n  \"id\": \"p2\"\n}\n"},
	} {
		ios, _, out, errOut := iostreams.Test()
		opts := &Options{IO: ios, Now: time.Now, Output: c.format, Pretty: c.pretty}
		w := newWriter(opts, jqfilter.MustCompile(c.filter))
		for _, r := range records() {
			if err := w.write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("%s %s: got %q, want %q", c.format, c.filter, out.String(), c.want)
		}
		_ = errOut
	}
	// Raw without a filter: the values as they are.
	ios, _, out, _ := iostreams.Test()
	w := newWriter(&Options{IO: ios, Now: time.Now, Output: output.Raw}, nil)
	for _, r := range records()[2:4] {
		_ = w.write(r)
	}
	_ = w.finish()
	if out.String() != "\nwarn: disk\tfull\n" {
		t.Errorf("raw: %q", out.String())
	}
}

func TestMaxAndEvalErrors(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	w := newWriter(&Options{IO: ios, Now: time.Now, Output: output.NDJSON, Max: 2}, jqfilter.MustCompile(`.status|ascii_downcase`))
	var err error
	n := 0
	for _, r := range records() {
		if err = w.write(r); err != nil {
			break
		}
		n++
	}
	_ = w.finish()
	if err != scan.ErrStop || out.String() != "\"approved\"\n\"error\"\n" {
		t.Errorf("err %v, out %q", err, out.String())
	}

	// A value that is not JSON: one warning, then a count.
	ios, _, _, errOut = iostreams.Test()
	w = newWriter(&Options{IO: ios, Now: time.Now, Output: output.NDJSON}, jqfilter.MustCompile(`.[0]`))
	for _, r := range records() {
		if err := w.write(r); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.finish()
	if strings.Count(errOut.String(), "warning: --jq:") != 1 || !strings.Contains(errOut.String(), "failed on 3 records") {
		t.Errorf("stderr %q", errOut.String())
	}
	ios, _, _, _ = iostreams.Test()
	w = newWriter(&Options{IO: ios, Now: time.Now, Output: output.NDJSON, Strict: true}, jqfilter.MustCompile(`.[0]`))
	var strictErr error
	for _, r := range records() {
		if strictErr = w.write(r); strictErr != nil {
			break
		}
	}
	if exitcode.Of(strictErr) != exitcode.Usage || !strings.Contains(strictErr.Error(), "payment.transactions/0@41") {
		t.Errorf("strict: %v", strictErr)
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 4200 * time.Millisecond: "4.2s", 190 * time.Second: "3m10s",
		5*time.Hour + 2*time.Minute: "5h2m", 76 * time.Hour: "3d4h", -2 * time.Second: "-2.0s",
	} {
		if got := formatAge(d); got != want {
			t.Errorf("formatAge(%s) = %s, want %s", d, got, want)
		}
	}
}
