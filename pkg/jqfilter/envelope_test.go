package jqfilter

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// byteShapes are keys, values and header values in every shape the
// envelope tells apart.
var byteShapes = [][]byte{
	nil, {}, []byte("null"), []byte(" null"), []byte(`{"a":1,"b":[true,null,"x"]}`), []byte(` {"a":1}`),
	[]byte(`{"a":1} `), []byte("{\"a\":\n1}"), []byte("{\"a\":\r1}"), []byte("[1,\t2]"), []byte(`"\n escaped"`),
	[]byte(`12.50`), []byte(`1e3`), []byte(`-0`), []byte(`123456789012345678901234567890`), []byte("plain text"),
	[]byte("caf\xc3\xa9 \u2028"), {0, 0xff, 0xfe}, []byte(`{"a":`), []byte(`"\ud800"`),
	[]byte(strings.Repeat("[", 10001) + strings.Repeat("]", 10001)),
	[]byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)),
}

// TestEmbeddableMatchesClassify: for what the decoder accepts, the cheap
// embeddable test agrees with record.Classify.
func TestEmbeddableMatchesClassify(t *testing.T) {
	var d decoder
	for _, b := range byteShapes {
		if b == nil {
			continue
		}
		_, ok := d.decodeJSON(b)
		got := ok && embeddable(b)
		want := record.Classify(b) == record.EncodingJSON
		if got != want {
			t.Errorf("%.40q: decoded %v, embeddable %v, Classify says JSON %v", b, ok, got, want)
		}
	}
}

// TestRecordVariableMatchesEnvelope: $record built directly equals the
// decoded envelope of the record, in every shape of key, value, header,
// timestamp and topic.
func TestRecordVariableMatchesEnvelope(t *testing.T) {
	var recs []*record.Record
	for i, k := range byteShapes {
		for j, v := range byteShapes {
			r := &record.Record{Topic: "t", Partition: int32(i), Offset: int64(j) << 40, Key: k, Value: v,
				Timestamp: time.UnixMilli(1700000000123 + int64(i)), TimestampType: record.TimestampCreateTime}
			if (i+j)%3 == 0 {
				r.Headers = []record.Header{{Key: "h", Value: byteShapes[(i*7+j)%len(byteShapes)]}, {Key: "h"}}
			}
			recs = append(recs, r)
		}
	}
	recs = append(recs,
		&record.Record{Topic: "no-time", Value: []byte(`1`)},
		&record.Record{Topic: "bad\xffutf8", Value: []byte(`1`), TimestampType: record.TimestampLogAppendTime, Timestamp: time.UnixMilli(1)},
		&record.Record{Topic: "t", Value: []byte(`1`), Headers: []record.Header{{Key: "k\xfe", Value: []byte("v")}}},
		&record.Record{Topic: "year", Value: []byte(`{}`), Timestamp: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
	)
	s := &state{}
	for _, r := range recs {
		in, embed := s.dec.inputOf(r.Value)
		got := s.dec.envelope(s, r, in, embed)
		want, ok := s.dec.decodeJSON(record.AppendJSON(nil, r))
		if !ok {
			t.Fatalf("envelope of %+v does not decode", r)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("key %.30q value %.30q:\n got %#v\nwant %#v", r.Key, r.Value, got, want)
		}
	}
}

// TestEvalReportsEmbeddable: Eval says when the value is embeddable, and
// AppendJSONEmbedded then writes what AppendJSON writes.
func TestEvalReportsEmbeddable(t *testing.T) {
	f, err := Compile(`true`)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range byteShapes {
		r := &record.Record{Topic: "t", Value: v}
		res, err := f.Eval(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := record.Classify(v) == record.EncodingJSON; res.ValueEmbeddable != want {
			t.Errorf("%.40q: ValueEmbeddable %v, want %v", v, res.ValueEmbeddable, want)
			continue
		}
		if res.ValueEmbeddable {
			if a, b := record.AppendJSONEmbedded(nil, r), record.AppendJSON(nil, r); string(a) != string(b) {
				t.Errorf("%.40q: AppendJSONEmbedded %s, AppendJSON %s", v, a, b)
			}
		}
	}
}
