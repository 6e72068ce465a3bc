package flowtrace

import (
	"strings"
	"testing"
	"time"
)

// Mermaid and DOT say "1 key" and "2 keys".
func TestRenderSingularPlural(t *testing.T) {
	g := Graph{Field: "orderId",
		Nodes: []Node{{Topic: "a", Keys: 2}, {Topic: "b", Keys: 1, Stopped: 1}},
		Edges: []Edge{{From: "a", To: "b", Keys: 1, P50: time.Millisecond, P95: time.Millisecond, Max: time.Millisecond}},
	}
	var m, d strings.Builder
	if err := WriteMermaid(&m, g); err != nil {
		t.Fatal(err)
	}
	if err := WriteDOT(&d, g); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{m.String(), d.String()} {
		for _, want := range []string{"2 keys, 0 stopped", "1 key, 1 stopped", "1 key"} {
			if !strings.Contains(out, want) {
				t.Errorf("no %q in\n%s", want, out)
			}
		}
		if strings.Contains(out, "1 keys") {
			t.Errorf("1 keys in\n%s", out)
		}
	}
}
