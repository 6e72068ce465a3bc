package cluster

import (
	"bytes"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// TestBatch: a batch gives back each record it was handed (nil and empty
// keys, values and header values kept apart, timestamps, partitions), from
// its own copy of the bytes; Reset empties it.
func TestBatch(t *testing.T) {
	key := []byte("k1")
	in := []record.Record{
		{Topic: "a", Partition: 2, Key: key, Value: []byte(`{"n":1}`), Timestamp: time.UnixMilli(1700000000123)},
		{Topic: "b", Partition: -1, Value: []byte{}},
		{Topic: "a", Partition: -7, Key: []byte{}},
		{Topic: "a", Partition: 0, Value: []byte{0, 0xff}, Headers: []record.Header{{Key: "h", Value: []byte("1")}, {Key: "", Value: []byte{}}, {Key: "nil"}}},
	}
	var b Batch
	for i := range in {
		b.Add(&in[i], i)
	}
	key[0] = 'X' // the batch holds a copy
	if b.Len() != len(in) || b.Size() != len("k1")+len(`{"n":1}`)+2+3*8+len("h1nil") {
		t.Fatalf("len %d size %d", b.Len(), b.Size())
	}
	key[0] = 'k'
	for i := range in {
		want, got := in[i], b.Record(i)
		if want.Partition < 0 {
			want.Partition = AnyPartition
		}
		if got.Topic != want.Topic || got.Partition != want.Partition || !got.Timestamp.Equal(want.Timestamp) || got.Timestamp.IsZero() != want.Timestamp.IsZero() {
			t.Errorf("record %d: %+v, want %+v", i, got, want)
		}
		if !same(got.Key, want.Key) || !same(got.Value, want.Value) || len(got.Headers) != len(want.Headers) {
			t.Errorf("record %d: key %q value %q headers %v, want %q %q %v", i, got.Key, got.Value, got.Headers, want.Key, want.Value, want.Headers)
			continue
		}
		for j, h := range got.Headers {
			if h.Key != want.Headers[j].Key || !same(h.Value, want.Headers[j].Value) {
				t.Errorf("record %d header %d: %q=%q, want %q=%q", i, j, h.Key, h.Value, want.Headers[j].Key, want.Headers[j].Value)
			}
		}
		if m := b.Messages()[i]; m.ID != i {
			t.Errorf("record %d: ID %d", i, m.ID)
		}
	}
	b.Reset()
	if b.Len() != 0 || b.Size() != 0 {
		t.Fatalf("after Reset: len %d size %d", b.Len(), b.Size())
	}
	b.Add(&in[1], 0)
	if r := b.Record(0); r.Topic != "b" || r.Value == nil || len(r.Value) != 0 {
		t.Fatalf("after Reset: %+v", r)
	}
}

func same(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// BenchmarkBatchAdd: adding a produce line of about 170 bytes with its key
// to a batch that is reset every 512 records, as kx produce does.
func BenchmarkBatchAdd(b *testing.B) {
	r := record.Record{Topic: "payments", Partition: -1, Key: []byte("ord-1000001"),
		Value: []byte(`{"transactionId":"tx-000000001","orderId":"ord-1000001","customerId":"cust-00001","amount":11.01,"currency":"EUR","method":"paypal","channel":"web","status":"APPROVED"}`)}
	var batch Batch
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if batch.Len() == 512 {
			batch.Reset()
		}
		batch.Add(&r, i&0xff)
	}
}
