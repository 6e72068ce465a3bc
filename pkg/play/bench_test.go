package play

import (
	"context"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

// loadDemo returns the five-minute demo scenario.
func loadDemo(b *testing.B) *scenario.Scenario {
	s, err := scenario.Load("../../scenarios/ecommerce-demo.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// events yields the demo's events endlessly, unpaced.
func events(s *scenario.Scenario) func() scenario.Event {
	var g *scenario.Generator
	seed := int64(0)
	return func() scenario.Event {
		for {
			if g == nil {
				seed++
				g = scenario.NewGenerator(s, scenario.GeneratorOptions{Seed: seed, RunID: "bench", Speed: 10})
			}
			if ev, ok := g.Next(); ok {
				return ev
			}
			g = nil
		}
	}
}

// BenchmarkGenerator is the scenario generator alone (no Kafka).
func BenchmarkGenerator(b *testing.B) {
	next := events(loadDemo(b))
	b.ReportAllocs()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_ = next()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkPlayProduce is kx play's maximum rate: the demo scenario's
// generator in the loop, the idempotent lz4 producer, delivery reports
// encoded as NDJSON envelopes, to an in-process embedded broker.
func BenchmarkPlayProduce(b *testing.B) {
	s := loadDemo(b)
	br, err := embedded.Start(embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	client := kafka.New(kafka.Options{Brokers: br.Addrs(), Timeout: 10 * time.Second})
	defer client.Close()
	ios, _, _, _ := iostreams.Test()
	p := &Player{opts: &Options{IO: ios, Name: "bench", Quiet: true}, s: s}
	ctx := context.Background()
	if _, err := p.prepareTopics(ctx, Adapt(client, client.NewProducer)); err != nil {
		b.Fatal(err)
	}
	prod, err := client.NewProducer(cluster.ProducerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	next := events(s)
	done := make(chan int)
	go func() {
		acked := 0
		var buf []byte
		for d := range prod.Deliveries() {
			if d.Err == nil && d.Record != nil {
				acked++
				buf = record.AppendJSON(buf[:0], d.Record)
			}
		}
		done <- acked
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ev := next()
		rec := &record.Record{Topic: ev.Topic, Partition: -1, Timestamp: ev.Time, Key: ev.Key, Value: ev.Value}
		if err := prod.Produce(ctx, rec, nil); err != nil {
			b.Fatal(err)
		}
	}
	if left := prod.Flush(ctx); left != 0 {
		b.Fatalf("%d records not flushed", left)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	prod.Close()
	if acked := <-done; acked != b.N {
		b.Fatalf("%d of %d records acknowledged", acked, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}
