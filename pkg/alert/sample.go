package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// Sample is one look at the cluster, taken once per --watch interval for
// all health rules together: the high watermarks the watcher fetches
// anyway, every group's lag from one round of group requests, or the
// error that kept kx from the cluster.
type Sample struct {
	Time time.Time
	// Err is why the cluster could not be reached; the rest is then empty.
	Err error
	// Brokers are the addresses kx connects to (the connection message).
	Brokers []string
	Topics  []TopicHighs
	// GroupsSampled is false when groups were not asked for; lag rules
	// then wait.
	GroupsSampled bool
	// Groups are every consumer group's id; Lags their lag per topic.
	Groups []string
	Lags   []GroupLag
}

// TopicHighs are one topic's high watermarks.
type TopicHighs struct {
	Topic      string
	Partitions []PartitionHigh
}

// PartitionHigh is one partition's high watermark.
type PartitionHigh struct {
	Partition int32
	High      int64
}

// GroupLag is one group's lag on one topic: the high watermark minus the
// committed offset, summed over the partitions the group committed
// (partitions without a commit are left out, as kx stats shows them).
type GroupLag struct {
	Group, Topic   string
	Lag            int64
	WorstPartition int32
	WorstLag       int64
}

// health evaluates the health rules on Samples.
type health struct {
	rules  []*healthRule
	hist   map[string]*topicHist // topics of throughput and skew rules
	warned map[string]bool
	// waiting: what each rule waiting at the last sample waits for.
	waiting map[string]string

	lastUp    time.Time
	down      bool
	downSince time.Time
}

type healthRule struct {
	rule   *Rule
	states map[string]*healthState // by group for lag rules, "" otherwise
}

type healthState struct {
	active bool
	// overSince starts the current run of samples over the threshold
	// (zero when the last was not); lastOver is the last one over. A
	// fired rule resolves a whole window after lastOver, as record rules
	// do, so a value hovering at its threshold does not flap.
	overSince, lastOver time.Time
	lags                []lagPoint // growth rules
}

type lagPoint struct {
	t   time.Time
	lag int64
}

type topicHist struct {
	span   time.Duration // how far back the rules look
	points []topicPoint
}

type topicPoint struct {
	t     time.Time
	total int64
	highs map[int32]int64
}

func newHealth(rules []*Rule) *health {
	h := &health{hist: map[string]*topicHist{}, warned: map[string]bool{}, waiting: map[string]string{}}
	for _, r := range rules {
		if r.ReadsRecords() {
			continue
		}
		h.rules = append(h.rules, &healthRule{rule: r, states: map[string]*healthState{}})
		if r.Kind == KindThroughput || r.Kind == KindSkew {
			span := r.Window()
			if r.Health.Baseline {
				span *= 1 + BaselineWindows
			}
			th := h.hist[r.Topic]
			if th == nil {
				th = &topicHist{}
				h.hist[r.Topic] = th
			}
			th.span = max(th.span, span)
		}
	}
	return h
}

// HasHealthRules reports whether any rule needs Samples.
func (e *Engine) HasHealthRules() bool { return len(e.health.rules) > 0 }

// NeedsGroups reports whether a lag rule needs the groups' lag sampled.
func (e *Engine) NeedsGroups() bool {
	for _, hr := range e.health.rules {
		if hr.rule.Kind == KindLag {
			return true
		}
	}
	return false
}

// WatchesConnection reports whether a connection rule judges outages (the
// watch then goes on while the cluster is unreachable).
func (e *Engine) WatchesConnection() bool {
	for _, hr := range e.health.rules {
		if hr.rule.Kind == KindConnection {
			return true
		}
	}
	return false
}

// Waiting names the rules that, at the last sample the cluster answered,
// still waited for a group or topic that does not exist, in rule order:
// the warnings of Sample that are still true.
func (e *Engine) Waiting() []string {
	var out []string
	for _, hr := range e.health.rules {
		if m, ok := e.health.waiting[hr.rule.Name]; ok {
			out = append(out, m)
		}
	}
	return out
}

// Sample evaluates the health rules on s. Warnings name rules that wait
// for a group or topic that does not exist yet (each once).
func (e *Engine) Sample(s *Sample) (events []Event, warnings []string) {
	h := e.health
	if len(h.rules) == 0 {
		return nil, nil
	}
	t := s.Time
	if s.Err != nil {
		if !h.down {
			h.down, h.downSince = true, h.lastUp
			if h.downSince.IsZero() {
				h.downSince = t
			}
		}
		downFor := t.Sub(h.downSince)
		for _, hr := range h.rules {
			if hr.rule.Kind != KindConnection {
				continue // nothing to judge them on
			}
			st := hr.state("")
			if fire, _ := st.step(t, downFor >= hr.rule.Window(), 0, 0); fire {
				events = append(events, hr.event(t, false, "", measure{value: downFor.Seconds(), brokers: s.Brokers, cause: s.Err.Error(), downFor: downFor}))
			}
		}
		return events, nil
	}
	downFor := t.Sub(h.downSince)
	wasDown := h.down
	h.down, h.lastUp = false, t
	for topic, th := range h.hist {
		if tp := findTopic(s.Topics, topic); tp != nil {
			th.add(t, tp)
		}
	}
	var lagsByGroup map[string][]GroupLag
	clear(h.waiting)
	warn := func(hr *healthRule, msg string) {
		msg = fmt.Sprintf("%s rule %q: %s", hr.rule.Kind, hr.rule.Name, msg)
		h.waiting[hr.rule.Name] = msg
		if !h.warned[hr.rule.Name] {
			h.warned[hr.rule.Name] = true
			warnings = append(warnings, msg)
		}
	}
	for _, hr := range h.rules {
		r := hr.rule
		switch r.Kind {
		case KindConnection:
			if st := hr.state(""); st.active && wasDown {
				st.active, st.overSince = false, time.Time{}
				events = append(events, hr.event(t, true, "", measure{value: downFor.Seconds(), brokers: s.Brokers, downFor: downFor}))
			}
		case KindLag:
			if !s.GroupsSampled {
				continue
			}
			if r.Topic != "" && findTopic(s.Topics, r.Topic) == nil {
				warn(hr, fmt.Sprintf("topic %q does not exist yet; the rule starts when it appears", r.Topic))
				continue
			}
			if lagsByGroup == nil {
				lagsByGroup = make(map[string][]GroupLag, len(s.Groups))
				for _, l := range s.Lags {
					lagsByGroup[l.Group] = append(lagsByGroup[l.Group], l)
				}
			}
			matched := 0
			for _, g := range s.Groups {
				if !r.MatchesGroup(g) {
					continue
				}
				matched++
				if ev, ok := hr.evalLag(t, g, lagsByGroup[g]); ok {
					events = append(events, ev)
				}
			}
			if matched == 0 {
				if r.GroupRE != nil {
					warn(hr, fmt.Sprintf("no consumer group matches %q yet; the rule starts when one appears", r.Group))
				} else {
					warn(hr, fmt.Sprintf("consumer group %q does not exist yet; the rule starts when it appears", r.Group))
				}
			}
		case KindThroughput, KindSkew:
			th := h.hist[r.Topic]
			if len(th.points) == 0 {
				warn(hr, fmt.Sprintf("topic %q does not exist yet; the rule starts when it appears", r.Topic))
				continue
			}
			if th.points[len(th.points)-1].t != t {
				continue // the topic is not in this sample
			}
			var ev Event
			var ok bool
			if r.Kind == KindThroughput {
				ev, ok = hr.evalThroughput(t, th)
			} else {
				ev, ok = hr.evalSkew(t, th)
			}
			if ok {
				events = append(events, ev)
			}
		}
	}
	return events, warnings
}

func findTopic(ts []TopicHighs, name string) *TopicHighs {
	for i := range ts {
		if ts[i].Topic == name {
			return &ts[i]
		}
	}
	return nil
}

func (hr *healthRule) state(group string) *healthState {
	st := hr.states[group]
	if st == nil {
		st = &healthState{}
		hr.states[group] = st
	}
	return st
}

// step moves the state on by one sample: it fires once over has held for
// hold, and resolves a whole window after the last sample over.
func (st *healthState) step(t time.Time, over bool, hold, window time.Duration) (fire, resolve bool) {
	if over {
		if st.overSince.IsZero() {
			st.overSince = t
		}
		st.lastOver = t
		if !st.active && t.Sub(st.overSince) >= hold {
			st.active = true
			return true, false
		}
		return false, false
	}
	st.overSince = time.Time{}
	if st.active && t.Sub(st.lastOver) >= window {
		st.active = false
		return false, true
	}
	return false, false
}

// measure is what a health rule judged, for its event and message.
type measure struct {
	value     float64
	topic     string
	partition int32
	hasPart   bool
	baseline  *float64
	records   int64
	brokers   []string
	cause     string
	downFor   time.Duration
}

func (hr *healthRule) evalLag(t time.Time, group string, lags []GroupLag) (Event, bool) {
	r := hr.rule
	m := measure{partition: -1, topic: r.Topic}
	var worst int64 = -1
	for _, l := range lags {
		if r.Topic != "" && l.Topic != r.Topic {
			continue
		}
		m.value += float64(l.Lag)
		if l.WorstPartition >= 0 && l.WorstLag > worst {
			worst, m.topic, m.partition, m.hasPart = l.WorstLag, l.Topic, l.WorstPartition, true
		}
	}
	st := hr.state(group)
	h := r.Health
	var over bool
	hold, window := h.For, r.Window()
	if h.Grows {
		st.lags = append(st.lags, lagPoint{t, int64(m.value)})
		st.lags = pruneLags(st.lags, t.Add(-h.For))
		over = grows(st.lags, t.Add(-h.For))
		hold = 0
	} else {
		over = m.value > h.Value
	}
	fire, resolve := st.step(t, over, hold, window)
	if !fire && !resolve {
		return Event{}, false
	}
	ev := hr.event(t, resolve, group, m)
	return ev, true
}

// pruneLags keeps the points from the last one at or before cutoff on.
func pruneLags(ps []lagPoint, cutoff time.Time) []lagPoint {
	i := 0
	for i+1 < len(ps) && !ps[i+1].t.After(cutoff) {
		i++
	}
	if i == 0 {
		return ps
	}
	n := copy(ps, ps[i:])
	return ps[:n]
}

// grows: the points span the window (the first at or before its start),
// the lag never fell from one to the next, and it ends higher.
func grows(ps []lagPoint, start time.Time) bool {
	if len(ps) < 2 || ps[0].t.After(start) {
		return false
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].lag < ps[i-1].lag {
			return false
		}
	}
	return ps[len(ps)-1].lag > ps[0].lag
}

func (th *topicHist) add(t time.Time, tp *TopicHighs) {
	p := topicPoint{t: t, highs: make(map[int32]int64, len(tp.Partitions))}
	for _, ph := range tp.Partitions {
		p.highs[ph.Partition] = ph.High
		p.total += ph.High
	}
	if n := len(th.points); n > 0 && p.total < th.points[n-1].total {
		th.points = th.points[:0] // the topic was recreated: start over
	}
	th.points = append(th.points, p)
	// Keep the last point at or before the oldest time a rule looks at.
	cutoff := t.Add(-th.span)
	i := 0
	for i+1 < len(th.points) && !th.points[i+1].t.After(cutoff) {
		i++
	}
	if i > 0 {
		n := copy(th.points, th.points[i:])
		th.points = th.points[:n]
	}
}

// at returns the last point at or before t.
func (th *topicHist) at(t time.Time) (topicPoint, bool) {
	for i := len(th.points) - 1; i >= 0; i-- {
		if !th.points[i].t.After(t) {
			return th.points[i], true
		}
	}
	return topicPoint{}, false
}

func rate(from, to topicPoint) float64 {
	d := to.t.Sub(from.t).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(to.total-from.total) / d
}

func (hr *healthRule) evalThroughput(t time.Time, th *topicHist) (Event, bool) {
	r, h := hr.rule, hr.rule.Health
	w := r.Window()
	cur := th.points[len(th.points)-1]
	start, ok := th.at(t.Add(-w))
	if !ok {
		return Event{}, false // not a whole window seen yet
	}
	m := measure{value: rate(start, cur), topic: r.Topic, partition: -1}
	limit := h.Value
	if h.Baseline {
		base, ok := th.at(start.t.Add(-w * BaselineWindows))
		if !ok {
			base = th.points[0]
			if start.t.Sub(base.t) < w {
				return Event{}, false // no whole window before this one yet
			}
		}
		b := rate(base, start)
		m.baseline = &b
		limit *= b
	}
	over := m.value > limit
	if h.Op == '<' {
		over = m.value < limit
	}
	if h.Baseline && *m.baseline <= 0 {
		over = false // nothing to compare with
	}
	fire, resolve := hr.state("").step(t, over, 0, w)
	if !fire && !resolve {
		return Event{}, false
	}
	return hr.event(t, resolve, "", m), true
}

func (hr *healthRule) evalSkew(t time.Time, th *topicHist) (Event, bool) {
	r := hr.rule
	w := r.Window()
	cur := th.points[len(th.points)-1]
	start, ok := th.at(t.Add(-w))
	if !ok {
		return Event{}, false
	}
	m := measure{topic: r.Topic, partition: -1}
	var most int64 = -1
	for p, high := range cur.highs {
		n := max(high-start.highs[p], 0)
		m.records += n
		if n > most || n == most && p < m.partition {
			most, m.partition, m.hasPart = n, p, true
		}
	}
	if m.records > 0 {
		m.value = float64(most) / float64(m.records) * 100
	}
	over := m.records >= int64(r.MinRecords) && m.value > r.Health.Value
	fire, resolve := hr.state("").step(t, over, 0, w)
	if !fire && !resolve {
		return Event{}, false
	}
	return hr.event(t, resolve, "", m), true
}

func (hr *healthRule) event(t time.Time, resolved bool, group string, m measure) Event {
	r := hr.rule
	ev := Event{
		Kind: "alert", Time: record.FormatTimestamp(t), Rule: r.Name, Severity: r.Severity.String(),
		Topic: m.topic, Resolved: resolved, Window: r.Window().String(), Partition: -1, Offset: -1,
		RuleKind: r.Kind.String(), Group: group, Baseline: m.baseline, Brokers: m.brokers, Cause: m.cause,
		severity: r.Severity,
	}
	if m.hasPart {
		ev.Partition = m.partition
	}
	v := round2(m.value)
	ev.Value = &v
	fields := map[string]string{
		"rule": r.Name, "topic": m.topic, "severity": r.Severity.String(), "window": ev.Window,
	}
	switch r.Kind {
	case KindLag:
		ev.Threshold = r.Health.String(r.Kind)
		fields["group"], fields["lag"] = group, strconv.FormatInt(int64(m.value), 10)
		fields["worst_partition"] = "-"
		if m.hasPart {
			fields["worst_partition"] = m.topic + "/" + strconv.Itoa(int(m.partition))
		}
		if r.Topic == "" && !m.hasPart {
			fields["topic"] = "-"
		}
	case KindThroughput:
		ev.Threshold = r.Health.String(r.Kind)
		fields["rate"] = formatNum(v) + "/s"
		fields["baseline"] = "-"
		if m.baseline != nil {
			b := round2(*m.baseline)
			ev.Baseline = &b
			fields["baseline"] = formatNum(b) + "/s"
		}
	case KindSkew:
		ev.Threshold = r.Health.String(r.Kind)
		ev.Count = int(m.records)
		fields["partition"], fields["share"] = strconv.Itoa(int(m.partition)), formatNum(v)+"%"
		fields["records"] = strconv.FormatInt(m.records, 10)
	case KindConnection:
		ev.Threshold = "unreachable for " + ev.Window
		fields["brokers"] = strings.Join(m.brokers, ",")
		fields["cause"] = m.cause
		fields["down_for"] = m.downFor.Round(time.Second).String()
		if m.cause == "" {
			fields["cause"] = "-"
		}
	}
	tmpl := r.Message
	if resolved {
		ev.Severity, ev.severity, fields["severity"] = Success.String(), Success, Success.String()
		tmpl = r.Resolve
		ev.Cause = ""
	}
	fields["threshold"] = ev.Threshold
	if tmpl != nil {
		ev.Message = tmpl.Render(fields, nil)
	} else {
		ev.Message = defaultResolve(r, fields)
	}
	return ev
}

// defaultResolve is the message of a resolution when the rule has no
// resolve template: health rules always say they are back to normal.
func defaultResolve(r *Rule, fields map[string]string) string {
	switch r.Kind {
	case KindLag:
		return fmt.Sprintf("group %s back under %s: lag %s", fields["group"], fields["threshold"], fields["lag"])
	case KindThroughput:
		return fmt.Sprintf("%s back to normal: %s", r.Topic, fields["rate"])
	case KindSkew:
		return fmt.Sprintf("%s balanced again: busiest partition %s", r.Topic, fields["share"])
	default:
		return fmt.Sprintf("cluster at %s reachable again after %s", fields["brokers"], fields["down_for"])
	}
}

func round2(v float64) float64 {
	if v >= 0 {
		return float64(int64(v*100+0.5)) / 100
	}
	return -float64(int64(-v*100+0.5)) / 100
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
