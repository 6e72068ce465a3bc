package flowtrace

import (
	"fmt"
	"io"
	"strings"

	"github.com/kx-cli/kx/pkg/output"
)

// WriteMermaid renders g as a Mermaid `flowchart LR` block, ready to paste
// into a README or an issue inside a ```mermaid fence.
func WriteMermaid(w io.Writer, g Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := nodeIDs(g)
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s[\"%s<br/>%s, %d stopped\"]\n", ids[n.Topic], mermaidText(n.Topic), output.Count(n.Keys, "key"), n.Stopped)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", ids[e.From], mermaidText(edgeLabel(e, " · ")), ids[e.To])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDOT renders g as a Graphviz digraph.
func WriteDOT(w io.Writer, g Graph) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote("flow by "+g.Field))
	b.WriteString("  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s [label=%s];\n", dotQuote(n.Topic), dotQuote(fmt.Sprintf("%s\n%s, %d stopped", n.Topic, output.Count(n.Keys, "key"), n.Stopped)))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(edgeLabel(e, "\n")))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func edgeLabel(e Edge, sep string) string {
	return fmt.Sprintf("%s%sp50 %s p95 %s max %s", output.Count(e.Keys, "key"), sep, FormatDuration(e.P50), FormatDuration(e.P95), FormatDuration(e.Max))
}

// nodeIDs gives each topic a Mermaid-safe id (topic names have dots).
func nodeIDs(g Graph) map[string]string {
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.Topic] = fmt.Sprintf("n%d", i)
	}
	return ids
}

// mermaidText escapes what would end a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s)
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
