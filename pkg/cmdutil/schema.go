package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

// SchemaFlags are the flags of the commands that read records: how keys
// and values are decoded, and whether an undecodable one is fatal.
type SchemaFlags struct {
	KeyFormat   string
	ValueFormat string
	Strict      bool
}

// AddSchemaFlags adds --key-format, --value-format and, unless the command
// has its own (whose value it then copies into sf.Strict), --strict.
func AddSchemaFlags(cmd *cobra.Command, sf *SchemaFlags) {
	AddFormatFlags(cmd, sf)
	if cmd.Flags().Lookup("strict") == nil {
		cmd.Flags().BoolVar(&sf.Strict, "strict", false, "a key or value that cannot be decoded is an error (exit 2) instead of printed raw with value_error")
	}
}

// AddFormatFlags adds --key-format and --value-format.
func AddFormatFlags(cmd *cobra.Command, sf *SchemaFlags) {
	formats := strings.Join(schema.Formats, "|")
	cmd.Flags().StringVar(&sf.ValueFormat, "value-format", schema.FormatAuto, "how values are read: "+formats+" (auto: Schema Registry wire format decoded when a registry is configured)")
	cmd.Flags().StringVar(&sf.KeyFormat, "key-format", schema.FormatAuto, "how keys are read: "+formats)
	for _, name := range []string{"value-format", "key-format"} {
		_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return schema.Formats, cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// RecordDecoder decodes the keys and values of the records a command reads
// (see schema.Decoder), warns on stderr at the first one it cannot decode
// and, with --strict, makes that an error. A nil *RecordDecoder does
// nothing.
type RecordDecoder struct {
	dec    *schema.Decoder
	strict bool
	errOut io.Writer
	warned atomic.Bool
}

// RecordDecoder builds the run's decoder from the schema flags and the
// configured registry. It is nil when there is nothing to decode.
func (f *Factory) RecordDecoder(sf SchemaFlags) (*RecordDecoder, error) {
	reg, err := f.Registry()
	if err != nil {
		return nil, err
	}
	return NewRecordDecoder(reg, sf, f.IOStreams.ErrOut)
}

// NewRecordDecoder builds a decoder over reg (nil: no registry) that warns
// on errOut; nil when there is nothing to decode. kx demo uses it with its
// embedded registry.
func NewRecordDecoder(reg *kafka.Registry, sf SchemaFlags, errOut io.Writer) (*RecordDecoder, error) {
	keyFormat, err := schema.ParseFormat(sf.KeyFormat)
	if err != nil {
		return nil, UsageErrorf("--key-format: %v", err)
	}
	valueFormat, err := schema.ParseFormat(sf.ValueFormat)
	if err != nil {
		return nil, UsageErrorf("--value-format: %v", err)
	}
	var src schema.Registry
	if reg != nil {
		src = registrySource{reg}
	} else {
		for flag, format := range map[string]string{"--key-format": keyFormat, "--value-format": valueFormat} {
			if schema.NeedsRegistry(format) {
				return nil, UsageErrorf("%s %s needs a Schema Registry (--schema-registry URL, KX_SCHEMA_REGISTRY or the profile's schema_registry)", flag, format)
			}
		}
	}
	dec := schema.NewDecoder(src, keyFormat, valueFormat)
	if !dec.Active() {
		return nil, nil
	}
	return &RecordDecoder{dec: dec, strict: sf.Strict, errOut: errOut}, nil
}

// Decode decodes r in place. A record it cannot decode is kept raw with
// its error, or with --strict ends the run (exit 2); an unreachable or
// refusing registry always ends it.
func (d *RecordDecoder) Decode(ctx context.Context, r *record.Record) error {
	return d.DecodeReusing(ctx, r, nil)
}

// DecodeReusing is Decode into s's memory (schema.Decoder.DecodeReusing):
// for a caller that is done with each record before decoding the next.
func (d *RecordDecoder) DecodeReusing(ctx context.Context, r *record.Record, s *schema.Scratch) error {
	if d == nil {
		return nil
	}
	if err := d.dec.DecodeReusing(ctx, r, s); err != nil {
		return err
	}
	for _, x := range []struct {
		what string
		s    *record.Decoded
	}{{"value", r.ValueSchema}, {"key", r.KeySchema}} {
		if x.s == nil || x.s.Err == "" {
			continue
		}
		if d.strict {
			return exitcode.Newf(exitcode.Usage, "%s@%d: %s cannot be decoded: %s (--strict)", r.TP(), r.Offset, x.what, x.s.Err)
		}
		if d.warned.CompareAndSwap(false, true) {
			fmt.Fprintf(d.errOut, "kx: warning: %s@%d: %s cannot be decoded: %s; printed raw with %s_error (further ones are counted)\n", r.TP(), r.Offset, x.what, x.s.Err, x.what)
		}
	}
	return nil
}

// Failed is how many keys and values could not be decoded.
func (d *RecordDecoder) Failed() int64 {
	if d == nil {
		return 0
	}
	return d.dec.Failed()
}

// Report prints how many keys and values could not be decoded, if any.
func (d *RecordDecoder) Report() {
	switch n := d.Failed(); {
	case n == 1:
		fmt.Fprintf(d.errOut, "kx: 1 key or value could not be decoded (printed raw with *_error)\n")
	case n > 1:
		fmt.Fprintf(d.errOut, "kx: %d keys or values could not be decoded (printed raw with *_error)\n", n)
	}
}

// registrySource lets the decoder ask the adapter's registry client.
type registrySource struct{ reg *kafka.Registry }

func (s registrySource) SchemaByID(ctx context.Context, id int) (schema.Registered, error) {
	got, err := s.reg.SchemaByID(ctx, id)
	return registered(got, err)
}

func (s registrySource) SchemaByVersion(ctx context.Context, subject string, version int) (schema.Registered, error) {
	got, err := s.reg.SchemaVersion(ctx, subject, version)
	return registered(got.Schema, err)
}

func registered(s kafka.Schema, err error) (schema.Registered, error) {
	if err != nil {
		if errors.Is(err, kafka.ErrSchemaNotFound) {
			return schema.Registered{}, fmt.Errorf("%w: %w", schema.ErrNotFound, err)
		}
		return schema.Registered{}, err
	}
	out := schema.Registered{ID: s.ID, Type: s.Type, Text: s.Text}
	for _, r := range s.References {
		out.References = append(out.References, schema.Reference{Name: r.Name, Subject: r.Subject, Version: r.Version})
	}
	return out, nil
}

// Readers is the reader opener of a command that reads records: the
// client's readers, decoding Schema Registry formats when dec is set.
func Readers(client *kafka.Client, dec *RecordDecoder) consume.Opener {
	open := consume.Readers(client.NewReader)
	if dec != nil {
		open = consume.Decoding(open, dec.Decode)
	}
	return open
}
