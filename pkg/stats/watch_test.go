package stats

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/record"
)

// hooked is a fake cluster whose Metadata calls (one per sample of a
// watch, from the watch's own goroutine) run a hook first: the tests change
// the cluster or stop the watch at a given sample, not at a given time.
type hooked struct {
	*kafkafake.Cluster
	n    int
	hook func(n int) error
}

func (h *hooked) Metadata(ctx context.Context) (*cluster.Metadata, error) {
	h.n++
	if h.hook != nil {
		if err := h.hook(h.n); err != nil {
			return nil, err
		}
	}
	return h.Cluster.Metadata(ctx)
}

func (h *hooked) Brokers() []string { return []string{"fake:9092"} }

func addJSON(c *kafkafake.Cluster, topic string, part int32, values ...string) {
	for _, v := range values {
		c.MustAdd(record.Record{Topic: topic, Partition: part, Value: []byte(v)})
	}
}

func rules(t *testing.T, yaml string) []*alert.Rule {
	t.Helper()
	rs, err := alert.Parse("rules.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// watch runs a Watcher of q on c until it ends and returns its stdout
// lines (NDJSON), its stderr and its error.
func watch(t *testing.T, ctx context.Context, c Cluster, fake *kafkafake.Cluster, q *Query) ([]map[string]any, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	w := NewWatcher(q, c, consume.Readers(fake.NewReader), &out, &errOut, nil)
	err := w.Run(ctx)
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if jerr := json.Unmarshal(sc.Bytes(), &m); jerr != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), jerr)
		}
		lines = append(lines, m)
	}
	return lines, errOut.String(), err
}

func kinds(lines []map[string]any) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[fmt.Sprint(l["kind"])]++
	}
	return n
}

func failOn(s alert.Severity) *alert.Severity { return &s }

// With nothing produced, --idle ends the watch: stats lines, then one
// summary, all on the topics the patterns select.
func TestWatchIdleEndsWithSummary(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 2)
	c.CreateTopic("other", 1)
	addJSON(c, "orders", 0, `{}`, `{}`, `{}`)
	addJSON(c, "orders", 1, `{}`)
	lines, _, err := watch(t, context.Background(), c, c, &Query{Patterns: []string{"orders"}, Interval: 2 * time.Millisecond, Idle: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 2 || kinds(lines)[KindStats] != len(lines)-1 {
		t.Fatalf("want stats lines then one summary, got kinds %v", kinds(lines))
	}
	last := lines[len(lines)-1]
	if last["kind"] != KindSummary {
		t.Errorf("last line kind %v, want summary", last["kind"])
	}
	first := lines[0]["topics"].([]any)
	if len(first) != 1 || first[0].(map[string]any)["topic"] != "orders" || first[0].(map[string]any)["messages"] != 4.0 {
		t.Errorf("stats topics %v, want orders with 4 messages", first)
	}
	if lines[0]["brokers"] != 1.0 {
		t.Errorf("brokers %v, want 1", lines[0]["brokers"])
	}
	if _, ok := last["alerts"]; ok {
		t.Error("a summary without rules counts alerts")
	}
}

// A record rule reads its topic from --from, fires on the records and,
// being of the --fail-on severity, ends the watch with an AlertError after
// printing the alert and the summary.
func TestWatchRecordRuleFailsOn(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("payments", 1)
	addJSON(c, "payments", 0, `{"status":"OK"}`, `{"status":"ERROR","id":"a"}`, `{"status":"ERROR","id":"b"}`)
	q := &Query{
		Patterns: []string{"payments"}, Interval: 2 * time.Millisecond, From: "beginning",
		FailOn: failOn(alert.Error),
		Rules: rules(t, `rules:
  - name: payment-errors
    topic: payments
    when: .status == "ERROR"
    severity: error
    threshold: "> 1 in 1m"
    message: "{{count}} errors, last {{.id}}"
`),
	}
	lines, _, err := watch(t, context.Background(), c, c, q)
	var ae *AlertError
	if !errors.As(err, &ae) || !strings.Contains(ae.Msg, `alert "payment-errors" (error) fired: 2 errors, last b`) {
		t.Fatalf("err %v, want the payment-errors AlertError", err)
	}
	k := kinds(lines)
	if k["alert"] != 1 || lines[len(lines)-1]["kind"] != KindSummary {
		t.Fatalf("kinds %v, want one alert and a summary last", k)
	}
	sum := lines[len(lines)-1]
	if a := sum["alerts"].(map[string]any); a["error"] != 1.0 || a["warning"] != 0.0 {
		t.Errorf("summary alerts %v, want 1 error", a)
	}
	if c.Calls(kafkafake.OpNewReader) != 1 {
		t.Errorf("%d readers opened, want 1 (payments)", c.Calls(kafkafake.OpNewReader))
	}
}

// Below --fail-on, an alert is printed and the watch goes on; a topic a
// rule names that does not exist yet is warned about once and read from
// its beginning when it appears.
func TestWatchTopicAppearsLater(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	h := &hooked{Cluster: c}
	h.hook = func(n int) error {
		switch n {
		case 3:
			c.CreateTopic("late", 1)
			addJSON(c, "late", 0, `{"v":1}`, `{"v":2}`)
		case 4:
			addJSON(c, "late", 0, `{"v":3}`)
		}
		return nil
	}
	q := &Query{
		Interval: time.Millisecond, FailOn: failOn(alert.Error),
		Rules: rules(t, `rules:
  - {name: one, topic: late, when: .v == 1, severity: info, message: "v is 1"}
  - {name: three, topic: late, when: .v == 3, severity: error, message: "v is 3"}
`),
	}
	lines, errOut, err := watch(t, context.Background(), h, c, q)
	if !errors.As(err, new(*AlertError)) || !strings.Contains(err.Error(), "v is 3") {
		t.Fatalf("err %v, want the alert on v 3", err)
	}
	if n := strings.Count(errOut, `kx: stats: topic "late" does not exist yet`); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, errOut)
	}
	// From its beginning: the record with v 1 came before the reader.
	var got []string
	for _, l := range lines {
		if l["kind"] == "alert" {
			got = append(got, fmt.Sprint(l["rule"]))
		}
	}
	if strings.Join(got, ",") != "one,three" {
		t.Errorf("alerts %v, want one (info, the watch goes on) then three", got)
	}
	if sum := lines[len(lines)-1]; fmt.Sprint(sum["alerts"]) != "map[error:1 info:1 success:0 warning:0]" {
		t.Errorf("summary alerts %v", sum["alerts"])
	}
}

// A connection rule keeps the watch going through an outage: stderr says
// so once, the rule fires, and resolves when the cluster answers again.
func TestWatchOutageWithConnectionRule(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	down := fmt.Errorf("cannot reach fake:9092: %w", cluster.ErrUnreachable)
	h := &hooked{Cluster: c, hook: func(n int) error {
		switch {
		case n >= 2 && n <= 4:
			return down
		case n == 7:
			cancel()
		}
		return nil
	}}
	q := &Query{Patterns: []string{"orders"}, Interval: time.Millisecond, Rules: rules(t, `rules:
  - name: conn
    kind: connection
    severity: error
    for: 1ns
    message: "down: {{cause}}"
    resolve: "back"
`)}
	lines, errOut, err := watch(t, ctx, h, c, q)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(errOut, "still watching") != 1 || strings.Count(errOut, "the cluster at fake:9092 is reachable again") != 1 {
		t.Errorf("stderr:\n%s\nwant one outage and one recovery", errOut)
	}
	var got []string
	for _, l := range lines {
		if l["kind"] == "alert" {
			got = append(got, fmt.Sprint(l["severity"], " ", l["message"]))
		}
	}
	want := []string{"error down: cannot reach fake:9092: cannot reach Kafka", "success back"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("alerts %q, want %q", got, want)
	}
}

// Without a connection rule an unreachable cluster ends the watch with
// the adapter's error.
func TestWatchOutageWithoutRuleFails(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	c.Fail(kafkafake.OpWatermarks, cluster.ErrUnreachable)
	_, _, err := watch(t, context.Background(), c, c, &Query{Interval: time.Millisecond})
	if !errors.Is(err, cluster.ErrUnreachable) {
		t.Errorf("err %v, want ErrUnreachable", err)
	}
}

// After Ctrl-C the watch samples once more, so the summary counts the
// records produced since its last interval.
func TestWatchLastLookCountsEverything(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &hooked{Cluster: c, hook: func(n int) error {
		if n == 2 {
			addJSON(c, "orders", 0, `{}`, `{}`, `{}`, `{}`, `{}`)
			cancel()
		}
		return nil
	}}
	lines, _, err := watch(t, ctx, h, c, &Query{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum := lines[len(lines)-1]
	topics := sum["topics"].([]any)
	if sum["kind"] != KindSummary || len(topics) != 1 || topics[0].(map[string]any)["produced"] != 5.0 {
		t.Errorf("summary %v, want 5 produced on orders", sum)
	}
}

// --by on a topic that does not exist is an unknown topic, not a wait.
func TestWatchByUnknownTopic(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	q := &Query{Interval: time.Millisecond, By: jqfilter.MustCompile(".status"), ByTopic: "nope"}
	_, _, err := watch(t, context.Background(), c, c, q)
	if !errors.Is(err, cluster.ErrUnknownTopic) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err %v, want unknown topic nope", err)
	}
}

// A failing reader ends the watch with its error.
func TestWatchReadError(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	c.Fail(kafkafake.OpPoll, errors.New("broker on fire"))
	q := &Query{Interval: time.Millisecond, Latency: true}
	_, _, err := watch(t, context.Background(), c, c, q)
	if err == nil || !strings.Contains(err.Error(), "stats: read: ") || !strings.Contains(err.Error(), "broker on fire") {
		t.Errorf("err %v, want the read error", err)
	}
}

// On a terminal the watch draws on the alternate screen, leaves it, and
// prints the summary as a table with the --by counts and the alerts.
func TestWatchDashboard(t *testing.T) {
	t.Setenv("TZ", "UTC")
	c := kafkafake.New()
	c.CreateTopic("payments", 1)
	addJSON(c, "payments", 0, `{"status":"OK"}`, `{"status":"OK"}`, `{"status":"ERROR"}`)
	q := &Query{
		Interval: time.Millisecond, From: "beginning", FailOn: failOn(alert.Warning),
		By: jqfilter.MustCompile(".status"), ByTopic: "payments",
		Rules: rules(t, `rules:
  - name: err
    topic: payments
    when: .status == "ERROR"
    severity: warning
    message: "an error"
`),
	}
	var out, errOut bytes.Buffer
	d := &Dashboard{Width: 80, Height: 24, Title: "kx stats", Brokers: "fake:9092"}
	// The warning ends the watch once all three records were counted.
	if err := NewWatcher(q, c, consume.Readers(c.NewReader), &out, &errOut, d).Run(context.Background()); !errors.As(err, new(*AlertError)) {
		t.Fatalf("err %v, want the alert", err)
	}
	s := out.String()
	enter, leave := strings.Index(s, EnterScreen), strings.Index(s, LeaveScreen)
	if enter != 0 || leave < 0 {
		t.Fatalf("screen not entered first and left: %q", s)
	}
	screen, summary := s[:leave], s[leave+len(LeaveScreen):]
	if !strings.Contains(screen, "err: an error") {
		t.Errorf("the alert is not on the dashboard:\n%s", screen)
	}
	for _, want := range []string{"kx stats: ", "3 messages in 1 topic", "PAYMENTS", "counts of .status on payments (3 records)", "OK", "66.67%", "alerts: 0 error, 1 warning, 0 info, 0 success"} {
		if !strings.Contains(strings.ToUpper(summary), strings.ToUpper(want)) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
}

// Collect samples offsets and, with Groups, every group's lag; WindowRates
// derives a rate from the offsets at a past time.
func TestCollectGroupsAndWindowRates(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 2)
	c.CreateTopic("else", 1)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 10 {
		c.MustAdd(record.Record{Topic: "orders", Partition: int32(i % 2), Timestamp: t0.Add(time.Duration(i) * time.Second)})
	}
	c.Commit("billing", cluster.TP{Topic: "orders", Partition: 0}, 2)
	c.Commit("billing", cluster.TP{Topic: "orders", Partition: 1}, 5)
	c.Commit("audit", cluster.TP{Topic: "else", Partition: 0}, 0)
	ctx := context.Background()
	s, err := Collect(ctx, c, &Query{Patterns: []string{"orders"}, Groups: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); len(got) != 1 || got[0] != "orders" {
		t.Errorf("names %v", got)
	}
	if lt := s.Offsets[0].LastTimestamp; !lt.Equal(t0.Add(9 * time.Second)) {
		t.Errorf("last timestamp %v", lt)
	}
	if len(s.groups) != 1 || s.groups[0] != (GroupLag{Group: "billing", Topic: "orders", Lag: 3, WorstPartition: 0, WorstLag: 3, Partitions: 2}) {
		t.Errorf("groups %+v, want billing 3 behind on orders", s.groups)
	}
	if len(s.groupIDs) != 2 {
		t.Errorf("group ids %v, want audit and billing", s.groupIDs)
	}
	snap := &Snapshot{Topics: []TopicStats{{Topic: "orders", MessagesPerSec: 1.234}, {Topic: "x", MessagesPerSec: 2}}}
	Finish(snap, s)
	if snap.Totals.Groups != 2 || snap.Totals.Lag != 3 || snap.Totals.MessagesPerSec != 3.23 || snap.Brokers != 1 {
		t.Errorf("totals %+v, brokers %d", snap.Totals, snap.Brokers)
	}
	// The last 4 s hold the records at 6, 7, 8 and 9 s.
	rates, err := WindowRates(ctx, c, s, 4*time.Second, t0.Add(10*time.Second))
	if err != nil || rates["orders"] != 1 {
		t.Errorf("rates %v, %v; want orders 1/s", rates, err)
	}
	c.Fail(kafkafake.OpGroupOffsets, cluster.ErrAuth)
	if _, err := Collect(ctx, c, &Query{Groups: true}); !errors.Is(err, cluster.ErrAuth) {
		t.Errorf("a failed group request: %v", err)
	}
}

func TestRecordTopics(t *testing.T) {
	q := &Query{By: jqfilter.MustCompile("."), ByTopic: "b", Latency: true, Rules: rules(t, `rules:
  - {name: r, topic: a, when: ".", severity: info, message: m}
  - {name: c, kind: connection, severity: error, message: m}
`)}
	if got := strings.Join(RecordTopics(q, []string{"c", "a"}), ","); got != "a,b,c" {
		t.Errorf("RecordTopics = %s, want a,b,c", got)
	}
	if got := RecordTopics(&Query{}, []string{"a"}); len(got) != 0 {
		t.Errorf("nothing to read: %v", got)
	}
}

func TestJoinBrokers(t *testing.T) {
	if JoinBrokers([]string{"a:1"}) != "a:1" || JoinBrokers([]string{"a:1", "b:2"}) != "2 bootstrap brokers" {
		t.Error("JoinBrokers")
	}
}

// Under a dashboard, "does not exist yet" warnings wait for the end and
// are printed only when still true: a rule's topic that appeared while
// the dashboard ran is not named; one that never did is, once, after the
// dashboard and before the summary.
func TestWatchDashboardWarnsOnlyWhatIsStillTrue(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 1)
	h := &hooked{Cluster: c}
	h.hook = func(n int) error {
		if n == 3 {
			c.CreateTopic("late", 1)
			addJSON(c, "late", 0, `{"v":1}`)
		}
		return nil
	}
	q := &Query{
		Interval: time.Millisecond, FailOn: failOn(alert.Error),
		Rules: rules(t, `rules:
  - {name: one, topic: late, when: .v == 1, severity: error, message: "v is 1"}
  - {name: never, topic: never, when: .v == 1, severity: info, message: "never"}
  - {name: lag, kind: lag, group: nobody, severity: warning, threshold: "> 10", message: m}
`),
	}
	var out, errOut bytes.Buffer
	d := &Dashboard{Width: 80, Height: 24, Title: "kx stats", Brokers: "fake:9092"}
	if err := NewWatcher(q, h, consume.Readers(c.NewReader), &out, &errOut, d).Run(context.Background()); !errors.As(err, new(*AlertError)) {
		t.Fatalf("err %v, want the alert on late", err)
	}
	want := "kx: stats: topic \"never\" does not exist yet; its alert rules start when it appears\n" +
		"kx: stats: lag rule \"lag\": consumer group \"nobody\" does not exist yet; the rule starts when it appears\n"
	if errOut.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut.String(), want)
	}
}
