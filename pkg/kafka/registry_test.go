package kafka

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/embedded"
)

const userAvro = `{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}`

func startRegistry(t *testing.T, auth string) *embedded.Registry {
	t.Helper()
	reg, err := embedded.StartRegistry(embedded.RegistryOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	return reg
}

func newRegistry(t *testing.T, opts RegistryOptions) *Registry {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	r, err := NewRegistry(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func TestRegistryRoundTrip(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, RegistryOptions{URL: startRegistry(t, "").URL()})
	proto := `syntax = "proto3"; message Order { string id = 1; }`
	a, err := r.Register(ctx, "users-value", Schema{Type: SchemaAvro, Text: userAvro})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Register(ctx, "orders-value", Schema{Type: SchemaProtobuf, Text: proto})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == p.ID || a.Version != 1 || p.Version != 1 {
		t.Fatalf("ids %d, %d versions %d, %d", a.ID, p.ID, a.Version, p.Version)
	}
	got, err := r.SchemaByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != SchemaProtobuf || got.Text != proto || got.ID != p.ID {
		t.Fatalf("SchemaByID(%d) = %+v", p.ID, got)
	}
	if got, _ := r.SchemaByID(ctx, a.ID); got.Type != SchemaAvro {
		t.Fatalf("Avro schema type %q, want AVRO filled in", got.Type)
	}
	subjects, err := r.Subjects(ctx)
	if err != nil || strings.Join(subjects, ",") != "orders-value,users-value" {
		t.Fatalf("Subjects = %v, %v", subjects, err)
	}
	v2 := strings.Replace(userAvro, `}]}`, `},{"name":"n","type":"int","default":0}]}`, 1)
	if _, err := r.Register(ctx, "users-value", Schema{Type: SchemaAvro, Text: v2}); err != nil {
		t.Fatal(err)
	}
	versions, err := r.Versions(ctx, "users-value")
	if err != nil || len(versions) != 2 {
		t.Fatalf("Versions = %v, %v", versions, err)
	}
	latest, err := r.SchemaVersion(ctx, "users-value", LatestVersion)
	if err != nil || latest.Version != 2 || latest.Text != v2 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	first, err := r.SchemaVersion(ctx, "users-value", 1)
	if err != nil || first.ID != a.ID || first.Text != userAvro {
		t.Fatalf("version 1 = %+v, %v", first, err)
	}
	// The same schema again is the same id and version.
	again, err := r.Register(ctx, "users-value", Schema{Type: SchemaAvro, Text: userAvro})
	if err != nil || again.ID != a.ID {
		t.Fatalf("re-register = %+v, %v", again, err)
	}
}

func TestRegistryReferences(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, RegistryOptions{URL: startRegistry(t, "").URL()})
	if _, err := r.Register(ctx, "user", Schema{Type: SchemaAvro, Text: userAvro}); err != nil {
		t.Fatal(err)
	}
	order := `{"type":"record","name":"Order","fields":[{"name":"user","type":"User"}]}`
	ref := SchemaReference{Name: "User", Subject: "user", Version: 1}
	o, err := r.Register(ctx, "orders-value", Schema{Type: SchemaAvro, Text: order, References: []SchemaReference{ref}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.SchemaByID(ctx, o.ID)
	if err != nil || len(got.References) != 1 || got.References[0] != ref {
		t.Fatalf("references = %+v, %v", got.References, err)
	}
}

func TestRegistryNotFound(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, RegistryOptions{URL: startRegistry(t, "").URL()})
	_, err := r.SchemaByID(ctx, 42)
	if !errors.Is(err, ErrSchemaNotFound) || Class(err) != nil || !strings.Contains(err.Error(), "schema id 42") {
		t.Fatalf("err = %v (class %v)", err, Class(err))
	}
	if _, err := r.SchemaVersion(ctx, "nope", LatestVersion); !errors.Is(err, ErrSchemaNotFound) {
		t.Fatalf("missing subject: %v", err)
	}
}

func TestRegistryCompatibilityNotChecked(t *testing.T) {
	r := newRegistry(t, RegistryOptions{URL: startRegistry(t, "").URL()})
	_, err := r.CheckCompatibility(context.Background(), "users-value", Schema{Type: SchemaAvro, Text: userAvro})
	if !errors.Is(err, ErrNoCompatibilityCheck) {
		t.Fatalf("err = %v, want ErrNoCompatibilityCheck", err)
	}
}

func TestRegistryAuth(t *testing.T) {
	ctx := context.Background()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:s3cret"))
	regBasic := startRegistry(t, basic)
	regBearer := startRegistry(t, "Bearer tok-123")
	hostOf := func(u string) string { return strings.TrimPrefix(u, "http://") }
	tests := []struct {
		name string
		opts RegistryOptions
		want error
	}{
		{"basic", RegistryOptions{URL: regBasic.URL(), Username: "ops", Password: "s3cret"}, nil},
		{"basic in URL", RegistryOptions{URL: "http://ops:s3cret@" + hostOf(regBasic.URL())}, nil},
		{"wrong password", RegistryOptions{URL: regBasic.URL(), Username: "ops", Password: "wrong-pw"}, ErrAuth},
		{"wrong password in URL", RegistryOptions{URL: "http://ops:wrong-pw@" + hostOf(regBasic.URL())}, ErrAuth},
		{"no credentials", RegistryOptions{URL: regBasic.URL()}, ErrAuth},
		{"bearer", RegistryOptions{URL: regBearer.URL(), Token: "tok-123"}, nil},
		{"wrong bearer", RegistryOptions{URL: regBearer.URL(), Token: "wrong-pw"}, ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRegistry(t, tt.opts).Subjects(ctx)
			if got := Class(err); got != tt.want || (err == nil) != (tt.want == nil) {
				t.Fatalf("class %v, want %v: %v", got, tt.want, err)
			}
			if err != nil && (strings.Contains(err.Error(), "wrong-pw") || !strings.Contains(err.Error(), "127.0.0.1")) {
				t.Fatalf("error must name the registry without its password: %v", err)
			}
		})
	}
}

func TestRegistryUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := newRegistry(t, RegistryOptions{URL: "http://ops:hunter2@" + addr})
	_, err = r.SchemaByID(context.Background(), 1)
	if Class(err) != ErrUnreachable {
		t.Fatalf("class %v: %v", Class(err), err)
	}
	msg := err.Error()
	if strings.Contains(msg, "hunter2") || !strings.Contains(msg, "http://ops:[REDACTED]@"+addr) || strings.Contains(msg, "\n") {
		t.Fatalf("want one line naming the registry, redacted: %q", msg)
	}
}
