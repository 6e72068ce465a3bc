package schema

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kx-cli/kx/pkg/record"
)

// fakeRegistry serves schemas from memory and counts lookups.
type fakeRegistry struct {
	mu       sync.Mutex
	byID     map[int]Registered
	bySubVer map[string]Registered
	calls    map[int]int
	err      error // returned for every lookup when set
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{byID: map[int]Registered{}, bySubVer: map[string]Registered{}, calls: map[int]int{}}
}

func (f *fakeRegistry) add(id int, typ, text string, refs ...Reference) {
	f.byID[id] = Registered{ID: id, Type: typ, Text: text, References: refs}
}

func (f *fakeRegistry) SchemaByID(_ context.Context, id int) (Registered, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[id]++
	if f.err != nil {
		return Registered{}, f.err
	}
	s, ok := f.byID[id]
	if !ok {
		return Registered{}, ErrNotFound
	}
	return s, nil
}

func (f *fakeRegistry) SchemaByVersion(_ context.Context, subject string, version int) (Registered, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.bySubVer[subject+"/"+string(rune('0'+version))]
	if !ok {
		return Registered{}, ErrNotFound
	}
	return s, nil
}

func wire(id int, payload []byte) []byte {
	b := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(id))
	return append(b, payload...)
}

// sameJSON compares two JSON texts as values, numbers exactly as written.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	dg := json.NewDecoder(strings.NewReader(string(got)))
	dg.UseNumber()
	dw := json.NewDecoder(strings.NewReader(want))
	dw.UseNumber()
	if err := dg.Decode(&g); err != nil {
		t.Fatalf("decoded output is not JSON: %v\n%s", err, got)
	}
	if err := dw.Decode(&w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("decoded\n  %s\nwant\n  %s", got, want)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// avroCases: schemas, values encoded with hamba/avro (another
// implementation than the decoder), and the JSON kx must print for them.
var avroCases = []struct {
	name   string
	schema string
	value  any
	want   string
}{
	{"primitives", `{"type":"record","name":"P","fields":[
		{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
		{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},{"name":"n","type":"null"}]}`,
		map[string]any{"b": true, "i": int32(-7), "l": int64(math.MaxInt64), "f": float32(1.5), "d": 0.1, "s": "h\u00e9\"\n", "n": nil},
		`{"b":true,"i":-7,"l":9223372036854775807,"f":1.5,"d":0.1,"s":"h\u00e9\"\n","n":null}`},
	{"nested records", `{"type":"record","name":"Order","namespace":"shop","fields":[
		{"name":"id","type":"string"},
		{"name":"customer","type":{"type":"record","name":"Customer","fields":[
			{"name":"name","type":"string"},
			{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":"int"}]}}]}}]}`,
		map[string]any{"id": "ORD-1", "customer": map[string]any{"name": "Ann", "address": map[string]any{"city": "Lyon", "zip": 69001}}},
		`{"id":"ORD-1","customer":{"name":"Ann","address":{"city":"Lyon","zip":69001}}}`},
	{"union with null, set", `{"type":"record","name":"U","fields":[{"name":"note","type":["null","string"],"default":null}]}`,
		map[string]any{"note": "gift"}, `{"note":"gift"}`},
	{"union with null, null", `{"type":"record","name":"U","fields":[{"name":"note","type":["null","string"],"default":null}]}`,
		map[string]any{"note": nil}, `{"note":null}`},
	{"union of several types", `{"type":"record","name":"U","fields":[{"name":"v","type":["null","int","string","double"]}]}`,
		map[string]any{"v": map[string]any{"string": "x"}}, `{"v":"x"}`},
	{"union with a record", `{"type":"record","name":"U","fields":[{"name":"a","type":["null",{"type":"record","name":"A","fields":[{"name":"city","type":"string"}]}]}]}`,
		map[string]any{"a": map[string]any{"A": map[string]any{"city": "Oslo"}}}, `{"a":{"city":"Oslo"}}`},
	{"enum", `{"type":"record","name":"E","fields":[{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}}]}`,
		map[string]any{"status": "SHIPPED"}, `{"status":"SHIPPED"}`},
	{"arrays", `{"type":"record","name":"A","fields":[{"name":"tags","type":{"type":"array","items":"string"}},{"name":"empty","type":{"type":"array","items":"long"}},
		{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}}]}`,
		map[string]any{"tags": []any{"a", "b", "c"}, "empty": []any{}, "lines": []any{map[string]any{"sku": "P-1", "qty": 2}, map[string]any{"sku": "P-2", "qty": 1}}},
		`{"tags":["a","b","c"],"empty":[],"lines":[{"sku":"P-1","qty":2},{"sku":"P-2","qty":1}]}`},
	{"maps", `{"type":"record","name":"M","fields":[{"name":"attrs","type":{"type":"map","values":"long"}},{"name":"nested","type":{"type":"map","values":{"type":"array","items":"string"}}}]}`,
		map[string]any{"attrs": map[string]any{"x": int64(1), "y": int64(-2)}, "nested": map[string]any{"k": []any{"v"}}},
		`{"attrs":{"x":1,"y":-2},"nested":{"k":["v"]}}`},
	{"fixed", `{"type":"record","name":"F","fields":[{"name":"digest","type":{"type":"fixed","name":"MD5","size":4}}]}`,
		map[string]any{"digest": [4]byte{1, 2, 3, 4}}, `{"digest":"AQIDBA=="}`},
	{"bytes", `{"type":"record","name":"B","fields":[{"name":"blob","type":"bytes"},{"name":"empty","type":"bytes"}]}`,
		map[string]any{"blob": []byte("hello\x00\xff"), "empty": []byte{}}, `{"blob":"aGVsbG8A/w==","empty":""}`},
	{"decimals", `{"type":"record","name":"D","fields":[
		{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
		{"name":"neg","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
		{"name":"small","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":4}},
		{"name":"whole","type":{"type":"bytes","logicalType":"decimal","precision":30,"scale":0}},
		{"name":"fixedprice","type":{"type":"fixed","name":"Money","size":8,"logicalType":"decimal","precision":12,"scale":3}}]}`,
		map[string]any{"price": big.NewRat(1999, 100), "neg": big.NewRat(-123450, 100), "small": big.NewRat(-5, 10000),
			"whole": new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(25), nil)), "fixedprice": big.NewRat(-1, 1000)},
		`{"price":"19.99","neg":"-1234.50","small":"-0.0005","whole":"10000000000000000000000000","fixedprice":"-0.001"}`},
	{"timestamps", `{"type":"record","name":"T","fields":[
		{"name":"ms","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"us","type":{"type":"long","logicalType":"timestamp-micros"}},
		{"name":"before1970","type":{"type":"long","logicalType":"timestamp-millis"}}]}`,
		map[string]any{"ms": mustTime("2026-11-26T01:50:47.048Z"), "us": mustTime("2026-11-26T01:50:47.048123Z"), "before1970": mustTime("1969-07-20T20:17:40Z")},
		`{"ms":"2026-11-26T01:50:47.048Z","us":"2026-11-26T01:50:47.048123Z","before1970":"1969-07-20T20:17:40.000Z"}`},
	{"dates and times of day", `{"type":"record","name":"D","fields":[
		{"name":"day","type":{"type":"int","logicalType":"date"}},
		{"name":"old","type":{"type":"int","logicalType":"date"}},
		{"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
		{"name":"tus","type":{"type":"long","logicalType":"time-micros"}}]}`,
		map[string]any{"day": mustTime("2026-12-01T00:00:00Z"), "old": mustTime("1900-01-01T00:00:00Z"),
			"tms": 13*time.Hour + 5*time.Minute + 7*time.Second + 250*time.Millisecond, "tus": 23*time.Hour + 59*time.Minute + 999999*time.Microsecond},
		`{"day":"2026-12-01","old":"1900-01-01","tms":"13:05:07.250","tus":"23:59:00.999999"}`},
	{"uuid", `{"type":"record","name":"I","fields":[{"name":"id","type":{"type":"string","logicalType":"uuid"}}]}`,
		map[string]any{"id": "adabdfd9-3f5f-4660-9d19-18f7158e2ed4"}, `{"id":"adabdfd9-3f5f-4660-9d19-18f7158e2ed4"}`},
	{"recursive record", `{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`,
		map[string]any{"v": 1, "next": map[string]any{"Node": map[string]any{"v": 2, "next": nil}}}, `{"v":1,"next":{"v":2,"next":null}}`},
	{"top-level string", `"string"`, "plain", `"plain"`},
	{"top-level array of unions", `{"type":"array","items":["null","long"]}`, []any{nil, int64(5)}, `[null,5]`},
	{"special doubles", `{"type":"record","name":"S","fields":[{"name":"nan","type":"double"},{"name":"inf","type":"double"},{"name":"tiny","type":"double"},{"name":"big","type":"double"}]}`,
		map[string]any{"nan": math.NaN(), "inf": math.Inf(-1), "tiny": 1e-7, "big": 1e21},
		`{"nan":"NaN","inf":"-Infinity","tiny":1e-7,"big":1e+21}`},
}

func TestAvroFidelity(t *testing.T) {
	for i, tc := range avroCases {
		t.Run(tc.name, func(t *testing.T) {
			sch, err := avro.Parse(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := avro.Marshal(sch, tc.value)
			if err != nil {
				t.Fatalf("hamba/avro encode: %v", err)
			}
			reg := newFakeRegistry()
			reg.add(100+i, TypeAvro, tc.schema)
			d := NewDecoder(reg, "", "")
			r := &record.Record{Topic: "t", Value: wire(100+i, payload)}
			if err := d.Decode(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if r.ValueSchema == nil || r.ValueSchema.Err != "" {
				t.Fatalf("not decoded: %+v", r.ValueSchema)
			}
			if r.ValueSchema.SchemaID != 100+i || r.ValueSchema.Format != FormatAvro {
				t.Fatalf("decoded %+v", r.ValueSchema)
			}
			sameJSON(t, r.Value, tc.want)
			// The envelope embeds it as JSON, on one line.
			env := record.AppendJSON(nil, r)
			if !json.Valid(env) || strings.Contains(string(env), "\n") {
				t.Fatalf("envelope %s", env)
			}
		})
	}
}

// TestAvroFieldOrder: fields print in schema order, not sorted.
func TestAvroFieldOrder(t *testing.T) {
	schema := `{"type":"record","name":"O","fields":[{"name":"z","type":"int"},{"name":"a","type":"int"},{"name":"m","type":"int"}]}`
	sch := avro.MustParse(schema)
	payload, err := avro.Marshal(sch, map[string]any{"z": 1, "a": 2, "m": 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewAvroDecoder(sch)(nil, payload)
	if err != nil || string(got) != `{"z":1,"a":2,"m":3}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

// TestAvroRoundTripsThroughEncoder: what the decoder prints, kx produce's
// encoder takes back to the same bytes.
func TestAvroRoundTripsThroughEncoder(t *testing.T) {
	for _, tc := range avroCases {
		if strings.Contains(tc.name, "special doubles") || strings.Contains(tc.name, "top-level") {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			sch := avro.MustParse(tc.schema)
			payload, err := avro.Marshal(sch, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			js, err := NewAvroDecoder(sch)(nil, payload)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := NewEncoder(TypeAvro, tc.schema, "test.avsc", "")
			if err != nil {
				t.Fatal(err)
			}
			enc.ID = 1
			again, err := enc.Encode(nil, js)
			if err != nil {
				t.Fatalf("encoder refuses the decoder's JSON %s: %v", js, err)
			}
			// Block counts may be written differently; the values
			// must be the same.
			// An Avro map's entries have no order (hamba/avro writes
			// Go's map order), so compare the JSON values, not bytes.
			back, err := NewAvroDecoder(sch)(nil, again[5:])
			if err != nil {
				t.Fatalf("round trip: %v", err)
			}
			sameJSON(t, back, string(js))
		})
	}
}

const orderProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Status { STATUS_UNSPECIFIED = 0; NEW = 1; PAID = 2; }

message Order {
  string order_id = 1;
  int64 quantity = 2;
  Status status = 3;
  repeated string tags = 4;
  map<string, int32> attrs = 5;
  Customer customer = 6;
  oneof payment {
    Card card = 7;
    string voucher = 8;
  }
  google.protobuf.Timestamp created_at = 9;
  bytes blob = 10;
  double ratio = 11;
  google.protobuf.StringValue note = 12;
  repeated Line lines = 13;
  message Line { string sku = 1; uint32 qty = 2; }
}

message Customer { string name = 1; Address address = 2; }
message Address { string city = 1; sint32 zip = 2; }
message Card { string last4 = 1; }
`

var protoCases = []struct {
	name    string
	message string
	value   string // protojson of the value encoded
	want    string
}{
	{"scalars and enum", "shop.Order", `{"orderId":"ORD-1","quantity":"3","status":"PAID","ratio":0.25}`,
		`{"orderId":"ORD-1","quantity":"3","status":"PAID","tags":[],"attrs":{},"customer":null,"createdAt":null,"blob":"","ratio":0.25,"note":null,"lines":[]}`},
	{"repeated and map", "shop.Order", `{"tags":["a","b"],"attrs":{"x":1,"y":-2}}`,
		`{"orderId":"","quantity":"0","status":"STATUS_UNSPECIFIED","tags":["a","b"],"attrs":{"x":1,"y":-2},"customer":null,"createdAt":null,"blob":"","ratio":0,"note":null,"lines":[]}`},
	{"nested messages", "shop.Order", `{"customer":{"name":"Ann","address":{"city":"Lyon","zip":-5}},"lines":[{"sku":"P-1","qty":2}]}`,
		`{"orderId":"","quantity":"0","status":"STATUS_UNSPECIFIED","tags":[],"attrs":{},"customer":{"name":"Ann","address":{"city":"Lyon","zip":-5}},"createdAt":null,"blob":"","ratio":0,"note":null,"lines":[{"sku":"P-1","qty":2}]}`},
	{"oneof message", "shop.Order", `{"card":{"last4":"4242"}}`,
		`{"orderId":"","quantity":"0","status":"STATUS_UNSPECIFIED","tags":[],"attrs":{},"customer":null,"card":{"last4":"4242"},"createdAt":null,"blob":"","ratio":0,"note":null,"lines":[]}`},
	{"oneof scalar", "shop.Order", `{"voucher":"XMAS"}`,
		`{"orderId":"","quantity":"0","status":"STATUS_UNSPECIFIED","tags":[],"attrs":{},"customer":null,"voucher":"XMAS","createdAt":null,"blob":"","ratio":0,"note":null,"lines":[]}`},
	{"well-known types", "shop.Order", `{"createdAt":"2026-11-26T01:50:47.048Z","note":"gift","blob":"AP8="}`,
		`{"orderId":"","quantity":"0","status":"STATUS_UNSPECIFIED","tags":[],"attrs":{},"customer":null,"createdAt":"2026-11-26T01:50:47.048Z","blob":"AP8=","ratio":0,"note":"gift","lines":[]}`},
	{"second message of the file", "shop.Customer", `{"name":"Bob"}`, `{"name":"Bob","address":null}`},
	{"nested message type", "shop.Order.Line", `{"sku":"P-9","qty":7}`, `{"sku":"P-9","qty":7}`},
}

func TestProtobufFidelity(t *testing.T) {
	enc := func(message string) *Encoder {
		e, err := NewEncoder(TypeProtobuf, orderProto, "shop.proto", message)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for i, tc := range protoCases {
		t.Run(tc.name, func(t *testing.T) {
			// The message is built with protobuf-go from the JSON and
			// marshalled; the wire header with the encoder's indexes.
			e := enc(tc.message)
			msg := dynamicpb.NewMessage(e.message)
			if err := protojson.Unmarshal([]byte(tc.value), msg); err != nil {
				t.Fatal(err)
			}
			body, err := proto.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			reg := newFakeRegistry()
			reg.add(200+i, TypeProtobuf, orderProto)
			d := NewDecoder(reg, "", "")
			r := &record.Record{Topic: "t", Value: wire(200+i, append(append([]byte{}, e.prefix...), body...))}
			if err := d.Decode(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if r.ValueSchema == nil || r.ValueSchema.Err != "" || r.ValueSchema.Format != FormatProtobuf {
				t.Fatalf("not decoded: %+v", r.ValueSchema)
			}
			sameJSON(t, r.Value, tc.want)
		})
	}
}

func TestProtobufReferences(t *testing.T) {
	common := `syntax = "proto3"; package common; message Money { string currency = 1; int64 units = 2; }`
	order := `syntax = "proto3"; package shop; import "common/money.proto"; message Order { string id = 1; common.Money total = 2; }`
	reg := newFakeRegistry()
	reg.bySubVer["money/1"] = Registered{ID: 1, Type: TypeProtobuf, Text: common}
	reg.add(2, TypeProtobuf, order, Reference{Name: "common/money.proto", Subject: "money", Version: 1})
	files := map[string]string{"common/money.proto": common, "order.proto": order}
	dec, err := NewProtobufDecoder("order.proto", files)
	if err != nil {
		t.Fatal(err)
	}
	_ = dec
	// Order{id:"A", total:{currency:"EUR", units:5}} by hand: field 1
	// "A", field 2 {1:"EUR", 2:5}.
	body := []byte{0x0a, 1, 'A', 0x12, 7, 0x0a, 3, 'E', 'U', 'R', 0x10, 5}
	r := &record.Record{Value: wire(2, append([]byte{0}, body...))}
	if err := NewDecoder(reg, "", "").Decode(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r.ValueSchema.Err != "" {
		t.Fatal(r.ValueSchema.Err)
	}
	sameJSON(t, r.Value, `{"id":"A","total":{"currency":"EUR","units":"5"}}`)
}

func TestAvroReferences(t *testing.T) {
	user := `{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}`
	order := `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"user","type":"shop.User"},{"name":"n","type":"int"}]}`
	reg := newFakeRegistry()
	reg.bySubVer["user/1"] = Registered{ID: 1, Type: TypeAvro, Text: user}
	reg.add(2, "", order, Reference{Name: "shop.User", Subject: "user", Version: 1})
	payload := []byte{2, 'u', 6} // user.id "u", n 3
	r := &record.Record{Value: wire(2, payload)}
	if err := NewDecoder(reg, "", "").Decode(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r.ValueSchema.Err != "" {
		t.Fatal(r.ValueSchema.Err)
	}
	sameJSON(t, r.Value, `{"user":{"id":"u"},"n":3}`)
}

func TestJSONSchemaPayload(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(3, TypeJSONSchema, `{"type":"object"}`)
	for _, tc := range []struct{ payload, want, err string }{
		{`{"a":1,"b":[true,null]}`, `{"a":1,"b":[true,null]}`, ""},
		{"{\n  \"a\": 1\n}", `{"a":1}`, ""},
		{`{"a":`, "", "not JSON"},
	} {
		r := &record.Record{Value: wire(3, []byte(tc.payload))}
		if err := NewDecoder(reg, "", FormatJSONSchema).Decode(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if tc.err != "" {
			if !strings.Contains(r.ValueSchema.Err, tc.err) {
				t.Fatalf("%q: err %q, want %q", tc.payload, r.ValueSchema.Err, tc.err)
			}
			continue
		}
		if string(r.Value) != tc.want || r.ValueSchema.Format != FormatJSONSchema || r.ValueSchema.SchemaID != 3 {
			t.Fatalf("%q: %s %+v", tc.payload, r.Value, r.ValueSchema)
		}
	}
}

// TestDecodeErrors: what cannot be decoded is a per-record error, with the
// payload kept as it was; only registry failures stop the run.
func TestDecodeErrors(t *testing.T) {
	ctx := context.Background()
	reg := newFakeRegistry()
	reg.add(1, TypeAvro, `{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"n","type":"long"}]}`)
	reg.add(2, TypeAvro, `{"type":"record","name":"Bad","fields":[{"name":"x","type":"nosuchtype"}]}`)
	reg.add(3, TypeProtobuf, `syntax = "proto3"; message M { string a = 1; }`)
	good := []byte{6, 'a', 'b', 'c', 4}
	tests := []struct {
		name, format string
		value        []byte
		want         string
	}{
		{"not wire format", FormatAvro, []byte(`{"plain":"json"}`), "not in the Schema Registry wire format (first byte 0x7b"},
		{"too short", FormatAvro, []byte{0, 0, 1}, "shorter than its 5-byte header"},
		{"unknown id", FormatAuto, wire(99, good), "schema id 99 not found"},
		{"truncated", FormatAuto, wire(1, good[:3]), "truncated"},
		{"trailing bytes", FormatAuto, wire(1, append(good, 0)), "1 bytes left"},
		{"schema does not parse", FormatAuto, wire(2, good), "schema id 2"},
		{"type mismatch", FormatProtobuf, wire(1, good), "schema 1 is avro, not protobuf"},
		{"bad message index", FormatAuto, wire(3, []byte{2, 8, 0}), "message index"},
		{"bad protobuf body", FormatAuto, wire(3, []byte{0, 0x0a, 9, 'x'}), "protobuf M"},
		{"json forced", FormatJSON, []byte("not json"), "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(reg, "", tc.format)
			r := &record.Record{Topic: "t", Partition: 2, Offset: 7, Value: tc.value}
			if err := d.Decode(ctx, r); err != nil {
				t.Fatalf("a bad record must not be fatal: %v", err)
			}
			if r.ValueSchema == nil || !strings.Contains(r.ValueSchema.Err, tc.want) {
				t.Fatalf("got %+v, want error %q", r.ValueSchema, tc.want)
			}
			if string(r.Value) != string(tc.value) {
				t.Fatalf("value changed to %q", r.Value)
			}
			if d.Failed() != 1 || !strings.HasPrefix(d.FirstError(), "t/2@7: value: ") {
				t.Fatalf("failed %d, first %q", d.Failed(), d.FirstError())
			}
			env := record.AppendJSON(nil, r)
			var m map[string]any
			if err := json.Unmarshal(env, &m); err != nil || m["value_encoding"] != "base64" || m["value_error"] == nil {
				t.Fatalf("envelope %s", env)
			}
		})
	}
	// Decoding the good one works, and the id was fetched once for all.
	reg.calls = map[int]int{}
	d := NewDecoder(reg, "", "")
	for range 3 {
		r := &record.Record{Value: wire(1, good), Key: wire(1, good)}
		if err := d.Decode(ctx, r); err != nil {
			t.Fatal(err)
		}
		if string(r.Value) != `{"s":"abc","n":2}` || string(r.Key) != `{"s":"abc","n":2}` {
			t.Fatalf("got key %s value %s", r.Key, r.Value)
		}
		if err := d.Decode(ctx, &record.Record{Value: wire(99, good)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(reg.calls) != 2 || reg.calls[1] != 1 || reg.calls[99] != 1 {
		t.Fatalf("registry asked %v times, want once per id and run", reg.calls)
	}
}

func TestDecodeFatalAndPassThrough(t *testing.T) {
	ctx := context.Background()
	reg := newFakeRegistry()
	reg.err = errors.New("schema registry http://x: cannot reach it")
	d := NewDecoder(reg, "", "")
	if err := d.Decode(ctx, &record.Record{Value: wire(1, []byte{2})}); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("unreachable registry: %v", err)
	}
	// Auto leaves values that are not in the wire format alone; raw and
	// no registry decode nothing.
	for _, d := range []*Decoder{NewDecoder(newFakeRegistry(), "", ""), NewDecoder(newFakeRegistry(), FormatRaw, FormatRaw), NewDecoder(nil, "", "")} {
		r := &record.Record{Key: []byte("k"), Value: []byte(`{"a":1}`)}
		if err := d.Decode(ctx, r); err != nil || r.ValueSchema != nil || r.KeySchema != nil || string(r.Value) != `{"a":1}` {
			t.Fatalf("changed: %+v %v", r, err)
		}
	}
	if NewDecoder(nil, "", "").Active() || NewDecoder(newFakeRegistry(), FormatRaw, FormatRaw).Active() || !NewDecoder(newFakeRegistry(), "", "").Active() {
		t.Fatal("Active")
	}
	// A forced format with no registry is a per-record error.
	r := &record.Record{Value: wire(1, []byte{2})}
	if err := NewDecoder(nil, "", FormatAvro).Decode(ctx, r); err != nil || !strings.Contains(r.ValueSchema.Err, "no schema registry") {
		t.Fatalf("%+v %v", r.ValueSchema, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range append(Formats, "", "AVRO") {
		if _, err := ParseFormat(f); err != nil {
			t.Errorf("%q: %v", f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}

// FuzzWireDecoder: any payload under any schema gives JSON or an error,
// never a panic or a hang.
func FuzzWireDecoder(f *testing.F) {
	reg := newFakeRegistry()
	for i, tc := range avroCases {
		reg.add(100+i, TypeAvro, tc.schema)
		sch := avro.MustParse(tc.schema)
		if payload, err := avro.Marshal(sch, tc.value); err == nil {
			f.Add(wire(100+i, payload))
		}
	}
	reg.add(200, TypeProtobuf, orderProto)
	reg.add(300, TypeJSONSchema, `{}`)
	f.Add(wire(200, []byte{0, 0x0a, 1, 'A'}))
	f.Add(wire(200, []byte{4, 2, 0, 0x0a, 1, 'A'}))
	f.Add(wire(300, []byte(`{"a":[1,2]}`)))
	f.Add([]byte{0, 0, 0, 0})
	d := NewDecoder(reg, "", "")
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &record.Record{Value: b}
		if err := d.Decode(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if r.ValueSchema != nil && r.ValueSchema.Err == "" && !json.Valid(r.Value) {
			t.Fatalf("decoded to invalid JSON: %s", r.Value)
		}
		if env := record.AppendJSON(nil, r); !json.Valid(env) {
			t.Fatalf("invalid envelope: %s", env)
		}
	})
}

// DecodeReusing through one Scratch gives what Decode gives, record after
// record, across schema ids (the scratch's cached schema must follow the
// id), keys and values, and an undecodable record in between.
func TestDecodeReusing(t *testing.T) {
	reg := newFakeRegistry()
	var payloads [][]byte
	for i, tc := range avroCases {
		sch := avro.MustParse(tc.schema)
		p, err := avro.Marshal(sch, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		reg.add(100+i, TypeAvro, tc.schema)
		payloads = append(payloads, wire(100+i, p))
	}
	d := NewDecoder(reg, "", "")
	var s Scratch
	for round := 0; round < 2; round++ {
		for i := range avroCases {
			j := (i + 1) % len(avroCases) // the key has another schema
			r := &record.Record{Topic: "t", Offset: int64(i), Key: payloads[j], Value: payloads[i]}
			want := &record.Record{Topic: "t", Offset: int64(i), Key: payloads[j], Value: payloads[i]}
			if err := d.DecodeReusing(context.Background(), r, &s); err != nil {
				t.Fatal(err)
			}
			if err := d.Decode(context.Background(), want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Value, want.Value) || !bytes.Equal(r.Key, want.Key) {
				t.Fatalf("%s: reusing gave %s / %s, want %s / %s", avroCases[i].name, r.Key, r.Value, want.Key, want.Value)
			}
			if got, w := *r.ValueSchema, *want.ValueSchema; got.SchemaID != w.SchemaID || got.Format != w.Format || got.Err != w.Err || !bytes.Equal(got.Raw, payloads[i]) {
				t.Fatalf("%s: value schema %+v, want %+v", avroCases[i].name, r.ValueSchema, want.ValueSchema)
			}
			if r.KeySchema.SchemaID != 100+j || r.ValueSchema.SchemaID != 100+i {
				t.Fatalf("schema ids %d/%d, want %d/%d", r.KeySchema.SchemaID, r.ValueSchema.SchemaID, 100+j, 100+i)
			}
			if round == 0 && i == 3 {
				bad := &record.Record{Topic: "t", Value: wire(99, []byte{2, 'x'})}
				if err := d.DecodeReusing(context.Background(), bad, &s); err != nil {
					t.Fatal(err)
				}
				if bad.ValueSchema == nil || !strings.Contains(bad.ValueSchema.Err, "99 not found") || !bytes.Equal(bad.Value, wire(99, []byte{2, 'x'})) {
					t.Fatalf("undecodable: %+v %q", bad.ValueSchema, bad.Value)
				}
			}
		}
	}
}
