// Package registry puts kx's schema encoders (pkg/schema) in a Schema
// Registry and gets them back out: registering a schema with its imports as
// references, finding a registered one, building the encoder of a subject
// version. produce, schemas and play share it; the HTTP client is the
// adapter's (pkg/kafka), the encoding pkg/schema's.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/schema"
)

// Client is what this package needs of a registry; *kafka.Registry has it.
type Client interface {
	Register(ctx context.Context, subject string, s cluster.Schema) (cluster.SubjectSchema, error)
	LookupSchema(ctx context.Context, subject string, s cluster.Schema) (cluster.SubjectSchema, error)
	SchemaVersion(ctx context.Context, subject string, version int) (cluster.SubjectSchema, error)
}

// Subject is the topic-name subject of a topic's values or keys (T-value,
// T-key), as Confluent's serializers name them by default.
func Subject(topic string, key bool) string {
	if key {
		return topic + "-key"
	}
	return topic + "-value"
}

// Register registers e under subject and sets e.ID. A .proto's imports are
// registered first, each under its import name, and referenced from the
// schemas that import them, as Confluent's serializers do. Registering a
// schema the subject already has is not a new version.
func Register(ctx context.Context, c Client, subject string, e *schema.Encoder) (cluster.SubjectSchema, error) {
	return put(ctx, c, subject, e, c.Register)
}

// Lookup finds e registered under subject (imports under their names) and
// sets e.ID; a schema that is not registered there is an error.
func Lookup(ctx context.Context, c Client, subject string, e *schema.Encoder) (cluster.SubjectSchema, error) {
	ss, err := put(ctx, c, subject, e, c.LookupSchema)
	if errors.Is(err, cluster.ErrSchemaNotFound) {
		return ss, fmt.Errorf("%w: the schema is not registered under %s (drop --no-register to register it)", err, subject)
	}
	return ss, err
}

func put(ctx context.Context, c Client, subject string, e *schema.Encoder, do func(context.Context, string, cluster.Schema) (cluster.SubjectSchema, error)) (cluster.SubjectSchema, error) {
	versions := map[string]int{}
	refs := func(names []string) []cluster.SchemaReference {
		var out []cluster.SchemaReference
		for _, n := range names {
			out = append(out, cluster.SchemaReference{Name: n, Subject: n, Version: versions[n]})
		}
		return out
	}
	for _, imp := range e.Imports {
		ss, err := do(ctx, imp.Name, cluster.Schema{Type: e.Type, Text: imp.Text, References: refs(imp.Imports)})
		if err != nil {
			return cluster.SubjectSchema{}, fmt.Errorf("import %s: %w", imp.Name, err)
		}
		versions[imp.Name] = ss.Version
	}
	ss, err := do(ctx, subject, cluster.Schema{Type: e.Type, Text: e.Text, References: refs(e.DirectImports())})
	if err != nil {
		return cluster.SubjectSchema{}, err
	}
	e.ID = ss.ID
	return ss, nil
}

// Fetch builds the encoder of a registered subject version
// (cluster.LatestVersion: the newest), its references fetched too. message
// picks a Protobuf message type (empty: the first).
func Fetch(ctx context.Context, c Client, subject string, version int, message string) (*schema.Encoder, cluster.SubjectSchema, error) {
	ss, err := c.SchemaVersion(ctx, subject, version)
	if err != nil {
		return nil, ss, err
	}
	imports, err := fetchImports(ctx, c, subject, ss.References)
	if err != nil {
		return nil, ss, err
	}
	name := fmt.Sprintf("%s version %d", subject, ss.Version)
	e, err := schema.NewEncoder(ss.Type, ss.Text, name, message, imports...)
	if err != nil {
		return nil, ss, err
	}
	e.ID = ss.ID
	return e, ss, nil
}

// fetchImports fetches the schemas refs name, and theirs, dependencies
// first (an Avro name must be defined before use). what names the schema
// in errors.
func fetchImports(ctx context.Context, c Client, what string, refs []cluster.SchemaReference) ([]schema.Import, error) {
	var imports []schema.Import
	seen := map[string]bool{}
	var fetchRefs func(refs []cluster.SchemaReference, depth int) error
	fetchRefs = func(refs []cluster.SchemaReference, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%s: references nest too deeply", what)
		}
		for _, r := range refs {
			if seen[r.Name] {
				continue
			}
			seen[r.Name] = true
			rs, err := c.SchemaVersion(ctx, r.Subject, r.Version)
			if err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
			// Dependencies first: an Avro name must be defined before use.
			if err := fetchRefs(rs.References, depth+1); err != nil {
				return err
			}
			imports = append(imports, schema.Import{Name: r.Name, Text: rs.Text})
		}
		return nil
	}
	if err := fetchRefs(refs, 0); err != nil {
		return nil, err
	}
	return imports, nil
}

// IDClient is a registry that also finds schemas by id; *kafka.Registry
// is one.
type IDClient interface {
	Client
	SchemaByID(ctx context.Context, id int) (cluster.Schema, error)
}

// Reencoder writes new values with the schema of records read in the wire
// format (kx replay's --jq rewrites): the same schema id, for Protobuf
// the same message type. Each schema is fetched once; safe for concurrent
// use.
type Reencoder struct {
	c    IDClient
	mu   sync.Mutex
	encs map[int]*schema.Encoder
}

// NewReencoder returns a Reencoder over c.
func NewReencoder(c IDClient) *Reencoder {
	return &Reencoder{c: c, encs: map[int]*schema.Encoder{}}
}

// Encode returns value (JSON, in the form kx prints decoded records)
// encoded like orig, a payload in the wire format. A value that does not
// fit is a *schema.FieldError.
func (r *Reencoder) Encode(ctx context.Context, orig, value []byte) ([]byte, error) {
	id, ok := schema.WireID(orig)
	if !ok {
		return nil, errors.New("not in the Schema Registry wire format")
	}
	r.mu.Lock()
	e := r.encs[id]
	r.mu.Unlock()
	if e == nil {
		s, err := r.c.SchemaByID(ctx, id)
		if err != nil {
			return nil, err
		}
		what := fmt.Sprintf("schema id %d", id)
		imports, err := fetchImports(ctx, r.c, what, s.References)
		if err != nil {
			return nil, err
		}
		if e, err = schema.NewEncoder(s.Type, s.Text, what, "", imports...); err != nil {
			return nil, err
		}
		e.ID = id
		r.mu.Lock()
		r.encs[id] = e
		r.mu.Unlock()
	}
	e, err := e.ForWire(orig)
	if err != nil {
		return nil, err
	}
	return e.Encode(nil, value)
}
