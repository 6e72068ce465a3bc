package kafka_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/kafka"
)

func startBroker(t *testing.T) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// settle waits until the goroutine count is at most want (librdkafka and
// kfake wind connections down asynchronously) and returns the last count.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// Every reader, producer and admin client used to leave a log-draining
// goroutine behind forever; 200 of each must leave none.
func TestClientsLeaveNoGoroutines(t *testing.T) {
	b := startBroker(t)
	opts := kafka.Options{Brokers: b.Addrs(), Timeout: 30 * time.Second} // generous: 25 clients connect at once on a loaded machine
	ctx := context.Background()
	setup := kafka.New(opts)
	if err := setup.CreateTopic(ctx, kafka.TopicSpec{Name: "t", Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	base := runtime.NumGoroutine()

	// Closing a librdkafka client waits for its pollers (about 100 ms), so
	// clients open and close 25 at a time.
	const n = 200
	sem := make(chan struct{}, 25)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs <- openAndClose(ctx, opts, i%2 == 1)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A leak would be at least one goroutine per client (600); allow the
	// broker's own connection handling some slack.
	if got := settle(base + 10); got > base+10 {
		t.Errorf("goroutines: %d before, %d after opening and closing %d readers, producers and admin clients", base, got, n)
	}
}

// openAndClose opens a reader, a producer and an admin client, and closes
// them (every other client with CloseNoWait, which must close it all the
// same, in the background).
func openAndClose(ctx context.Context, opts kafka.Options, noWait bool) error {
	c := kafka.New(opts)
	if noWait {
		defer c.CloseNoWait()
	} else {
		defer c.Close()
	}
	r, err := c.NewReader(kafka.ReaderOptions{Assign: []kafka.Assignment{{TP: kafka.TP{Topic: "t"}, Offset: kafka.OffsetBeginning}}})
	if err != nil {
		return err
	}
	if err := r.Close(); err != nil {
		return err
	}
	p, err := c.NewProducer(kafka.ProducerOptions{})
	if err != nil {
		return err
	}
	p.Close()
	_, err = c.Metadata(ctx)
	return err
}

func TestUnknownTopicIsClassified(t *testing.T) {
	b := startBroker(t)
	c := kafka.New(kafka.Options{Brokers: b.Addrs(), Timeout: 5 * time.Second})
	defer c.Close()
	_, err := c.ResolveTopics(context.Background(), []string{"nope"})
	if !errors.Is(err, kafka.ErrUnknownTopic) || kafka.Class(err) != kafka.ErrUnknownTopic {
		t.Errorf("err %v, class %v", err, kafka.Class(err))
	}
	_, err = c.ResolveTopics(context.Background(), []string{"no.*match"})
	if kafka.Class(err) != kafka.ErrInvalid {
		t.Errorf("pattern matching nothing: err %v, class %v", err, kafka.Class(err))
	}
}

func TestUnreachableIsClassified(t *testing.T) {
	c := kafka.New(kafka.Options{Brokers: []string{"127.0.0.1:1"}, Timeout: 500 * time.Millisecond})
	defer c.Close()
	_, err := c.Metadata(context.Background())
	if kafka.Class(err) != kafka.ErrUnreachable {
		t.Errorf("err %v, class %v", err, kafka.Class(err))
	}
}

func TestBadConfigurationIsClassified(t *testing.T) {
	c := kafka.New(kafka.Options{Brokers: []string{"127.0.0.1:1"}, Properties: map[string]string{"no.such.property": "x"}})
	defer c.Close()
	_, err := c.Metadata(context.Background())
	if kafka.Class(err) != kafka.ErrInvalid {
		t.Errorf("err %v, class %v", err, kafka.Class(err))
	}
}
