package main

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/kx-cli/kx/pkg/embedded"
)

const registryKey = "registry"

// scriptRegistry returns the script's embedded Schema Registry
// ($SCHEMA_REGISTRY).
func scriptRegistry(ts *testscript.TestScript) *embedded.Registry {
	return ts.Value(registryKey).(*embedded.Registry)
}

// srSeed: sr-seed SUBJECT VERSION ID TYPE FILE registers the schema in FILE
// (TYPE avro, protobuf or json) under SUBJECT with a fixed id, so wire
// bytes made elsewhere (testdata) find their schema.
func srSeed(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: sr-seed SUBJECT VERSION ID TYPE FILE")
	}
	version, err := strconv.Atoi(args[1])
	ts.Check(err)
	id, err := strconv.Atoi(args[2])
	ts.Check(err)
	var typ sr.SchemaType
	switch strings.ToLower(args[3]) {
	case "avro":
		typ = sr.TypeAvro
	case "protobuf":
		typ = sr.TypeProtobuf
	case "json":
		typ = sr.TypeJSON
	default:
		ts.Fatalf("sr-seed: type %q: want avro, protobuf or json", args[3])
	}
	scriptRegistry(ts).Fake().SeedSchema(args[0], version, id, sr.Schema{Schema: ts.ReadFile(args[4]), Type: typ})
}

// srAuth: sr-auth VAR USER:PASSWORD starts another embedded registry that
// answers 401 to a request without that basic authentication, and sets
// VAR to its URL (no credentials in it) and VAR_ADDR to its host:port.
func srAuth(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || !strings.Contains(args[1], ":") {
		ts.Fatalf("usage: sr-auth VAR USER:PASSWORD")
	}
	reg, err := embedded.StartRegistry(embedded.RegistryOptions{Auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(args[1]))})
	ts.Check(err)
	ts.Defer(reg.Close)
	ts.Setenv(args[0], reg.URL())
	ts.Setenv(args[0]+"_ADDR", strings.TrimPrefix(reg.URL(), "http://"))
}
