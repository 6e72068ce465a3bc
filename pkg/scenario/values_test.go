package scenario

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestFormatMilli(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(999, 7, 4, 9, 5, 3, 7_000_000, time.UTC),
		time.Date(2026, 3, 3, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := formatMilli(tm), tm.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
			t.Errorf("formatMilli(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestItemHeap pops what a sorted reference pops, under random pushes
// and pops, ties in at broken by order.
func TestItemHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h itemHeap
	var ref []item
	var order uint64
	for n := 0; n < 20000; n++ {
		if len(ref) == 0 || rng.IntN(3) > 0 {
			it := item{at: time.Duration(rng.IntN(50)), order: order}
			order++
			h.push(it)
			ref = append(ref, it)
			continue
		}
		m := 0
		for k := range ref {
			if ref[k].at < ref[m].at || ref[k].at == ref[m].at && ref[k].order < ref[m].order {
				m = k
			}
		}
		want := ref[m]
		ref = append(ref[:m], ref[m+1:]...)
		if got := h.pop(); got.at != want.at || got.order != want.order {
			t.Fatalf("operation %d: popped (%v, %d), want (%v, %d)", n, got.at, got.order, want.at, want.order)
		}
	}
}

// TestFieldList: objects no field reads while they are built are kept as
// a fieldList, which reads, encodes and goes to jq like the map it stands for.
func TestFieldList(t *testing.T) {
	src := `
name: fl
topics: [{name: t}]
templates:
  a:
    topic: t
    fields:
      items: {array: {object: {p: {int: [1, 9]}, q: 2, n: {object: {z: true}}}}, length: 3}
      self: {object: {x: 1, y: {jq: '.x + 1'}}}
      total: {jq: '[.items[] | .p * .q] | add'}
      viajq: {jq: '.items | map(.p) | length'}
      first: {jq: '.items[0].n.z'}
flows:
  f:
    steps:
      - {name: a, emit: a}
      - {name: b, emit: a, set: {copy: {from: a.items}, tag: {jq: '$ctx.a.items[1].q'}}}
phases: [{name: p, duration: 1s, count: 1}]
`
	s, err := Parse("fl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	items := s.templates["a"].fields.gens[0]
	self := s.templates["a"].fields.gens[1]
	if items.elem.mapObj || !self.mapObj {
		t.Errorf("mapObj: items %v (want false), self %v (want true: y reads .x)", items.elem.mapObj, self.mapObj)
	}
	evs := collect(s, GeneratorOptions{Seed: 3})
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	var a, b map[string]any
	if err := json.Unmarshal(evs[0].Value, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(evs[1].Value, &b); err != nil {
		t.Fatal(err)
	}
	list := a["items"].([]any)
	sum := 0.0
	for _, it := range list {
		m := it.(map[string]any)
		sum += m["p"].(float64) * m["q"].(float64)
		if m["n"].(map[string]any)["z"] != true {
			t.Errorf("nested object %v", m)
		}
	}
	if a["total"] != sum || a["viajq"] != 3.0 || a["first"] != true || a["self"].(map[string]any)["y"] != 2.0 {
		t.Errorf("event %s", evs[0].Value)
	}
	if !strings.HasPrefix(string(evs[0].Value), `{"items":[{"p":`) || !strings.Contains(string(evs[0].Value), `,"q":2,"n":{"z":true}}`) {
		t.Errorf("field order lost: %s", evs[0].Value)
	}
	if fmt.Sprint(b["copy"]) != fmt.Sprint(a["items"]) || b["tag"] != 2.0 {
		t.Errorf("second event %s does not carry the first's items", evs[1].Value)
	}
}
