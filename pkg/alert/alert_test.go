package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

const rulesYAML = `rules:
  - name: bursts
    topic: pay
    when: .status == "ERROR"
    severity: error
    threshold: "> 2 in 10s"
    message: "{{count}} errors in {{window}}, last {{.orderId}} ({{$key}})"
    resolve: "back to normal ({{count}} in {{window}})"
  - name: rate
    topic: pay
    when: .status == "ERROR"
    severity: warning
    threshold: "> 25% in 10s"
    min_records: 4
    message: "{{rate}} failed"
  - name: each
    topic: ship
    when: .status == "DELAYED"
    severity: info
    message: "{{.id}} delayed {{.missing}}"
`

func rec(topic string, ts time.Time, key, value string) *record.Record {
	return &record.Record{Topic: topic, Timestamp: ts, Key: []byte(key), Value: []byte(value)}
}

func TestEngineFiresAndResolves(t *testing.T) {
	rules, err := Parse("rules.yaml", []byte(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rules)
	if got := strings.Join(e.Topics(), ","); got != "pay,ship" {
		t.Errorf("Topics = %s", got)
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	wall := t0.Add(time.Hour) // a replay: record time lags the wall clock
	var got []Event
	for i, st := range []string{"OK", "ERROR", "ERROR", "OK", "ERROR", "ERROR"} {
		got = append(got, e.Observe(rec("pay", t0.Add(time.Duration(i)*time.Second), "k"+string(rune('0'+i)), `{"orderId":"O`+string(rune('0'+i))+`","status":"`+st+`"}`), wall)...)
	}
	// The rate rule fires once 2 of 4 records failed (50% > 25%); the count
	// rule at the third ERROR (3 > 2).
	if len(got) != 2 {
		t.Fatalf("events = %+v", got)
	}
	if got[0].Rule != "rate" || got[0].Severity != "warning" || *got[0].Rate != 50 || got[0].Message != "50% failed" {
		t.Errorf("rate event = %+v", got[0])
	}
	b := got[1]
	if b.Rule != "bursts" || b.Severity != "error" || b.Count != 3 || b.Resolved || b.Message != "3 errors in 10s, last O4 (k4)" || *b.Key != "k4" || b.Window != "10s" {
		t.Errorf("burst event = %+v", b)
	}
	if b.SeverityLevel() != Error {
		t.Errorf("level = %v", b.SeverityLevel())
	}
	// Still over the threshold: nothing new. Later, in wall time since the
	// last record, the window empties and both resolve; only the rule with
	// a resolve message says so.
	if ev := e.Advance(wall.Add(time.Second)); len(ev) != 0 {
		t.Errorf("early resolution: %+v", ev)
	}
	ev := e.Advance(wall.Add(20 * time.Second))
	if len(ev) != 1 || ev[0].Rule != "bursts" || !ev[0].Resolved || ev[0].Severity != "success" || ev[0].Message != "back to normal (0 in 10s)" {
		t.Errorf("resolution = %+v", ev)
	}
	// A rule without threshold fires on every match; a missing field is "-".
	ev = e.Observe(rec("ship", t0, "", `{"id":"S1","status":"DELAYED"}`), wall)
	if len(ev) != 1 || ev[0].Message != "S1 delayed -" || ev[0].Count != 1 || ev[0].Key == nil {
		t.Errorf("each = %+v", ev)
	}
	ev = e.Observe(&record.Record{Topic: "ship", Value: []byte(`{"status":"DELAYED"}`)}, wall)
	if len(ev) != 1 || ev[0].Key != nil {
		t.Errorf("null key = %+v", ev)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"rules: []", "r.yaml:1:8: rules: expected a non-empty list of rules"},
		{"rulez: []", `r.yaml:1:1: rules file: unknown key "rulez"`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x ==\n    severity: error\n    message: m\n", `r.yaml:4:16: rule "a": when: bad jq expression ".x ==": unexpected EOF`},
		{"rules:\n  - name: a\n    topic: t\n    when: \".x ==\"\n    severity: error\n    message: m\n", `r.yaml:4:17: rule "a": when: bad jq expression`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: fatal\n    message: m\n", `r.yaml:5:15: rule "a": unknown severity "fatal"`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: error\n    message: m\n    threshold: \"> 5 in soon\"\n", `r.yaml:7:16: rule "a": threshold: "> 5 in soon": window "soon"`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: error\n    message: m\n    threshold: \"> 100% in 1s\"\n", `under 100%`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: error\n    message: m\n    resolve: ok\n", `r.yaml:7:14: rule "a": resolve needs a threshold`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: error\n    message: m\n    threshold: \"> 1 in 1s\"\n    min_records: 3\n", `min_records applies to a rate threshold`},
		{"rules:\n  - name: a\n    topic: t\n    when: .x\n    severity: error\n    message: \"{{count\"\n", `r.yaml:6:14: rule "a": message: unclosed {{`},
		{"rules:\n  - name: a\n    topic: t\n    severity: error\n    message: m\n", `r.yaml:2:5: rule: missing key "when"`},
		{"rules:\n  - name: a\n    name: b\n", `r.yaml:3:5: rule: duplicate key "name"`},
		{"rules:\n  - {name: a, topic: t, when: .x, severity: info, message: m}\n  - {name: a, topic: t, when: .x, severity: info, message: m}\n", `r.yaml:3:12: duplicate rule name "a"`},
		{"rules:\n  - name: [a\n", `r.yaml:`},
	}
	for _, c := range cases {
		_, err := Parse("r.yaml", []byte(c.yaml))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestShippedRulesAndScenarioEmbedding(t *testing.T) {
	rules, err := LoadFile("../../alerts/ecommerce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sev := map[string]bool{}
	for _, r := range rules {
		sev[r.Severity.String()] = true
		if r.Resolve == nil {
			t.Errorf("rule %s has no resolution", r.Name)
		}
	}
	if !sev["error"] || !sev["warning"] || !sev["info"] {
		t.Errorf("severities %v", sev)
	}
	// The demo's incidents, as kx play writes them, fire every rule, and
	// every rule resolves once they stop.
	e := NewEngine(rules)
	t0 := time.Now()
	fired := map[string]string{}
	for i := 0; i < 6; i++ {
		ts := t0.Add(time.Duration(i) * time.Second)
		for _, r := range []*record.Record{
			rec("payment.transactions", ts, "ORD-1", `{"transactionId":"TXN-1","orderId":"ORD-1","amount":12.5,"status":"ERROR","method":"CARD","errorReason":"bank API timeout"}`),
			rec("inventory.updates", ts, "PROD-0001", `{"productId":"PROD-0001","quantity":0,"warehouse":"WH-LYON","alertLevel":"OUT_OF_STOCK"}`),
			rec("shipping.events", ts, "SHP-1", `{"shipmentId":"SHP-1","orderId":"ORD-1","status":"DELAYED","location":"Lyon","delay":"PT30M"}`),
		} {
			for _, ev := range e.Observe(r, ts) {
				fired[ev.Rule+"/"+ev.Severity] = ev.Message
			}
		}
	}
	for _, ev := range e.Advance(t0.Add(time.Minute)) {
		fired[ev.Rule+"/"+ev.Severity] = ev.Message
	}
	want := map[string]string{
		"payment-errors/error":    "6 payment errors in 10s (last: order ORD-1, bank API timeout)",
		"payment-errors/success":  "payments back to normal: 0 errors in the last 10s",
		"out-of-stock/warning":    "3 out-of-stock updates in 10s (last: PROD-0001 at WH-LYON)",
		"out-of-stock/success":    "stock replenished: 0 out-of-stock updates in the last 10s",
		"shipping-delays/info":    "3 shipments delayed in 10s (last: SHP-1 in Lyon, PT30M)",
		"shipping-delays/success": "shipping back on schedule: 0 delays in the last 10s",
	}
	for k, v := range want {
		if fired[k] != v {
			t.Errorf("%s: got %q, want %q", k, fired[k], v)
		}
	}
	embedded := "name: s\nphases: [1]\nx-alerts:\n  rules:\n    - {name: a, topic: t, when: .x, severity: info, message: m}\n"
	if rules, err := Parse("s.yaml", []byte(embedded)); err != nil || len(rules) != 1 {
		t.Errorf("x-alerts = %v, %v", rules, err)
	}
}

func TestThresholds(t *testing.T) {
	th, err := ParseThreshold(">5 in 10s")
	if err != nil || th.Count != 5 || th.Window != 10*time.Second || th.IsRate || th.String() != "> 5 in 10s" {
		t.Errorf("%+v %v", th, err)
	}
	th, err = ParseThreshold("> 2.5% in 1m")
	if err != nil || !th.IsRate || th.Rate != 0.025 || th.MinRecords != 10 || th.String() != "> 2.5% in 1m0s" {
		t.Errorf("%+v %v", th, err)
	}
	for _, bad := range []string{"5 in 10s", "> five in 10s", "> 5 in -1s", "> 5", "> 1.5 in 1s"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}

func TestWebhookRetriesAndNeverBlocks(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		bodies = append(bodies, string(b))
	}))
	defer srv.Close()
	var log strings.Builder
	w := &Webhook{URL: srv.URL, Backoff: time.Millisecond, Log: &log}
	start := time.Now()
	w.Send(Event{Kind: "alert", Rule: "a", Severity: "error", Threshold: "> 2 in 10s"})
	w.Send(Event{Kind: "alert", Rule: "b", Severity: "success"})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Send blocked for %s", d)
	}
	w.Close(context.Background())
	if len(bodies) != 2 || calls != 4 || log.Len() != 0 {
		t.Fatalf("bodies %v, calls %d, log %q", bodies, calls, log.String())
	}
	var ev Event
	if err := json.Unmarshal([]byte(bodies[0]), &ev); err != nil || ev.Rule != "a" {
		t.Errorf("posted %s (%v)", bodies[0], err)
	}
	// The body says ">" as stdout does, not "\u003e".
	if !strings.Contains(bodies[0], `"threshold":"> 2 in 10s"`) {
		t.Errorf("posted %s", bodies[0])
	}

	// A dead endpoint: reported once all attempts failed.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	log.Reset()
	w = &Webhook{URL: dead.URL, Attempts: 2, Backoff: time.Millisecond, Log: &log}
	w.Send(Event{Rule: "c"})
	w.Close(context.Background())
	if !strings.Contains(log.String(), `alert "c" not delivered: 2 attempts`) {
		t.Errorf("log = %q", log.String())
	}
}

// TestEngineDoesNotFlap: a count hovering at the threshold keeps the alert
// up; it resolves once, a whole window after it was last over.
func TestEngineDoesNotFlap(t *testing.T) {
	rules, err := Parse("r.yaml", []byte(`rules:
  - name: errs
    topic: pay
    when: .status == "ERROR"
    severity: error
    threshold: "> 2 in 10s"
    message: "{{count}} errors"
    resolve: "ok"
`))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rules)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var got []string
	note := func(evs []Event) {
		for _, ev := range evs {
			got = append(got, ev.Severity)
		}
	}
	errAt := func(sec float64) {
		ts := t0.Add(time.Duration(sec * float64(time.Second)))
		note(e.Observe(rec("pay", ts, "k", `{"status":"ERROR"}`), ts))
	}
	errAt(0)
	errAt(1)
	errAt(2)                                          // 3 > 2: fires
	note(e.Advance(t0.Add(10500 * time.Millisecond))) // 2 in the window: under, but only just
	errAt(11)                                         // over again: still the same alert
	note(e.Advance(t0.Add(15 * time.Second)))
	if strings.Join(got, ",") != "error" {
		t.Fatalf("events %v, want one error and no flapping", got)
	}
	note(e.Advance(t0.Add(40 * time.Second)))
	if strings.Join(got, ",") != "error,success" {
		t.Errorf("events %v, want the alert resolved once", got)
	}
}

// A webhook URL is a secret (user info, a token in the path or query): a
// failed delivery names scheme, host and port only.
func TestWebhookURLNotPrinted(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	host := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()
	var log strings.Builder
	w := &Webhook{URL: "http://hookuser:HOOK_s3cr3t_77@" + host + "/hook/T0K3N_PATH?token=TOK_s3cr3t_88", Attempts: 1, Log: &log}
	w.Send(Event{Rule: "every"})
	w.Close(context.Background())
	got := log.String()
	if !strings.Contains(got, "webhook http://"+host+": alert \"every\" not delivered") {
		t.Errorf("log = %q", got)
	}
	for _, secret := range []string{"hookuser", "HOOK_s3cr3t_77", "T0K3N_PATH", "TOK_s3cr3t_88", "/hook"} {
		if strings.Contains(got, secret) {
			t.Errorf("log shows %q: %s", secret, got)
		}
	}
}

// A 3xx is a failed delivery: the alert is not re-posted where it points.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	var log strings.Builder
	w := &Webhook{URL: redirect.URL, Attempts: 1, Log: &log}
	w.Send(Event{Rule: "r"})
	w.Close(context.Background())
	if elsewhere.Load() != 0 || !strings.Contains(log.String(), "HTTP 307") {
		t.Errorf("posts to the redirect target: %d; log %q", elsewhere.Load(), log.String())
	}
}

// Close's context is the budget of all pending posts together: when it
// ends, the post in flight is cancelled and the queued alerts are not
// posted one by one, each waiting for the client timeout.
func TestWebhookCloseBudgetIsTotal(t *testing.T) {
	var posts atomic.Int32
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	var log strings.Builder
	w := &Webhook{URL: hang.URL, Log: &log}
	for i := 0; i < 5; i++ {
		w.Send(Event{Rule: fmt.Sprintf("a%d", i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	w.Close(ctx)
	if n := posts.Load(); n != 1 {
		t.Errorf("%d posts reached the endpoint after the budget ran out, want the one in flight", n)
	}
	if n := strings.Count(log.String(), "not delivered"); n != 5 {
		t.Errorf("%d alerts reported not delivered, want 5: %s", n, log.String())
	}
}
