package flowtrace

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2025, 11, 28, 10, 32, 0, 0, time.UTC)

func rec(topic string, offset int64, at time.Duration, value string) *record.Record {
	return &record.Record{Topic: topic, Offset: offset, Timestamp: t0.Add(at), Value: []byte(value)}
}

func TestStuckAtPayment(t *testing.T) {
	tr, err := NewTracer(Ecommerce(), []string{"ORD-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*record.Record{
		rec("orders.created", 0, 0, `{"orderId":"ORD-1","customerId":"C-9","items":[{"productId":"P-1"},{"productId":"P-2"}]}`),
		rec("orders.created", 1, 0, `{"orderId":"ORD-2","customerId":"C-8","items":[]}`),
		rec("payment.transactions", 0, 7*time.Second, `{"orderId":"ORD-1","status":"ERROR"}`),
		rec("inventory.updates", 0, time.Second, `{"productId":"P-1","orderId":"ORD-1","alertLevel":"OK"}`),
		rec("customer.notifications", 0, 8*time.Second, `{"customerId":"C-9","orderId":"ORD-1","notificationType":"PAYMENT_FAILED"}`),
		// Another order of the same customer does not belong to the trace.
		rec("customer.notifications", 1, 9*time.Second, `{"customerId":"C-9","orderId":"ORD-7","notificationType":"ORDER_CONFIRMED"}`),
	} {
		tr.Offer(r)
	}
	if got := tr.Known("customerId"); !slices.Equal(got, []string{"C-9"}) {
		t.Errorf("learned customerId %v, want [C-9]", got)
	}
	if got := tr.Known("productId"); !slices.Equal(got, []string{"P-1", "P-2"}) {
		t.Errorf("learned productId %v", got)
	}
	trace := tr.Traces()[0]
	var topics []string
	for _, ev := range trace.Events {
		topics = append(topics, ev.Stage)
	}
	if want := []string{"created", "inventory", "payment", "notification"}; !slices.Equal(topics, want) {
		t.Errorf("timeline %v, want %v", topics, want)
	}
	steps := Timeline(trace)
	if steps[2].SincePrev != 6*time.Second || steps[3].SinceStart != 8*time.Second {
		t.Errorf("gaps %s/%s, want 6s/8s", steps[2].SincePrev, steps[3].SinceStart)
	}
	s := Summarize(Ecommerce(), trace)
	if s.Verdict != Stuck || s.Message != "stuck at payment ERROR at 10:32:07, no shipping event since" {
		t.Errorf("verdict %s: %q", s.Verdict, s.Message)
	}
	if !slices.Equal(s.Missing, []string{"shipping", "completed"}) {
		t.Errorf("missing %v", s.Missing)
	}
}

// An order closed with a failure status after its payment failed is
// cancelled, not complete; the failure is named.
func TestCancelledAfterPayment(t *testing.T) {
	tr, _ := NewTracer(Ecommerce(), []string{"ORD-1"})
	tr.Offer(rec("orders.created", 0, 0, `{"orderId":"ORD-1","customerId":"C-9","items":[]}`))
	tr.Offer(rec("payment.transactions", 0, 7*time.Second, `{"orderId":"ORD-1","status":"ERROR"}`))
	tr.Offer(rec("customer.notifications", 0, 8*time.Second, `{"customerId":"C-9","orderId":"ORD-1","notificationType":"PAYMENT_FAILED"}`))
	tr.Offer(rec("orders.completed", 0, 9*time.Second, `{"orderId":"ORD-1","status":"CANCELLED","reason":"payment failed"}`))
	tr.Offer(rec("customer.notifications", 1, 10*time.Second, `{"customerId":"C-9","orderId":"ORD-1","notificationType":"ORDER_CANCELLED"}`))
	s := Summarize(Ecommerce(), tr.Traces()[0])
	if s.Verdict != Cancelled || s.Message != "cancelled: payment ERROR at 10:32:07, order closed CANCELLED" {
		t.Errorf("verdict %s: %q", s.Verdict, s.Message)
	}
	if s.Stage != "payment" || s.Status != "ERROR" || s.At == nil || *s.At != "2025-11-28T10:32:07.000Z" {
		t.Errorf("stage %s, status %s, at %v", s.Stage, s.Status, s.At)
	}
	// Closed CANCELLED with no failure before: the closing step is named.
	tr, _ = NewTracer(Ecommerce(), []string{"ORD-2"})
	tr.Offer(rec("orders.created", 0, 0, `{"orderId":"ORD-2","customerId":"C-9","items":[]}`))
	tr.Offer(rec("orders.completed", 0, 3*time.Second, `{"orderId":"ORD-2","status":"CANCELLED"}`))
	s = Summarize(Ecommerce(), tr.Traces()[0])
	if s.Verdict != Cancelled || s.Message != "cancelled: order closed CANCELLED at 10:32:03" || s.Stage != "completed" {
		t.Errorf("verdict %s: %q (stage %s)", s.Verdict, s.Message, s.Stage)
	}
}

func TestRecoveredPaymentIsNotStuck(t *testing.T) {
	tr, _ := NewTracer(Ecommerce(), []string{"ORD-1"})
	tr.Offer(rec("payment.transactions", 0, 0, `{"orderId":"ORD-1","status":"ERROR"}`))
	tr.Offer(rec("payment.transactions", 1, time.Minute, `{"orderId":"ORD-1","status":"SUCCESS"}`))
	tr.Offer(rec("orders.completed", 0, 2*time.Minute, `{"orderId":"ORD-1","status":"COMPLETED"}`))
	s := Summarize(Ecommerce(), tr.Traces()[0])
	if s.Verdict != Complete || !strings.Contains(s.Message, "no created, inventory, notification, shipping event") {
		t.Errorf("%s: %s", s.Verdict, s.Message)
	}
	tr, _ = NewTracer(Ecommerce(), []string{"ORD-404"})
	if s := Summarize(Ecommerce(), tr.Traces()[0]); s.Verdict != NotFound {
		t.Errorf("unknown key: %s", s.Verdict)
	}
}

// The prefilter skips without decoding only values that cannot hold the
// key; an escaped key is still found.
func TestPrefilterSound(t *testing.T) {
	tr, _ := NewTracer(Ecommerce(), []string{"ORD-1"})
	tr.Offer(rec("payment.transactions", 0, 0, `{"orderId":"ORD-2","status":"SUCCESS"}`))
	tr.Offer(rec("payment.transactions", 1, 0, `{"orderId":"\u004fRD-1","status":"SUCCESS"}`))
	tr.Offer(rec("payment.transactions", 2, 0, `not json ORD-1`))
	dec, skip := tr.Stats()
	if dec != 2 || skip != 1 {
		t.Errorf("decoded %d, skipped %d; want 2, 1", dec, skip)
	}
	if n := len(tr.Traces()[0].Events); n != 1 {
		t.Errorf("found %d records, want the escaped one", n)
	}
}

func TestLearnedIDsMatch(t *testing.T) {
	flow := Ecommerce().WithFields([]string{"orderId", "shipmentId"})
	tr, _ := NewTracer(flow, []string{"ORD-1"})
	tr.Offer(rec("shipping.events", 0, 0, `{"orderId":"ORD-1","shipmentId":"S-1","status":"CREATED"}`))
	tr.Offer(rec("shipping.events", 1, time.Second, `{"shipmentId":"S-1","status":"DELIVERED"}`))
	tr.Offer(rec("shipping.events", 1, time.Second, `{"shipmentId":"S-1","status":"DELIVERED"}`)) // read twice
	if n := len(tr.Traces()[0].Events); n != 2 {
		t.Errorf("%d events, want 2 (the second through the learned shipmentId)", n)
	}
}

func TestPathValues(t *testing.T) {
	v := decodeValue([]byte(`{"order":{"id":12345},"items":[{"id":"a"},{"id":"b"},{}]}`))
	for _, c := range []struct {
		path string
		want []string
	}{{".order.id", []string{"12345"}}, {"items[].id", []string{"a", "b"}}, {".missing", nil}} {
		p, err := ParsePath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Values(nil, v); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.path, got, c.want)
		}
	}
	for _, bad := range []string{"", ".", ".a|b", `.a["x"]`} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPlanRounds(t *testing.T) {
	known := map[string][]string{"orderId": {"ORD-1"}}
	p := &Plan{Flow: Ecommerce()}
	r1 := p.Next(func(id string) []string { return known[id] }, false)
	if got := readTopics(r1); !slices.Equal(got, []string{"orders.created", "payment.transactions", "orders.completed"}) {
		t.Errorf("round 1 %v", got)
	}
	known["customerId"] = []string{"C-9"}
	r2 := p.Next(func(id string) []string { return known[id] }, true)
	if got := readTopics(r2); !slices.Equal(got, []string{"inventory.updates", "customer.notifications", "shipping.events"}) {
		t.Errorf("round 2 %v", got)
	}
	if len(r2[1].Keys) != 1 || len(r2[0].Keys) != 0 || !r2[2].AfterRoot {
		t.Errorf("round 2 reads %+v", r2)
	}
	if r3 := p.Next(func(string) []string { return nil }, true); len(r3) != 0 {
		t.Errorf("round 3 %v", r3)
	}
	parts := Partitions(partitioner.Partition, []string{"ORD-1", "ORD-1"}, 3)
	if len(parts) != 1 || parts[0] != partitioner.Partition([]byte("ORD-1"), 3) {
		t.Errorf("partitions %v", parts)
	}
}

func readTopics(rs []Read) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Topic)
	}
	return out
}

func TestGraph(t *testing.T) {
	b, _ := NewFlowBuilder("orderId", []string{"a", "b", "c"})
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 10 * time.Second} {
		k := `{"orderId":"K` + string(rune('0'+i)) + `"}`
		b.Offer(rec("a", int64(i), 0, k))
		b.Offer(rec("b", int64(i), d, k))
		if i < 2 {
			b.Offer(rec("c", int64(i), d+time.Second, k))
		}
	}
	b.Offer(rec("a", 9, 0, `{"other":1}`))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if g.Keys != 3 || len(g.Edges) != 2 {
		t.Fatalf("%+v", g)
	}
	ab := g.Edges[0]
	if ab.Keys != 3 || ab.P50 != 2*time.Second || ab.P95 != 10*time.Second || ab.Max != 10*time.Second {
		t.Errorf("a→b %+v", ab)
	}
	if g.Nodes[0].Records != 4 || g.Nodes[1].Stopped != 1 || g.Nodes[2].Stopped != 2 {
		t.Errorf("nodes %+v", g.Nodes)
	}
}

// Reading a top-level field in place gives what decoding the value gives,
// or declines (and the value is decoded).
func TestTopLevelValueAgreesWithDecoding(t *testing.T) {
	b, _ := NewFlowBuilder("orderId", []string{"a"})
	values := []string{
		`{"orderId":"ORD-1"}`, ` {"x":1, "orderId" : "ORD-2" } `, `{"orderId":12.50}`, `{"orderId":-3e2}`,
		`{"orderId":true}`, `{"orderId":null}`, `{"orderId":{"id":1}}`, `{"orderId":["a"]}`,
		`{"orderId":"first","orderId":"last"}`, `{"other":"orderId"}`, `{}`, `[]`, `"orderId"`, `12`,
		`{"orderId":"a\"b"}`, `{"order\u0049d":"x"}`, "{\"orderId\":\"\xff\xfe\"}", `{"orderId":"ünï"}`,
		`{"orderId":"x"} trailing`, `{"orderId":"x"`, ``, `{"nested":{"orderId":"no"}}`,
	}
	for _, v := range values {
		want := b.field.Values(nil, decodeValue([]byte(v)))
		key, ok, fast := b.topLevelValue([]byte(v))
		if !fast {
			continue // decoded: the same by construction
		}
		var got []string
		if ok {
			got = []string{string(key)}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: in place %q, decoded %q", v, got, want)
		}
	}
	for _, v := range []string{`{"orderId":"a\"b"}`, "{\"orderId\":\"\xff\"}", `{"orderId":"x"} trailing`} {
		if _, _, fast := b.topLevelValue([]byte(v)); fast {
			t.Errorf("%s: read in place, should be decoded", v)
		}
	}
	deep, _ := NewFlowBuilder(".order.id", []string{"a"})
	if _, _, fast := deep.topLevelValue([]byte(`{"order":{"id":"x"}}`)); fast {
		t.Error("a nested path was read in place")
	}
}
