// Package schemas implements `kx schemas`: list, show, register and check
// schemas in a Schema Registry.
package schemas

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/schema"
)

// ListOptions of kx schemas.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Registry func() (*kafka.Registry, error)
	Output   output.Format
	Patterns []string
}

// NewCmdSchemas builds `kx schemas` and its subcommands.
func NewCmdSchemas(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Registry: f.Registry}
	var outputFlag string
	cmd := &cobra.Command{
		Use:   "schemas [SUBJECT|REGEX…]",
		Short: "List, show, register and check schemas in a Schema Registry",
		Long: `List the subjects of a Confluent-compatible Schema Registry with their latest
version: its number, its schema id, its type (avro, protobuf, json-schema)
and how many versions the subject has. Arguments filter by name or regular
expression ('orders\..*').

The registry comes from --schema-registry URL, KX_SCHEMA_REGISTRY or the
profile's schema_registry section; kx broker --schema-registry-port runs one
in process.

NDJSON fields (one object per subject): subject, version, id, type,
versions.`,
		Example: `  kx schemas
  kx schemas 'orders\..*' -o ndjson
  kx schemas show orders.created-value
  kx schemas register orders.created-value order.avsc
  kx schemas check orders.created-value order-v2.avsc`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Patterns = args
			var err error
			if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON, output.CSV); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON, output.CSV)
	cmd.AddCommand(
		newCmdShow(f, nil),
		newCmdRegister(f, nil),
		newCmdCheck(f, nil),
	)
	return cmd
}

// SubjectRow is one line of kx schemas.
type SubjectRow struct {
	Subject  string `json:"subject"`
	Version  int    `json:"version"`
	ID       int    `json:"id"`
	Type     string `json:"type"`
	Versions int    `json:"versions"`
}

func runList(ctx context.Context, opts *ListOptions) error {
	reg, err := needRegistry(opts.Registry)
	if err != nil {
		return err
	}
	match, err := matcher(opts.Patterns)
	if err != nil {
		return err
	}
	subjects, err := reg.Subjects(ctx)
	if err != nil {
		return err
	}
	sort.Strings(subjects)
	rows := []SubjectRow{}
	for _, s := range subjects {
		if !match(s) {
			continue
		}
		latest, err := reg.SchemaVersion(ctx, s, kafka.LatestVersion)
		if err != nil {
			return err
		}
		versions, err := reg.Versions(ctx, s)
		if err != nil {
			return err
		}
		rows = append(rows, SubjectRow{Subject: s, Version: latest.Version, ID: latest.ID, Type: schema.TypeName(latest.Type), Versions: len(versions)})
	}
	if len(rows) == 0 && len(opts.Patterns) > 0 {
		return cmdutil.UsageErrorf("no subject matches %s in schema registry %s", strings.Join(opts.Patterns, " "), reg.Name())
	}
	cols := []output.Column[SubjectRow]{
		{Header: "subject", Value: func(r SubjectRow) string { return r.Subject }},
		{Header: "version", Value: func(r SubjectRow) string { return strconv.Itoa(r.Version) }},
		{Header: "id", Value: func(r SubjectRow) string { return strconv.Itoa(r.ID) }},
		{Header: "type", Value: func(r SubjectRow) string { return r.Type }},
		{Header: "versions", Value: func(r SubjectRow) string { return strconv.Itoa(r.Versions) }},
	}
	return output.Print(opts.IO.Out, opts.Output, rows, cols)
}

// needRegistry is the configured registry, or a usage error saying how to
// configure one.
func needRegistry(get func() (*kafka.Registry, error)) (*kafka.Registry, error) {
	reg, err := get()
	if err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, cmdutil.UsageErrorf("no schema registry: give --schema-registry URL, set KX_SCHEMA_REGISTRY or add schema_registry to the profile (kx broker --schema-registry-port runs one)")
	}
	return reg, nil
}

// matcher matches subjects by exact name or anchored regular expression.
func matcher(patterns []string) (func(string) bool, error) {
	if len(patterns) == 0 {
		return func(string) bool { return true }, nil
	}
	var res []*regexp.Regexp
	for _, p := range patterns {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, cmdutil.UsageErrorf("%q: not a subject name nor a regular expression: %v", p, err)
		}
		res = append(res, re)
	}
	return func(s string) bool {
		for _, re := range res {
			if re.MatchString(s) {
				return true
			}
		}
		return false
	}, nil
}

func versionFlag(v string) (int, error) {
	if v == "" || v == "latest" {
		return kafka.LatestVersion, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, cmdutil.UsageErrorf("--version %q: want a version number or latest", v)
	}
	return n, nil
}
