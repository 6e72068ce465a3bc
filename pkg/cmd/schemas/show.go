package schemas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/schema"
)

// ShowOptions of kx schemas show.
type ShowOptions struct {
	IO       *iostreams.IOStreams
	Registry func() (*kafka.Registry, error)
	Output   output.Format
	Subject  string
	Version  int // kafka.LatestVersion: the newest
}

func newCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Registry: f.Registry}
	var outputFlag, version string
	cmd := &cobra.Command{
		Use:   "show SUBJECT",
		Short: "Show a subject's schema (latest or --version N)",
		Long: `Show one version of a subject: its number, schema id, type and references,
then the schema (Avro and JSON Schema indented).

-o raw prints the schema text alone, as registered, so it can be saved and
edited. NDJSON: one object {subject, version, id, type, schema,
references[{name, subject, version}]}.`,
		Example: `  kx schemas show orders.created-value
  kx schemas show orders.created-value --version 1 -o raw > order-v1.avsc`,
		Args: cmdutil.ExactArgs(1, "a subject"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Subject = args[0]
			var err error
			if opts.Version, err = versionFlag(version); err != nil {
				return err
			}
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON, output.Raw); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runShow(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, output.Raw)
	cmd.Flags().StringVar(&version, "version", "latest", "the version to show: N or latest")
	return cmd
}

// SchemaView is a subject version as kx schemas show prints it.
type SchemaView struct {
	Subject    string          `json:"subject"`
	Version    int             `json:"version"`
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Schema     string          `json:"schema"`
	References []ReferenceView `json:"references"`
}

// ReferenceView is a schema reference.
type ReferenceView struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

func runShow(ctx context.Context, opts *ShowOptions) error {
	reg, err := needRegistry(opts.Registry)
	if err != nil {
		return err
	}
	ss, err := reg.SchemaVersion(ctx, opts.Subject, opts.Version)
	if err != nil {
		return err
	}
	v := SchemaView{Subject: ss.Subject, Version: ss.Version, ID: ss.ID, Type: schema.TypeName(ss.Type), Schema: ss.Text, References: []ReferenceView{}}
	for _, r := range ss.References {
		v.References = append(v.References, ReferenceView(r))
	}
	w := opts.IO.Out
	switch opts.Output {
	case output.NDJSON:
		return output.WriteJSONLine(w, v)
	case output.Raw:
		_, err := fmt.Fprint(w, strings.TrimRight(v.Schema, "\n")+"\n")
		return err
	}
	fmt.Fprintf(w, "SUBJECT %s  version=%d  id=%d  type=%s\n", v.Subject, v.Version, v.ID, v.Type)
	for _, r := range v.References {
		fmt.Fprintf(w, "REFERENCE %s  subject=%s  version=%d\n", r.Name, r.Subject, r.Version)
	}
	fmt.Fprintln(w)
	text := v.Schema
	if ss.Type != schema.TypeProtobuf {
		var b bytes.Buffer
		if json.Indent(&b, []byte(text), "", "  ") == nil {
			text = b.String()
		}
	}
	_, err = fmt.Fprintln(w, strings.TrimRight(text, "\n"))
	return err
}
