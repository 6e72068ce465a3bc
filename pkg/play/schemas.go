package play

import (
	"context"
	"fmt"

	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
)

// encoders are the schemas of the scenario's topics that declare a format
// other than JSON, by topic name.
func (p *Player) encoders() map[string]*schema.Encoder {
	m := map[string]*schema.Encoder{}
	for _, t := range p.s.Topics {
		if t.Schema != nil {
			m[t.Name] = t.Schema
		}
	}
	return m
}

// registerSchemas registers each schema-encoded topic's schema under its
// topic-name subject (T-value) and sets its id, before the first event.
func (p *Player) registerSchemas(ctx context.Context, encs map[string]*schema.Encoder) error {
	if len(encs) == 0 {
		return nil
	}
	var reg registry.Client
	if p.opts.Registry != nil {
		var err error
		if reg, err = p.opts.Registry(); err != nil {
			return err
		}
	}
	for _, t := range p.s.Topics {
		enc := encs[t.Name]
		if enc == nil {
			continue
		}
		if reg == nil {
			return &InputError{Msg: fmt.Sprintf("scenario %s: topic %s is written in %s and needs a schema registry: --schema-registry URL, KX_SCHEMA_REGISTRY or schema_registry in the profile (kx broker --schema-registry-port runs one)", p.s.Name, t.Name, t.Format)}
		}
		ss, err := registry.Register(ctx, reg, registry.Subject(t.Name, false), enc)
		if err != nil {
			return fmt.Errorf("%s: topic %s: %w", p.opts.Name, t.Name, err)
		}
		if !p.opts.Quiet {
			fmt.Fprintf(p.opts.IO.ErrOut, "%s: topic %s in %s: schema registered under %s version %d (id %d)\n", p.opts.Name, t.Name, t.Format, ss.Subject, ss.Version, ss.ID)
		}
	}
	return nil
}

// encodeEvent is an event's value as produced: encoded with its topic's
// schema, or the JSON as it is. An event its schema refuses is a mismatch
// between the scenario's templates and the schema: an input error.
func (p *Player) encodeEvent(encs map[string]*schema.Encoder, ev *scenario.Event) ([]byte, error) {
	enc := encs[ev.Topic]
	if enc == nil {
		return ev.Value, nil
	}
	v, err := enc.Encode(nil, ev.Value)
	if err != nil {
		return nil, &InputError{Msg: fmt.Sprintf("scenario %s: an event of flow %s, step %s, does not fit the %s schema of topic %s: value %v", p.s.Name, ev.Flow, ev.Step, schema.TypeName(enc.Type), ev.Topic, err)}
	}
	return v, nil
}
