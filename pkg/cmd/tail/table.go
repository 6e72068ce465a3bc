package tail

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// tableWriter prints records as aligned rows as they arrive. A stream has
// no end to measure columns at, so widths are fixed and long cells cut.
type tableWriter struct {
	now        func() time.Time
	color      bool
	width      int
	wroteHead  bool
	topicWidth int
}

func newTableWriter(ios *iostreams.IOStreams, now func() time.Time) *tableWriter {
	return &tableWriter{now: now, color: ios.ColorEnabled(), width: ios.TerminalWidth(), topicWidth: 20}
}

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

// columns: TIME AGE TOPIC PARTITION OFFSET KEY VALUE.
func (t *tableWriter) write(w io.Writer, r *record.Record, outputs [][]byte) error {
	if !t.wroteHead {
		t.wroteHead = true
		if _, err := io.WriteString(w, t.row("TIME", "AGE", "TOPIC", "PARTITION", "OFFSET", "KEY", "VALUE")+"\n"); err != nil {
			return err
		}
	}
	ts, age := "-", "-"
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp.Local().Format("15:04:05.000")
		age = formatAge(t.now(), r.Timestamp)
	}
	var values []string
	if outputs == nil {
		values = []string{showBytes(r.Value, false)}
	}
	for _, o := range outputs {
		values = append(values, output.Text(string(o)))
	}
	for _, v := range values {
		line := t.row(ts, age, output.Text(r.Topic), strconv.Itoa(int(r.Partition)), strconv.FormatInt(r.Offset, 10), showBytes(r.Key, true), v)
		if t.color {
			switch status(r.Value) {
			case "ERROR":
				line = ansiRed + line + ansiReset
			case "WARN", "WARNING":
				line = ansiYellow + line + ansiReset
			}
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func (t *tableWriter) row(ts, age, topic, partition, offset, key, value string) string {
	var b strings.Builder
	// Text is cut to its column; numbers never are, they push the row.
	cell := func(s string, n int, cuttable bool) {
		if cuttable {
			s = cut(s, n)
		}
		b.WriteString(s)
		b.WriteString(strings.Repeat(" ", max(n-utf8.RuneCountInString(s), 0)+2))
	}
	cell(ts, 12, false)
	cell(age, 6, false)
	cell(topic, t.topicWidth, true)
	cell(partition, 9, false)
	cell(offset, 10, false)
	cell(key, 16, true)
	used := 12 + 6 + t.topicWidth + 9 + 10 + 16 + 6*2
	b.WriteString(cut(value, max(t.width-used, 20)))
	return strings.TrimRight(b.String(), " ")
}

// cut shortens s to n characters, marking the cut with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Markers of the table cells that hold no bytes to show; a key or value
// whose text is one of them is quoted, so they are never confused.
const (
	cellNoKey     = "(no key)"
	cellTombstone = "(tombstone)"
	cellEmpty     = "(empty)"
)

// showBytes renders a key or value for people: JSON and text as they are
// (control and format characters escaped, see output.Text), binary as
// "base64:" and its base64 as in the envelope, a nil key as "(no key)", a
// nil value (a tombstone) as "(tombstone)", empty bytes as "(empty)". So the
// text null, a missing key and a tombstone never look alike.
func showBytes(b []byte, isKey bool) string {
	switch record.Classify(b) {
	case "":
		if isKey {
			return cellNoKey
		}
		return cellTombstone
	case record.EncodingBase64:
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	}
	switch s := string(b); s {
	case "":
		return cellEmpty
	case cellNoKey, cellTombstone, cellEmpty:
		return strconv.Quote(s)
	default:
		return output.Text(s)
	}
}

// status is the value's top-level "status" field, if any.
func status(v []byte) string {
	if !bytes.Contains(v, []byte(`"status"`)) {
		return ""
	}
	var s struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return strings.ToUpper(s.Status)
}

// formatAge prints how long before now ts was, in one or two units: 850ms,
// 4.2s, 3m10s, 5h2m, 3d4h, 12y; negative for a time after now. It counts in
// milliseconds, so a timestamp centuries away (year 2999) still fits.
func formatAge(now, ts time.Time) string {
	ms := now.UnixMilli() - ts.UnixMilli()
	neg := ""
	if ms < 0 {
		neg, ms = "-", -ms
	}
	const day = 24 * 3600 * 1000
	if ms >= 365*day {
		return neg + strconv.FormatInt(ms/(365*day), 10) + "y"
	}
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return neg + strconv.Itoa(int(d.Milliseconds())) + "ms"
	case d < time.Minute:
		return neg + strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		return neg + fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return neg + fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return neg + fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// indent pretty-prints one JSON document.
func indent(b []byte) []byte {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return b
	}
	return out.Bytes()
}

// unquote turns a JSON string output into its text (jq -r); anything else
// stays JSON.
func unquote(b []byte) []byte {
	if len(b) < 2 || b[0] != '"' {
		return b
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return b
	}
	return []byte(s)
}
