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
	Width   int    // columns (80 when 0)
	Height  int    // rows (no limit when 0)
	Color   bool   // ANSI colors; off keeps the same text
	Title   string // first words of the header line ("kx stats")
	Brokers string // bootstrap servers, shown in the header
	// Connection, when set, is the cluster's state in the header
	// ("connected", "UNREACHABLE 12s"), shown with a connection rule.
	Connection string
	MaxNotices int // notices kept visible (5 when 0)
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
	for i, l := range d.Lines(tr, snap) {
		if i > 0 {
			buf.WriteString("\r\n") // none after the last line: a full screen must not scroll
		}
		buf.WriteString(l)
		buf.WriteString(clearEOL)
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
// aside) and, when Height is set, no more than Height: the latency, --by and
// group sections give way first, then the oldest alerts, then topics.
func (d *Dashboard) Lines(tr *Tracker, snap *Snapshot) []string {
	width := d.width()
	fitLine := func(s string) string { return strings.TrimRight(fit(s, width), " ") }
	head := []string{fitLine(d.bold(d.header(snap, width))), ""}
	topics := d.topicLines(tr, snap, width)
	latency := d.latencyLines(snap)
	groups := d.groupLines(snap, width)
	by := d.byLines(snap, width)
	notices := d.noticeLines(width)
	for i := range topics {
		topics[i] = fitLine(topics[i])
	}
	for _, sec := range []*[]string{&latency, &groups, &by} {
		for i := range *sec {
			(*sec)[i] = fitLine((*sec)[i])
		}
	}

	count := func() int {
		n := len(head) + len(topics)
		for _, sec := range [][]string{latency, groups, by, notices} {
			if len(sec) > 0 {
				n += 1 + len(sec) // a blank line before each section
			}
		}
		return n
	}
	if h := d.Height; h > 0 {
		for _, sec := range []*[]string{&latency, &by, &groups} {
			if count() > h {
				*sec = nil
			}
		}
		// Alerts: the title and at least the newest one stay.
		for count() > h && len(notices) > 2 {
			notices = append(notices[:1], notices[2:]...)
		}
		if over := count() - h; over > 0 && len(topics) > 3 {
			// Keep the header row and the total; say how many topics hide.
			keep := max(len(topics)-2-over-1, 0)
			hidden := len(topics) - 2 - keep
			cut := append([]string{}, topics[:1+keep]...)
			cut = append(cut, fitLine(fmt.Sprintf("… %d more %s", hidden, pluralWord(hidden, "topic"))), topics[len(topics)-1])
			topics = cut
		}
	}

	lines := append(head, topics...)
	for _, sec := range [][]string{latency, groups, by, notices} {
		if len(sec) > 0 {
			lines = append(lines, "")
			lines = append(lines, sec...)
		}
	}
	return lines
}

// header is the title line; on a narrow screen the broker address, then the
// broker and topic counts, give way so the clock stays whole.
func (d *Dashboard) header(snap *Snapshot, width int) string {
	title := d.Title
	if title == "" {
		title = "kx stats"
	}
	brokers := d.Brokers
	if d.Connection != "" {
		brokers += " " + d.Connection
	}
	parts := []string{title, brokers,
		fmt.Sprintf("%d broker%s", snap.Brokers, plural(snap.Brokers)),
		fmt.Sprintf("%d topic%s", snap.Totals.Topics, plural(snap.Totals.Topics)),
		group(snap.Totals.Messages) + " msgs"}
	clock := ""
	if t, err := time.Parse(time.RFC3339Nano, snap.Time); err == nil {
		clock = t.Local().Format("15:04:05")
	}
	line := func() string {
		kept := make([]string, 0, len(parts)+1)
		for _, p := range parts {
			if p != "" {
				kept = append(kept, p)
			}
		}
		if clock != "" {
			kept = append(kept, clock)
		}
		return strings.Join(kept, "  ")
	}
	for _, drop := range []int{1, 2, 3} {
		if runewidth.StringWidth(line()) <= width {
			break
		}
		parts[drop] = ""
	}
	return line()
}

// topicLines are the topic table: its header row, a row per topic and the
// total. The sparkline takes what the other columns leave; on a narrow
// screen PEAK goes and the topic column narrows before the sparkline drops
// below 8 samples (the newest, on the right).
func (d *Dashboard) topicLines(tr *Tracker, snap *Snapshot, width int) []string {
	topicW, peak := topicCol, true
	fixed := func() int {
		n := topicW + 1 + rateCol + 1 + countCol + 2
		if peak {
			n += rateCol + 1
		}
		return n
	}
	if width-fixed() < 8 {
		peak = false
	}
	if width-fixed() < 8 {
		topicW = max(12, topicW-(8-(width-fixed())))
	}
	spark := max(width-fixed(), 1)
	row := func(name, msgs, peakRate, count, line string) string {
		s := fmt.Sprintf("%-*s %*s", topicW, name, rateCol, msgs)
		if peak {
			s += fmt.Sprintf(" %*s", rateCol, peakRate)
		}
		s += fmt.Sprintf(" %*s", countCol, count)
		if line != "" {
			s += "  " + line
		}
		return s
	}
	lines := []string{d.bold(row("TOPIC", "MSG/S", "PEAK", "MESSAGES", "THROUGHPUT"))}
	for _, t := range snap.Topics {
		var rates []float64
		if tr != nil {
			rates = tr.Rates(t.Topic)
		}
		lines = append(lines, row(truncate(t.Topic, topicW), rate(t.MessagesPerSec), rate(t.PeakPerSec), group(t.Messages), Sparkline(rates, spark)))
	}
	return append(lines, row("total", rate(snap.Totals.MessagesPerSec), rate(snap.Totals.PeakPerSec), group(snap.Totals.Messages), ""))
}

func (d *Dashboard) latencyLines(snap *Snapshot) []string {
	var lat []string
	for _, t := range snap.Topics {
		if t.Latency != nil {
			lat = append(lat, fmt.Sprintf("%-*s p50 %s  p95 %s  max %s", topicCol, truncate(t.Topic, topicCol),
				ms(t.Latency.P50Ms), ms(t.Latency.P95Ms), ms(t.Latency.MaxMs)))
		}
	}
	if len(lat) == 0 {
		return nil
	}
	return append([]string{d.bold("LATENCY")}, lat...)
}

// groupLines are the lag table; WORST PARTITION goes when it does not fit.
func (d *Dashboard) groupLines(snap *Snapshot, width int) []string {
	if len(snap.Groups) == 0 {
		return nil
	}
	worst := 20 + 1 + topicCol + 1 + countCol + 2 + len("WORST PARTITION")
	row := func(g, t, lag, w string) string {
		s := fmt.Sprintf("%-*s %-*s %*s", 20, truncate(g, 20), topicCol, truncate(t, topicCol), countCol, lag)
		if worst <= width {
			s += "  " + w
		}
		return s
	}
	lines := []string{d.bold(row("GROUP", "TOPIC", "LAG", "WORST PARTITION"))}
	for _, g := range snap.Groups {
		lines = append(lines, row(g.Group, g.Topic, group(g.Lag), fmt.Sprintf("%d (%s)", g.WorstPartition, group(g.WorstLag))))
	}
	return lines
}

// byLines are the --by counts; the last interval's share goes when it does
// not fit.
func (d *Dashboard) byLines(snap *Snapshot, width int) []string {
	b := snap.ByTotal
	if b == nil {
		return nil
	}
	lines := []string{d.bold(fmt.Sprintf("BY %s ON %s  (%s records)", b.Expr, b.Topic, group(b.Records)))}
	for i, v := range b.Values {
		if i == 6 {
			lines = append(lines, fmt.Sprintf("  … %d more values", len(b.Values)-i))
			break
		}
		line := fmt.Sprintf("  %-*s %*s  %5.1f%%", 20, truncate(v.Value, 20), countCol, group(v.Count), v.Share)
		if snap.By != nil {
			if last := fmt.Sprintf("   last interval %5.1f%%", snap.By.share(v.Value)); runewidth.StringWidth(line+last) <= width {
				line += last
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// noticeLines are the ALERTS title and the notices, oldest first.
func (d *Dashboard) noticeLines(width int) []string {
	if len(d.notices) == 0 {
		return nil
	}
	lines := []string{d.bold("ALERTS")}
	for _, n := range d.notices {
		text := fmt.Sprintf("%s %-7s %s", n.Time.Local().Format("15:04:05"), strings.ToUpper(n.Severity), n.Text)
		text = truncate(text, width)
		if d.Color {
			text = severityColor[n.Severity] + text + reset
		}
		lines = append(lines, text)
	}
	return lines
}

func pluralWord(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
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
