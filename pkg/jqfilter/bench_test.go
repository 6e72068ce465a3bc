package jqfilter

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// payments returns n records of a typical ≈170-byte e-commerce payment, one
// in 50 (2%) with "status":"ERROR".
func payments(n int, errorEvery int) []*record.Record {
	rs := make([]*record.Record, n)
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range rs {
		status := "APPROVED"
		if errorEvery > 0 && i%errorEvery == 0 {
			status = "ERROR"
		}
		v := fmt.Sprintf(`{"transactionId":"tx-%09d","orderId":"ord-%06d","customerId":"cust-%05d","amount":%d.%02d,"currency":"EUR","method":"card","status":%q}`,
			1000000+i, 50000+i%7919, i%4099, 10+i%990, i%100, status)
		rs[i] = &record.Record{Topic: "payment.transactions", Partition: int32(i % 6), Offset: int64(i),
			Timestamp: ts.Add(time.Duration(i) * time.Millisecond), Key: fmt.Appendf(nil, "ord-%06d", i), Value: []byte(v)}
	}
	return rs
}

func BenchmarkFilter(b *testing.B) {
	mixed := payments(1000, 50)
	allMatch := payments(1000, 1)
	b.Logf("value size: %d bytes, e.g. %s", len(mixed[1].Value), mixed[1].Value)
	run := func(name, expr string, rs []*record.Record, opts ...Option) {
		f := MustCompile(expr, opts...)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var bytes int64
			for _, r := range rs {
				bytes += int64(len(r.Value))
			}
			b.SetBytes(bytes / int64(len(rs)))
			kept := 0
			i := 0
			for b.Loop() {
				res, err := f.Eval(rs[i%len(rs)])
				if err != nil {
					b.Fatal(err)
				}
				if res.Keep {
					kept++
				}
				i++
			}
			_ = kept
		})
	}
	sel := `.status=="ERROR"`
	run("select/2pct/prefilter", sel, mixed)
	run("select/2pct/no-prefilter", sel, mixed, WithoutPrefilter())
	run("select/all-match/prefilter", sel, allMatch)
	run("select/all-match/no-prefilter", sel, allMatch, WithoutPrefilter())
	run("output/.orderId", `.orderId`, mixed)
	run("select+$record", `$record.value.status=="ERROR"`, mixed)

	// Reference points: what a decode with encoding/json costs, and the
	// envelope encoding every printed record pays anyway.
	b.Run("ref/encoding-json-unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var v any
			if err := json.Unmarshal(mixed[i%len(mixed)].Value, &v); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("ref/decoder", func(b *testing.B) {
		b.ReportAllocs()
		var d decoder
		i := 0
		for b.Loop() {
			if _, ok := d.decodeJSON(mixed[i%len(mixed)].Value); !ok {
				b.Fatal("not JSON")
			}
			i++
		}
	})
	b.Run("ref/envelope-AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		i := 0
		for b.Loop() {
			buf = record.AppendJSON(buf[:0], mixed[i%len(mixed)])
			i++
		}
	})
}

func BenchmarkReject(b *testing.B) {
	rs := payments(1000, 0)
	f := MustCompile(`.status=="ERROR"`)
	b.Run("reject", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if !f.pre.reject(rs[i%len(rs)].Value) {
				b.Fatal("not rejected")
			}
			i++
		}
	})
	b.Run("containsQuoted", func(b *testing.B) {
		i := 0
		for b.Loop() {
			containsQuoted(rs[i%len(rs)].Value, f.pre.needles[0])
			i++
		}
	})
	b.Run("validate", func(b *testing.B) {
		i := 0
		for b.Loop() {
			validate(rs[i%len(rs)].Value, f.pre.root)
			i++
		}
	})
}
