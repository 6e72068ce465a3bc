package schemas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
)

// registryFor serves an embedded registry and returns it with kx's client
// of it, as the factory hands it out.
func registryFor(t *testing.T) (*embedded.Registry, func() (*kafka.Registry, error)) {
	t.Helper()
	srv, err := embedded.StartRegistry(embedded.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	reg, err := kafka.NewRegistry(kafka.RegistryOptions{URL: srv.URL(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	return srv, func() (*kafka.Registry, error) { return reg, nil }
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	orderAvsc = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`
	money     = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; }\n"
	payProto  = "syntax = \"proto3\";\nimport \"common/money.proto\";\nmessage Pay { common.Money amount = 1; }\n"
)

func TestRegisterListShow(t *testing.T) {
	ctx := context.Background()
	_, get := registryFor(t)
	dir := writeFiles(t, map[string]string{"order.avsc": orderAvsc, "common/money.proto": money, "pay.proto": payProto, "bad.avsc": `{"type":"record",`})
	ios, _, out, _ := iostreams.Test()
	reg := &RegisterOptions{IO: ios, Registry: get, Output: output.NDJSON, Subject: "orders-value", File: filepath.Join(dir, "order.avsc")}
	if err := runRegister(ctx, reg); err != nil {
		t.Fatal(err)
	}
	// The same schema again is the same version.
	if err := runRegister(ctx, reg); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 2 || rows[0] != rows[1] || !strings.HasPrefix(rows[0], `{"subject":"orders-value","version":1,"id":`) || !strings.HasSuffix(rows[0], `"type":"avro"}`) {
		t.Errorf("register twice:\n%s", out)
	}
	// A .proto registers its import under the import path first.
	out.Reset()
	reg.Subject, reg.File, reg.Output = "pay-value", filepath.Join(dir, "pay.proto"), output.Table
	if err := runRegister(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "SUBJECT    VERSION  ID  TYPE\npay-value  1 ") || !strings.HasSuffix(out.String(), "protobuf\n") {
		t.Errorf("register table:\n%s", out)
	}
	// A file that does not compile: exit 2, naming the file, before any call.
	reg.File = filepath.Join(dir, "bad.avsc")
	if err := runRegister(ctx, reg); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "bad.avsc") {
		t.Errorf("bad file: %v", err)
	}

	out.Reset()
	list := &ListOptions{IO: ios, Registry: get, Output: output.Table}
	if err := runList(ctx, list); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "SUBJECT") || !strings.HasPrefix(lines[1], "common/money.proto") ||
		!strings.HasPrefix(lines[2], "orders-value") || !strings.HasPrefix(lines[3], "pay-value") {
		t.Errorf("list, sorted:\n%s", out)
	}
	out.Reset()
	list.Patterns, list.Output = []string{`orders.*`}, output.NDJSON
	if err := runList(ctx, list); err != nil || !strings.HasPrefix(out.String(), `{"subject":"orders-value","version":1,"id":`) || !strings.HasSuffix(out.String(), `"type":"avro","versions":1}`+"\n") {
		t.Errorf("list orders.*: %v\n%s", err, out)
	}
	list.Patterns = []string{"nope"}
	if err := runList(ctx, list); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "no subject matches nope in schema registry http://127.0.0.1:") {
		t.Errorf("no match: %v", err)
	}

	out.Reset()
	show := &ShowOptions{IO: ios, Registry: get, Output: output.Table, Subject: "pay-value", Version: kafka.LatestVersion}
	if err := runShow(ctx, show); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "SUBJECT pay-value  version=1  id=") || !strings.Contains(s, "\nREFERENCE common/money.proto  subject=common/money.proto  version=1\n\n") ||
		!strings.HasSuffix(s, "message Pay { common.Money amount = 1; }\n") {
		t.Errorf("show proto:\n%s", s)
	}
	out.Reset()
	show.Subject, show.Version = "orders-value", 1
	want := "\n\n{\n  \"type\": \"record\",\n  \"name\": \"Order\",\n  \"fields\": [\n    {\n      \"name\": \"id\",\n      \"type\": \"string\"\n    }\n  ]\n}\n"
	if err := runShow(ctx, show); err != nil || !strings.HasPrefix(out.String(), "SUBJECT orders-value  version=1  id=") || !strings.HasSuffix(out.String(), "type=avro"+want) {
		t.Errorf("show avro, indented: %v\n%s", err, out)
	}
	out.Reset()
	show.Output = output.Raw
	if err := runShow(ctx, show); err != nil || out.String() != orderAvsc+"\n" {
		t.Errorf("show -o raw: %v %q", err, out)
	}
	out.Reset()
	show.Output = output.NDJSON
	var v SchemaView
	if err := runShow(ctx, show); err != nil || json.Unmarshal(out.Bytes(), &v) != nil || v.Schema != orderAvsc || v.Type != "avro" || v.References == nil {
		t.Errorf("show -o ndjson: %v %s", err, out)
	}
	show.Version = 9
	if err := runShow(ctx, show); !errors.Is(err, kafka.ErrSchemaNotFound) || cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("an unknown version: %v", err)
	}
}

// answerCompatibility makes the embedded registry answer compatibility
// checks with is_compatible.
func answerCompatibility(srv *embedded.Registry, is bool) {
	srv.Fake().ClearInterceptors()
	srv.Fake().Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/compatibility/") {
			return false
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"is_compatible": is})
		return true
	})
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	srv, get := registryFor(t)
	dir := writeFiles(t, map[string]string{"order.avsc": orderAvsc, "pay.proto": payProto, "common/money.proto": money,
		"common/tax.proto": "syntax = \"proto3\";\npackage common;\nmessage Tax { int64 cents = 1; }\n",
		"taxed.proto":      "syntax = \"proto3\";\nimport \"common/tax.proto\";\nmessage Pay { common.Tax tax = 1; }\n"})
	ios, _, out, errOut := iostreams.Test()
	check := &RegisterOptions{IO: ios, Registry: get, Output: output.Table, Subject: "orders-value", File: filepath.Join(dir, "order.avsc")}

	// No version yet: any schema is compatible.
	if err := runCheck(ctx, check); err != nil || out.String() != "SUBJECT       LATEST  LEVEL  VERDICT\norders-value  -       -      compatible\n" ||
		errOut.String() != "kx: orders-value: the subject has no version yet: any schema can be its first\n" {
		t.Errorf("first version: %v\n%s%s", err, out, errOut)
	}
	if err := runRegister(ctx, &RegisterOptions{IO: ios, Registry: get, Output: output.NDJSON, Subject: "orders-value", File: check.File}); err != nil {
		t.Fatal(err)
	}

	// The embedded registry cannot check: unchecked, said plainly, exit 0.
	out.Reset()
	errOut.Reset()
	check.Output = output.NDJSON
	if err := runCheck(ctx, check); err != nil || !strings.Contains(out.String(), `"compatible":null`) || !strings.Contains(errOut.String(), "unchecked: schema registry http://127.0.0.1:") {
		t.Errorf("unchecked: %v\n%s%s", err, out, errOut)
	}

	answerCompatibility(srv, false)
	out.Reset()
	errOut.Reset()
	check.Output = output.Table
	if err := runCheck(ctx, check); cmdutil.ExitCode(err) != exitcode.NoMatch || !strings.Contains(out.String(), "NOT compatible") ||
		!strings.Contains(errOut.String(), "not compatible with version 1 (level BACKWARD)") {
		t.Errorf("not compatible: %v (exit %d)\n%s%s", err, cmdutil.ExitCode(err), out, errOut)
	}
	answerCompatibility(srv, true)
	errOut.Reset()
	if err := runCheck(ctx, check); err != nil || !strings.Contains(errOut.String(), "compatible with version 1 (level BACKWARD)") {
		t.Errorf("compatible: %v\n%s", err, errOut)
	}

	// A .proto is checked with its imports as references.
	if err := runRegister(ctx, &RegisterOptions{IO: ios, Registry: get, Output: output.NDJSON, Subject: "pay-value", File: filepath.Join(dir, "pay.proto")}); err != nil {
		t.Fatal(err)
	}
	srv.Fake().ClearInterceptors()
	check.Subject, check.File = "pay-value", filepath.Join(dir, "pay.proto")
	if err := runCheck(ctx, check); err != nil {
		t.Errorf("proto with its import registered: %v", err)
	}
	// An import the registry does not have cannot be referenced.
	check.File = filepath.Join(dir, "taxed.proto")
	if err := runCheck(ctx, check); !errors.Is(err, kafka.ErrSchemaNotFound) || !strings.HasPrefix(err.Error(), "import common/tax.proto: ") || !strings.HasSuffix(err.Error(), "(register it first)") {
		t.Errorf("unregistered import: %v", err)
	}
}

func TestNoRegistry(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	none := func() (*kafka.Registry, error) { return nil, nil }
	ctx := context.Background()
	dir := writeFiles(t, map[string]string{"order.avsc": orderAvsc})
	for name, err := range map[string]error{
		"list":     runList(ctx, &ListOptions{IO: ios, Registry: none}),
		"show":     runShow(ctx, &ShowOptions{IO: ios, Registry: none, Subject: "s"}),
		"register": runRegister(ctx, &RegisterOptions{IO: ios, Registry: none, Subject: "s", File: filepath.Join(dir, "order.avsc")}),
		"check":    runCheck(ctx, &RegisterOptions{IO: ios, Registry: none, Subject: "s", File: filepath.Join(dir, "order.avsc")}),
	} {
		if cmdutil.ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "no schema registry: give --schema-registry URL") {
			t.Errorf("%s: %v", name, err)
		}
	}
	broken := func() (*kafka.Registry, error) { return nil, errors.New("bad url") }
	if err := runList(ctx, &ListOptions{IO: ios, Registry: broken}); err == nil || err.Error() != "bad url" {
		t.Errorf("a registry that cannot be built: %v", err)
	}
}

func TestSubcommandFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var got *RegisterOptions
	capture := func(_ context.Context, o *RegisterOptions) error { got = o; return nil }
	for _, build := range []func() (string, error){
		func() (string, error) {
			cmd := newCmdRegister(f, capture)
			cmd.SetArgs([]string{"pay-value", "pay.proto", "--message", "Pay", "-o", "ndjson"})
			cmd.SetOut(&bytes.Buffer{})
			return "register", cmd.Execute()
		},
		func() (string, error) {
			cmd := newCmdCheck(f, capture)
			cmd.SetArgs([]string{"pay-value", "pay.proto", "--message", "Pay", "-o", "ndjson"})
			cmd.SetOut(&bytes.Buffer{})
			return "check", cmd.Execute()
		},
	} {
		name, err := build()
		if err != nil || got.Subject != "pay-value" || got.File != "pay.proto" || got.Message != "Pay" || got.Output != output.NDJSON {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	cmd := newCmdCheck(f, capture)
	cmd.SetArgs([]string{"s", "f", "-o", "csv"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("check -o csv: %v", err)
	}
	if n, err := versionFlag("latest"); err != nil || n != kafka.LatestVersion {
		t.Errorf("--version latest: %d, %v", n, err)
	}
	if _, err := versionFlag("x"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("--version x: %v", err)
	}
}
