package record

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func sample() *Record {
	return &Record{
		Topic: "orders", Partition: 2, Offset: 42,
		Timestamp:     time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		TimestampType: TimestampCreateTime,
		Key:           []byte("ord-1"),
		Value:         []byte(`{"orderId":"ord-1","amount":12.50,"z":1,"a":2}`),
		Headers: []Header{
			{Key: "trace", Value: []byte("abc")},
			{Key: "trace", Value: []byte(`{"x":1}`)},
			{Key: "bin", Value: []byte{0xff, 0x00}},
			{Key: "nil", Value: nil},
		},
	}
}

func TestAppendJSONGolden(t *testing.T) {
	got := string(AppendJSON(nil, sample()))
	want := `{"topic":"orders","partition":2,"offset":42,"timestamp":"2026-11-25T09:00:00.123Z","timestamp_type":"CreateTime",` +
		`"key":"ord-1","key_encoding":"utf8","value":{"orderId":"ord-1","amount":12.50,"z":1,"a":2},` +
		`"headers":[{"key":"trace","value":"abc","value_encoding":"utf8"},{"key":"trace","value":{"x":1}},` +
		`{"key":"bin","value":"/wA=","value_encoding":"base64"},{"key":"nil","value":null}]}`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Fatal("envelope is not valid JSON")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{}, EncodingUTF8},
		{[]byte("null"), EncodingUTF8},
		{[]byte(`{"a":1}`), EncodingJSON},
		{[]byte(`"s"`), EncodingJSON},
		{[]byte("42"), EncodingJSON},
		{[]byte(" 42"), EncodingUTF8},
		{[]byte("{\n}"), EncodingUTF8},
		{[]byte("plain text"), EncodingUTF8},
		{[]byte("\"\xff\""), EncodingBase64},
		{[]byte{0, 1, 2}, EncodingUTF8},
		{[]byte{0xc3}, EncodingBase64},
	} {
		if got := Classify(c.in); got != c.want {
			t.Errorf("Classify(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestEmptyIsNotTombstone: the envelope keeps an empty value distinct from a
// null one, for keys, values and header values.
func TestEmptyIsNotTombstone(t *testing.T) {
	for _, r := range []*Record{
		{Topic: "t", Key: nil, Value: nil, Headers: []Header{{Key: "h", Value: nil}}},
		{Topic: "t", Key: []byte{}, Value: []byte{}, Headers: []Header{{Key: "h", Value: []byte{}}}},
	} {
		line := AppendJSON(nil, r)
		back, err := Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		if (back.Key == nil) != (r.Key == nil) || (back.Value == nil) != (r.Value == nil) || (back.Headers[0].Value == nil) != (r.Headers[0].Value == nil) {
			t.Errorf("%s: nil-ness lost: key %v value %v header %v", line, back.Key == nil, back.Value == nil, back.Headers[0].Value == nil)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := sample()
	back, err := Decode(AppendJSON(nil, r))
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, r, back)
	if !back.Timestamp.Equal(r.Timestamp.Truncate(time.Millisecond)) {
		t.Errorf("timestamp %v, want %v", back.Timestamp, r.Timestamp)
	}
}

func TestDecodeIfEnvelope(t *testing.T) {
	if _, ok, err := DecodeIfEnvelope([]byte(`{"orderId":1}`)); ok || err != nil {
		t.Errorf("plain object taken for an envelope (ok=%v err=%v)", ok, err)
	}
	if _, ok, err := DecodeIfEnvelope(AppendJSON(nil, sample())); !ok || err != nil {
		t.Errorf("envelope not recognized (ok=%v err=%v)", ok, err)
	}
	line := `{"topic":"t","partition":0,"offset":1,"value":"%%%","value_encoding":"base64"}`
	if _, _, err := DecodeIfEnvelope([]byte(line)); err == nil {
		t.Error("bad base64 not reported")
	}
}

func checkSame(t *testing.T, want, got *Record) {
	t.Helper()
	same := func(a, b []byte) bool { return bytes.Equal(a, b) && (a == nil) == (b == nil) }
	if got.Topic != want.Topic || got.Partition != want.Partition || got.Offset != want.Offset {
		t.Errorf("position %s@%d, want %s@%d", got.TP(), got.Offset, want.TP(), want.Offset)
	}
	if !same(got.Key, want.Key) {
		t.Errorf("key %q (nil %v), want %q (nil %v)", got.Key, got.Key == nil, want.Key, want.Key == nil)
	}
	if !same(got.Value, want.Value) {
		t.Errorf("value %q (nil %v), want %q (nil %v)", got.Value, got.Value == nil, want.Value, want.Value == nil)
	}
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("%d headers, want %d", len(got.Headers), len(want.Headers))
	}
	for i := range want.Headers {
		if got.Headers[i].Key != want.Headers[i].Key || !same(got.Headers[i].Value, want.Headers[i].Value) {
			t.Errorf("header %d = %q:%q, want %q:%q", i, got.Headers[i].Key, got.Headers[i].Value, want.Headers[i].Key, want.Headers[i].Value)
		}
	}
}

// FuzzEnvelope: encoding then decoding gives back the same key, value and
// header bytes, whatever they are. Header keys are Kafka strings (UTF-8).
func FuzzEnvelope(f *testing.F) {
	seeds := [][]byte{nil, {}, []byte("null"), []byte(`{"a":1}`), []byte(" {}"), []byte("\xff\xfe"), []byte("line\nbreak"),
		[]byte(`"\u0045"`), []byte("\u2028"), []byte(`[1,2,{"b":null}]`), []byte("1e400"), []byte{0}, []byte(strings.Repeat("x", 1000))}
	for i, s := range seeds {
		next := seeds[(i+1)%len(seeds)]
		f.Add(s, next, "h", s, s == nil, next == nil)
	}
	f.Fuzz(func(t *testing.T, key, value []byte, hkey string, hvalue []byte, nilKey, nilValue bool) {
		if nilKey {
			key = nil
		} else if key == nil {
			key = []byte{}
		}
		if nilValue {
			value = nil
		} else if value == nil {
			value = []byte{}
		}
		if !utf8.ValidString(hkey) {
			hkey = strings.ToValidUTF8(hkey, "?")
		}
		r := &Record{Topic: "t", Partition: 1, Offset: 7, Key: key, Value: value,
			Headers: []Header{{Key: hkey, Value: hvalue}, {Key: hkey, Value: value}}}
		line := AppendJSON(nil, r)
		if !json.Valid(line) || bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("not one line of JSON: %q", line)
		}
		back, err := Decode(line)
		if err != nil {
			t.Fatalf("decode %q: %v", line, err)
		}
		checkSame(t, r, back)
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	r := &Record{Topic: "payment.transactions", Partition: 3, Offset: 1234567,
		Timestamp: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), TimestampType: TimestampCreateTime,
		Key:   []byte("ord-050042"),
		Value: []byte(`{"transactionId":"tx-001000042","orderId":"ord-050042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","status":"APPROVED"}`)}
	b.SetBytes(int64(len(r.Value)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = AppendJSON(buf[:0], r)
	}
}

func TestAppendTimestampMatchesLayout(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("X", -5*3600)),
		time.UnixMilli(0), time.UnixMilli(1732500000123),
		time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want := `"` + ts.UTC().Format(timestampLayout) + `"`
		if got := string(AppendTimestamp(nil, ts)); got != want {
			t.Errorf("AppendTimestamp(%v) = %s, want %s", ts, got, want)
		}
	}
}

// BenchmarkAppendJSONEmbedded is AppendJSON when a filter already found the
// value embeddable (tail --jq): the difference is the value's validation.
func BenchmarkAppendJSONEmbedded(b *testing.B) {
	r := &Record{Topic: "payment.transactions", Partition: 3, Offset: 1234567,
		Timestamp: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), TimestampType: TimestampCreateTime,
		Key:   []byte("ord-050042"),
		Value: []byte(`{"transactionId":"tx-001000042","orderId":"ord-050042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","status":"APPROVED"}`)}
	b.SetBytes(int64(len(r.Value)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = AppendJSONEmbedded(buf[:0], r)
	}
}

// A value nested MaxDepth levels deep is embedded as JSON and reads back;
// one level more is a utf8 string and reads back too (issue 12, item 7):
// the envelope around a value takes nothing from its depth.
func TestDeepValuesRoundTrip(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat(`{"a":[`, n/2) + strings.Repeat("[", n%2) + "1" + strings.Repeat("]", n%2) + strings.Repeat(`]}`, n/2))
	}
	for _, c := range []struct {
		depth int
		enc   string
	}{{MaxDepth, EncodingJSON}, {MaxDepth + 1, EncodingUTF8}} {
		v := nest(c.depth)
		if got := Classify(v); got != c.enc {
			t.Fatalf("depth %d: Classify = %q, want %q", c.depth, got, c.enc)
		}
		in := &Record{Topic: "t", Key: v, Value: v, Headers: []Header{{Key: "h", Value: v}}}
		line := AppendJSON(nil, in)
		r, ok, err := DecodeIfEnvelope(line)
		if err != nil || !ok {
			t.Fatalf("depth %d: DecodeIfEnvelope: ok=%v err=%v", c.depth, ok, err)
		}
		if !bytes.Equal(r.Key, v) || !bytes.Equal(r.Value, v) || len(r.Headers) != 1 || !bytes.Equal(r.Headers[0].Value, v) {
			t.Errorf("depth %d: the key, value or header changed", c.depth)
		}
	}
}

// TestClone: the copy holds the same record, shares no bytes with it, and
// keeps nil apart from empty.
func TestClone(t *testing.T) {
	r := &Record{Topic: "t", Partition: 1, Offset: 2, Key: []byte("k"), Value: []byte{},
		Headers:     []Header{{Key: "h", Value: []byte("v")}, {Key: "nil"}},
		ValueSchema: &Decoded{SchemaID: 3, Format: "avro", Raw: []byte("raw")}}
	c := r.Clone()
	if !reflect.DeepEqual(r, c) {
		t.Fatalf("clone %#v, want %#v", c, r)
	}
	if c.Value == nil || c.Headers[1].Value != nil || c.KeySchema != nil {
		t.Fatalf("nil and empty mixed up: %#v", c)
	}
	r.Key[0], r.Headers[0].Value[0], r.ValueSchema.Raw[0] = 'x', 'x', 'x'
	if string(c.Key) != "k" || string(c.Headers[0].Value) != "v" || string(c.ValueSchema.Raw) != "raw" {
		t.Fatalf("the clone shares memory: %#v", c)
	}
}
