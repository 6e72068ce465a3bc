package alert

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kx-cli/kx/pkg/record"
)

// Event is one alert, as printed (NDJSON, kind "alert") and posted to a
// webhook. Field names are a stable interface (docs/stats.md).
type Event struct {
	Kind     string `json:"kind"`
	Time     string `json:"time"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Topic    string `json:"topic"`
	// Resolved marks the success notification of a rule back under its
	// threshold.
	Resolved bool `json:"resolved"`
	// Count is the matches in the window (1 for a rule without threshold).
	Count     int      `json:"count"`
	Window    string   `json:"window,omitempty"`
	Threshold string   `json:"threshold,omitempty"`
	Rate      *float64 `json:"rate_pct,omitempty"`
	Message   string   `json:"message"`
	// The sample record: the last one that matched.
	Key       *string `json:"key"`
	Partition int32   `json:"partition"`
	Offset    int64   `json:"offset"`
	// RuleKind is records, lag, throughput, skew or connection. The fields
	// after it belong to health rules: Value is the measure the threshold
	// judged (lag in records, records/s, the partition's share in percent,
	// seconds without the cluster); Partition is then the worst partition
	// (lag) or the busiest one (skew).
	RuleKind string   `json:"rule_kind"`
	Group    string   `json:"group,omitempty"`
	Value    *float64 `json:"value,omitempty"`
	Baseline *float64 `json:"baseline_per_sec,omitempty"`
	Brokers  []string `json:"brokers,omitempty"`
	Cause    string   `json:"cause,omitempty"`

	severity Severity
}

// SeverityLevel is the event's severity as a value.
func (e *Event) SeverityLevel() Severity { return e.severity }

// Engine evaluates rules on records. Windows are measured in record time
// (the record timestamps); between records the clock moves on with the wall
// clock (Advance), so a replayed burst fires as it did live and a quiet
// topic resolves.
// Not safe for concurrent use.
type Engine struct {
	health  *health
	rules   []*ruleState
	byTopic map[string][]*ruleState
	clock   time.Time
	// lastWall is the wall time of the last record; the clock runs on from
	// there at wall-clock speed.
	lastWall, lastClock time.Time
}

type ruleState struct {
	rule    *Rule
	matches []time.Time // in the window, oldest first
	records []time.Time // every record of the topic in the window (rates)
	active  bool
	// lastOver is the last time the rule was seen over its threshold. A
	// firing rule resolves only a whole window after that, so a count
	// hovering at the threshold does not flap between alert and success.
	lastOver time.Time
	sample   *record.Record
}

// NewEngine evaluates rules.
func NewEngine(rules []*Rule) *Engine {
	e := &Engine{byTopic: map[string][]*ruleState{}, health: newHealth(rules)}
	for _, r := range rules {
		if !r.ReadsRecords() {
			continue
		}
		s := &ruleState{rule: r}
		e.rules = append(e.rules, s)
		e.byTopic[r.Topic] = append(e.byTopic[r.Topic], s)
	}
	return e
}

// Topics are the topics whose records the rules read, in rule order.
func (e *Engine) Topics() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range e.rules {
		if !seen[s.rule.Topic] {
			seen[s.rule.Topic] = true
			out = append(out, s.rule.Topic)
		}
	}
	return out
}

// Observe evaluates the rules of r's topic on r; now stands in for a
// record without timestamp.
func (e *Engine) Observe(r *record.Record, now time.Time) []Event {
	states := e.byTopic[r.Topic]
	if len(states) == 0 {
		return nil
	}
	t := r.Timestamp
	if t.IsZero() {
		t = now
	}
	if t.After(e.clock) {
		e.clock = t
	}
	e.lastWall, e.lastClock = now, e.clock
	var events []Event
	for _, s := range states {
		res, err := s.rule.When.Eval(r)
		matched := err == nil && res.Keep
		th := s.rule.Threshold
		if th == nil {
			if matched {
				s.sample = r
				events = append(events, s.event(e.clock, false, 1, 0))
			}
			continue
		}
		if th.IsRate {
			s.records = append(s.records, t)
		}
		if matched {
			s.matches = append(s.matches, t)
			s.sample = r
		}
		if ev, ok := s.evaluate(e.clock); ok {
			events = append(events, ev)
		}
	}
	return events
}

// Advance moves the clock on by the wall time passed since the last record
// (now is the wall clock) and resolves the rules that fell back under their
// thresholds.
func (e *Engine) Advance(now time.Time) []Event {
	if e.lastWall.IsZero() {
		return nil // no record yet: nothing in any window
	}
	if t := e.lastClock.Add(now.Sub(e.lastWall)); t.After(e.clock) {
		e.clock = t
	}
	var events []Event
	for _, s := range e.rules {
		if s.rule.Threshold == nil {
			continue
		}
		if ev, ok := s.evaluate(e.clock); ok {
			events = append(events, ev)
		}
	}
	return events
}

// evaluate prunes the window at clock and fires or resolves.
func (s *ruleState) evaluate(clock time.Time) (Event, bool) {
	th := s.rule.Threshold
	cutoff := clock.Add(-th.Window)
	s.matches = prune(s.matches, cutoff)
	s.records = prune(s.records, cutoff)
	n := len(s.matches)
	over, rate := false, 0.0
	if th.IsRate {
		if len(s.records) > 0 {
			rate = float64(n) / float64(len(s.records))
		}
		over = len(s.records) >= th.MinRecords && rate > th.Rate
	} else {
		over = n > th.Count
	}
	switch {
	case over:
		s.lastOver = clock
		if !s.active {
			s.active = true
			return s.event(clock, false, n, rate), true
		}
	case s.active && clock.Sub(s.lastOver) >= th.Window:
		s.active = false
		if s.rule.Resolve != nil {
			return s.event(clock, true, n, rate), true
		}
	}
	return Event{}, false
}

// prune drops times before cutoff. Times arrive nearly in order (records
// of several partitions interleave), so it scans from the front.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	n := copy(ts, ts[i:])
	return ts[:n]
}

func (s *ruleState) event(clock time.Time, resolved bool, count int, rate float64) Event {
	r := s.rule
	ev := Event{
		Kind: "alert", Time: record.FormatTimestamp(clock), Rule: r.Name,
		Severity: r.Severity.String(), Topic: r.Topic, Resolved: resolved, Count: count,
		Partition: -1, Offset: -1, RuleKind: r.Kind.String(), severity: r.Severity,
	}
	fields := map[string]string{
		"count": strconv.Itoa(count), "rule": r.Name, "topic": r.Topic, "severity": r.Severity.String(),
		"window": "", "threshold": "", "rate": "",
	}
	if th := r.Threshold; th != nil {
		ev.Window, ev.Threshold = th.Window.String(), th.String()
		fields["window"], fields["threshold"] = ev.Window, ev.Threshold
		if th.IsRate {
			pct := float64(int(rate*10000+0.5)) / 100
			ev.Rate = &pct
			fields["rate"] = strconv.FormatFloat(pct, 'f', -1, 64) + "%"
		}
	}
	tmpl := r.Message
	if resolved {
		ev.Severity, ev.severity, fields["severity"] = Success.String(), Success, Success.String()
		tmpl = r.Resolve
	}
	if s.sample != nil {
		ev.Partition, ev.Offset = s.sample.Partition, s.sample.Offset
		if s.sample.Key != nil {
			k := keyString(s.sample.Key)
			ev.Key = &k
		}
	}
	ev.Message = tmpl.Render(fields, s.sample)
	return ev
}

// keyString shows a key as text when it is UTF-8, else as hex.
func keyString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b)+2)
	out = append(out, "0x"...)
	for _, c := range b {
		out = append(out, hexdigits[c>>4], hexdigits[c&15])
	}
	return string(out)
}
