package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kx-cli/kx/internal/graphparse"
	"github.com/kx-cli/kx/internal/scenariotest"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
)

// TestFlowDemoScenario infers the flow of the demo scenario (rates scaled
// down) and checks the counts against what the generator sent.
func TestFlowDemoScenario(t *testing.T) {
	b, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := kafka.New(kafka.Options{Brokers: b.Addrs(), Timeout: 10 * time.Second})
	defer client.Close()
	events := scenariotest.Play(t, client, scenariotest.Path("ecommerce-demo.yaml"), 11, 0.05)

	// What the scenario did, per order: the topics it reached.
	reached := map[string]map[string]bool{}
	for _, ev := range events {
		var v struct {
			OrderID string `json:"orderId"`
		}
		if err := json.Unmarshal(ev.Value, &v); err != nil {
			t.Fatal(err)
		}
		if reached[v.OrderID] == nil {
			reached[v.OrderID] = map[string]bool{}
		}
		reached[v.OrderID][ev.Topic] = true
	}
	wantKeys := map[string]int{}
	for _, topics := range reached {
		for topic := range topics {
			wantKeys[topic]++
		}
	}

	ios, _, out, _ := iostreams.Test()
	g, err := infer(context.Background(), client, consume.Readers(client.NewReader), &Options{IO: ios})
	if err != nil {
		t.Fatal(err)
	}
	if g.Keys != len(reached) {
		t.Errorf("%d keys, want %d orders", g.Keys, len(reached))
	}
	stopped := 0
	for _, n := range g.Nodes {
		if n.Keys != wantKeys[n.Topic] {
			t.Errorf("%s: %d keys, want %d", n.Topic, n.Keys, wantKeys[n.Topic])
		}
		stopped += n.Stopped
	}
	if stopped != g.Keys {
		t.Errorf("%d keys stopped somewhere, want every key (%d)", stopped, g.Keys)
	}
	edge := func(from, to string) flowtrace.Edge {
		for _, e := range g.Edges {
			if e.From == from && e.To == to {
				return e
			}
		}
		t.Fatalf("no edge %s → %s in %+v", from, to, g.Edges)
		return flowtrace.Edge{}
	}
	// Payment then notification (confirmed or failed); completed orders went
	// through shipping.
	if e := edge("payment.transactions", "customer.notifications"); e.Keys != wantKeys["payment.transactions"] {
		t.Errorf("payment → notifications: %d keys, want %d", e.Keys, wantKeys["payment.transactions"])
	}
	// Orders closed after shipping were delivered; the others were
	// cancelled after their failed payment's notification.
	shippedClosed, cancelled := 0, 0
	for _, topics := range reached {
		switch {
		case topics["orders.completed"] && topics["shipping.events"]:
			shippedClosed++
		case topics["orders.completed"]:
			cancelled++
		}
	}
	if e := edge("shipping.events", "orders.completed"); e.Keys != shippedClosed || e.P50 > e.P95 || e.P95 > e.Max {
		t.Errorf("shipping → completed: %+v, want %d keys and p50 ≤ p95 ≤ max", e, shippedClosed)
	}
	if cancelled == 0 {
		t.Fatal("no order cancelled: the test proves less than it says")
	}
	if e := edge("customer.notifications", "orders.completed"); e.Keys != cancelled {
		t.Errorf("notifications → completed (cancelled orders): %d keys, want %d", e.Keys, cancelled)
	}

	for _, f := range []output.Format{Mermaid, DOT} {
		out.Reset()
		if err := Write(ios, f, g); err != nil {
			t.Fatal(err)
		}
		var pg flowtrace.Graph
		if f == Mermaid {
			pg, err = graphparse.ParseMermaid(bytes.NewReader(out.Bytes()))
		} else {
			pg, err = graphparse.ParseDOT(bytes.NewReader(out.Bytes()))
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, out)
		}
		if len(pg.Nodes) != len(g.Nodes) || len(pg.Edges) != len(g.Edges) {
			t.Errorf("%s parsed back to %d nodes, %d edges; want %d, %d", f, len(pg.Nodes), len(pg.Edges), len(g.Nodes), len(g.Edges))
		}
		for i, e := range pg.Edges {
			if e.From != g.Edges[i].From || e.To != g.Edges[i].To || e.Keys != g.Edges[i].Keys {
				t.Errorf("%s edge %d: %s → %s (%d keys), want %s → %s (%d)", f, i, e.From, e.To, e.Keys, g.Edges[i].From, g.Edges[i].To, g.Edges[i].Keys)
			}
		}
	}
}
