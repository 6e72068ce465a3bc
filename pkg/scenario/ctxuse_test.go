package scenario

import (
	"slices"
	"strings"
	"testing"
)

const ctxScenario = `
name: ctx
topics: [{name: t}]
templates:
  a:
    topic: t
    fields: {id: {sequence: "A%d"}, x: 1, y: 2, z: {object: {w: 3}}}
  b:
    topic: t
    fields:
      ref: {from: first.id}
      deep: {from: second.z.w}
      msg: {jq: '"\($ctx.third.y) \($ctx.fourth)"'}
flows:
  f:
    steps:
      - {name: first, emit: a}
      - {name: second, emit: a}
      - {name: third, emit: a}
      - {name: fourth, emit: a}
      - {name: unread, emit: a}
      - {name: last, emit: b}
phases: [{name: p, duration: 1s, count: 3}]
`

// kept describes what an emit step keeps: its slots as alias.field
// (alias. for the whole event), sorted.
func kept(s *Scenario, in *instr) string {
	var out []string
	for _, i := range in.keep.slots {
		out = append(out, s.slots[i].alias+"."+s.slots[i].field)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func TestPlanCtx(t *testing.T) {
	s, err := Parse("ctx.yaml", []byte(ctxScenario))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"first":  "first.id",
		"second": "second.z",
		"third":  "third.y",
		"fourth": "fourth.", // $ctx.fourth read as a whole
		"unread": "",
		"last":   "",
	}
	for _, in := range s.flows[0].prog {
		if got := kept(s, &in); got != want[in.alias] {
			t.Errorf("step %s keeps %q, want %q", in.alias, got, want[in.alias])
		}
	}

	// A read the loader cannot follow (here a tag, which is not part of
	// the value) keeps every event whole, and gives the same events.
	opaque := strings.Replace(ctxScenario, "      msg:", "    tags: {n: '$ctx | length'}\n    fields2:\n      msg:", 1)
	opaque = strings.Replace(ctxScenario, "  b:\n    topic: t\n", "  b:\n    topic: t\n    tags: {n: '$ctx | length'}\n", 1)
	w, err := Parse("ctx.yaml", []byte(opaque))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range w.flows[0].prog {
		if got := kept(w, &in); got != in.alias+"." {
			t.Errorf("step %s keeps %q with an opaque $ctx read, want the whole event", in.alias, got)
		}
	}
	pruned := collect(s, GeneratorOptions{Seed: 1})
	whole := collect(w, GeneratorOptions{Seed: 1})
	if len(whole) != 18 || len(pruned) != len(whole) {
		t.Fatalf("%d and %d events, want 18", len(pruned), len(whole))
	}
	for i := range whole {
		if string(pruned[i].Value) != string(whole[i].Value) {
			t.Errorf("event %d differs:\n%s\n%s", i, pruned[i].Value, whole[i].Value)
		}
	}
	if v := string(whole[17].Value); !strings.Contains(v, `","deep":3,"msg":"2 {\"eventId\":`) || !strings.HasPrefix(v, `{"ref":"A`) {
		t.Errorf("last event %s does not read its context", v)
	}
	if n := whole[17].Tag("n"); n != "6" {
		t.Errorf("$ctx | length = %s, want 6 aliases (the event itself too)", n)
	}
}

// TestForeachInputIsCtx: a foreach reads the context as its input too.
func TestForeachInputIsCtx(t *testing.T) {
	src := strings.Replace(ctxScenario, "      - {name: last, emit: b}", "      - {name: last, emit: b, foreach: .third.z.list}", 1)
	src = strings.Replace(src, "z: {object: {w: 3}}", "z: {object: {w: 3, list: {const: [1, 2]}}}", 1)
	s, err := Parse("ctx.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(s, GeneratorOptions{Seed: 1})
	if len(evs) != 21 {
		t.Fatalf("%d events, want 21 (a foreach over two items)", len(evs))
	}
}

// dropped lists the slots an emit step lets go of, as alias.field.
func dropped(s *Scenario, in *instr) []string {
	var out []string
	for _, k := range in.drop {
		out = append(out, s.slots[k].alias+"."+s.slots[k].field)
	}
	return out
}

// TestPlanDrops: a flow lets go of a kept value after the last step that
// can read it, following branches and the resume of a hold.
func TestPlanDrops(t *testing.T) {
	s := load(t, "ecommerce-demo.yaml")
	steps := map[string]*instr{}
	for i := range s.flows[0].prog {
		if in := &s.flows[0].prog[i]; in.op == opEmit {
			steps[in.step] = in
		}
	}
	for _, c := range []struct {
		step  string
		drops []string
		keeps []string
	}{
		// The items are read by the inventory foreach only.
		{"inventory", []string{"order.items"}, []string{"order.orderId", "order.totalAmount", "payment.errorReason"}},
		// A held order resumes at the payment, which reads the amount again.
		{"notify_payment_failed", nil, []string{"order.totalAmount", "order.currency", "payment.errorReason"}},
		// Past the payment nothing reads the amount.
		{"notify_confirmed", []string{"order.totalAmount", "order.currency", "payment.errorReason"}, []string{"order.orderId", "shipment.shipmentId"}},
		{"notify_completed", []string{"order.orderId", "shipment.shipmentId"}, nil},
	} {
		in := steps[c.step]
		if in == nil {
			t.Fatalf("no step %s", c.step)
		}
		got := dropped(s, in)
		for _, d := range c.drops {
			if !slices.Contains(got, d) {
				t.Errorf("step %s keeps %s, which no later step reads (drops %v)", c.step, d, got)
			}
		}
		for _, k := range c.keeps {
			if slices.Contains(got, k) {
				t.Errorf("step %s drops %s, which a later step reads", c.step, k)
			}
		}
	}
}

// TestDropsKeepEvents: letting go of what no later step reads changes no
// event of the shipped scenarios (holds and resumes included).
func TestDropsKeepEvents(t *testing.T) {
	for _, name := range []string{"ecommerce-demo.yaml", "black-friday.yaml", "incidents.yaml", "smoke.yaml"} {
		s, keepAll := load(t, name), load(t, name)
		n := 0
		keepAll.eachEmit(func(in *instr) {
			n += len(in.drop)
			in.drop = nil
		})
		if n == 0 {
			t.Errorf("%s: no step drops anything", name)
		}
		opts := GeneratorOptions{Seed: 3, RateScale: 0.3}
		a, b := collect(s, opts), collect(keepAll, opts)
		if len(a) != len(b) {
			t.Fatalf("%s: %d events with drops, %d without", name, len(a), len(b))
		}
		for i := range a {
			if string(a[i].Value) != string(b[i].Value) || string(a[i].Key) != string(b[i].Key) {
				t.Fatalf("%s: event %d differs:\n%s\n%s", name, i, a[i].Value, b[i].Value)
			}
		}
	}
}
