package flowtrace

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// BenchmarkFlowBuilder: kx flow over a whole log holds one entry per key;
// live-B/key is the heap it keeps per key (after a GC), the figure that
// decides flow's memory on a log of millions of orders.
func BenchmarkFlowBuilder(b *testing.B) {
	topics := []string{"orders.created", "payment.transactions", "inventory.updates", "orders.completed", "shipping.events", "customer.notifications"}
	const keys = 200_000
	values := make([][]byte, keys)
	for i := range values {
		values[i] = fmt.Appendf(nil, `{"orderId":"ORD-%07d","status":"OK"}`, i)
	}
	t0 := time.UnixMilli(1_780_000_000_000)
	b.ReportAllocs()
	var perKey float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		fb, _ := NewFlowBuilder("orderId", topics)
		r := &record.Record{}
		for ti, topic := range topics {
			for i, v := range values {
				if ti == len(topics)-1 && i%3 == 0 {
					continue // a third of the orders stop early
				}
				r.Topic, r.Value, r.Timestamp = topic, v, t0.Add(time.Duration(ti*1000+i)*time.Millisecond)
				fb.Offer(r)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / keys
		if g, err := fb.Graph(); err != nil || g.Keys != keys {
			b.Fatalf("%d keys, %v", g.Keys, err)
		}
	}
	b.ReportMetric(perKey, "live-B/key")
}
