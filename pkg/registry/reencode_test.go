package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/schema"
)

// byID gives the fake a registry's lookup by id, counting the calls.
type byID struct {
	*fakeRegistry
	byIDCalls int
}

func (f *byID) SchemaByID(_ context.Context, id int) (kafka.Schema, error) {
	f.byIDCalls++
	for _, vs := range f.subjects {
		for _, v := range vs {
			if v.ID == id {
				return v.Schema, nil
			}
		}
	}
	return kafka.Schema{}, fmt.Errorf("schema id %d: %w", id, kafka.ErrSchemaNotFound)
}

const (
	moneyAvsc = `{"type":"record","name":"Money","namespace":"com","fields":[{"name":"cents","type":"long"}]}`
	payAvsc   = `{"type":"record","name":"Pay","fields":[{"name":"amount","type":"com.Money"}]}`
)

// avroWithRef registers com.Money and pay-value, which refers to it.
func avroWithRef(t *testing.T) *byID {
	t.Helper()
	f := &byID{fakeRegistry: newFake()}
	ctx := context.Background()
	if _, err := f.Register(ctx, "com.Money", kafka.Schema{Type: schema.TypeAvro, Text: moneyAvsc}); err != nil {
		t.Fatal(err)
	}
	ref := []kafka.SchemaReference{{Name: "com.Money", Subject: "com.Money", Version: 1}}
	if _, err := f.Register(ctx, "pay-value", kafka.Schema{Type: schema.TypeAvro, Text: payAvsc, References: ref}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReencoder(t *testing.T) {
	ctx := context.Background()
	f := avroWithRef(t)
	enc, _, err := Fetch(ctx, f, "pay-value", kafka.LatestVersion, "")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := enc.Encode(nil, []byte(`{"amount":{"cents":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := enc.Encode(nil, []byte(`{"amount":{"cents":7}}`))

	r := NewReencoder(f)
	for range 2 {
		got, err := r.Encode(ctx, orig, []byte(`{"amount":{"cents":7}}`))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("re-encoded % x, %v; want % x", got, err, want)
		}
	}
	if f.byIDCalls != 1 {
		t.Errorf("schema fetched %d times, want once", f.byIDCalls)
	}

	var fe *schema.FieldError
	if _, err := r.Encode(ctx, orig, []byte(`{"amount":{"cents":"x"}}`)); !errors.As(err, &fe) || !strings.Contains(fe.Path, "cents") {
		t.Errorf("a value that does not fit: %v, want a field error at amount.cents", err)
	}
	if _, err := r.Encode(ctx, []byte("plain"), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "wire format") {
		t.Errorf("a plain payload: %v", err)
	}
	if _, err := r.Encode(ctx, []byte{0, 0, 0, 0, 99, 2}, []byte(`{}`)); !errors.Is(err, kafka.ErrSchemaNotFound) {
		t.Errorf("an unknown id: %v", err)
	}

	// A reference that is gone: the schema id names it, the error too.
	delete(f.subjects, "com.Money")
	if _, err := NewReencoder(f).Encode(ctx, orig, []byte(`{"amount":{"cents":7}}`)); !errors.Is(err, kafka.ErrSchemaNotFound) || !strings.Contains(err.Error(), "reference com.Money") {
		t.Errorf("a missing reference: %v", err)
	}
}

// A Protobuf record keeps its message type: the wire's message indexes
// pick it, not the schema's first message.
func TestReencoderKeepsProtobufMessage(t *testing.T) {
	ctx := context.Background()
	f := &byID{fakeRegistry: newFake()}
	text := "syntax = \"proto3\";\nmessage A { string a = 1; }\nmessage B { int64 b = 1; }\n"
	ss, err := f.Register(ctx, "two-value", kafka.Schema{Type: schema.TypeProtobuf, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	b, err := schema.NewEncoder(schema.TypeProtobuf, text, "two", "B")
	if err != nil {
		t.Fatal(err)
	}
	b.ID = ss.ID
	orig, err := b.Encode(nil, []byte(`{"b":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Encode(nil, []byte(`{"b":"7"}`))
	got, err := NewReencoder(f).Encode(ctx, orig, []byte(`{"b":"7"}`))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("re-encoded % x, %v; want % x (message B)", got, err, want)
	}
	if _, err := NewReencoder(f).Encode(ctx, orig, []byte(`{"a":"x"}`)); err == nil {
		t.Errorf("a field of A written as B: no error")
	}
}

// failing fails Register and LookupSchema for one subject.
type failing struct {
	*fakeRegistry
	subject string
}

func (f failing) Register(ctx context.Context, subject string, s kafka.Schema) (kafka.SubjectSchema, error) {
	if subject == f.subject {
		return kafka.SubjectSchema{}, fmt.Errorf("subject %s: %w", subject, kafka.ErrUnreachable)
	}
	return f.fakeRegistry.Register(ctx, subject, s)
}

func TestRegisterErrors(t *testing.T) {
	ctx := context.Background()
	imp := schema.Import{Name: "common/currency.proto", Text: "syntax = \"proto3\";\npackage common;\nmessage Currency { string code = 1; }\n"}
	enc, err := schema.NewEncoder(schema.TypeProtobuf, "syntax = \"proto3\";\nimport \"common/currency.proto\";\nmessage Pay { common.Currency c = 1; }\n", "pay.proto", "", imp)
	if err != nil {
		t.Fatal(err)
	}
	enc.Imports = []schema.Import{imp}

	f := failing{fakeRegistry: newFake(), subject: "common/currency.proto"}
	if _, err := Register(ctx, f, "pay-value", enc); !errors.Is(err, kafka.ErrUnreachable) || !strings.HasPrefix(err.Error(), "import common/currency.proto: ") {
		t.Errorf("an import that fails: %v", err)
	}
	if len(f.subjects["pay-value"]) != 0 {
		t.Errorf("the schema was registered without its import")
	}
	f.subject = "pay-value"
	enc.ID = 0
	if _, err := Register(ctx, f, "pay-value", enc); !errors.Is(err, kafka.ErrUnreachable) || enc.ID != 0 {
		t.Errorf("the schema fails: %v, id %d", err, enc.ID)
	}
	// Lookup passes other errors through without the --no-register hint.
	if _, err := Lookup(ctx, failingLookup{f.fakeRegistry}, "pay-value", enc); !errors.Is(err, kafka.ErrUnreachable) || strings.Contains(err.Error(), "--no-register") {
		t.Errorf("lookup unreachable: %v", err)
	}
}

type failingLookup struct{ *fakeRegistry }

func (failingLookup) LookupSchema(context.Context, string, kafka.Schema) (kafka.SubjectSchema, error) {
	return kafka.SubjectSchema{}, kafka.ErrUnreachable
}

func TestFetchErrors(t *testing.T) {
	ctx := context.Background()
	f := avroWithRef(t)
	if _, _, err := Fetch(ctx, f, "pay-value", 1, ""); err != nil {
		t.Fatal(err)
	}
	// A subject whose text no longer compiles names the subject version.
	f.Register(ctx, "bad-value", kafka.Schema{Type: schema.TypeAvro, Text: `{"type":"record"`})
	var se *schema.SchemaError
	if _, _, err := Fetch(ctx, f, "bad-value", 1, ""); !errors.As(err, &se) || !strings.Contains(err.Error(), "bad-value version 1") {
		t.Errorf("a schema that does not compile: %v", err)
	}
	// A chain of references deeper than 32 stops rather than recursing on.
	for i := 40; i >= 0; i-- {
		var refs []kafka.SchemaReference
		if i < 40 {
			refs = []kafka.SchemaReference{{Name: fmt.Sprint("r", i+1), Subject: fmt.Sprint("r", i+1), Version: 1}}
		}
		f.Register(ctx, fmt.Sprint("r", i), kafka.Schema{Type: schema.TypeAvro, Text: fmt.Sprintf(`{"type":"fixed","name":"F%d","size":1}`, i), References: refs})
	}
	if _, _, err := Fetch(ctx, f, "r0", 1, ""); err == nil || !strings.Contains(err.Error(), "r0: references nest too deeply") {
		t.Errorf("41 nested references: %v", err)
	}
	// A reference that is gone names the reference.
	delete(f.subjects, "com.Money")
	if _, _, err := Fetch(ctx, f, "pay-value", 1, ""); !errors.Is(err, kafka.ErrSchemaNotFound) || !strings.Contains(err.Error(), "reference com.Money") {
		t.Errorf("a missing reference: %v", err)
	}
}
