package graphparse

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/record"
)

func graph(t *testing.T) flowtrace.Graph {
	t.Helper()
	b, err := flowtrace.NewFlowBuilder("orderId", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	b.Offer(&record.Record{Topic: "a", Timestamp: t0, Value: []byte(`{"orderId":"K1"}`)})
	b.Offer(&record.Record{Topic: "b", Timestamp: t0.Add(time.Second), Value: []byte(`{"orderId":"K1"}`)})
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRoundTrip(t *testing.T) {
	g := graph(t)
	for name, c := range map[string]struct {
		write func(*bytes.Buffer) error
		parse func(*bytes.Buffer) (flowtrace.Graph, error)
	}{
		"mermaid": {func(b *bytes.Buffer) error { return flowtrace.WriteMermaid(b, g) }, func(b *bytes.Buffer) (flowtrace.Graph, error) { return ParseMermaid(b) }},
		"dot":     {func(b *bytes.Buffer) error { return flowtrace.WriteDOT(b, g) }, func(b *bytes.Buffer) (flowtrace.Graph, error) { return ParseDOT(b) }},
	} {
		var buf bytes.Buffer
		if err := c.write(&buf); err != nil {
			t.Fatal(err)
		}
		pg, err := c.parse(&buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(pg.Edges) != 1 || pg.Edges[0].From != "a" || pg.Edges[0].To != "b" || pg.Edges[0].Keys != 1 || len(pg.Nodes) != 2 {
			t.Errorf("%s: read back %+v", name, pg)
		}
	}
}

func TestRejects(t *testing.T) {
	if _, err := ParseMermaid(strings.NewReader("flowchart LR\n  n0 --> n1\n")); err == nil {
		t.Error("bad mermaid accepted")
	}
	if _, err := ParseDOT(strings.NewReader(`digraph "x" { "a" -> "b" [label="1"]; }`)); err == nil {
		t.Error("dot edge between undeclared nodes accepted")
	}
}
