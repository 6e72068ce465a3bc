package alert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kind is what a rule watches: records (a jq condition on each record) or
// the cluster's health (lag, throughput, skew, connection), sampled once
// per interval from offsets and group commits.
type Kind int

// The rule kinds.
const (
	KindRecords Kind = iota
	KindLag
	KindThroughput
	KindSkew
	KindConnection
)

var kindNames = []string{"records", "lag", "throughput", "skew", "connection"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// DefaultWindow is the window of a health rule without "for": the span a
// throughput or skew is measured over, and how long a fired rule must be
// back under its threshold before it resolves.
const DefaultWindow = 30 * time.Second

// DefaultSkewMinRecords is the fewest records in the window for a skew
// rule to judge the spread (one record is always 100 % of the traffic).
const DefaultSkewMinRecords = 10

// HealthThreshold is the condition of a lag, throughput or skew rule.
type HealthThreshold struct {
	// Op is '>' or '<' ('>' for lag and skew); 0 for a growth rule.
	Op byte
	// Value is the lag in records, the rate in records per second, the
	// share in percent, or a multiple of the baseline rate.
	Value float64
	// Baseline: Value multiplies the topic's own recent rate (the mean
	// over the BaselineWindows windows before the current one).
	Baseline bool
	// Grows: the lag rose over the window and never fell (a stuck or too
	// slow consumer).
	Grows bool
	// For is the window: a lag must stay over the threshold that long, a
	// growth or a rate is measured over it. 0 when the rule gave none.
	For time.Duration
}

// BaselineWindows is how many windows before the current one a
// throughput baseline averages.
const BaselineWindows = 10

// String is the threshold as a rule writes it.
func (h *HealthThreshold) String(k Kind) string {
	var b strings.Builder
	if h.Grows {
		b.WriteString("grows")
	} else {
		b.WriteByte(h.Op)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(h.Value, 'f', -1, 64))
		switch {
		case h.Baseline:
			b.WriteString("x baseline")
		case k == KindThroughput:
			b.WriteString("/s")
		case k == KindSkew:
			b.WriteString("%")
		}
	}
	if h.For > 0 {
		b.WriteString(" for " + h.For.String())
	}
	return b.String()
}

// Window is the rule's window: its "for", or DefaultWindow (scaled, see
// Scale).
func (r *Rule) Window() time.Duration {
	switch {
	case r.Kind == KindConnection:
		if r.For > 0 {
			return r.For
		}
	case r.Health != nil && r.Health.For > 0:
		return r.Health.For
	}
	if r.defaultWindow > 0 {
		return r.defaultWindow
	}
	return DefaultWindow
}

// MinScaledWindow is the shortest window Scale leaves a rule.
const MinScaledWindow = 100 * time.Millisecond

// Scale puts rules written in a scenario's time onto a clock that runs
// speed times faster (kx demo --speed): windows and "for" durations are
// divided by speed (down to MinScaledWindow), rates in records per second
// multiplied by it. Counts, lags, shares and baseline multiples stay as
// written: the same records arrive, only sooner. Connection rules stay in
// wall-clock time, since an outage of the cluster is not part of the
// scenario.
func Scale(rules []*Rule, speed float64) {
	if speed <= 0 || speed == 1 {
		return
	}
	scale := func(d time.Duration) time.Duration {
		return max(time.Duration(float64(d)/speed), MinScaledWindow)
	}
	for _, r := range rules {
		switch {
		case r.Kind == KindConnection:
		case r.Threshold != nil:
			r.Threshold.Window = scale(r.Threshold.Window)
		case r.Health != nil:
			if r.Health.For > 0 {
				r.Health.For = scale(r.Health.For)
			} else {
				r.defaultWindow = scale(DefaultWindow)
			}
			if r.Kind == KindThroughput && !r.Health.Baseline {
				r.Health.Value *= speed
			}
		}
	}
}

// ReadsRecords reports whether the rule is evaluated on records (its
// topic must be read); health rules work on offsets and commits only.
func (r *Rule) ReadsRecords() bool { return r.Kind == KindRecords }

// MatchesGroup reports whether a lag rule watches group.
func (r *Rule) MatchesGroup(group string) bool {
	if r.GroupRE != nil {
		return r.GroupRE.MatchString(group)
	}
	return r.Group == group
}

// Fields each kind's messages can name.
var kindFields = map[Kind]map[string]bool{
	KindLag:        fieldSet("group", "lag", "worst_partition", "topic", "threshold", "window", "rule", "severity"),
	KindThroughput: fieldSet("rate", "baseline", "topic", "threshold", "window", "rule", "severity"),
	KindSkew:       fieldSet("partition", "share", "records", "topic", "threshold", "window", "rule", "severity"),
	KindConnection: fieldSet("brokers", "cause", "down_for", "window", "rule", "severity"),
}

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// The keys each kind accepts.
var kindKeys = map[Kind][]string{
	KindRecords:    {"name", "kind", "topic", "when", "severity", "threshold", "min_records", "message", "resolve"},
	KindLag:        {"name", "kind", "group", "topic", "severity", "threshold", "for", "message", "resolve"},
	KindThroughput: {"name", "kind", "topic", "severity", "threshold", "for", "message", "resolve"},
	KindSkew:       {"name", "kind", "topic", "severity", "threshold", "for", "min_records", "message", "resolve"},
	KindConnection: {"name", "kind", "severity", "for", "message", "resolve"},
}

// healthRule reads the keys of a lag, throughput, skew or connection rule.
func (p *parser) healthRule(n *yaml.Node, r *Rule) error {
	what := fmt.Sprintf("rule %q", r.Name)
	req := []string{"severity", "message"}
	switch r.Kind {
	case KindLag:
		req = append(req, "group", "threshold")
	case KindThroughput, KindSkew:
		req = append(req, "topic", "threshold")
	}
	for _, k := range req {
		if lookup(n, k) == nil {
			return p.errorf(n, "%s: a %s rule needs key %q", what, r.Kind, k)
		}
	}
	var err error
	if gn := lookup(n, "group"); gn != nil {
		if r.Group, err = p.str(gn, what+": group"); err != nil {
			return err
		}
		if strings.ContainsAny(r.Group, `*+?()[]{}|^$\`) {
			if r.GroupRE, err = regexp.Compile("^(?:" + r.Group + ")$"); err != nil {
				return p.errorf(gn, "%s: group: bad regular expression %q: %v", what, r.Group, err)
			}
		}
	}
	if tn := lookup(n, "topic"); tn != nil {
		if r.Topic, err = p.str(tn, what+": topic"); err != nil {
			return err
		}
	}
	var forDur time.Duration
	fn := lookup(n, "for")
	if fn != nil {
		s, err := p.str(fn, what+": for")
		if err != nil {
			return err
		}
		if forDur, err = time.ParseDuration(s); err != nil || forDur <= 0 {
			return p.errorf(fn, "%s: for: %q is not a positive duration (e.g. 30s, 1m)", what, s)
		}
	}
	if tn := lookup(n, "threshold"); tn != nil {
		s, err := p.str(tn, what+": threshold")
		if err != nil {
			return err
		}
		h, err := ParseHealthThreshold(r.Kind, s)
		if err != nil {
			return p.errorf(tn, "%s: threshold: %v", what, err)
		}
		if fn != nil {
			if h.For > 0 {
				return p.errorf(fn, "%s: for: the threshold %q already gives the window", what, s)
			}
			h.For = forDur
		}
		if h.Grows && h.For == 0 {
			return p.errorf(tn, "%s: threshold: %q: a growth needs its window (\"grows for 30s\")", what, s)
		}
		r.Health = &h
	} else {
		r.For = forDur
	}
	if mn := lookup(n, "min_records"); mn != nil {
		v, err := strconv.Atoi(mn.Value)
		if mn.Kind != yaml.ScalarNode || err != nil || v < 1 {
			return p.errorf(mn, "%s: min_records: expected a positive integer", what)
		}
		r.MinRecords = v
	} else if r.Kind == KindSkew {
		r.MinRecords = DefaultSkewMinRecords
	}
	sevNode := lookup(n, "severity")
	sev, err := p.str(sevNode, what+": severity")
	if err != nil {
		return err
	}
	if r.Severity, err = ParseSeverity(sev); err != nil {
		return p.errorf(sevNode, "%s: %v", what, err)
	}
	fields := kindFields[r.Kind]
	msgNode := lookup(n, "message")
	msg, err := p.str(msgNode, what+": message")
	if err != nil {
		return err
	}
	if r.Message, err = parseTemplate(msg, fields, r.Kind.String()); err != nil {
		return p.templateError(msgNode, what+": message", err)
	}
	if rn := lookup(n, "resolve"); rn != nil {
		s, err := p.str(rn, what+": resolve")
		if err != nil {
			return err
		}
		if r.Resolve, err = parseTemplate(s, fields, r.Kind.String()); err != nil {
			return p.templateError(rn, what+": resolve", err)
		}
	}
	return nil
}

var healthRE = regexp.MustCompile(`^\s*(?:(grows)|([<>])\s*([0-9]+(?:\.[0-9]+)?)\s*(/s|%|x\s*baseline)?)(?:\s+for\s+(\S+))?\s*$`)

// ParseHealthThreshold reads the threshold of a health rule:
//
//	lag:        "> 1000", "> 1000 for 1m", "grows for 30s"
//	throughput: "< 1/s for 30s", "> 500/s", "> 3x baseline"
//	skew:       "> 50%", "> 50% for 1m"
func ParseHealthThreshold(k Kind, s string) (HealthThreshold, error) {
	want := map[Kind]string{
		KindLag:        `"> RECORDS", "> RECORDS for DURATION" or "grows for DURATION" (e.g. "> 1000 for 1m", "grows for 30s")`,
		KindThroughput: `"< RATE/s", "> RATE/s" or "> Nx baseline", optionally "for DURATION" (e.g. "< 1/s for 30s", "> 3x baseline")`,
		KindSkew:       `"> PERCENT%", optionally "for DURATION" (e.g. "> 50%")`,
	}[k]
	m := healthRE.FindStringSubmatch(s)
	if m == nil {
		return HealthThreshold{}, fmt.Errorf("%q: want %s", s, want)
	}
	var h HealthThreshold
	if m[5] != "" {
		d, err := time.ParseDuration(m[5])
		if err != nil || d <= 0 {
			return HealthThreshold{}, fmt.Errorf("%q: window %q is not a positive duration (e.g. 30s, 1m)", s, m[5])
		}
		h.For = d
	}
	if m[1] != "" {
		if k != KindLag {
			return HealthThreshold{}, fmt.Errorf("%q: only a lag grows; want %s", s, want)
		}
		h.Grows = true
		return h, nil
	}
	h.Op = m[2][0]
	h.Value, _ = strconv.ParseFloat(m[3], 64)
	unit := strings.Join(strings.Fields(m[4]), "")
	bad := func() (HealthThreshold, error) { return HealthThreshold{}, fmt.Errorf("%q: want %s", s, want) }
	switch k {
	case KindLag:
		if unit != "" || h.Op != '>' || h.Value != float64(int64(h.Value)) {
			return bad()
		}
	case KindThroughput:
		switch unit {
		case "/s":
		case "xbaseline":
			h.Baseline = true
			if h.Value <= 0 {
				return HealthThreshold{}, fmt.Errorf("%q: the multiple of the baseline must be positive", s)
			}
		default:
			return bad()
		}
	case KindSkew:
		if unit != "%" || h.Op != '>' {
			return bad()
		}
		if h.Value >= 100 {
			return HealthThreshold{}, fmt.Errorf("%q: a share must be under 100%%", s)
		}
	}
	return h, nil
}
