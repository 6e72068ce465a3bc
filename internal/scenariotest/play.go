// Package scenariotest plays shipped scenarios into a broker for tests:
// the same events as kx play with a fixed seed, produced at once.
package scenariotest

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

// Path is a shipped scenario, relative to the repository root.
func Path(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scenarios", name)
}

// Play creates the scenario's topics and produces its events (with
// a fixed seed) through the real producer; it returns the events sent.
func Play(t testing.TB, client *kafka.Client, path string, seed int64, rateScale float64) []scenario.Event {
	t.Helper()
	ctx := context.Background()
	s, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range s.Topics {
		if err := client.CreateTopic(ctx, cluster.TopicSpec{Name: tp.Name, Partitions: int(tp.Partitions), ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := client.NewProducer(cluster.ProducerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gen := scenario.NewGenerator(s, scenario.GeneratorOptions{Seed: seed, RateScale: rateScale, Speed: 10, Start: time.UnixMilli(1_764_000_000_000)})
	var events []scenario.Event
	errs := make(chan error, 1)
	go func() {
		for d := range p.Deliveries() {
			if d.Err != nil {
				select {
				case errs <- d.Err:
				default:
				}
			}
		}
	}()
	for {
		ev, ok := gen.Next()
		if !ok {
			break
		}
		events = append(events, ev)
		if err := p.Produce(ctx, &record.Record{Topic: ev.Topic, Partition: -1, Key: ev.Key, Value: ev.Value, Timestamp: ev.Time}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Flush(ctx); n != 0 {
		t.Fatalf("%d records not delivered", n)
	}
	p.Close()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	return events
}
