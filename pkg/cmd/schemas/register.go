package schemas

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/schema"
)

// RegisterOptions of kx schemas register and kx schemas check.
type RegisterOptions struct {
	IO       *iostreams.IOStreams
	Registry func() (*kafka.Registry, error)
	Output   output.Format
	Subject  string
	File     string
	Message  string // Protobuf message type checked for being defined
}

// bindSubjectFile gives register and check their SUBJECT FILE arguments,
// their -o flag, and runs run (or runF in tests).
func bindSubjectFile(f *cmdutil.Factory, cmd *cobra.Command, opts *RegisterOptions,
	runF, run func(context.Context, *RegisterOptions) error) {
	var outputFlag string
	cmd.Args = cmdutil.ExactArgs(2, "a subject and a schema file")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.Subject, opts.File = args[0], args[1]
		var err error
		if opts.Output, err = f.ResolveOutput(outputFlag, output.Table, output.NDJSON); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
	cmdutil.AddOutputFlag(cmd, &outputFlag, output.Table, output.NDJSON)
}

func newCmdRegister(f *cmdutil.Factory, runF func(context.Context, *RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "register SUBJECT FILE",
		Short: "Register a schema file under a subject",
		Long: `Register FILE (.avsc Avro, .proto Protobuf, .json JSON Schema) under
SUBJECT. The file is compiled first: one that does not compile exits 2 with
file:line:col. A .proto's imports (other than google/protobuf/*) are
registered too, each under its import path, and referenced. Registering a
schema the subject already has returns its version, not a new one.

Prints the subject, version, id and type (NDJSON: subject, version, id,
type).`,
		Example: `  kx schemas register orders.created-value order.avsc
  kx schemas register payments-value payment.proto`,
	}
	bindSubjectFile(f, cmd, opts, runF, runRegister)
	cmd.Flags().StringVar(&opts.Message, "message", "", "a .proto's message type that must exist (the file is registered whole)")
	return cmd
}

func runRegister(ctx context.Context, opts *RegisterOptions) error {
	enc, err := schema.ParseFile(opts.File, opts.Message)
	if err != nil {
		return err
	}
	reg, err := needRegistry(opts.Registry)
	if err != nil {
		return err
	}
	ss, err := registry.Register(ctx, reg, opts.Subject, enc)
	if err != nil {
		return err
	}
	row := RegisteredRow{Subject: ss.Subject, Version: ss.Version, ID: ss.ID, Type: schema.TypeName(enc.Type)}
	return output.Print(opts.IO.Out, opts.Output, []RegisteredRow{row}, []output.Column[RegisteredRow]{
		{Header: "subject", Value: func(r RegisteredRow) string { return r.Subject }},
		{Header: "version", Value: func(r RegisteredRow) string { return strconv.Itoa(r.Version) }},
		{Header: "id", Value: func(r RegisteredRow) string { return strconv.Itoa(r.ID) }},
		{Header: "type", Value: func(r RegisteredRow) string { return r.Type }},
	})
}

// RegisteredRow is what kx schemas register prints.
type RegisteredRow struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
	ID      int    `json:"id"`
	Type    string `json:"type"`
}

func newCmdCheck(f *cmdutil.Factory, runF func(context.Context, *RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "check SUBJECT FILE",
		Short: "Check a schema file is compatible with a subject's latest version",
		Long: `Check that FILE compiles and that the registry would accept it as the next
version of SUBJECT under the subject's compatibility level (BACKWARD,
FORWARD, FULL, NONE…). Nothing is registered.

Prints subject, latest version, level and the verdict; exit 0 when
compatible, 1 when not, 2 when the file does not compile. A subject with no
version yet accepts any schema. A registry that cannot check compatibility is
said so plainly, and the verdict is "unchecked" (exit 0): the embedded
registry of kx broker (franz-go's srfake) is one of them. It would accept any
schema as a new version.

NDJSON: subject, version, level, compatible (true, false or null when
unchecked), message.`,
		Example: `  kx schemas check orders.created-value order-v2.avsc
  kx schemas check payments-value payment.proto -o ndjson`,
	}
	bindSubjectFile(f, cmd, opts, runF, runCheck)
	cmd.Flags().StringVar(&opts.Message, "message", "", "a .proto's message type that must exist")
	return cmd
}

// CheckRow is the verdict of kx schemas check.
type CheckRow struct {
	Subject    string `json:"subject"`
	Version    int    `json:"version"` // the latest, checked against; 0 when none
	Level      string `json:"level"`
	Compatible *bool  `json:"compatible"`
	Message    string `json:"message"`
}

func runCheck(ctx context.Context, opts *RegisterOptions) error {
	enc, err := schema.ParseFile(opts.File, opts.Message)
	if err != nil {
		return err
	}
	reg, err := needRegistry(opts.Registry)
	if err != nil {
		return err
	}
	row := CheckRow{Subject: opts.Subject}
	yes, no := true, false
	latest, err := reg.SchemaVersion(ctx, opts.Subject, kafka.LatestVersion)
	switch {
	case errors.Is(err, kafka.ErrSchemaNotFound):
		row.Compatible = &yes
		row.Message = "the subject has no version yet: any schema can be its first"
	case err != nil:
		return err
	default:
		row.Version = latest.Version
		if row.Level, err = reg.Compatibility(ctx, opts.Subject); err != nil {
			return err
		}
		s := kafka.Schema{Type: enc.Type, Text: enc.Text}
		// A .proto's imports are checked as the references they would be.
		for _, name := range enc.DirectImports() {
			ref, err := reg.SchemaVersion(ctx, name, kafka.LatestVersion)
			if err != nil {
				return fmt.Errorf("import %s: %w (register it first)", name, err)
			}
			s.References = append(s.References, kafka.SchemaReference{Name: name, Subject: name, Version: ref.Version})
		}
		ok, err := reg.CheckCompatibility(ctx, opts.Subject, s)
		switch {
		case errors.Is(err, kafka.ErrNoCompatibilityCheck):
			row.Message = fmt.Sprintf("unchecked: schema registry %s cannot check compatibility (the embedded registry of kx broker cannot); the file compiles, and the registry would register it as a new version without any check", reg.Name())
		case err != nil:
			return err
		case ok:
			row.Compatible = &yes
			row.Message = fmt.Sprintf("compatible with version %d (level %s)", latest.Version, row.Level)
		default:
			row.Compatible = &no
			row.Message = fmt.Sprintf("not compatible with version %d (level %s)", latest.Version, row.Level)
		}
	}
	err = output.Print(opts.IO.Out, opts.Output, []CheckRow{row}, []output.Column[CheckRow]{
		{Header: "subject", Value: func(r CheckRow) string { return r.Subject }},
		{Header: "latest", Value: func(r CheckRow) string {
			if r.Version == 0 {
				return "-"
			}
			return strconv.Itoa(r.Version)
		}},
		{Header: "level", Value: func(r CheckRow) string {
			if r.Level == "" {
				return "-"
			}
			return r.Level
		}},
		{Header: "verdict", Value: func(r CheckRow) string {
			switch {
			case r.Compatible == nil:
				return "unchecked"
			case *r.Compatible:
				return "compatible"
			}
			return "NOT compatible"
		}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: %s: %s\n", opts.Subject, row.Message)
	if row.Compatible != nil && !*row.Compatible {
		return exitcode.Silent(exitcode.NoMatch)
	}
	return nil
}
