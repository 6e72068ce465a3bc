package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kx-cli/kx/pkg/record"
)

// genEnvelopes FILE: write envelope lines covering what a copy must keep:
// binary and invalid UTF-8 values, a tombstone, an empty value, a 900 KB
// value, duplicate header keys, null and empty keys, JSON with odd numbers.
func genEnvelopes(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gen-envelopes FILE")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	big := make([]byte, 900*1024)
	for i := range big {
		big[i] = byte(rng.UintN(256))
	}
	records := []record.Record{
		{Key: []byte("json"), Value: []byte(`{"amount":1.50,"z":1,"a":[1e3,-0]}`)},
		{Key: []byte("binary"), Value: []byte{0, 1, 2, 0xff, 0xfe, '\n'}},
		{Key: []byte{0xc3, 0x28}, Value: []byte("invalid utf-8: \xc3\x28")},
		{Key: []byte("tombstone"), Value: nil},
		{Key: []byte("empty"), Value: []byte{}},
		{Key: nil, Value: []byte("null key")},
		{Key: []byte{}, Value: []byte("empty key")},
		{Key: []byte("text"), Value: []byte("line one\nline two\r\n\ttab \u2028")},
		{Key: []byte("headers"), Value: []byte(`"v"`), Headers: []record.Header{
			{Key: "dup", Value: []byte("1")}, {Key: "dup", Value: []byte("2")}, {Key: "bin", Value: []byte{0xff}},
			{Key: "nil", Value: nil}, {Key: "empty", Value: []byte{}}, {Key: "dup", Value: []byte(`{"j":1}`)}}},
		{Key: []byte("big"), Value: big},
	}
	var out []byte
	for i := range records {
		r := &records[i]
		r.Topic, r.Offset = "gen", int64(i)
		out = append(record.AppendJSON(out, r), '\n')
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}

// timedRecords FILE AGE...: write one envelope per AGE (a duration) with
// the timestamp now minus AGE and the value {"age":"AGE"}.
func timedRecords(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: timed-records FILE AGE...")
	}
	now := time.Now()
	var out []byte
	for i, a := range args[1:] {
		d, err := time.ParseDuration(a)
		ts.Check(err)
		r := &record.Record{Topic: "gen", Offset: int64(i), Timestamp: now.Add(-d), TimestampType: record.TimestampCreateTime,
			Value: fmt.Appendf(nil, `{"age":%q}`, a)}
		out = append(record.AppendJSON(out, r), '\n')
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}

// envcmp A B: both files hold the same records in the same order: same
// key, value and header bytes (and the same nulls), whatever their topic,
// partition, offset or timestamp.
func envcmp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envcmp A B")
	}
	a, b := readEnvelopes(ts, args[0]), readEnvelopes(ts, args[1])
	if len(a) != len(b) {
		ts.Fatalf("%s has %d records, %s has %d", args[0], len(a), args[1], len(b))
	}
	same := func(x, y []byte) bool { return bytes.Equal(x, y) && (x == nil) == (y == nil) }
	for i := range a {
		x, y := a[i], b[i]
		if !same(x.Key, y.Key) || !same(x.Value, y.Value) || len(x.Headers) != len(y.Headers) {
			ts.Fatalf("record %d differs: key %q/%q, value %.40q/%.40q, %d/%d headers", i, x.Key, y.Key, x.Value, y.Value, len(x.Headers), len(y.Headers))
		}
		for j := range x.Headers {
			if x.Headers[j].Key != y.Headers[j].Key || !same(x.Headers[j].Value, y.Headers[j].Value) {
				ts.Fatalf("record %d header %d differs: %q=%q / %q=%q", i, j, x.Headers[j].Key, x.Headers[j].Value, y.Headers[j].Key, y.Headers[j].Value)
			}
		}
	}
}

func readEnvelopes(ts *testscript.TestScript, name string) []*record.Record {
	data, err := os.ReadFile(ts.MkAbs(name))
	ts.Check(err)
	var out []*record.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 8<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		r, err := record.Decode(sc.Bytes())
		if err != nil {
			ts.Fatalf("%s:%d: %v", name, n, err)
		}
		out = append(out, r)
	}
	ts.Check(sc.Err())
	return out
}
