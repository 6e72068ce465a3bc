package alert

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func mustParse(t *testing.T, y string) []*Rule {
	t.Helper()
	rules, err := Parse("r.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// lagSample: groups and their lag on topic "orders" (worst partition 1).
func lagSample(sec float64, lags map[string]int64) *Sample {
	s := &Sample{Time: at(sec), GroupsSampled: true, Topics: []TopicHighs{{Topic: "orders", Partitions: []PartitionHigh{{0, 0}, {1, 0}}}}}
	for g, l := range lags {
		s.Groups = append(s.Groups, g)
		s.Lags = append(s.Lags, GroupLag{Group: g, Topic: "orders", Lag: l, WorstPartition: 1, WorstLag: l})
	}
	sortStrings(s.Groups)
	return s
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// run feeds samples and returns "second:rule/severity[/group]" per event.
func run(e *Engine, samples ...*Sample) (got []string, evs []Event, warns []string) {
	for _, s := range samples {
		ev, w := e.Sample(s)
		warns = append(warns, w...)
		for _, x := range ev {
			k := fmt.Sprintf("%g:%s/%s", s.Time.Sub(t0).Seconds(), x.Rule, x.Severity)
			if x.Group != "" {
				k += "/" + x.Group
			}
			got = append(got, k)
			evs = append(evs, x)
		}
	}
	return got, evs, warns
}

func TestHealthRulesParse(t *testing.T) {
	rules := mustParse(t, `rules:
  - name: lag
    kind: lag
    group: shipping-service
    topic: orders
    severity: warning
    threshold: "> 1000"
    for: 1m
    message: "{{group}} behind by {{lag}} (worst {{worst_partition}})"
    resolve: "{{group}} caught up"
  - name: stuck
    kind: lag
    group: "payment-.*"
    severity: error
    threshold: grows for 30s
    message: "{{group}} stuck at {{lag}}"
  - name: stopped
    kind: throughput
    topic: orders
    severity: error
    threshold: "< 1/s for 30s"
    message: "orders stopped: {{rate}}"
  - name: spike
    kind: throughput
    topic: orders
    severity: info
    threshold: "> 3x baseline"
    message: "{{rate}} vs {{baseline}}"
  - name: skew
    kind: skew
    topic: orders
    severity: warning
    threshold: "> 50%"
    message: "partition {{partition}} takes {{share}}"
  - name: cluster
    kind: connection
    severity: error
    for: 10s
    message: "cannot reach {{brokers}}: {{cause}}"
`)
	want := []struct {
		kind      Kind
		threshold string
		window    time.Duration
	}{
		{KindLag, "> 1000 for 1m0s", time.Minute},
		{KindLag, "grows for 30s", 30 * time.Second},
		{KindThroughput, "< 1/s for 30s", 30 * time.Second},
		{KindThroughput, "> 3x baseline", DefaultWindow},
		{KindSkew, "> 50%", DefaultWindow},
		{KindConnection, "", 10 * time.Second},
	}
	for i, w := range want {
		r := rules[i]
		if r.Kind != w.kind || r.Window() != w.window || r.ReadsRecords() {
			t.Errorf("rule %s: kind %v window %v", r.Name, r.Kind, r.Window())
		}
		if r.Health != nil && r.Health.String(r.Kind) != w.threshold {
			t.Errorf("rule %s: threshold %q, want %q", r.Name, r.Health.String(r.Kind), w.threshold)
		}
	}
	if !rules[1].MatchesGroup("payment-service") || rules[1].MatchesGroup("xpayment-service") || !rules[0].MatchesGroup("shipping-service") || rules[0].MatchesGroup("shipping") {
		t.Error("group matching")
	}
	if rules[4].MinRecords != DefaultSkewMinRecords {
		t.Errorf("skew min_records %d", rules[4].MinRecords)
	}
	e := NewEngine(rules)
	if len(e.Topics()) != 0 || !e.HasHealthRules() || !e.NeedsGroups() {
		t.Errorf("Topics %v, health %v, groups %v", e.Topics(), e.HasHealthRules(), e.NeedsGroups())
	}
}

func TestHealthParseErrors(t *testing.T) {
	rule := func(body string) string { return "rules:\n  - name: a\n" + body }
	cases := []struct{ yaml, want string }{
		{rule("    kind: latency\n"), `r.yaml:3:11: rule: unknown kind "latency" (want records, lag, throughput, skew, connection)`},
		{rule("    kind: lag\n    severity: error\n    threshold: \"> 5\"\n    message: m\n"), `r.yaml:2:5: rule "a": a lag rule needs key "group"`},
		{rule("    kind: lag\n    group: g\n    when: .x\n"), `r.yaml:5:5: rule (lag): unknown key "when"`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: \"> 5/s\"\n    message: m\n"), `r.yaml:6:16: rule "a": threshold: "> 5/s": want "> RECORDS"`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: \"< 5\"\n    message: m\n"), `want "> RECORDS"`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: grows\n    message: m\n"), `r.yaml:6:16: rule "a": threshold: "grows": a growth needs its window`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: \"> 5 for 1m\"\n    for: 1m\n    message: m\n"), `r.yaml:7:10: rule "a": for: the threshold "> 5 for 1m" already gives the window`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: \"> 5\"\n    for: soon\n    message: m\n"), `r.yaml:7:10: rule "a": for: "soon" is not a positive duration`},
		{rule("    kind: lag\n    group: \"pay(\"\n    severity: error\n    threshold: \"> 5\"\n    message: m\n"), `r.yaml:4:12: rule "a": group: bad regular expression "pay("`},
		{rule("    kind: lag\n    group: g\n    severity: error\n    threshold: \"> 5\"\n    message: \"{{.orderId}} late\"\n"), `r.yaml:7:14: rule "a": message: unknown placeholder {{.orderId}}: a lag rule has no record; it has {{group}} {{lag}} {{rule}} {{severity}} {{threshold}} {{topic}} {{window}} {{worst_partition}}`},
		{rule("    kind: throughput\n    topic: t\n    severity: error\n    threshold: \"< 1 for 30s\"\n    message: m\n"), `want "< RATE/s"`},
		{rule("    kind: throughput\n    topic: t\n    severity: error\n    threshold: \"grows for 30s\"\n    message: m\n"), `only a lag grows`},
		{rule("    kind: throughput\n    topic: t\n    severity: error\n    threshold: \"> 0x baseline\"\n    message: m\n"), `multiple of the baseline must be positive`},
		{rule("    kind: throughput\n    severity: error\n    threshold: \"< 1/s\"\n    message: m\n"), `a throughput rule needs key "topic"`},
		{rule("    kind: skew\n    topic: t\n    severity: error\n    threshold: \"> 100%\"\n    message: m\n"), `a share must be under 100%`},
		{rule("    kind: skew\n    topic: t\n    severity: error\n    threshold: \"> 50%\"\n    min_records: 0\n    message: m\n"), `r.yaml:7:18: rule "a": min_records: expected a positive integer`},
		{rule("    kind: connection\n    severity: error\n    threshold: \"> 5\"\n    message: m\n"), `r.yaml:5:5: rule (connection): unknown key "threshold"`},
		{rule("    kind: connection\n    topic: t\n"), `r.yaml:4:5: rule (connection): unknown key "topic"`},
		{rule("    kind: connection\n    severity: error\n    message: \"{{lag}}\"\n"), `unknown placeholder {{lag}}: a connection rule has no record; it has {{brokers}} {{cause}} {{down_for}}`},
	}
	for _, c := range cases {
		_, err := Parse("r.yaml", []byte(c.yaml))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestLagThresholdHoldsForWindowAndDoesNotFlap(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: behind
    kind: lag
    group: shipping-service
    topic: orders
    severity: warning
    threshold: "> 100"
    for: 3s
    message: "{{group}} is {{lag}} behind on {{topic}} (worst {{worst_partition}}, over {{threshold}})"
    resolve: "{{group}} caught up: lag {{lag}}"
`))
	var samples []*Sample
	// Over at 2s; the rule fires once it stayed over a whole window (5s).
	// It then hovers around the threshold (no new alert, no resolution),
	// falls back after 8s and resolves a whole window after (11s).
	lags := []int64{0, 50, 150, 200, 300, 400, 500, 90, 120, 80, 50, 20, 10, 0, 0}
	for i, l := range lags {
		samples = append(samples, lagSample(float64(i), map[string]int64{"shipping-service": l, "other": 9999}))
	}
	got, evs, warns := run(e, samples...)
	if strings.Join(got, " ") != "5:behind/warning/shipping-service 11:behind/success/shipping-service" || len(warns) != 0 {
		t.Fatalf("events %v, warnings %v", got, warns)
	}
	fire, res := evs[0], evs[1]
	if fire.Message != "shipping-service is 400 behind on orders (worst orders/1, over > 100 for 3s)" || *fire.Value != 400 ||
		fire.Partition != 1 || fire.Topic != "orders" || fire.RuleKind != "lag" || fire.Threshold != "> 100 for 3s" || fire.Window != "3s" {
		t.Errorf("fire = %+v", fire)
	}
	if res.Message != "shipping-service caught up: lag 20" || !res.Resolved || res.SeverityLevel() != Success {
		t.Errorf("resolve = %+v", res)
	}

	// A dip under the threshold restarts the hold: no alert.
	e = NewEngine(mustParse(t, "rules:\n  - {name: b, kind: lag, group: g, severity: error, threshold: \"> 100 for 3s\", message: m}\n"))
	samples = samples[:0]
	for i, l := range []int64{200, 200, 200, 50, 200, 200, 200, 10} {
		samples = append(samples, lagSample(float64(i), map[string]int64{"g": l}))
	}
	if got, _, _ := run(e, samples...); strings.Join(got, " ") != "" {
		t.Errorf("a dip should restart the window: %v", got)
	}
}

func TestLagRuleWaitsForItsGroupAndFollowsAPattern(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: one
    kind: lag
    group: shipping-service
    severity: warning
    threshold: "> 10"
    message: "{{group}} {{lag}}"
  - name: all
    kind: lag
    group: "pay.*"
    severity: error
    threshold: "> 10"
    message: "{{group}} {{lag}}"
`))
	got, evs, warns := run(e,
		lagSample(0, map[string]int64{}),
		lagSample(1, map[string]int64{}),
		lagSample(2, map[string]int64{"shipping-service": 50, "pay-a": 5, "pay-b": 20, "orders": 100}),
		lagSample(3, map[string]int64{"shipping-service": 50, "pay-a": 30, "pay-b": 20}),
	)
	wantWarn := `lag rule "one": consumer group "shipping-service" does not exist yet; the rule starts when it appears|` +
		`lag rule "all": no consumer group matches "pay.*" yet; the rule starts when one appears`
	if strings.Join(warns, "|") != wantWarn {
		t.Errorf("warnings %q", warns)
	}
	if strings.Join(got, " ") != "2:one/warning/shipping-service 2:all/error/pay-b 3:all/error/pay-a" {
		t.Errorf("events %v", got)
	}
	// Once the groups exist nothing waits any more.
	if w := e.Waiting(); len(w) != 0 {
		t.Errorf("still waiting: %q", w)
	}
	if evs[0].Message != "shipping-service 50" || evs[0].Topic != "orders" {
		t.Errorf("event %+v", evs[0])
	}
	// Without a group sample (--no-groups), lag rules wait silently.
	if ev, w := e.Sample(&Sample{Time: at(4)}); len(ev)+len(w) != 0 {
		t.Errorf("no groups: %v %v", ev, w)
	}
}

func TestLagGrowth(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: stuck
    kind: lag
    group: g
    severity: error
    threshold: grows for 4s
    message: "{{group}} stuck, lag {{lag}}"
    resolve: "{{group}} moving again"
`))
	// Rising with a flat step (a stuck consumer while the producer pauses)
	// fires once a whole window rose; a fall stops it; it resolves a
	// window after the last growing window.
	lags := []int64{10, 20, 20, 30, 40, 50, 60, 30, 20, 10, 0, 0, 0}
	var samples []*Sample
	for i, l := range lags {
		samples = append(samples, lagSample(float64(i), map[string]int64{"g": l}))
	}
	got, evs, _ := run(e, samples...)
	if strings.Join(got, " ") != "4:stuck/error/g 10:stuck/success/g" {
		t.Fatalf("events %v", got)
	}
	if evs[0].Message != "g stuck, lag 40" || evs[1].Message != "g moving again" {
		t.Errorf("messages %q %q", evs[0].Message, evs[1].Message)
	}
	// A lag that rises and falls (a consumer keeping up in bursts) never
	// grows for a whole window.
	e = NewEngine(mustParse(t, "rules:\n  - {name: s, kind: lag, group: g, severity: error, threshold: grows for 4s, message: m}\n"))
	samples = samples[:0]
	for i := 0; i < 20; i++ {
		samples = append(samples, lagSample(float64(i), map[string]int64{"g": int64(100 + 50*(i%3))}))
	}
	if got, _, _ := run(e, samples...); len(got) != 0 {
		t.Errorf("sawtooth fired: %v", got)
	}
}

// topicSample: the topic "orders" with these high watermarks.
func topicSample(sec float64, highs ...int64) *Sample {
	s := &Sample{Time: at(sec), GroupsSampled: true}
	th := TopicHighs{Topic: "orders"}
	for p, h := range highs {
		th.Partitions = append(th.Partitions, PartitionHigh{int32(p), h})
	}
	s.Topics = []TopicHighs{th}
	return s
}

func TestThroughputStopsAndSpikes(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: stopped
    kind: throughput
    topic: orders
    severity: error
    threshold: "< 1/s for 3s"
    message: "orders: {{rate}} over {{window}}"
    resolve: "orders flowing again: {{rate}}"
  - name: spike
    kind: throughput
    topic: orders
    severity: info
    threshold: "> 500/s for 2s"
    message: "spike {{rate}}"
`))
	// 10/s for 5 s, nothing from 5 s to 12 s, then 1000/s.
	var samples []*Sample
	var high int64
	for i := 0; i <= 20; i++ {
		switch {
		case i > 0 && i <= 5:
			high += 10
		case i > 12:
			high += 1000
		}
		samples = append(samples, topicSample(float64(i), high))
	}
	got, evs, warns := run(e, samples...)
	// stopped: the 3 s window from 5 s to 8 s is empty (fires at 8 s); the
	// rate is back over 1/s at 13 s and the rule resolves 3 s after the
	// last window under it (12 s). The
	// spike's 2 s window averages over 500/s from 14 s.
	if strings.Join(got, " ") != "8:stopped/error 14:spike/info 15:stopped/success" || len(warns) != 0 {
		t.Fatalf("events %v warnings %v", got, warns)
	}
	if evs[0].Message != "orders: 0/s over 3s" || *evs[0].Value != 0 || evs[2].Message != "orders flowing again: 1000/s" || evs[1].Message != "spike 1000/s" {
		t.Errorf("messages %+v", evs)
	}
	// No judgement before a whole window was seen: a quiet topic at the
	// start does not fire at once.
	e = NewEngine(mustParse(t, "rules:\n  - {name: s, kind: throughput, topic: orders, severity: error, threshold: \"< 1/s for 3s\", message: m}\n"))
	if got, _, _ := run(e, topicSample(0, 5), topicSample(1, 5), topicSample(2, 5)); len(got) != 0 {
		t.Errorf("fired before a whole window: %v", got)
	}
	if got, _, _ := run(e, topicSample(3, 5)); len(got) != 1 {
		t.Errorf("no fire after a whole window: %v", got)
	}
}

func TestThroughputBaseline(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: spike
    kind: throughput
    topic: orders
    severity: warning
    threshold: "> 3x baseline for 2s"
    message: "{{rate}}, baseline {{baseline}}"
    resolve: "back to {{rate}}"
`))
	// 10/s for 30 s, then 50/s (5x) for 30 s: fires when the 2 s window is
	// over 3x the 20 s before it; the baseline catches up with the new
	// rate and the rule resolves while 50/s goes on; then a quiet topic
	// (baseline 0 once it is all quiet) fires nothing.
	var samples []*Sample
	var high int64
	for i := 0; i <= 120; i++ {
		switch {
		case i > 0 && i <= 30:
			high += 10
		case i > 30 && i <= 60:
			high += 50
		}
		samples = append(samples, topicSample(float64(i), high))
	}
	got, evs, _ := run(e, samples...)
	if len(got) != 2 || got[0] != "32:spike/warning" || !strings.HasSuffix(got[1], ":spike/success") {
		t.Fatalf("events %v", got)
	}
	if evs[0].Message != "50/s, baseline 10/s" || *evs[0].Baseline != 10 || *evs[0].Value != 50 {
		t.Errorf("fire %+v", evs[0])
	}
}

func TestSkew(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: skew
    kind: skew
    topic: orders
    severity: warning
    threshold: "> 50% for 2s"
    message: "partition {{partition}} took {{share}} of {{records}} records"
    resolve: "balanced: {{share}}"
`))
	// Even over 3 partitions, then partition 2 takes 80 %, then even.
	var samples []*Sample
	h := []int64{0, 0, 0}
	for i := 0; i <= 14; i++ {
		switch {
		case i > 0 && i <= 4:
			h[0], h[1], h[2] = h[0]+10, h[1]+10, h[2]+10
		case i > 4 && i <= 8:
			h[0], h[1], h[2] = h[0]+5, h[1]+5, h[2]+40
		case i > 8:
			h[0], h[1], h[2] = h[0]+10, h[1]+10, h[2]+10
		}
		samples = append(samples, topicSample(float64(i), h...))
	}
	got, evs, _ := run(e, samples...)
	if strings.Join(got, " ") != "5:skew/warning 11:skew/success" {
		t.Fatalf("events %v", got)
	}
	if evs[0].Message != "partition 2 took 62.5% of 80 records" || evs[0].Partition != 2 || evs[0].Count != 80 {
		t.Errorf("fire %+v", evs[0])
	}
	// Too few records in the window to judge: nothing.
	e = NewEngine(mustParse(t, "rules:\n  - {name: s, kind: skew, topic: orders, severity: warning, threshold: \"> 50% for 2s\", message: m}\n"))
	if got, _, _ := run(e, topicSample(0, 0, 0), topicSample(1, 3, 0), topicSample(2, 6, 0), topicSample(3, 9, 0)); len(got) != 0 {
		t.Errorf("fired on %v", got)
	}
	// A topic that does not exist yet: a warning, once.
	e = NewEngine(mustParse(t, "rules:\n  - {name: s, kind: skew, topic: orders, severity: warning, threshold: \"> 50% for 2s\", message: m}\n"))
	_, _, warns := run(e, &Sample{Time: at(0)}, &Sample{Time: at(1)})
	if len(warns) != 1 || warns[0] != `skew rule "s": topic "orders" does not exist yet; the rule starts when it appears` {
		t.Errorf("warnings %q", warns)
	}
}

func TestConnection(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - name: cluster
    kind: connection
    severity: error
    for: 5s
    message: "cannot reach {{brokers}} for {{down_for}}: {{cause}}"
    resolve: "{{brokers}} back after {{down_for}}"
  - name: lag
    kind: lag
    group: g
    severity: warning
    threshold: "> 10"
    message: m
`))
	down := errors.New("cannot reach Kafka at 127.0.0.1:9092 within 2s: Connection refused")
	brokers := []string{"127.0.0.1:9092"}
	s := func(sec float64, err error) *Sample {
		x := lagSample(sec, map[string]int64{"g": 0})
		if err != nil {
			x = &Sample{Time: at(sec), Err: err}
		}
		x.Brokers = brokers
		return x
	}
	// Up at 0 and 1; unreachable from then on (each failed sample takes
	// the client's timeout); fires once down for the window (since the
	// last sample that reached it); back at 12: resolves at once.
	got, evs, warns := run(e, s(0, nil), s(1, nil), s(3, down), s(5, down), s(7, down), s(9, down), s(12, nil), s(13, nil))
	if strings.Join(got, " ") != "7:cluster/error 12:cluster/success" || len(warns) != 0 {
		t.Fatalf("events %v warnings %v", got, warns)
	}
	f, r := evs[0], evs[1]
	if f.Message != "cannot reach 127.0.0.1:9092 for 6s: "+down.Error() || f.Cause != down.Error() || f.Brokers[0] != "127.0.0.1:9092" || *f.Value != 6 || f.Threshold != "unreachable for 5s" {
		t.Errorf("fire %+v", f)
	}
	if r.Message != "127.0.0.1:9092 back after 11s" || r.Cause != "" || r.SeverityLevel() != Success {
		t.Errorf("resolve %+v", r)
	}
	// A short outage fires nothing.
	e = NewEngine(mustParse(t, "rules:\n  - {name: c, kind: connection, severity: error, for: 5s, message: m}\n"))
	if got, _, _ := run(e, s(0, nil), s(3, down), s(4, nil)); len(got) != 0 {
		t.Errorf("short outage: %v", got)
	}
	// Without a resolve message, a default one.
	if got, evs, _ := run(e, s(10, down), s(16, down), s(17, nil)); len(got) != 2 || evs[1].Message != "cluster at 127.0.0.1:9092 reachable again after 13s" {
		t.Errorf("default resolve: %v %+v", got, evs)
	}
}

func TestScaleToDemoSpeed(t *testing.T) {
	rules := mustParse(t, `rules:
  - {name: errors, topic: orders, when: .bad, severity: error, threshold: "> 5 in 10s", message: m}
  - {name: stopped, kind: throughput, topic: orders, severity: error, threshold: "< 0.05/s for 1m", message: m}
  - {name: spike, kind: throughput, topic: orders, severity: info, threshold: "> 3x baseline for 5s", message: m}
  - {name: lag, kind: lag, group: g, severity: warning, threshold: "> 200", for: 2s, message: m}
  - {name: skew, kind: skew, topic: orders, severity: warning, threshold: "> 50%", message: m}
  - {name: conn, kind: connection, severity: error, for: 10s, message: m}
  - {name: tiny, kind: lag, group: g, severity: warning, threshold: "> 1 for 500ms", message: m}
`)
	Scale(rules, 10)
	want := map[string]string{
		"errors":  "> 5 in 1s",
		"stopped": "< 0.5/s for 6s",
		"spike":   "> 3x baseline for 500ms",
		"lag":     "> 200 for 200ms",
		"skew":    "> 50% 3s",
		"conn":    "10s",
		"tiny":    "> 1 for 100ms",
	}
	for _, r := range rules {
		var got string
		switch {
		case r.Threshold != nil:
			got = r.Threshold.String()
		case r.Kind == KindSkew:
			got = r.Health.String(r.Kind) + " " + r.Window().String()
		case r.Health != nil:
			got = r.Health.String(r.Kind)
		default:
			got = r.Window().String()
		}
		if got != want[r.Name] {
			t.Errorf("%s scaled: %q, want %q", r.Name, got, want[r.Name])
		}
	}

	// At --speed 10, orders at 1/s of wall time are 0.1/s of scenario
	// time: over 0.05/s, no alert. After the last one (10 s), the 6 s
	// window (the scenario's minute) ending at 14 s holds two orders:
	// 0.33/s of wall time, under 0.5/s.
	e := NewEngine(rules[1:2])
	var samples []*Sample
	var high int64
	for i := 0; i <= 20; i++ {
		if i <= 10 {
			high++
		}
		samples = append(samples, topicSample(float64(i), high))
	}
	if got, _, _ := run(e, samples...); strings.Join(got, " ") != "14:stopped/error" {
		t.Errorf("events %v, want the rule to fire at 14 s", got)
	}
	// Speed 1 (or none) leaves rules as written.
	rules = mustParse(t, "rules:\n  - {name: s, kind: throughput, topic: orders, severity: error, threshold: \"< 1/s\", message: m}\n")
	Scale(rules, 1)
	if rules[0].Window() != DefaultWindow || rules[0].Health.Value != 1 {
		t.Errorf("speed 1 changed the rule: %v %v", rules[0].Window(), rules[0].Health.Value)
	}
}

// Waiting holds what the rules wait for at the last sample only: a wait
// that is over is not named any more, one that is not is.
func TestWaitingIsWhatIsStillTrue(t *testing.T) {
	e := NewEngine(mustParse(t, `rules:
  - {name: lag, kind: lag, group: shipping-service, severity: warning, threshold: "> 10", message: m}
  - {name: quiet, kind: throughput, topic: nosuch, severity: error, threshold: "< 1/s for 30s", message: m}
`))
	run(e, lagSample(0, map[string]int64{}))
	want := `lag rule "lag": consumer group "shipping-service" does not exist yet; the rule starts when it appears|` +
		`throughput rule "quiet": topic "nosuch" does not exist yet; the rule starts when it appears`
	if got := strings.Join(e.Waiting(), "|"); got != want {
		t.Errorf("waiting %q, want %q", got, want)
	}
	_, _, warns := run(e, lagSample(1, map[string]int64{"shipping-service": 0}))
	if len(warns) != 0 {
		t.Errorf("warned again: %q", warns)
	}
	if got := strings.Join(e.Waiting(), "|"); got != `throughput rule "quiet": topic "nosuch" does not exist yet; the rule starts when it appears` {
		t.Errorf("waiting %q after the group appeared", got)
	}
	// An unreachable cluster says nothing new: the last answer stands.
	e.Sample(&Sample{Time: at(2), Err: errors.New("down")})
	if len(e.Waiting()) != 1 {
		t.Errorf("waiting %q while down", e.Waiting())
	}
}
