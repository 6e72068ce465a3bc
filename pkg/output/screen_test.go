package output

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/kx-cli/kx/internal/golden"
)

var escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// screen is what a width×height terminal shows after a frame.
func screen(t *testing.T, frame string, width, height int) string {
	t.Helper()
	lines := strings.Split(escapes.ReplaceAllString(frame, ""), "\r\n")
	if len(lines) > height {
		t.Errorf("frame of %d lines on %d rows: the terminal would scroll", len(lines), height)
	}
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > width {
			t.Errorf("line of %d columns on a %d-column screen: %q", w, width, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// watchTable is a topics --watch table of 3 topics of 12 partitions.
func watchTable() ([]string, [][]string) {
	header := []string{"topic", "partition", "low", "high", "messages", "msg/s"}
	var rows [][]string
	for _, topic := range []string{"orders.created", "payment.transactions", "customer.notifications"} {
		rows = append(rows, []string{topic, "*", "", "", "120000", "1250.5"})
		for p := 0; p < 12; p++ {
			rows = append(rows, []string{"", strconv.Itoa(p), "0", "10000", "10000", "104.2"})
		}
	}
	return header, rows
}

// The watch views fit 60×20, 80×24 and 120×40 terminals: columns go before
// words are cut, and rows past the height become one "more rows" line.
func TestFrameFitsTerminal(t *testing.T) {
	header, rows := watchTable()
	for _, size := range [][2]int{{60, 20}, {80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			lines, err := FitTable(header, rows, w, "low", "high", "messages")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Frame(&buf, append([]string{"kx topics --watch  every 1s  11:42:07  (Ctrl-C to stop)", ""}, lines...), w, h); err != nil {
				t.Fatal(err)
			}
			got := screen(t, buf.String(), w, h)
			if !strings.Contains(got, "payment.transactions") && h >= 20 {
				t.Errorf("a topic name was cut:\n%s", got)
			}
			golden.Assert(t, []byte(got))
		})
	}
}

func TestFrameShortViewClearsBelow(t *testing.T) {
	var buf bytes.Buffer
	if err := Frame(&buf, []string{"a", "b"}, 80, 24); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\x1b[Ha\x1b[K\r\nb\x1b[K\x1b[J"; got != want {
		t.Errorf("frame %q, want %q", got, want)
	}
}

func TestFitTableDropsColumnsInOrder(t *testing.T) {
	header := []string{"topic", "low", "high", "messages"}
	rows := [][]string{{"orders.created", "123456789", "987654321", "864197532"}}
	lines, err := FitTable(header, rows, 40, "low", "high")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(lines[0], "LOW") || !strings.Contains(lines[0], "HIGH") {
		t.Errorf("want LOW dropped first and HIGH kept at 40 columns: %q", lines)
	}
	lines, _ = FitTable(header, rows, 200, "low", "high")
	if !strings.Contains(lines[0], "LOW") {
		t.Errorf("a wide terminal keeps every column: %q", lines)
	}
}

// A table wider than the terminal wraps its last column at spaces: the
// terminal would otherwise cut OUT_OF_STOCK=195 into OUT_OF_ST / OCK=195.
func TestWriteTableWidthWrapsWords(t *testing.T) {
	header := []string{"topic", "events", "statuses"}
	rows := [][]string{
		{"customer.notifications", "7055", "ORDER_CANCELLED=60 ORDER_CONFIRMED=3390 PAYMENT_FAILED=60 SHIPPING_DELAYED=155"},
		{"inventory.updates", "8547", "OUT_OF_STOCK=195 LOW=321 OK=8138"},
	}
	for _, width := range []int{60, 80, 100} {
		var b bytes.Buffer
		if err := WriteTableWidth(&b, header, rows, width); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if w := runewidth.StringWidth(l); w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, l)
			}
		}
		for _, word := range strings.Fields(rows[0][2] + " " + rows[1][2]) {
			if !strings.Contains(out, word) {
				t.Errorf("width %d: %s was cut:\n%s", width, word, out)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteTableWidth(&b, header, rows, 0); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 3 {
		t.Errorf("no width: one line per row, got\n%s", b.String())
	}
}
