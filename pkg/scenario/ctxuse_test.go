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

func TestAnalyseCtx(t *testing.T) {
	s, err := Parse("ctx.yaml", []byte(ctxScenario))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"first":  "fields id",
		"second": "fields z",
		"third":  "fields y",
		"fourth": "whole", // $ctx.fourth read as a whole
		"unread": "none",
		"last":   "none",
	}
	for _, in := range s.flows[0].prog {
		got := [...]string{"none", "whole", "fields"}[in.keep.mode]
		if in.keep.mode == keepFields {
			slices.Sort(in.keep.fields)
			got += " " + strings.Join(in.keep.fields, ",")
		}
		if got != want[in.alias] {
			t.Errorf("step %s: keep %s, want %s", in.alias, got, want[in.alias])
		}
	}

	// A read the loader cannot follow keeps every event whole.
	opaque := strings.Replace(ctxScenario, `\($ctx.fourth)`, `\($ctx | keys)`, 1)
	s, err = Parse("ctx.yaml", []byte(opaque))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range s.flows[0].prog {
		if in.keep.mode != keepWhole {
			t.Errorf("step %s: keep mode %d with an opaque $ctx read, want whole", in.alias, in.keep.mode)
		}
	}

	// The pruned context gives the same events as whole events would.
	s, _ = Parse("ctx.yaml", []byte(ctxScenario))
	pruned := collect(s, GeneratorOptions{Seed: 1})
	for i := range s.flows[0].prog {
		s.flows[0].prog[i].keep = keep{mode: keepWhole}
		s.flows[0].prog[i].layout("")
	}
	whole := collect(s, GeneratorOptions{Seed: 1})
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
}
