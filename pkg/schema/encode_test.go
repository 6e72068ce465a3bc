package schema

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

const orderAvsc = `{
  "type": "record", "name": "Order", "namespace": "shop",
  "fields": [
    {"name": "orderId", "type": "string"},
    {"name": "quantity", "type": "int"},
    {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "createdAt", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "shipBy", "type": {"type": "int", "logicalType": "date"}},
    {"name": "eventId", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "digest", "type": {"type": "fixed", "name": "MD5", "size": 4}},
    {"name": "blob", "type": "bytes"},
    {"name": "ratio", "type": "double"},
    {"name": "ok", "type": "boolean", "default": true},
    {"name": "address", "type": ["null", {"type": "record", "name": "Address", "fields": [
      {"name": "city", "type": "string"},
      {"name": "zip", "type": ["null", "int"], "default": null}
    ]}], "default": null},
    {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
      {"name": "sku", "type": "string"},
      {"name": "price", "type": {"type": "fixed", "name": "Money", "size": 8, "logicalType": "decimal", "precision": 12, "scale": 3}}
    ]}}}
  ]
}`

const orderJSON = `{"orderId":"ORD-1","quantity":3,"total":"-1234.50","createdAt":"2026-11-26T01:50:47.048Z",` +
	`"shipBy":"2026-12-01","eventId":"adabdfd9-3f5f-4660-9d19-18f7158e2ed4","status":"PAID","note":"gift",` +
	`"tags":["a","b"],"attrs":{"x":1,"y":-2},"digest":"AQIDBA==","blob":"aGVsbG8=","ratio":0.25,` +
	`"address":{"city":"Lyon","zip":69001},"lines":[{"sku":"P-1","price":"19.990"},{"sku":"P-2","price":"-0.001"}]}`

func wireHeader(t *testing.T, b []byte, id int) []byte {
	t.Helper()
	if len(b) < 5 || b[0] != 0 || binary.BigEndian.Uint32(b[1:5]) != uint32(id) {
		t.Fatalf("no wire header with id %d: % x", id, b[:min(len(b), 8)])
	}
	return b[5:]
}

func TestAvroEncodeRoundTrip(t *testing.T) {
	e, err := NewEncoder("", orderAvsc, "order.avsc", "")
	if err != nil {
		t.Fatal(err)
	}
	e.ID = 7
	out, err := e.Encode(nil, []byte(orderJSON))
	if err != nil {
		t.Fatal(err)
	}
	// hamba's decoder, independent of this encoder, reads back what was
	// written (it shows unions of several types but null as {"type": value}).
	s := avro.MustParse(orderAvsc)
	var got map[string]any
	if err := avro.Unmarshal(s, wireHeader(t, out, 7), &got); err != nil {
		t.Fatal(err)
	}
	total := got["total"].(*big.Rat)
	if total.FloatString(2) != "-1234.50" {
		t.Errorf("total = %s", total.FloatString(2))
	}
	if ts := got["createdAt"].(time.Time); !ts.Equal(time.Date(2026, 11, 26, 1, 50, 47, 48e6, time.UTC)) {
		t.Errorf("createdAt = %v", ts)
	}
	if d := got["shipBy"].(time.Time); d.Format(time.DateOnly) != "2026-12-01" {
		t.Errorf("shipBy = %v", d)
	}
	if got["status"] != "PAID" || got["note"] != "gift" || got["ok"] != true || got["quantity"] != 3 {
		t.Errorf("status/note/ok/quantity = %v %v %v %v", got["status"], got["note"], got["ok"], got["quantity"])
	}
	if d := got["digest"].([4]byte); d != [4]byte{1, 2, 3, 4} {
		t.Errorf("digest = %v", d)
	}
	if string(got["blob"].([]byte)) != "hello" {
		t.Errorf("blob = %q", got["blob"])
	}
	if m := got["attrs"].(map[string]any); m["x"] != int64(1) || m["y"] != int64(-2) {
		t.Errorf("attrs = %v", m)
	}
	if a := got["address"].(map[string]any)["shop.Address"].(map[string]any); a["city"] != "Lyon" || a["zip"] != 69001 {
		t.Errorf("address = %v", a)
	}
	lines := got["lines"].([]any)
	if p := lines[1].(map[string]any)["price"].(*big.Rat); p.FloatString(3) != "-0.001" {
		t.Errorf("lines[1].price = %s", p.FloatString(3))
	}
	if p := lines[0].(map[string]any)["price"].(*big.Rat); p.FloatString(3) != "19.990" {
		t.Errorf("lines[0].price = %s", p.FloatString(3))
	}
}

func TestAvroDefaultsAndUnions(t *testing.T) {
	schema := `{"type":"record","name":"R","fields":[
	  {"name":"a","type":"string","default":"x"},
	  {"name":"n","type":["null","long"],"default":null},
	  {"name":"u","type":["string","long","double",{"type":"array","items":"int"}]},
	  {"name":"r","type":{"type":"record","name":"In","fields":[{"name":"k","type":"int"}]},"default":{"k":5}}
	]}`
	e, err := NewEncoder("AVRO", schema, "r.avsc", "")
	if err != nil {
		t.Fatal(err)
	}
	s := avro.MustParse(schema)
	for _, tc := range []struct {
		in   string
		want map[string]any
	}{
		{`{"u":"s"}`, map[string]any{"a": "x", "n": nil, "u": map[string]any{"string": "s"}, "r": map[string]any{"k": 5}}},
		{`{"u":12,"n":3}`, map[string]any{"a": "x", "n": int64(3), "u": map[string]any{"long": 12}, "r": map[string]any{"k": 5}}},
		{`{"u":1.5,"a":"y"}`, map[string]any{"a": "y", "n": nil, "u": map[string]any{"double": 1.5}, "r": map[string]any{"k": 5}}},
		{`{"u":[1,2],"r":{"k":1}}`, map[string]any{"a": "x", "n": nil, "u": map[string]any{"array": []any{1, 2}}, "r": map[string]any{"k": 1}}},
		{`{"u":{"long":4}}`, map[string]any{"a": "x", "n": nil, "u": map[string]any{"long": 4}, "r": map[string]any{"k": 5}}},
	} {
		out, err := e.Encode(nil, []byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var got map[string]any
		if err := avro.Unmarshal(s, out[5:], &got); err != nil {
			t.Fatal(err)
		}
		if gj, wj := mustJSON(got), mustJSON(tc.want); gj != wj {
			t.Errorf("%s: got %s, want %s", tc.in, gj, wj)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAvroBadValues(t *testing.T) {
	e, err := NewEncoder("", orderAvsc, "order.avsc", "")
	if err != nil {
		t.Fatal(err)
	}
	var base map[string]any
	json.Unmarshal([]byte(orderJSON), &base)
	for _, tc := range []struct {
		field any // replaced member: name and value
		name  string
		path  string
		msg   string
	}{
		{"x", "quantity", ".quantity", "want an integer"},
		{1.5, "quantity", ".quantity", "want an integer"},
		{3000000000, "quantity", ".quantity", "out of range"},
		{"12.345", "total", ".total", "more than 2 decimal places"},
		{"123456789.00", "total", ".total", "more than 10 digits"},
		{"yesterday", "createdAt", ".createdAt", "not an RFC 3339 timestamp"},
		{"2026-13-01", "shipBy", ".shipBy", "not a date"},
		{"not-a-uuid", "eventId", ".eventId", "not a UUID"},
		{"LOST", "status", ".status", `"LOST" is not a symbol of enum shop.Status`},
		{[]any{"a", 2}, "tags", ".tags[1]", "want a string"},
		{map[string]any{"x": "1"}, "attrs", ".attrs.x", "want an integer"},
		{"AQID", "digest", ".digest", "want 4 bytes"},
		{"!!", "blob", ".blob", "not base64"},
		{map[string]any{"city": 5}, "address", ".address.city", "want a string"},
		{[]any{map[string]any{"sku": "s", "price": "1e20"}}, "lines", ".lines[0].price", "more than 12 digits"},
		{nil, "orderId", ".orderId", "want a string"},
		{true, "extra", ".extra", "no such field in record shop.Order"},
		{12, "note", ".note", "want a string, got the number 12"},
		{map[string]any{"city": "x", "zip": "1"}, "address", ".address.zip", "want an integer"},
	} {
		v := map[string]any{}
		for k, x := range base {
			v[k] = x
		}
		v[tc.name] = tc.field
		_, err := e.Encode(nil, []byte(mustJSON(v)))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s=%v: err %v, want a FieldError", tc.name, tc.field, err)
			continue
		}
		if fe.Path != tc.path || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s=%v: got %q, want path %s and %q", tc.name, tc.field, err, tc.path, tc.msg)
		}
	}
	delete(base, "orderId")
	_, err = e.Encode(nil, []byte(mustJSON(base)))
	if err == nil || err.Error() != ".orderId: missing, and the field has no default" {
		t.Errorf("missing field: %v", err)
	}
	if _, err := e.Encode(nil, []byte(`[1]`)); err == nil || !strings.HasPrefix(err.Error(), ".: want an object (record shop.Order)") {
		t.Errorf("array for a record: %v", err)
	}
}

func TestSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, text, message, want string
	}{
		{"bad.avsc", "{\n  \"type\": \"record\",\n  \"name\": \"R\"\n  \"fields\": []\n}", "", "bad.avsc:4:3: invalid JSON"},
		{"unknown.avsc", `{"type":"record","name":"R","fields":[{"name":"a","type":"strin"}]}`, "", "unknown.avsc: "},
		{"bad.proto", "syntax = \"proto3\";\nmessage M {\n  int32 a = 1\n}\n", "", "bad.proto:4:1: syntax error"},
		{"type.proto", "syntax = \"proto3\";\nmessage M {\n  Missing a = 1;\n}\n", "", "type.proto:3:3: "},
		{"none.proto", "syntax = \"proto3\";\nmessage M { int32 a = 1; }\n", "N", `none.proto: no message "N" (the file defines M)`},
		{"bad.json", "{\n  \"type\": \"object\",\n  \"properties\": {\"a\": {\"type\": 12}}\n}", "", "bad.json:3:32: not a valid JSON Schema"},
		{"x.yaml", "{}", "", "unknown schema type"},
	} {
		_, err := ParseFile(write(tc.name, tc.text), tc.message)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
		var se *SchemaError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("%s: %T is not a SchemaError", tc.name, err)
		}
	}
}

const shopProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

message Other { string x = 1; }

message Order {
  string order_id = 1;
  int64 quantity = 2;
  google.protobuf.Timestamp created_at = 3;
  repeated Line lines = 4;
  map<string, int32> attrs = 5;
  Status status = 6;
  oneof payment {
    string card = 7;
    string iban = 8;
  }
  bytes blob = 9;
  message Line {
    string sku = 1;
    double price = 2;
  }
  enum Status { NEW = 0; PAID = 1; }
}
`

func TestProtobufEncodeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.proto")
	os.WriteFile(path, []byte(shopProto), 0o644)
	for _, tc := range []struct {
		message string
		prefix  []byte
		in      string
	}{
		{"shop.Order", []byte{2, 2}, `{"orderId":"ORD-1","quantity":"3","createdAt":"2026-11-26T01:50:47.048Z","lines":[{"sku":"P","price":1.5}],"attrs":{"a":1},"status":"PAID","card":"4111","blob":"aGk="}`},
		{"", []byte{0}, `{"x":"y"}`},
		{"Line", []byte{4, 2, 2}, `{"sku":"P","price":2}`},
	} {
		e, err := ParseFile(path, tc.message)
		if err != nil {
			t.Fatal(err)
		}
		e.ID = 3
		out, err := e.Encode(nil, []byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		rest := wireHeader(t, out, 3)
		if !bytes.HasPrefix(rest, tc.prefix) {
			t.Fatalf("%s: message indexes % x, want % x", tc.message, rest[:len(tc.prefix)], tc.prefix)
		}
		msg := dynamicpb.NewMessage(e.message)
		if err := proto.Unmarshal(rest[len(tc.prefix):], msg); err != nil {
			t.Fatal(err)
		}
		back, _ := protojson.Marshal(msg)
		if !jsonEqual(t, back, []byte(tc.in)) {
			t.Errorf("round trip: got %s, want %s", back, tc.in)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return mustJSON(x) == mustJSON(y)
}

func TestProtobufBadValues(t *testing.T) {
	e, err := NewEncoder("PROTOBUF", shopProto, "shop.proto", "shop.Order")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, path, msg string }{
		{`{"quantity":"x"}`, ".quantity", "invalid value for int64 field quantity"},
		{`{"lines":[{"sku":"a"},{"price":"cheap"}]}`, ".lines[1].price", "invalid value for double field price"},
		{`{"nope":1}`, ".nope", "no such field in message shop.Order"},
		{`{"createdAt":"yesterday"}`, ".createdAt", "invalid google.protobuf.Timestamp value"},
		{`{"attrs":{"a":"b"}}`, ".attrs", "invalid value for int32 field value"},
		{`{"status":"LOST"}`, ".status", "invalid value for enum field status"},
		{`{"card":"1","iban":"2"}`, ".", "oneof"},
		{`[1]`, ".", "want an object (message shop.Order)"},
	} {
		_, err := e.Encode(nil, []byte(tc.in))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != tc.path && !(tc.path == "." && fe.Path == "") || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s: got %v, want path %s and %q", tc.in, err, tc.path, tc.msg)
		}
	}
}

func TestJSONSchemaEncode(t *testing.T) {
	schema := `{"type":"object","properties":{"orderId":{"type":"string"},"lines":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer","minimum":1}}}}},"required":["orderId"],"additionalProperties":false}`
	e, err := NewEncoder("JSON", schema, "order.json", "")
	if err != nil {
		t.Fatal(err)
	}
	e.ID = 9
	in := `{"orderId":"ORD-1","lines":[{"qty":2}]}`
	out, err := e.Encode(nil, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(wireHeader(t, out, 9)) != in {
		t.Errorf("payload %q, want the value as it is", out[5:])
	}
	for _, tc := range []struct{ in, path, msg string }{
		{`{"orderId":"x","lines":[{"qty":2},{"qty":0}]}`, ".lines[1].qty", "minimum"},
		{`{"lines":[]}`, "", "missing property 'orderId'"},
		{`{"orderId":1}`, ".orderId", "want string"},
		{`{"orderId":"x","more":1}`, "", "additional properties 'more' not allowed"},
	} {
		_, err := e.Encode(nil, []byte(tc.in))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != tc.path || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s: got %v (path %q), want path %q and %q", tc.in, err, fe.Path, tc.path, tc.msg)
		}
	}
}

func TestEncodeKeepsDst(t *testing.T) {
	e, _ := NewEncoder("", `"string"`, "s.avsc", "")
	dst := []byte("prefix")
	out, err := e.Encode(dst, []byte(`1`))
	if err == nil || string(out) != "prefix" {
		t.Errorf("failed encode: %q, %v", out, err)
	}
	out, err = e.Encode(dst, []byte(`"hi"`))
	if err != nil || !bytes.Equal(out, append([]byte("prefix\x00\x00\x00\x00\x00\x04"), "hi"...)) {
		t.Errorf("encode: % x, %v", out, err)
	}
}

func TestReferences(t *testing.T) {
	money := Import{Name: "shop.Money", Text: `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}`}
	e, err := NewEncoder("AVRO", `{"type":"record","name":"Pay","namespace":"shop","fields":[{"name":"amount","type":"Money"}]}`, "pay", "", money)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.Encode(nil, []byte(`{"amount":{"cents":120}}`)); err != nil || !bytes.Equal(out[5:], []byte{0xf0, 0x01}) {
		t.Errorf("avro with a reference: % x, %v", out, err)
	}
	if _, err := NewEncoder("AVRO", `{"type":"record","name":"Pay","fields":[{"name":"amount","type":"shop.Money"}]}`, "pay", ""); err == nil {
		t.Error("an unresolved Avro name compiled")
	}
	cur := Import{Name: "common/currency.proto", Text: "syntax = \"proto3\";\npackage common;\nmessage Currency { string code = 1; }\n"}
	e, err = NewEncoder("PROTOBUF", "syntax = \"proto3\";\nimport \"common/currency.proto\";\nmessage P { common.Currency c = 1; }\n", "p.proto", "", cur)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(nil, []byte(`{"c":{"code":"EUR"}}`)); err != nil {
		t.Error(err)
	}
	if _, err := NewEncoder("PROTOBUF", "syntax = \"proto3\";\nimport \"common/currency.proto\";\nmessage P { common.Currency c = 1; }\n", "p.proto", ""); err == nil || !strings.Contains(err.Error(), "not among the schema's references") {
		t.Errorf("missing proto reference: %v", err)
	}
	def := Import{Name: "defs.json", Text: `{"type":"string","maxLength":3}`}
	e, err = NewEncoder("JSON", `{"type":"object","properties":{"code":{"$ref":"defs.json"}}}`, "s.json", "", def)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(nil, []byte(`{"code":"EURO"}`)); err == nil || !strings.HasPrefix(err.Error(), ".code: ") {
		t.Errorf("JSON Schema $ref: %v", err)
	}
}

// TestProtobufRoundTripsThroughDecoder: the decoder's JSON of what the
// encoder wrote is the encoder's input, and encodes to the same bytes.
func TestProtobufRoundTripsThroughDecoder(t *testing.T) {
	dec, err := NewProtobufDecoder("shop.proto", map[string]string{"shop.proto": shopProto})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"shop.Order", "shop.Order.Line", "shop.Other"} {
		e, err := NewEncoder(TypeProtobuf, shopProto, "shop.proto", msg)
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]string{
			"shop.Order":      `{"orderId":"ORD-1","quantity":"3","createdAt":"2026-11-26T01:50:47.048Z","lines":[{"sku":"P","price":1.5}],"attrs":{"a":1},"status":"PAID","card":"4111","blob":"aGk="}`,
			"shop.Order.Line": `{"sku":"P","price":2}`,
			"shop.Other":      `{"x":"y"}`,
		}[msg]
		out, err := e.Encode(nil, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		js, err := dec(nil, out[5:])
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		again, err := e.Encode(nil, js)
		if err != nil {
			t.Fatalf("%s: the encoder refuses the decoder's JSON %s: %v", msg, js, err)
		}
		if !bytes.Equal(again, out) {
			t.Errorf("%s: round trip changed the bytes\n%s\n% x\n% x", msg, js, out, again)
		}
	}
}

func TestForWirePicksTheMessageOfThePayload(t *testing.T) {
	text := `syntax = "proto3"; package p; message A { string a = 1; } message B { message C { int32 c = 1; } string b = 1; }`
	first, err := NewEncoder(TypeProtobuf, text, "t.proto", "")
	if err != nil {
		t.Fatal(err)
	}
	nested, err := NewEncoder(TypeProtobuf, text, "t.proto", "p.B.C")
	if err != nil {
		t.Fatal(err)
	}
	first.ID, nested.ID = 7, 7
	orig, err := nested.Encode(nil, []byte(`{"c":5}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := first.ForWire(orig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Encode(nil, []byte(`{"c":6}`))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := nested.Encode(nil, []byte(`{"c":6}`))
	if !bytes.Equal(got, want) {
		t.Fatalf("ForWire encoded %x, want %x (message p.B.C)", got, want)
	}
	if _, err := first.ForWire([]byte("{}")); err == nil {
		t.Error("a payload not in the wire format was accepted")
	}
	if _, err := e.Encode(nil, []byte(`{"a":"x"}`)); err == nil {
		t.Error("a field of p.A was accepted for p.B.C")
	}
}
