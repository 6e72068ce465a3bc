package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func withTopic(topic string) string {
	return strings.Replace(minimal, "  - name: a\n    key: id\n", topic, 1)
}

func TestTopicSchemas(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ev.avsc"), []byte(`{"type":"record","name":"Ev","fields":[{"name":"id","type":"string"},{"name":"n","type":"int"},{"name":"total","type":"long"},{"name":"ref","type":["null","string"],"default":null}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "ev.proto"), []byte("syntax = \"proto3\";\nmessage Other { string x = 1; }\nmessage Ev { string id = 1; int32 n = 2; }\n"), 0o644)
	for _, tc := range []struct{ name, topic, format string }{
		{"avro file", "  - name: a\n    key: id\n    format: avro\n    schema: ev.avsc\n", "avro"},
		{"protobuf file", "  - name: a\n    key: id\n    format: protobuf\n    schema: ev.proto\n    message: Ev\n", "protobuf"},
		{"avro yaml", "  - name: a\n    key: id\n    format: avro\n    schema:\n      type: record\n      name: Ev\n      fields:\n        - {name: id, type: string}\n", "avro"},
		{"json-schema inline", "  - name: a\n    key: id\n    format: json-schema\n    schema: '{\"type\":\"object\",\"required\":[\"id\"]}'\n", "json-schema"},
		{"protobuf block", "  - name: a\n    key: id\n    format: protobuf\n    schema: |\n      syntax = \"proto3\";\n      message Ev { string id = 1; }\n", "protobuf"},
		{"json", "  - name: a\n    key: id\n    format: json\n", "json"},
		{"default", "  - name: a\n    key: id\n", "json"},
	} {
		s, err := Parse(filepath.Join(dir, "s.yaml"), []byte(withTopic(tc.topic)))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		tp := s.Topics[0]
		if tp.Format != tc.format || (tp.Schema == nil) != (tc.format == "json") {
			t.Errorf("%s: format %q schema %v", tc.name, tp.Format, tp.Schema)
		}
		if tp.Schema != nil {
			if _, err := tp.Schema.Encode(nil, []byte(`{"id":"ID-001"}`)); err != nil && tc.name != "avro file" {
				t.Errorf("%s: encode: %v", tc.name, err)
			}
		}
	}
}

func TestTopicSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.avsc"), []byte("{\n  \"type\": \"record\",\n  \"name\": \"R\",\n  \"fields\": [}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.proto"), []byte("syntax = \"proto3\";\nmessage M {\n  int32 a = 1\n}\n"), 0o644)
	file := filepath.Join(dir, "s.yaml")
	for _, tc := range []struct{ name, topic, want string }{
		{"unknown format", "  - name: a\n    format: xml\n", file + `:6:13: topic.format: "xml" is not one of`},
		{"no schema", "  - name: a\n    format: avro\n", file + ":6:13: topic a: format avro needs a schema"},
		{"schema without format", "  - name: a\n    schema: ev.avsc\n", file + ":6:13: topic.schema: needs format"},
		{"message on avro", "  - name: a\n    format: avro\n    schema: bad.avsc\n    message: M\n", file + ":8:14: topic.message: applies to format: protobuf only"},
		{"missing file", "  - name: a\n    format: avro\n    schema: nope.avsc\n", file + ":7:13: topic.schema: stat "},
		{"wrong extension", "  - name: a\n    format: protobuf\n    schema: bad.avsc\n", file + ":7:13: topic.schema: bad.avsc is not a .proto file"},
		{"bad avsc", "  - name: a\n    format: avro\n    schema: bad.avsc\n", filepath.Join(dir, "bad.avsc") + ":4:14: invalid JSON"},
		{"bad proto", "  - name: a\n    format: protobuf\n    schema: bad.proto\n", filepath.Join(dir, "bad.proto") + ":4:1: syntax error"},
		{"bad proto block", "  - name: a\n    format: protobuf\n    schema: |\n      syntax = \"proto3\";\n      message M {\n        int32 a = 1\n      }\n", file + ":11:7: topic a: schema: syntax error"},
		{"bad avro yaml", "  - name: a\n    format: avro\n    schema: {type: record, name: R}\n", file + ":7:13: topic a: schema: "},
		{"protobuf yaml", "  - name: a\n    format: protobuf\n    schema: {a: b}\n", file + ":7:13: topic.schema: a Protobuf schema is .proto text"},
	} {
		_, err := Parse(file, []byte(withTopic(tc.topic)))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v\nwant %s…", tc.name, err, tc.want)
		}
	}
}
