// Package flow implements `kx flow`: the graph of a business flow inferred
// from the records, with step counts, step times and drop-off.
package flow

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
)

// Output formats beyond the common ones.
const (
	Mermaid output.Format = "mermaid"
	DOT     output.Format = "dot"
)

// Options of kx flow.
type Options struct {
	IO     *iostreams.IOStreams
	Kafka  func() (*kafka.Client, error)
	Output output.Format
	flowtrace.Selection
	From, To *position.Spec
	// Decoder builds the Schema Registry decoder (nil: none).
	Decoder func(cmdutil.SchemaFlags) (*cmdutil.RecordDecoder, error)
	Schema  cmdutil.SchemaFlags
	// maxKeys (tests): keys kept in memory (0: the builder's default).
	// tempDir: where spilled keys go ("": $TMPDIR).
	maxKeys int
	tempDir string
}

// NewCmdFlow builds kx flow.
func NewCmdFlow(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Decoder: f.RecordDecoder}
	var outputFlag, fromFlag, toFlag string
	var flowFlags cmdutil.FlowFlags
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Infer the flow between topics: steps, counts, step times, drop-off",
		Long: `Flow correlates the records of a flow's topics by a field (orderId by
default) and infers the graph: for each key, the topics in the order it
first reached them; each pair of consecutive topics A → B is an edge.

For each edge: the number of keys that took that step and the p50, p95 and
max time between the key's first record in A and its first record in B. For
each topic: the keys that reached it, and the keys that stopped there (the
drop-off: their last topic).

The topics are those of the e-commerce flow when they exist, those of a
flow named in the config file (--flow NAME, see kx config --help), or
--topics;
--field is a jq path (orderId, .order.id). Records without the field are
counted but not correlated. --from and --to bound the read as in kx tail
(default: the whole retained log; -15m for the last quarter of an hour).

Up to 65,536 keys are kept in memory (about 50 bytes each for six
topics); past that, flow moves them to temporary files in $TMPDIR (about
18 bytes per record read, freed when flow ends), so its memory stays
flat whatever the size of the log: set TMPDIR to a directory with room.
When no file can be made there, a warning says so and the keys stay in
memory; a write that fails once they are in files (a full disk) stops
flow with exit 7.

Output: a table of edges then nodes; -o ndjson one object per edge
{type:"edge", from, to, keys, p50_ms, p95_ms, max_ms} and per node
{type:"node", topic, records, keys, stopped}; -o mermaid a flowchart LR
block to paste into a README or an issue; -o dot a Graphviz digraph
(kx flow -o dot | dot -Tsvg > flow.svg).`,
		Example: `  kx flow
  kx flow --from -15m
  kx flow -o mermaid > flow.mmd
  kx flow -o dot > flow.dot               # then: dot -Tsvg flow.dot > flow.svg (Graphviz)
  kx flow --flow signup -o mermaid
  kx flow --topics signups,emails,activations --field .userId -o ndjson`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON, Mermaid, DOT); err != nil {
				return err
			}
			if len(flowFlags.Fields) > 1 {
				return cmdutil.UsageErrorf("flow: one --field only")
			}
			if opts.Selection, err = flowFlags.Selection(f); err != nil {
				return err
			}
			now := time.Now()
			for _, p := range []struct {
				flag, value string
				dst         **position.Spec
			}{{"--from", fromFlag, &opts.From}, {"--to", toFlag, &opts.To}} {
				if p.value == "" {
					continue
				}
				s, err := position.Parse(p.value, now)
				if err != nil {
					return cmdutil.UsageErrorf("%s: %v", p.flag, err)
				}
				*p.dst = &s
			}
			if err := cmdutil.CheckRange(opts.From, opts.To, fromFlag, toFlag); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, Mermaid, DOT)
	cmdutil.AddSchemaFlags(cmd, &opts.Schema)
	cmdutil.AddFlowFlags(cmd, &flowFlags)
	fl := cmd.Flags()
	fl.StringVar(&fromFlag, "from", "", "read from this position: "+position.Help+" (default: beginning)")
	fl.StringVar(&toFlag, "to", "", "read up to this position (default: the end now)")
	return cmd
}

// cluster is what kx flow asks of Kafka.
type cluster interface {
	consume.Offsets
	Metadata(ctx context.Context) (*kafka.Metadata, error)
}

// infer reads the flow's topics in parallel and builds the graph.
func infer(ctx context.Context, client cluster, open consume.Opener, opts *Options) (flowtrace.Graph, error) {
	meta, err := client.Metadata(ctx)
	if err != nil {
		return flowtrace.Graph{}, err
	}
	flow, err := flowtrace.Select(meta, opts.Selection, opts.IO.ErrOut)
	if err != nil {
		return flowtrace.Graph{}, cmdutil.UsageErrorf("%v", err)
	}
	b, err := flowtrace.NewFlowBuilder(flow.Field, flow.Topics())
	if err != nil {
		return flowtrace.Graph{}, cmdutil.UsageErrorf("--field: %v", err)
	}
	defer b.Close()
	if opts.maxKeys > 0 {
		b.MaxKeys = opts.maxKeys
	}
	b.TempDir = opts.tempDir
	b.Warn = func(err error) {
		fmt.Fprintf(opts.IO.ErrOut, "kx: warning: flow: %v; the keys stay in memory\n", err)
	}
	topics, err := meta.Resolve(flow.Topics())
	if err != nil {
		return flowtrace.Graph{}, err
	}
	ranges, err := consume.Plan(ctx, client, kafka.Partitions(topics), nil, flowtrace.Window(opts.From, opts.To))
	if err != nil {
		return flowtrace.Graph{}, err
	}
	if opts.Decoder != nil {
		dec, err := opts.Decoder(opts.Schema)
		if err != nil {
			return flowtrace.Graph{}, err
		}
		if dec != nil {
			defer dec.Report()
			open = consume.Decoding(open, dec.Decode)
		}
	}
	// Offer keeps nothing of the record: the readers may reuse its memory.
	err = consume.ReadParallel(ctx, open, ranges, consume.Options{Reuse: true}, b.Offer)
	if err != nil {
		return flowtrace.Graph{}, err
	}
	return b.Graph()
}

func run(ctx context.Context, opts *Options) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	return graph(ctx, client, consume.Readers(client.NewReader), opts)
}

// graph infers the graph and writes it.
func graph(ctx context.Context, client cluster, open consume.Opener, opts *Options) error {
	g, err := infer(ctx, client, open, opts)
	if err != nil {
		return err
	}
	if err := cmdutil.Interrupted(ctx, "flow", "after reading "+output.Count(g.Keys, "key")+"; nothing printed"); err != nil {
		return err
	}
	if g.Keys == 0 {
		return exitcode.Newf(exitcode.NoMatch, "flow: no record carries %s", g.Field)
	}
	return Write(opts.IO, opts.Output, g)
}

// Write renders the graph in format f.
func Write(io *iostreams.IOStreams, f output.Format, g flowtrace.Graph) error {
	w := io.Out
	switch f {
	case Mermaid:
		return flowtrace.WriteMermaid(w, g)
	case DOT:
		return flowtrace.WriteDOT(w, g)
	case output.NDJSON:
		for _, e := range g.Edges {
			if err := output.WriteJSONLine(w, e); err != nil {
				return err
			}
		}
		for _, n := range g.Nodes {
			if err := output.WriteJSONLine(w, n); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(g.Edges)+len(g.Nodes)+1)
	for _, e := range g.Edges {
		rows = append(rows, []string{e.From + " → " + e.To, strconv.Itoa(e.Keys), flowtrace.FormatDuration(e.P50), flowtrace.FormatDuration(e.P95), flowtrace.FormatDuration(e.Max), ""})
	}
	for _, n := range g.Nodes {
		rows = append(rows, []string{n.Topic, strconv.Itoa(n.Keys), "", "", "", strconv.Itoa(n.Stopped)})
	}
	// Headers as written: the table's auto-format would print "P 95".
	var buf bytes.Buffer
	t := output.NewTable(&buf).Options(tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header([]string{"STEP", "KEYS", "P50", "P95", "MAX", "STOPPED"})
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(output.TrimTrailingSpaces(buf.Bytes()))
	return err
}
