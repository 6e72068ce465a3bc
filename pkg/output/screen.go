package output

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Terminal sequences of full-screen views (topics --watch, groups --watch).
const (
	// EnterScreen switches to the alternate screen and hides the cursor, so
	// a view that refreshes never scrolls the user's terminal.
	EnterScreen = "\x1b[?1049h\x1b[?25l"
	// LeaveScreen restores the screen and the cursor.
	LeaveScreen = "\x1b[?25h\x1b[?1049l"
	home        = "\x1b[H"
	clearEOL    = "\x1b[K"
	clearBelow  = "\x1b[J"
)

// Frame draws one refresh of a full-screen view on a width×height
// terminal. A view taller than the screen would scroll and leave a copy per
// refresh, so the lines that do not fit give way to one "… N more rows"
// line; a line wider than the screen is cut with "…".
func Frame(w io.Writer, lines []string, width, height int) error {
	if width <= 0 {
		width = 80
	}
	if height <= 0 {
		height = 24
	}
	if len(lines) > height {
		hidden := len(lines) - (height - 1)
		lines = append(lines[:height-1:height-1], fmt.Sprintf("… %d more %s (-o ndjson prints all)", hidden, Plural(hidden, "row")))
	}
	var buf bytes.Buffer
	buf.WriteString(home)
	for i, l := range lines {
		if i > 0 {
			buf.WriteString("\r\n")
		}
		buf.WriteString(runewidth.Truncate(l, width, "…"))
		buf.WriteString(clearEOL)
	}
	buf.WriteString(clearBelow)
	_, err := w.Write(buf.Bytes())
	return err
}

// FitTable renders a table no wider than width: when it would be wider, it
// leaves out columns, those named in drop first and in that order, rather
// than cutting words. It returns the table's lines.
func FitTable(header []string, rows [][]string, width int, drop ...string) ([]string, error) {
	keep := make([]bool, len(header))
	for i := range keep {
		keep[i] = true
	}
	for {
		lines, err := tableLines(header, rows, keep)
		if err != nil || maxWidth(lines) <= width {
			return lines, err
		}
		if len(drop) == 0 {
			return lines, nil // Frame cuts what still does not fit
		}
		if i := slices.Index(header, drop[0]); i >= 0 {
			keep[i] = false
		}
		drop = drop[1:]
	}
}

func tableLines(header []string, rows [][]string, keep []bool) ([]string, error) {
	pick := func(cells []string) []string {
		out := make([]string, 0, len(cells))
		for i, c := range cells {
			if i < len(keep) && keep[i] {
				out = append(out, c)
			}
		}
		return out
	}
	picked := make([][]string, len(rows))
	for i, r := range rows {
		picked[i] = pick(r)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, pick(header), picked); err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"), nil
}

func maxWidth(lines []string) int {
	m := 0
	for _, l := range lines {
		m = max(m, runewidth.StringWidth(l))
	}
	return m
}

// WriteTableWidth is WriteTable for a terminal of width columns (0: no
// limit): when the table is wider, the last column, the one with words
// (statuses, messages), wraps at spaces instead of letting the terminal cut
// a word in two.
func WriteTableWidth(w io.Writer, header []string, rows [][]string, width int) error {
	rows = textRows(rows)
	if width <= 0 || len(header) == 0 {
		return writeTable(w, header, rows)
	}
	last := len(header) - 1
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = runewidth.StringWidth(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], runewidth.StringWidth(c))
			}
		}
	}
	before := 0
	for _, cw := range widths[:last] {
		before += cw + 2 // the padding between columns
	}
	avail := width - before
	if before+widths[last] <= width || avail < 10 {
		return writeTable(w, header, rows)
	}
	wrapped := make([][]string, len(rows))
	for i, r := range rows {
		wrapped[i] = slices.Clone(r)
		if len(r) > last {
			wrapped[i][last] = wrapWords(r[last], avail)
		}
	}
	return writeTable(w, header, wrapped)
}

// wrapWords breaks s at spaces into lines of at most width columns (a word
// longer than width stays whole on its own line).
func wrapWords(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		ww := runewidth.StringWidth(word)
		if n > 0 && n+1+ww > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += ww
	}
	return b.String()
}
