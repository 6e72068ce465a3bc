package output

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/kx-cli/kx/internal/golden"
)

type row struct {
	Topic    string `json:"topic"`
	Messages int64  `json:"messages"`
}

var cols = []Column[row]{
	{Header: "topic", Value: func(r row) string { return r.Topic }},
	{Header: "messages", Value: func(r row) string { return strconv.FormatInt(r.Messages, 10) }},
}

var rows = []row{{"orders.created", 1200}, {"payment.transactions", 7}, {"=cmd", -1}}

func TestPrintTable(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, Table, rows, cols); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, b.Bytes())
}

func TestPrintNDJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, NDJSON, rows, cols); err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"orders.created","messages":1200}
{"topic":"payment.transactions","messages":7}
{"topic":"=cmd","messages":-1}
`
	if b.String() != want {
		t.Errorf("got\n%s", b.String())
	}
}

// One JSON writer, no HTML escaping: "<", ">" and "&" stay as they are in
// NDJSON lines, indented reports and webhook bodies alike.
func TestJSONWithoutHTMLEscaping(t *testing.T) {
	v := map[string]any{"threshold": "> 2 in 10s", "q": "a<b&c", "n": 1}
	var b bytes.Buffer
	if err := WriteJSONLine(&b, v); err != nil {
		t.Fatal(err)
	}
	if want := `{"n":1,"q":"a<b&c","threshold":"> 2 in 10s"}` + "\n"; b.String() != want {
		t.Errorf("WriteJSONLine: %q, want %q", b.String(), want)
	}
	m, err := Marshal(v)
	if err != nil || string(m) != strings.TrimSuffix(b.String(), "\n") {
		t.Errorf("Marshal: %q %v", m, err)
	}
	ind, err := MarshalIndent(v, "  ")
	if want := "{\n  \"n\": 1,\n  \"q\": \"a<b&c\",\n  \"threshold\": \"> 2 in 10s\"\n}"; err != nil || string(ind) != want {
		t.Errorf("MarshalIndent: %q %v", ind, err)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal of a func: no error")
	}
}

func TestPrintCSVNeutralizesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, CSV, rows, cols); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "topic" || recs[3][0] != "'=cmd" || recs[3][1] != "'-1" {
		t.Errorf("got %q", recs)
	}
}

func TestResolve(t *testing.T) {
	all := []Format{Table, NDJSON, CSV}
	for _, tt := range []struct {
		value string
		tty   bool
		want  Format
		err   bool
	}{
		{"auto", true, Table, false},
		{"auto", false, NDJSON, false},
		{"", false, NDJSON, false},
		{"json", false, NDJSON, false},
		{"CSV", true, CSV, false},
		{"yaml", true, "", true},
	} {
		got, err := Resolve(tt.value, tt.tty, all...)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Resolve(%q, %v) = %q, %v", tt.value, tt.tty, got, err)
		}
	}
	if _, err := Resolve("table", true, NDJSON); err == nil || !strings.Contains(err.Error(), "auto|ndjson") {
		t.Errorf("want an error listing the formats, got %v", err)
	}
}

func TestTrimTrailingSpaces(t *testing.T) {
	got := string(TrimTrailingSpaces([]byte("a  b   \nc \n\nd")))
	if got != "a  b\nc\n\nd" {
		t.Errorf("got %q", got)
	}
}

// Cells from the cluster (a group id another client chose, a config value)
// never reach the terminal as control sequences (issue 12, item 6).
func TestWriteTableEscapesCells(t *testing.T) {
	for _, write := range []func(*bytes.Buffer, [][]string) error{
		func(b *bytes.Buffer, rows [][]string) error { return WriteTable(b, []string{"group", "state"}, rows) },
		func(b *bytes.Buffer, rows [][]string) error {
			return WriteTableWidth(b, []string{"group", "state"}, rows, 30)
		},
	} {
		var b bytes.Buffer
		if err := write(&b, [][]string{{"g\x1b]0;owned\x07", "Stable word word word word word"}, {"ok", "a\rb\u202ec"}}); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if strings.ContainsAny(got, "\x1b\x07\r\u202e") || !strings.Contains(got, `"g\x1b]0;owned\a"`) || !strings.Contains(got, `"a\rb\u202ec"`) {
			t.Errorf("cells not escaped:\n%q", got)
		}
	}
	for in, want := range map[string]string{"plain é 日本": "plain é 日本", "tab\there": `"tab\there"`, "\xff": `"\xff"`, "nbsp\u00a0ok": "nbsp\u00a0ok"} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %s, want %s", in, got, want)
		}
	}
}
