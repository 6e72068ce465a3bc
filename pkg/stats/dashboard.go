package stats

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
)

// Terminal control sequences of the dashboard.
const (
	// EnterScreen switches to the alternate screen and hides the cursor, so
	// the dashboard never scrolls the user's terminal.
	EnterScreen = "\x1b[?1049h\x1b[?25l"
	// LeaveScreen restores the screen and the cursor.
	LeaveScreen = "\x1b[?25h\x1b[?1049l"
	home        = "\x1b[H"
	clearEOL    = "\x1b[K"
	clearBelow  = "\x1b[J"
)

// Severity colors of notices: error red, warning orange, info blue,
// success green.
var severityColor = map[string]string{
	"error":   "\x1b[1;31m",
	"warning": "\x1b[38;5;208m",
	"info":    "\x1b[34m",
	"success": "\x1b[32m",
}

const reset = "\x1b[0m"

// Notice is one line of the dashboard's notification area (an alert).
type Notice struct {
	Time     time.Time
	Severity string // error, warning, info, success
	Text     string
}

// Dashboard renders Snapshots as a terminal screen that fits Width columns
// and refreshes in place. kx demo and kx stats share it:
//
//	d := &stats.Dashboard{Width: 80, Color: ios.ColorEnabled(), Title: "kx demo"}
//	io.WriteString(w, stats.EnterScreen)
//	for each interval { d.Notify(...); d.Render(w, tracker, snap) }
//	io.WriteString(w, stats.LeaveScreen)
type Dashboard struct {
	Width      int    // columns (80 when 0)
	Color      bool   // ANSI colors; off keeps the same text
	Title      string // first words of the header line ("kx stats")
	Brokers    string // bootstrap servers, shown in the header
	MaxNotices int    // notices kept visible (5 when 0)
	notices    []Notice
}

// Notify adds a notice; the oldest scroll out beyond MaxNotices.
func (d *Dashboard) Notify(n Notice) {
	d.notices = append(d.notices, n)
	if m := d.maxNotices(); len(d.notices) > m {
		d.notices = d.notices[len(d.notices)-m:]
	}
}

func (d *Dashboard) maxNotices() int {
	if d.MaxNotices > 0 {
		return d.MaxNotices
	}
	return 5
}

func (d *Dashboard) width() int {
	if d.Width > 0 {
		return d.Width
	}
	return 80
}

// Render draws one frame in place: cursor home, each line cleared to its
// end, and everything below the frame cleared.
func (d *Dashboard) Render(w io.Writer, tr *Tracker, snap *Snapshot) error {
	var buf bytes.Buffer
	buf.WriteString(home)
	for _, l := range d.Lines(tr, snap) {
		buf.WriteString(l)
		buf.WriteString(clearEOL)
		buf.WriteString("\r\n")
	}
	buf.WriteString(clearBelow)
	_, err := w.Write(buf.Bytes())
	return err
}

// Widths of the topic table; the sparkline takes the rest of the line.
const (
	topicCol = 24
	rateCol  = 8
	countCol = 10
)

// Lines returns the frame's lines, none wider than Width (color sequences
// aside).
func (d *Dashboard) Lines(tr *Tracker, snap *Snapshot) []string {
	width := d.width()
	var lines []string
	add := func(s string) { lines = append(lines, strings.TrimRight(fit(s, width), " ")) }

	title := d.Title
	if title == "" {
		title = "kx stats"
	}
	head := fmt.Sprintf("%s  %s  %d broker%s  %d topic%s  %s msgs", title, d.Brokers,
		snap.Brokers, plural(snap.Brokers), snap.Totals.Topics, plural(snap.Totals.Topics), group(snap.Totals.Messages))
	if t, err := time.Parse(time.RFC3339Nano, snap.Time); err == nil {
		head += "  " + t.Local().Format("15:04:05")
	}
	add(d.bold(head))
	add("")

	spark := max(width-(topicCol+1+rateCol+1+rateCol+1+countCol+2), 8)
	add(d.bold(fmt.Sprintf("%-*s %*s %*s %*s  %s", topicCol, "TOPIC", rateCol, "MSG/S", rateCol, "PEAK", countCol, "MESSAGES", "THROUGHPUT")))
	for _, t := range snap.Topics {
		var rates []float64
		if tr != nil {
			rates = tr.Rates(t.Topic)
		}
		add(fmt.Sprintf("%-*s %*s %*s %*s  %s", topicCol, truncate(t.Topic, topicCol), rateCol, rate(t.MessagesPerSec),
			rateCol, rate(t.PeakPerSec), countCol, group(t.Messages), Sparkline(rates, spark)))
	}
	add(fmt.Sprintf("%-*s %*s %*s %*s", topicCol, "total", rateCol, rate(snap.Totals.MessagesPerSec),
		rateCol, rate(snap.Totals.PeakPerSec), countCol, group(snap.Totals.Messages)))

	var lat []string
	for _, t := range snap.Topics {
		if t.Latency != nil {
			lat = append(lat, fmt.Sprintf("%-*s p50 %s  p95 %s  max %s", topicCol, truncate(t.Topic, topicCol),
				ms(t.Latency.P50Ms), ms(t.Latency.P95Ms), ms(t.Latency.MaxMs)))
		}
	}
	if len(lat) > 0 {
		add("")
		add(d.bold("LATENCY"))
		for _, l := range lat {
			add(l)
		}
	}

	if len(snap.Groups) > 0 {
		add("")
		add(d.bold(fmt.Sprintf("%-*s %-*s %*s  %s", 20, "GROUP", topicCol, "TOPIC", countCol, "LAG", "WORST PARTITION")))
		for _, g := range snap.Groups {
			add(fmt.Sprintf("%-*s %-*s %*s  %d (%s)", 20, truncate(g.Group, 20), topicCol, truncate(g.Topic, topicCol),
				countCol, group(g.Lag), g.WorstPartition, group(g.WorstLag)))
		}
	}

	if snap.ByTotal != nil {
		b := snap.ByTotal
		add("")
		add(d.bold(fmt.Sprintf("BY %s ON %s  (%s records)", b.Expr, b.Topic, group(b.Records))))
		for i, v := range b.Values {
			if i == 6 {
				add(fmt.Sprintf("  … %d more values", len(b.Values)-i))
				break
			}
			line := fmt.Sprintf("  %-*s %*s  %5.1f%%", 20, truncate(v.Value, 20), countCol, group(v.Count), v.Share)
			if snap.By != nil {
				line += fmt.Sprintf("   last interval %5.1f%%", snap.By.share(v.Value))
			}
			add(line)
		}
	}

	if len(d.notices) > 0 {
		add("")
		add(d.bold("ALERTS"))
		for _, n := range d.notices {
			text := fmt.Sprintf("%s %-7s %s", n.Time.Local().Format("15:04:05"), strings.ToUpper(n.Severity), n.Text)
			text = truncate(text, width)
			if d.Color {
				text = severityColor[n.Severity] + text + reset
			}
			lines = append(lines, text)
		}
	}
	return lines
}

func (b *ByStats) share(value string) float64 {
	for _, v := range b.Values {
		if v.Value == value {
			return v.Share
		}
	}
	return 0
}

func (d *Dashboard) bold(s string) string {
	if !d.Color {
		return s
	}
	return "\x1b[1m" + truncate(s, d.width()) + reset
}

// fit cuts s to width display columns, ignoring escape sequences when
// measuring (they are only ever added around a whole line).
func fit(s string, width int) string {
	if !strings.Contains(s, "\x1b[") {
		return truncate(s, width)
	}
	return s
}

// truncate cuts s to width display columns, ending in "…" when cut.
func truncate(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	return runewidth.Truncate(s, width, "…")
}

var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the last width values as unicode blocks scaled to their
// maximum; zero is a blank, so an idle topic shows an empty line.
func Sparkline(values []float64, width int) string {
	if len(values) > width {
		values = values[len(values)-width:]
	}
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case v <= 0 || top <= 0:
			b.WriteByte(' ')
		default:
			i := int(v / top * float64(len(sparkBlocks)-1))
			b.WriteRune(sparkBlocks[max(0, min(i, len(sparkBlocks)-1))])
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func rate(r float64) string {
	return strconv.FormatFloat(r, 'f', 1, 64)
}

func ms(v float64) string {
	if v >= 10_000 {
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + "s"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// group formats n with thousands separators: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
