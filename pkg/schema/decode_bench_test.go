package schema

import (
	"context"
	"math/big"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/kx-cli/kx/pkg/record"
)

// BenchmarkDecodeAvro: one order of the demo's shape, wire bytes to the
// record's JSON value, as every reading command does per record.
func BenchmarkDecodeAvro(b *testing.B) { benchmarkDecodeAvro(b, nil) }

// BenchmarkDecodeAvroReusing: the same through a Scratch, as kx tail does.
func BenchmarkDecodeAvroReusing(b *testing.B) { benchmarkDecodeAvro(b, new(Scratch)) }

func benchmarkDecodeAvro(b *testing.B, s *Scratch) {
	schema := `{"type":"record","name":"Order","fields":[
		{"name":"orderId","type":"string"},{"name":"customerId","type":"string"},
		{"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","PAID","ERROR"]}},
		{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
		{"name":"createdAt","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
		{"name":"note","type":["null","string"],"default":null}]}`
	sch := avro.MustParse(schema)
	payload, err := avro.Marshal(sch, map[string]any{"orderId": "ORD-000017", "customerId": "CUST-02295", "status": "PAID",
		"amount": big.NewRat(1999, 100), "createdAt": mustTime("2026-11-26T01:50:47.048Z"),
		"items": []any{map[string]any{"sku": "PROD-0081", "qty": 2}}, "note": nil})
	if err != nil {
		b.Fatal(err)
	}
	reg := newFakeRegistry()
	reg.add(1, TypeAvro, schema)
	d := NewDecoder(reg, "", "")
	value := wire(1, payload)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		r := record.Record{Value: value}
		if err := d.DecodeReusing(ctx, &r, s); err != nil || r.ValueSchema.Err != "" {
			b.Fatal(err, r.ValueSchema.Err)
		}
	}
}
