// Package alert loads alert rules from YAML, evaluates them on the records
// kx stats reads (jq conditions, thresholds over sliding windows, resolution)
// and delivers the alerts, including to a webhook. It is pure Go.
package alert

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/internal/yamlpos"
	"github.com/kx-cli/kx/pkg/jqfilter"
)

// Severity of an alert; higher is worse.
type Severity int

// The severities, from least to most severe.
const (
	Success Severity = iota
	Info
	Warning
	Error
)

var severityNames = []string{"success", "info", "warning", "error"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// ParseSeverity reads error, warning, info or success.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning, info or success)", s)
}

// Threshold fires a rule when, over Window, more than Count records match
// or, for a rate, more than Rate (a fraction) of the topic's records match
// (once at least MinRecords were seen in the window).
type Threshold struct {
	Count      int
	Rate       float64 // 0 for a count threshold
	IsRate     bool
	Window     time.Duration
	MinRecords int
}

func (t Threshold) String() string {
	if t.IsRate {
		return "> " + strconv.FormatFloat(t.Rate*100, 'f', -1, 64) + "% in " + t.Window.String()
	}
	return "> " + strconv.Itoa(t.Count) + " in " + t.Window.String()
}

// Rule is one alert rule.
type Rule struct {
	Name string
	// Kind is what the rule watches; the fields below say which apply.
	Kind Kind
	// Topic is the topic of a record, throughput or skew rule, and the
	// optional topic of a lag rule ("" for every topic of the group).
	Topic string
	// When is a record rule's condition.
	When     *jqfilter.Filter
	Severity Severity
	// Threshold is nil when every matching record is an alert.
	Threshold *Threshold
	Message   *Template
	// Resolve, when set, is the message of the success notification sent
	// when a fired rule falls back under its threshold.
	Resolve *Template
	// Group is a lag rule's consumer group, or a pattern (GroupRE set).
	Group   string
	GroupRE *regexp.Regexp
	// Health is the threshold of a lag, throughput or skew rule.
	Health *HealthThreshold
	// For is a connection rule's window (0: DefaultWindow); see Window.
	For time.Duration
	// MinRecords is the fewest records in a skew rule's window.
	MinRecords int
	// Line and Col locate the rule in its file.
	Line, Col int
	// defaultWindow replaces DefaultWindow in a scaled rule (Scale).
	defaultWindow time.Duration
}

// FileError is a rules-file error at file:line:col.
type FileError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *FileError) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// LoadFile reads a rules file.
func LoadFile(path string) ([]*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FileError{File: path, Line: 1, Col: 1, Msg: err.Error()}
	}
	return Parse(path, data)
}

const maxFileBytes = 1 << 20

// Parse reads rules from YAML. The document is either a rules file (keys
// name, description, rules) or a scenario carrying its rules under
// x-alerts (other keys are then the scenario's business and ignored).
func Parse(file string, data []byte) ([]*Rule, error) {
	p := &parser{file: file}
	if len(data) > maxFileBytes {
		return nil, p.errorf(nil, "rules file too large (%d bytes, limit %d)", len(data), maxFileBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, p.syntaxError(data, err)
	}
	if len(doc.Content) == 0 {
		return nil, p.errorf(nil, "empty rules file")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "expected a mapping with a rules list")
	}
	if embedded := lookup(root, "x-alerts"); embedded != nil && lookup(root, "rules") == nil {
		root = embedded
		if root.Kind != yaml.MappingNode {
			return nil, p.errorf(root, "x-alerts: expected a mapping with a rules list")
		}
	}
	if err := p.keys(root, "rules file", "name", "description", "rules"); err != nil {
		return nil, err
	}
	list := lookup(root, "rules")
	if list == nil {
		return nil, p.errorf(root, "missing key \"rules\"")
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, p.errorf(list, "rules: expected a non-empty list of rules")
	}
	var rules []*Rule
	names := map[string]bool{}
	for _, n := range list.Content {
		r, err := p.rule(n)
		if err != nil {
			return nil, err
		}
		if names[r.Name] {
			return nil, p.errorf(lookup(n, "name"), "duplicate rule name %q", r.Name)
		}
		names[r.Name] = true
		rules = append(rules, r)
	}
	return rules, nil
}

type parser struct{ file string }

func (p *parser) errorf(n *yaml.Node, format string, a ...any) *FileError {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	return &FileError{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

// syntaxError reports a YAML syntax error at the offending token.
func (p *parser) syntaxError(data []byte, err error) *FileError {
	line, col, msg := yamlpos.SyntaxError(data, err)
	return &FileError{File: p.file, Line: line, Col: col, Msg: "YAML syntax error: " + msg}
}

// lookup returns the value of key in a mapping node.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keys rejects unknown and duplicate keys of a mapping.
func (p *parser) keys(m *yaml.Node, what string, allowed ...string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if seen[k.Value] {
			return p.errorf(k, "%s: duplicate key %q", what, k.Value)
		}
		seen[k.Value] = true
		known := strings.HasPrefix(k.Value, "x-")
		for _, a := range allowed {
			known = known || k.Value == a
		}
		if !known {
			return p.errorf(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", p.errorf(n, "%s: expected a string", what)
	}
	if strings.TrimSpace(n.Value) == "" {
		return "", p.errorf(n, "%s: must not be empty", what)
	}
	return n.Value, nil
}

func (p *parser) rule(n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "rule: expected a mapping")
	}
	r := &Rule{Line: n.Line, Col: n.Column}
	if kn := lookup(n, "kind"); kn != nil {
		k, err := p.str(kn, "rule: kind")
		if err != nil {
			return nil, err
		}
		found := false
		for i, name := range kindNames {
			if k == name {
				r.Kind, found = Kind(i), true
			}
		}
		if !found {
			return nil, p.errorf(kn, "rule: unknown kind %q (want %s)", k, strings.Join(kindNames, ", "))
		}
	}
	what := "rule"
	if r.Kind != KindRecords {
		what = "rule (" + r.Kind.String() + ")"
	}
	if err := p.keys(n, what, kindKeys[r.Kind]...); err != nil {
		return nil, err
	}
	if lookup(n, "name") == nil {
		return nil, p.errorf(n, "rule: missing key %q", "name")
	}
	var err error
	if r.Name, err = p.str(lookup(n, "name"), "name"); err != nil {
		return nil, err
	}
	if r.Kind != KindRecords {
		if err := p.healthRule(n, r); err != nil {
			return nil, err
		}
		return r, nil
	}
	for _, k := range []string{"topic", "when", "severity", "message"} {
		if lookup(n, k) == nil {
			return nil, p.errorf(n, "rule: missing key %q", k)
		}
	}
	what = fmt.Sprintf("rule %q", r.Name)
	if r.Topic, err = p.str(lookup(n, "topic"), what+": topic"); err != nil {
		return nil, err
	}
	whenNode := lookup(n, "when")
	when, err := p.str(whenNode, what+": when")
	if err != nil {
		return nil, err
	}
	if r.When, err = jqfilter.Compile(when); err != nil {
		return nil, p.jqError(whenNode, what+": when", err)
	}
	sevNode := lookup(n, "severity")
	sev, err := p.str(sevNode, what+": severity")
	if err != nil {
		return nil, err
	}
	if r.Severity, err = ParseSeverity(sev); err != nil {
		return nil, p.errorf(sevNode, "%s: %v", what, err)
	}
	if tn := lookup(n, "threshold"); tn != nil {
		s, err := p.str(tn, what+": threshold")
		if err != nil {
			return nil, err
		}
		th, err := ParseThreshold(s)
		if err != nil {
			return nil, p.errorf(tn, "%s: threshold: %v", what, err)
		}
		r.Threshold = &th
	}
	if mn := lookup(n, "min_records"); mn != nil {
		v, err := strconv.Atoi(mn.Value)
		if mn.Kind != yaml.ScalarNode || err != nil || v < 1 {
			return nil, p.errorf(mn, "%s: min_records: expected a positive integer", what)
		}
		if r.Threshold == nil || !r.Threshold.IsRate {
			return nil, p.errorf(mn, "%s: min_records applies to a rate threshold (\"> 2%% in 1m\")", what)
		}
		r.Threshold.MinRecords = v
	}
	msgNode := lookup(n, "message")
	msg, err := p.str(msgNode, what+": message")
	if err != nil {
		return nil, err
	}
	if r.Message, err = ParseTemplate(msg); err != nil {
		return nil, p.templateError(msgNode, what+": message", err)
	}
	if rn := lookup(n, "resolve"); rn != nil {
		if r.Threshold == nil {
			return nil, p.errorf(rn, "%s: resolve needs a threshold (a rule without one has nothing to fall back under)", what)
		}
		s, err := p.str(rn, what+": resolve")
		if err != nil {
			return nil, err
		}
		if r.Resolve, err = ParseTemplate(s); err != nil {
			return nil, p.templateError(rn, what+": resolve", err)
		}
	}
	return r, nil
}

// jqError points at the bad token inside a one-line scalar when jqfilter
// knows its column.
func (p *parser) jqError(n *yaml.Node, what string, err error) *FileError {
	fe := p.errorf(n, "%s: %v", what, err)
	var je *jqfilter.Error
	if errors.As(err, &je) {
		fe.Msg = fmt.Sprintf("%s: bad jq expression %q: %s", what, je.Expr, je.Msg)
		if je.Line == 1 && je.Column > 0 && (n.Style == 0 || n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle) {
			fe.Col += je.Column - 1
			if n.Style != 0 {
				fe.Col++ // the opening quote
			}
		}
	}
	return fe
}

// templateError points at the message; the text names the placeholder.
func (p *parser) templateError(n *yaml.Node, what string, err error) *FileError {
	return p.errorf(n, "%s: %v", what, err)
}

var thresholdRE = regexp.MustCompile(`^\s*>\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s+in\s+(\S+)\s*$`)

// ParseThreshold reads "> 5 in 10s" (more than 5 matches in 10 seconds) or
// "> 2% in 1m" (more than 2 % of the topic's records match over a minute).
func ParseThreshold(s string) (Threshold, error) {
	m := thresholdRE.FindStringSubmatch(s)
	if m == nil {
		return Threshold{}, fmt.Errorf("%q: want \"> COUNT in DURATION\" or \"> PERCENT%% in DURATION\" (e.g. \"> 5 in 10s\", \"> 2%% in 1m\")", s)
	}
	w, err := time.ParseDuration(m[3])
	if err != nil || w <= 0 {
		return Threshold{}, fmt.Errorf("%q: window %q is not a positive duration (e.g. 10s, 1m)", s, m[3])
	}
	th := Threshold{Window: w}
	if m[2] == "%" {
		pct, _ := strconv.ParseFloat(m[1], 64)
		if pct >= 100 {
			return Threshold{}, fmt.Errorf("%q: a rate must be under 100%%", s)
		}
		th.IsRate, th.Rate, th.MinRecords = true, pct/100, 10
		return th, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return Threshold{}, fmt.Errorf("%q: count %q must be a whole number", s, m[1])
	}
	th.Count = n
	return th, nil
}
