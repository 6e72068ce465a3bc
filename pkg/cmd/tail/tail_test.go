package tail

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/internal/golden"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
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
	if err != consume.ErrStop || out.String() != "\"approved\"\n\"error\"\n" {
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
		400 * 24 * time.Hour: "1y",
	} {
		if got := formatAge(now, now.Add(-d)); got != want {
			t.Errorf("formatAge(%s) = %s, want %s", d, got, want)
		}
	}
	// Beyond time.Duration's ±292 years (issue 12, item 6: a record from
	// year 2999 showed --9223372036854ms).
	for ts, want := range map[time.Time]string{
		time.Date(2999, 12, 31, 23, 59, 59, 999e6, time.UTC): "-973y",
		time.UnixMilli(0): "56y",
	} {
		if got := formatAge(now, ts); got != want {
			t.Errorf("formatAge(%s) = %s, want %s", ts, got, want)
		}
	}
}

// Records other clients write, in the table (issue 12, item 6): binary in
// base64 as in the envelope, a missing key, a tombstone, an empty value and
// the text null all told apart, control and format characters escaped,
// timestamps far from now in a sane age.
func TestTableOtherClients(t *testing.T) {
	t.Setenv("TZ", "UTC")
	ios, _, out, _ := iostreams.Test()
	w := newWriter(&Options{IO: ios, Now: func() time.Time { return now }, Output: output.Table}, nil)
	ts := now.Add(-time.Second)
	for i, r := range []record.Record{
		{Key: []byte("bin"), Value: []byte{0xc3, 0x28}},
		{Key: nil, Value: []byte("null")},
		{Key: []byte("null"), Value: nil},
		{Key: []byte{}, Value: []byte{}},
		{Key: []byte("(tombstone)"), Value: []byte("(no key)")},
		{Key: []byte("esc"), Value: []byte("\x1b]0;owned\x07\x1b[2Jclear")},
		{Key: []byte("cr\rnul\x00"), Value: []byte("a\x7fb\u0085c")},
		{Key: []byte("bidi"), Value: []byte("abc\u202edcba")},
		{Key: []byte("json"), Value: []byte(`{"s":"\u001b[31m","t":"é"}`)},
		{Key: []byte("y2999"), Value: []byte("1"), Timestamp: time.Date(2999, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{Key: []byte("zero"), Value: []byte("2"), Timestamp: time.UnixMilli(0)},
	} {
		r.Topic, r.Offset = "t", int64(i)
		if r.Timestamp.IsZero() {
			r.Timestamp = ts
		}
		if err := w.write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	got := out.Bytes()
	for _, c := range got {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("control byte %#x reached the terminal:\n%q", c, got)
		}
	}
	golden.Assert(t, got)
}
