package produce

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/schema"
)

// SchemaOptions say how one side of the records (value or key) is
// encoded: a schema file, or a subject already in the registry.
type SchemaOptions struct {
	File    string // .avsc, .proto or JSON Schema .json
	Message string // Protobuf message type
	Subject string // a registered subject to use instead of File
	Version int    // the subject's version; kafka.LatestVersion by default
}

func (s *SchemaOptions) enabled() bool { return s.File != "" || s.Subject != "" }

func addSchemaFlags(cmd *cobra.Command, side string, s *SchemaOptions, version *string) {
	fl := cmd.Flags()
	fl.StringVar(&s.File, side+"-schema", "", "encode each "+side+" with this schema: FILE.avsc, FILE.proto or a JSON Schema FILE.json")
	fl.StringVar(&s.Message, side+"-message", "", "the Protobuf message type of the "+side+" (default: the file's first)")
	fl.StringVar(&s.Subject, side+"-subject", "", "encode each "+side+" with the schema registered under this subject")
	fl.StringVar(version, side+"-version", "", "with --"+side+"-subject: the version to use, N or latest (default latest)")
}

// checkSchemaFlags validates one side's flags after parsing.
func checkSchemaFlags(side string, s *SchemaOptions, version string) error {
	if s.File != "" && s.Subject != "" {
		return cmdutil.UsageErrorf("--%s-schema and --%s-subject exclude each other", side, side)
	}
	if s.Message != "" && !s.enabled() {
		return cmdutil.UsageErrorf("--%s-message needs --%s-schema or --%s-subject", side, side, side)
	}
	s.Version = kafka.LatestVersion
	if version != "" {
		if s.Subject == "" {
			return cmdutil.UsageErrorf("--%s-version needs --%s-subject", side, side)
		}
		if version != "latest" {
			n, err := strconv.Atoi(version)
			if err != nil || n < 1 {
				return cmdutil.UsageErrorf("--%s-version %q: want a version number or latest", side, version)
			}
			s.Version = n
		}
	}
	return nil
}

// parseSchema compiles one side's schema file, before anything connects.
func parseSchema(s *SchemaOptions) (*schema.Encoder, error) {
	if s.File == "" {
		return nil, nil
	}
	return schema.ParseFile(s.File, s.Message)
}

// encoder builds one side's encoder (parsed: its compiled schema file, if
// any), registering or looking up its schema.
func encoder(ctx context.Context, opts *Options, s *SchemaOptions, parsed *schema.Encoder, key bool) (*schema.Encoder, error) {
	if !s.enabled() {
		return nil, nil
	}
	side := "value"
	if key {
		side = "key"
	}
	var reg *kafka.Registry
	if opts.Registry != nil {
		var err error
		if reg, err = opts.Registry(); err != nil {
			return nil, err
		}
	}
	if reg == nil {
		return nil, cmdutil.UsageErrorf("--%s-schema and --%s-subject need a schema registry: --schema-registry URL, KX_SCHEMA_REGISTRY or schema_registry in the profile", side, side)
	}
	if s.Subject != "" {
		enc, ss, err := registry.Fetch(ctx, reg, s.Subject, s.Version, s.Message)
		if err != nil {
			return nil, fmt.Errorf("--%s-subject: %w", side, err)
		}
		if s.Message != "" && enc.Type != schema.TypeProtobuf {
			return nil, cmdutil.UsageErrorf("--%s-message: subject %s is %s, not protobuf", side, s.Subject, schema.TypeName(enc.Type))
		}
		fmt.Fprintf(opts.IO.ErrOut, "kx: %s schema: %s version %d (id %d, %s)\n", side, ss.Subject, ss.Version, ss.ID, schema.TypeName(enc.Type))
		return enc, nil
	}
	enc := parsed
	subject := registry.Subject(opts.Topic, key)
	var ss kafka.SubjectSchema
	var err error
	verb := "registered under"
	if opts.NoRegister {
		ss, err = registry.Lookup(ctx, reg, subject, enc)
		verb = "found under"
	} else {
		ss, err = registry.Register(ctx, reg, subject, enc)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s-schema %s: %w", side, s.File, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "kx: %s schema %s: %s %s version %d (id %d, %s)\n", side, s.File, verb, ss.Subject, ss.Version, ss.ID, schema.TypeName(enc.Type))
	return enc, nil
}

// encodeRecord encodes a record's value and key with the schemas given.
// A tombstone stays a tombstone; a key that is not JSON, or does not fit
// as JSON, is taken as a JSON string (keys are often plain text).
func (c *converter) encodeRecord(r *record.Record) error {
	if c.valueEnc != nil && r.Value != nil {
		if !record.IsJSON(r.Value) {
			return fmt.Errorf("value: not JSON, and --value-schema encodes JSON values")
		}
		v, err := c.valueEnc.Encode(nil, r.Value)
		if err != nil {
			return fmt.Errorf("value %w", err)
		}
		r.Value = v
	}
	if c.keyEnc != nil && r.Key != nil {
		isJSON := record.IsJSON(r.Key)
		var k []byte
		var err error
		if isJSON {
			k, err = c.keyEnc.Encode(nil, r.Key)
		}
		if !isJSON || err != nil {
			str, _ := json.Marshal(string(r.Key))
			k2, err2 := c.keyEnc.Encode(nil, str)
			if err2 != nil {
				if !isJSON {
					err = err2
				}
				return fmt.Errorf("key %w", err)
			}
			k = k2
		}
		r.Key = k
	}
	return nil
}
