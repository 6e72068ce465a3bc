package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/schema"
)

// fakeRegistry keeps subjects in memory, as a registry does: the same
// schema registered twice is one version.
type fakeRegistry struct {
	subjects map[string][]cluster.SubjectSchema
	ids      int
	calls    []string
}

func newFake() *fakeRegistry { return &fakeRegistry{subjects: map[string][]cluster.SubjectSchema{}} }

func (f *fakeRegistry) find(subject string, s cluster.Schema) (cluster.SubjectSchema, bool) {
	for _, v := range f.subjects[subject] {
		if v.Text == s.Text && fmt.Sprint(v.References) == fmt.Sprint(s.References) {
			return v, true
		}
	}
	return cluster.SubjectSchema{}, false
}

func (f *fakeRegistry) Register(_ context.Context, subject string, s cluster.Schema) (cluster.SubjectSchema, error) {
	f.calls = append(f.calls, "register "+subject+fmt.Sprint(s.References))
	if v, ok := f.find(subject, s); ok {
		return v, nil
	}
	f.ids++
	s.ID = f.ids
	v := cluster.SubjectSchema{Subject: subject, Version: len(f.subjects[subject]) + 1, Schema: s}
	f.subjects[subject] = append(f.subjects[subject], v)
	return v, nil
}

func (f *fakeRegistry) LookupSchema(_ context.Context, subject string, s cluster.Schema) (cluster.SubjectSchema, error) {
	f.calls = append(f.calls, "lookup "+subject)
	if v, ok := f.find(subject, s); ok {
		return v, nil
	}
	return cluster.SubjectSchema{}, fmt.Errorf("subject %s: %w", subject, cluster.ErrSchemaNotFound)
}

func (f *fakeRegistry) SchemaVersion(_ context.Context, subject string, version int) (cluster.SubjectSchema, error) {
	vs := f.subjects[subject]
	if len(vs) == 0 || version > len(vs) {
		return cluster.SubjectSchema{}, fmt.Errorf("subject %s: %w", subject, cluster.ErrSchemaNotFound)
	}
	if version == cluster.LatestVersion {
		return vs[len(vs)-1], nil
	}
	return vs[version-1], nil
}

func TestRegisterWithImportsThenFetch(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "common"), 0o755)
	os.WriteFile(filepath.Join(dir, "common", "currency.proto"), []byte("syntax = \"proto3\";\npackage common;\nmessage Currency { string code = 1; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "common", "money.proto"), []byte("syntax = \"proto3\";\npackage common;\nimport \"common/currency.proto\";\nmessage Money { int64 cents = 1; Currency currency = 2; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pay.proto"), []byte("syntax = \"proto3\";\nimport \"common/money.proto\";\nmessage Pay { common.Money amount = 1; }\n"), 0o644)
	enc, err := schema.ParseFile(filepath.Join(dir, "pay.proto"), "")
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	ss, err := Register(context.Background(), f, Subject("payments", false), enc)
	if err != nil {
		t.Fatal(err)
	}
	want := "register common/currency.proto[] | register common/money.proto[{common/currency.proto common/currency.proto 1}] | register payments-value[{common/money.proto common/money.proto 1}]"
	if got := strings.Join(f.calls, " | "); got != want {
		t.Errorf("calls:\n%s\nwant\n%s", got, want)
	}
	if enc.ID != ss.ID || ss.ID != 3 || ss.Version != 1 {
		t.Errorf("registered %+v, encoder id %d", ss, enc.ID)
	}
	// Registering again is the same version; Lookup finds it.
	if ss2, _ := Register(context.Background(), f, "payments-value", enc); ss2.Version != 1 || ss2.ID != 3 {
		t.Errorf("again: %+v", ss2)
	}
	enc.ID = 0
	if _, err := Lookup(context.Background(), f, "payments-value", enc); err != nil || enc.ID != 3 {
		t.Errorf("lookup: %v, id %d", err, enc.ID)
	}
	if _, err := Lookup(context.Background(), f, "other-value", enc); !errors.Is(err, cluster.ErrSchemaNotFound) || !strings.Contains(err.Error(), "not registered under other-value") {
		t.Errorf("lookup elsewhere: %v", err)
	}

	// Fetch compiles the registered text with its references.
	got, fs, err := Fetch(context.Background(), f, "payments-value", cluster.LatestVersion, "Pay")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 3 || fs.Version != 1 {
		t.Errorf("fetched id %d version %d", got.ID, fs.Version)
	}
	out, err := got.Encode(nil, []byte(`{"amount":{"cents":"5","currency":{"code":"EUR"}}}`))
	if err != nil || out[4] != 3 {
		t.Errorf("encode with the fetched schema: % x, %v", out, err)
	}
	if _, _, err := Fetch(context.Background(), f, "nope-value", cluster.LatestVersion, ""); !errors.Is(err, cluster.ErrSchemaNotFound) {
		t.Errorf("fetch unknown: %v", err)
	}
}
