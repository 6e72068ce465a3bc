package play

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// View shows a run's progress while it plays. The player calls Update a
// few times per second from one goroutine, then Close once. kx demo can
// plug in a richer view (a dashboard) through this interface.
type View interface {
	Update(s Snapshot)
	Close(s Snapshot)
}

// NewView returns the live status block for a terminal, or plain periodic
// lines otherwise.
// prefix starts the plain lines ("kx play").
func NewView(w io.Writer, prefix string, terminal, color bool, width int) View {
	if terminal {
		return &TermView{w: w, color: color, width: width}
	}
	return &LineView{w: w, Prefix: prefix, Every: 5 * time.Second}
}

// QuietView shows nothing.
type QuietView struct{}

func (QuietView) Update(Snapshot) {}
func (QuietView) Close(Snapshot)  {}

// rates turns successive snapshots into per-topic rates over about the
// last second.
type rates struct {
	samples []sample
}

type sample struct {
	at     time.Time
	acked  int64
	topics map[string]int64
}

func (r *rates) add(now time.Time, s Snapshot) (total float64, per map[string]float64) {
	cur := sample{at: now, acked: s.Acked, topics: map[string]int64{}}
	for _, t := range s.Topics {
		cur.topics[t.Topic] = t.Acked
	}
	r.samples = append(r.samples, cur)
	// Keep one sample at least a second old as the base.
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= time.Second {
		r.samples = r.samples[1:]
	}
	base := r.samples[0]
	dt := now.Sub(base.at).Seconds()
	per = map[string]float64{}
	if dt <= 0 {
		return 0, per
	}
	for k, v := range cur.topics {
		per[k] = float64(v-base.topics[k]) / dt
	}
	return float64(cur.acked-base.acked) / dt, per
}

// TermView redraws a three-line status block on a terminal: phase,
// progress bar and totals; rates per topic; incidents so far. Notices are
// printed above it and stay.
type TermView struct {
	w      io.Writer
	color  bool
	width  int
	drawn  int
	rates  rates
	Now    func() time.Time
	closed bool
}

func (v *TermView) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *TermView) Update(s Snapshot) {
	var b strings.Builder
	v.clear(&b)
	for _, n := range s.Notices {
		b.WriteString(v.notice(n))
		b.WriteByte('\n')
	}
	total, per := v.rates.add(v.now(), s)
	lines := v.block(s, total, per)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	v.drawn = len(lines)
	io.WriteString(v.w, b.String())
}

func (v *TermView) Close(s Snapshot) {
	if v.closed {
		return
	}
	v.closed = true
	var b strings.Builder
	v.clear(&b)
	for _, n := range s.Notices {
		b.WriteString(v.notice(n))
		b.WriteByte('\n')
	}
	v.drawn = 0
	io.WriteString(v.w, b.String())
}

func (v *TermView) clear(b *strings.Builder) {
	if v.drawn > 0 {
		fmt.Fprintf(b, "\x1b[%dA\r\x1b[J", v.drawn)
	}
}

func (v *TermView) paint(code, s string) string {
	if !v.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (v *TermView) notice(n Notice) string {
	text := FormatClock(n.At) + "  " + n.Text
	if strings.HasPrefix(n.Text, "incident") {
		text = v.paint("31", "⚠ "+text)
	} else {
		text = v.paint("1", "▶ "+text)
	}
	return text
}

func (v *TermView) block(s Snapshot, total float64, per map[string]float64) []string {
	width := v.width
	if width <= 0 {
		width = 80
	}
	frac := 0.0
	if s.Duration > 0 {
		frac = min(1, float64(s.At)/float64(s.Duration))
	}
	const barLen = 24
	filled := int(frac * barLen)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", barLen-filled)
	phase := s.Phase
	if phase == "" {
		phase = "-"
	}
	l1 := fmt.Sprintf("%s [%s] %s/%s  %d sent  %d acked  %.0f/s",
		phase, bar, FormatClock(s.At), FormatClock(s.Duration), s.Events, s.Acked, total)
	if s.Failed > 0 {
		l1 += v.paint("31", fmt.Sprintf("  %d failed", s.Failed))
	}
	var parts []string
	for _, t := range s.Topics {
		parts = append(parts, fmt.Sprintf("%s %.0f/s", t.Topic, per[t.Topic]))
	}
	l2 := "  " + strings.Join(parts, " · ")
	l3 := "  incidents: none"
	if len(s.Incidents) > 0 {
		keys := make([]string, 0, len(s.Incidents))
		for k := range s.Incidents {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ps []string
		for _, k := range keys {
			ps = append(ps, fmt.Sprintf("%s %d", k, s.Incidents[k]))
		}
		l3 = "  incidents: " + v.paint("31", strings.Join(ps, " · "))
	}
	return []string{truncate(l1, width-1), truncate(l2, width-1), truncate(l3, width-1)}
}

// truncate cuts s to n runes, ignoring ANSI sequences in the count, so a
// line never wraps (wrapping would break the cursor arithmetic).
func truncate(s string, n int) string {
	count := 0
	inEsc := false
	for i, r := range s {
		switch {
		case inEsc:
			if r == 'm' {
				inEsc = false
			}
			continue
		case r == '\x1b':
			inEsc = true
			continue
		}
		count++
		if count > n {
			cut := s[:i]
			if strings.Contains(cut, "\x1b[") {
				cut += "\x1b[0m"
			}
			if n > 0 && utf8.RuneCountInString(cut) > 0 {
				return cut
			}
			return ""
		}
	}
	return s
}

// LineView prints notices as they come and a progress line every Every,
// for logs and pipes.
type LineView struct {
	w      io.Writer
	Prefix string
	Every  time.Duration
	Now    func() time.Time
	last   time.Time
	rates  rates
}

func (v *LineView) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *LineView) Update(s Snapshot) {
	now := v.now()
	total, _ := v.rates.add(now, s)
	v.notices(s)
	if v.last.IsZero() {
		v.last = now
		return
	}
	if now.Sub(v.last) >= v.Every {
		v.last = now
		fmt.Fprintf(v.w, "%s: %s/%s %s: %d sent, %d acked, %.0f records/s\n",
			v.Prefix, FormatClock(s.At), FormatClock(s.Duration), s.Phase, s.Events, s.Acked, total)
	}
}

func (v *LineView) Close(s Snapshot) { v.notices(s) }

func (v *LineView) notices(s Snapshot) {
	for _, n := range s.Notices {
		fmt.Fprintf(v.w, "%s: %s %s\n", v.Prefix, FormatClock(n.At), n.Text)
	}
}
