package export

import (
	"fmt"
	"io"
	"testing"

	"github.com/kx-cli/kx/pkg/record"
)

func benchRecords(n int) []*record.Record {
	recs := make([]*record.Record, n)
	for i := range recs {
		recs[i] = rec(int64(i), fmt.Sprintf(`{"orderId":"ord-%08d","status":"COMPLETED","completedAt":"2026-11-27T10:00:%02d.000Z","amount":%d.99,"customer":{"id":"c-%d","tier":"gold"}}`, i, i%60, i%500, i%977))
	}
	return recs
}

// BenchmarkWriterCSV measures the encode-and-write path of an export
// (everything after the Kafka read), default columns, on every core.
func BenchmarkWriterCSV(b *testing.B) {
	recs := benchRecords(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := NewWriter(Job{Format: FormatCSV}, io.Discard, nil)
		for _, r := range recs {
			if err := w.Add(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRowEncoderColumns is one core with chosen jq-path columns.
func BenchmarkRowEncoderColumns(b *testing.B) {
	recs := benchRecords(1000)
	cols, err := ParseColumns(`orderId=.orderId,status=.status,completedAt=.completedAt,tier=.customer.tier`)
	if err != nil {
		b.Fatal(err)
	}
	e := NewRowEncoder(cols, false)
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = e.AppendRow(buf[:0], recs[i%len(recs)])
	}
}
