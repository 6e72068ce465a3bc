package kafka

import (
	"context"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
)

// LookupSchema finds s among subject's versions without registering it;
// an error wrapping ErrSchemaNotFound when the subject does not have it.
func (r *Registry) LookupSchema(ctx context.Context, subject string, s Schema) (SubjectSchema, error) {
	var md schemaregistry.SchemaMetadata
	err := r.call(ctx, "look up under "+subject, func() (err error) {
		md, err = r.c.GetIDFullResponse(subject, infoOf(s), false)
		return err
	})
	if err != nil {
		return SubjectSchema{}, err
	}
	out := SubjectSchema{Subject: subject, Version: md.Version, Schema: s}
	out.ID = md.ID
	return out, nil
}

// Compatibility is the compatibility level that applies to subject (its
// own, else the registry's default), e.g. BACKWARD or NONE.
func (r *Registry) Compatibility(ctx context.Context, subject string) (string, error) {
	var c schemaregistry.ServerConfig
	err := r.call(ctx, "compatibility level of "+subject, func() (err error) {
		c, err = r.c.GetConfig(subject, true)
		return err
	})
	if err != nil {
		return "", err
	}
	return c.CompatibilityLevel.String(), nil
}
