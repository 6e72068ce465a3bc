package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func load(t testing.TB, name string) *Scenario {
	t.Helper()
	s, err := Load("../../scenarios/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func collect(s *Scenario, opts GeneratorOptions) []Event {
	g := NewGenerator(s, opts)
	var out []Event
	for {
		e, ok := g.Next()
		if !ok {
			return out
		}
		out = append(out, e)
	}
}

func TestDeterminism(t *testing.T) {
	s := load(t, "incidents.yaml")
	a := collect(s, GeneratorOptions{Seed: 7, RunID: "run-a"})
	b := collect(s, GeneratorOptions{Seed: 7, RunID: "run-a"})
	c := collect(s, GeneratorOptions{Seed: 7, RunID: "run-b"})
	d := collect(s, GeneratorOptions{Seed: 8, RunID: "run-a"})
	if len(a) != len(b) || len(a) != len(c) || len(a) == 0 {
		t.Fatalf("lengths %d %d %d", len(a), len(b), len(c))
	}
	same := true
	for i := range a {
		if !bytes.Equal(a[i].Value, b[i].Value) || a[i].At != b[i].At || !bytes.Equal(a[i].Key, b[i].Key) {
			t.Fatalf("event %d differs between identical runs", i)
		}
		// Only scenarioRunId may differ with another run id.
		want := bytes.Replace(a[i].Value, []byte(`"scenarioRunId":"run-a"`), []byte(`"scenarioRunId":"run-b"`), 1)
		if !bytes.Equal(want, c[i].Value) {
			t.Fatalf("event %d: run id changed more than scenarioRunId:\n%s\n%s", i, a[i].Value, c[i].Value)
		}
		if i < len(d) && !bytes.Equal(a[i].Value, d[i].Value) {
			same = false
		}
	}
	if same {
		t.Error("a different seed gave identical events")
	}
	ids := map[string]bool{}
	for _, e := range a {
		var v struct{ EventID string }
		if err := json.Unmarshal(e.Value, &v); err != nil || v.EventID == "" || ids[v.EventID] {
			t.Fatalf("bad or duplicate eventId in %s", e.Value)
		}
		ids[v.EventID] = true
	}
}

// startsUntil counts the flow starts (orders.created events) per second of
// g's events before end; events come in time order, so the rest of the
// run, which cannot change those counts, is not generated.
func startsUntil(t *testing.T, g *Generator, end time.Duration) map[int]int {
	t.Helper()
	h := map[int]int{}
	var prev time.Duration
	for e, ok := g.Next(); ok && e.At < end; e, ok = g.Next() {
		if e.At < prev {
			t.Fatalf("events out of order: %v after %v", e.At, prev)
		}
		prev = e.At
		if e.Topic == "orders.created" {
			h[int(e.At/time.Second)]++
		}
	}
	return h
}

func TestRate(t *testing.T) {
	s := load(t, "ecommerce-demo.yaml")
	for _, scale := range []float64{1, 10} {
		h := startsUntil(t, NewGenerator(s, GeneratorOptions{Seed: 3, RateScale: scale}), 180*time.Second)
		want := 50 * scale
		for sec := 120; sec < 180; sec++ { // the Black Friday phase
			if got := float64(h[sec]); math.Abs(got-want) > 0.05*want {
				t.Errorf("scale %v: second %d has %v flow starts, want %v ±5%%", scale, sec, got, want)
			}
		}
	}
	// A fixed count is spread over its phase: 10 orders in 0:30-2:00.
	h := startsUntil(t, NewGenerator(s, GeneratorOptions{Seed: 3}), 120*time.Second)
	n := 0
	for sec := 0; sec < 120; sec++ {
		n += h[sec]
		if sec < 30 && h[sec] > 0 {
			t.Errorf("orders during setup at %ds", sec)
		}
	}
	if n != 10 {
		t.Errorf("normal phase: %d orders, want 10", n)
	}
}

func TestTimeOrderAndCausality(t *testing.T) {
	s := load(t, "ecommerce-demo.yaml")
	start := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	events := collect(s, GeneratorOptions{Seed: 11, Start: start, Speed: 10})
	type chain struct {
		orderID    string
		last       string
		topics     []string
		completed  bool
		cancelled  bool
		shipped    bool
		lastStatus string
	}
	flows := map[int64]*chain{}
	var prev time.Duration
	for _, e := range events {
		if e.At < prev {
			t.Fatalf("events out of order: %v after %v", e.At, prev)
		}
		prev = e.At
		if want := start.Add(e.At / 10); !e.Time.Equal(want) {
			t.Fatalf("Time %v, want %v", e.Time, want)
		}
		var v map[string]any
		if err := json.Unmarshal(e.Value, &v); err != nil {
			t.Fatal(err)
		}
		ts, _ := v["timestamp"].(string)
		if ts == "" {
			ts, _ = v["completedAt"].(string)
		}
		if ts != e.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00") {
			t.Fatalf("timestamp %q does not match event time %v", ts, e.Time)
		}
		c := flows[e.FlowID]
		if c == nil {
			if e.Topic != "orders.created" {
				t.Fatalf("flow %d starts with %s", e.FlowID, e.Topic)
			}
			c = &chain{orderID: v["orderId"].(string)}
			flows[e.FlowID] = c
		}
		if ts < c.last {
			t.Fatalf("flow %d: timestamps go backwards", e.FlowID)
		}
		c.last = ts
		if v["orderId"] != c.orderID {
			t.Fatalf("flow %d: event %s does not carry orderId %s", e.FlowID, e.Value, c.orderID)
		}
		switch e.Topic {
		case "payment.transactions":
			c.lastStatus = e.Tag("status")
		case "shipping.events":
			if c.lastStatus != "SUCCESS" {
				t.Fatalf("flow %d shipped without a successful payment", e.FlowID)
			}
			c.shipped = true
		case "orders.completed":
			if c.completed || c.cancelled {
				t.Fatalf("flow %d closed twice", e.FlowID)
			}
			switch e.Tag("status") {
			case "COMPLETED":
				if !c.shipped {
					t.Fatalf("flow %d completed without shipping", e.FlowID)
				}
				c.completed = true
			case "CANCELLED":
				// A payment that failed outside a hold phase closes the order.
				if c.shipped || c.lastStatus != "ERROR" {
					t.Fatalf("flow %d cancelled after %s (shipped: %v)", e.FlowID, c.lastStatus, c.shipped)
				}
				if !strings.Contains(string(e.Value), `"reason":"payment failed: bank API timeout"`) {
					t.Fatalf("flow %d: cancellation without its reason: %s", e.FlowID, e.Value)
				}
				c.cancelled = true
			default:
				t.Fatalf("flow %d: orders.completed with status %q", e.FlowID, e.Tag("status"))
			}
		}
		c.topics = append(c.topics, e.Topic)
	}
	completed, cancelled := 0, 0
	for _, c := range flows {
		if c.cancelled {
			cancelled++
		}
		if c.completed {
			completed++
			for _, want := range []string{"orders.created", "inventory.updates", "payment.transactions", "customer.notifications", "shipping.events", "orders.completed"} {
				if !strings.Contains(strings.Join(c.topics, " "), want) {
					t.Fatalf("completed order %s lacks %s", c.orderID, want)
				}
			}
		} else if !c.cancelled {
			// The demo ends with a resolve phase: every order is closed.
			t.Fatalf("order %s neither completed nor cancelled: %v", c.orderID, c.topics)
		}
	}
	if completed == 0 || cancelled == 0 {
		t.Fatalf("%d orders completed, %d cancelled: want both", completed, cancelled)
	}
}

func TestHoldResolve(t *testing.T) {
	s := load(t, "ecommerce-demo.yaml")
	g := NewGenerator(s, GeneratorOptions{Seed: 5})
	errs := map[string]int{}
	retried := map[int64]bool{}
	failedInIncidents := map[int64]bool{}
	completed := map[int64]bool{}
	cancelled := map[int64]string{} // flow -> phase of the cancellation
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		if e.Topic == "payment.transactions" {
			if e.Tag("status") == "ERROR" {
				errs[e.Phase]++
				if e.Phase == "incidents" {
					failedInIncidents[e.FlowID] = true
				}
			} else if failedInIncidents[e.FlowID] {
				if e.Phase != "resolution" {
					t.Fatalf("held flow %d retried in phase %s", e.FlowID, e.Phase)
				}
				retried[e.FlowID] = true
			}
		}
		if e.Topic == "orders.completed" {
			if e.Tag("status") == "CANCELLED" {
				cancelled[e.FlowID] = e.Phase
			} else {
				completed[e.FlowID] = true
			}
		}
	}
	st := g.Stats()
	if st.FlowsHeld == 0 || st.FlowsResumed != st.FlowsHeld || st.Held != 0 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
	if errs["incidents"] < 10*errs["black-friday"]/100 || errs["incidents"] == 0 {
		t.Errorf("payment errors per phase: %v", errs)
	}
	// A flow whose payment failed in incidents was held and retried, unless
	// its failure came so close to the phase's end that the hold decision
	// fell in resolution: then it was cancelled.
	late := 0
	for id := range failedInIncidents {
		if ph, ok := cancelled[id]; ok {
			if ph != "resolution" || retried[id] {
				t.Fatalf("flow %d failed in incidents, cancelled in %s (retried: %v)", id, ph, retried[id])
			}
			late++
		}
	}
	if len(retried) == 0 || len(retried)+late != len(failedInIncidents) || int64(len(retried)) != st.FlowsHeld {
		t.Fatalf("%d flows failed in incidents, %d retried, %d cancelled at the phase's end; %d held", len(failedInIncidents), len(retried), late, st.FlowsHeld)
	}
	if len(cancelled) == 0 || len(cancelled)+len(completed) != int(st.FlowsStarted) {
		t.Fatalf("%d orders cancelled, %d completed, of %d started: want every order closed", len(cancelled), len(completed), st.FlowsStarted)
	}
	for id := range retried {
		if !completed[id] {
			t.Fatalf("resumed flow %d never completed", id)
		}
	}
}

func TestSmokeCoversEveryTopic(t *testing.T) {
	s := load(t, "smoke.yaml")
	events := collect(s, GeneratorOptions{Seed: 99})
	seen := map[string]int{}
	errors := 0
	for _, e := range events {
		seen[e.Topic]++
		if e.Topic == "payment.transactions" && e.Tag("status") == "ERROR" {
			errors++
		}
	}
	for _, tp := range s.Topics {
		if seen[tp.Name] == 0 {
			t.Errorf("no records for %s", tp.Name)
		}
	}
	if errors == 0 {
		t.Error("smoke has no payment ERROR")
	}
	if last := events[len(events)-1].At; last > 10*time.Second {
		t.Errorf("smoke drains at %v", last)
	}
}

func TestStopStarting(t *testing.T) {
	s := load(t, "black-friday.yaml")
	g := NewGenerator(s, GeneratorOptions{Seed: 1})
	for i := 0; i < 100; i++ {
		g.Next()
	}
	g.StopStarting()
	started := g.Stats().FlowsStarted
	for {
		if _, ok := g.Next(); !ok {
			break
		}
	}
	if st := g.Stats(); st.FlowsStarted != started || st.InFlight != 0 {
		t.Fatalf("stats after stop: %+v (started %d)", st, started)
	}
}

func BenchmarkGenerator(b *testing.B) {
	s := load(b, "black-friday.yaml")
	b.ReportAllocs()
	n := 0
	g := NewGenerator(s, GeneratorOptions{Seed: 1, RunID: "bench"})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := g.Next(); !ok {
			g = NewGenerator(s, GeneratorOptions{Seed: 1, RunID: "bench"})
			continue
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestUntil cuts the demo after its incidents: no flow starts or resumes
// after the cut, flows in progress finish, and the orders left open are
// exactly the held ones.
func TestUntil(t *testing.T) {
	s := load(t, "ecommerce-demo.yaml")
	incidents, ok := s.Phase("incidents")
	if !ok {
		t.Fatal("no incidents phase")
	}
	g := NewGenerator(s, GeneratorOptions{Seed: 5, RateScale: 0.2, Until: incidents.End()})
	created, closed := map[string]bool{}, map[string]bool{}
	failed := map[string]bool{} // the last payment of the order failed
	for e, ok := g.Next(); ok; e, ok = g.Next() {
		var v struct{ OrderID, Status string }
		if err := json.Unmarshal(e.Value, &v); err != nil {
			t.Fatal(err)
		}
		switch e.Topic {
		case "orders.created":
			if e.At >= incidents.End() {
				t.Fatalf("order %s started at %v, after the cut", v.OrderID, e.At)
			}
			created[v.OrderID] = true
		case "payment.transactions":
			failed[v.OrderID] = v.Status == "ERROR"
		case "orders.completed":
			closed[v.OrderID] = true
		}
	}
	st := g.Stats()
	if st.FlowsResumed != 0 || st.Held == 0 || st.Held != st.FlowsHeld || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
	open := 0
	for id := range created {
		if !closed[id] {
			open++
			if !failed[id] {
				t.Errorf("order %s left open without a failed payment", id)
			}
		}
	}
	if int64(open) != st.Held {
		t.Errorf("%d orders open, %d flows held", open, st.Held)
	}
}

// Values are written by kx's one JSON writer: no HTML escaping, so a value
// holding "<", ">" or "&" is produced as it reads.
func TestValuesWithoutHTMLEscaping(t *testing.T) {
	got := string(appendJSON(nil, map[string]any{"note": "a<b>&c", "list": []any{"x&y", 1.5}}, nil))
	if want := `{"list":["x&y",1.5],"note":"a<b>&c"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// BenchmarkGeneratorUnpaced is the generator as unpaced kx play drives it
// in bench/run.sh: the demo at --rate-scale 26 (about a million events),
// arenas reused every 256 events, each event encoded (play does that on
// its producer's goroutine).
func BenchmarkGeneratorUnpaced(b *testing.B) {
	s := load(b, "ecommerce-demo.yaml")
	opts := GeneratorOptions{Seed: 7, RunID: "bench", RateScale: 26.411}
	g := NewGenerator(s, opts)
	arena, enc := make([]byte, 0, 16<<10), make([]byte, 0, 64<<10)
	vals := make([]any, 0, 8*256)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%256 == 0 {
			clear(vals)
			arena, enc, vals = arena[:0], enc[:0], vals[:0]
		}
		ev, a, v, ok := g.NextDeferred(arena, vals)
		arena, vals = a, v
		if !ok {
			g = NewGenerator(s, opts)
			continue
		}
		enc = ev.Encode(enc)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestManyContextSlots: a flow reading more context slots than flowState
// keeps inline gets them from its own slice, with the same values.
func TestManyContextSlots(t *testing.T) {
	var fields, reads strings.Builder
	const n = inlineSlots + 3
	for i := range n {
		fmt.Fprintf(&fields, "      f%d: {int: [0, 1000000]}\n", i)
		fmt.Fprintf(&reads, "      g%d: {from: a.f%d}\n", i, i)
	}
	src := "name: many\ntopics:\n  - {name: t, partitions: 1, key: id}\n" +
		"templates:\n  a:\n    topic: t\n    fields:\n      id: {sequence: \"A-%d\"}\n" + fields.String() +
		"  b:\n    topic: t\n    fields:\n      id: {from: a.id}\n" + reads.String() +
		"flows:\n  f:\n    steps:\n      - {emit: a, as: a}\n      - {emit: b, after: 10ms}\n" +
		"phases:\n  - {name: p, duration: 1s, count: 20}\n"
	s, err := Parse("many.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.slots) <= inlineSlots {
		t.Fatalf("%d slots, want more than %d", len(s.slots), inlineSlots)
	}
	firsts := map[string]map[string]any{}
	seconds := 0
	for _, ev := range collect(s, GeneratorOptions{Seed: 3}) {
		var v map[string]any
		if err := json.Unmarshal(ev.Value, &v); err != nil {
			t.Fatal(err)
		}
		id := v["id"].(string)
		a, ok := firsts[id]
		if !ok {
			firsts[id] = v
			continue
		}
		seconds++
		for i := range n {
			if got, want := v[fmt.Sprintf("g%d", i)], a[fmt.Sprintf("f%d", i)]; got != want {
				t.Fatalf("%s: g%d = %v, want f%d = %v", id, i, got, i, want)
			}
		}
	}
	if len(firsts) != 20 || seconds != 20 {
		t.Fatalf("%d flows, %d second events; want 20 and 20", len(firsts), seconds)
	}
}

// TestNextDeferred: events left unencoded and encoded a batch later, with
// the batch's arenas reused as the player reuses them, are the events
// Next makes, for every shipped scenario.
func TestNextDeferred(t *testing.T) {
	for _, name := range []string{"smoke.yaml", "ecommerce-demo.yaml", "black-friday.yaml", "incidents.yaml"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name)
			opts := GeneratorOptions{Seed: 11, RunID: "run", RateScale: 0.2}
			want := collect(s, opts)
			g := NewGenerator(s, opts)
			var arena, enc []byte
			var vals []any
			var got []Event
			deferred := 0
			for done := false; !done; {
				arena, enc, vals = arena[:0], enc[:0], vals[:0]
				batch := make([]Event, 0, 256)
				for len(batch) < 256 {
					var ev Event
					var ok bool
					if ev, arena, vals, ok = g.NextDeferred(arena, vals); !ok {
						done = true
						break
					}
					if ev.in != nil {
						deferred++
					}
					batch = append(batch, ev)
				}
				for i := range batch {
					enc = batch[i].Encode(enc)
					ev := batch[i]
					ev.Value, ev.Key = bytes.Clone(ev.Value), bytes.Clone(ev.Key)
					got = append(got, ev)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d events deferred, %d from Next", len(got), len(want))
			}
			if deferred == 0 {
				t.Fatal("no event was left unencoded")
			}
			for i := range want {
				w, g := want[i], got[i]
				if !bytes.Equal(w.Value, g.Value) || !bytes.Equal(w.Key, g.Key) || (w.Key == nil) != (g.Key == nil) ||
					w.Topic != g.Topic || w.At != g.At || w.Phase != g.Phase || fmt.Sprint(w.Tags) != fmt.Sprint(g.Tags) {
					t.Fatalf("event %d:\n deferred %s key %q %v\n next     %s key %q %v", i, g.Value, g.Key, g.Tags, w.Value, w.Key, w.Tags)
				}
			}
		})
	}
}
