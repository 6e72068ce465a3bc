// Package service simulates a downstream service of the demo: a consumer
// group that processes a topic's records at a bounded rate and commits
// what it processed, so its lag builds up when producers outpace it (Black
// Friday) and melts away after. It is what the demo's lag alert watches;
// it is not a general-purpose consumer.
package service

import (
	"context"
	"fmt"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
)

// Consumer is one simulated service.
type Consumer struct {
	Group  string
	Topics []string
	// Rate is the most records processed per second.
	Rate float64
	// sleep waits (time.Sleep unless a test sets it).
	sleep func(context.Context, time.Duration)
}

// commitEvery is how often the group's processed offsets are committed:
// often enough for the lag a dashboard shows to follow the service.
const commitEvery = 500 * time.Millisecond

// Metadata is what Run needs to wait for its topics.
type Metadata interface {
	Metadata(ctx context.Context) (*cluster.Metadata, error)
}

// topicWait is how often Run looks for topics that do not exist yet.
const topicWait = 250 * time.Millisecond

// Run waits until its topics exist (a scenario creates them as it
// starts), then consumes until ctx ends; it commits what was processed on
// the way and at the end.
func (c *Consumer) Run(ctx context.Context, md Metadata, open consume.Opener) (err error) {
	if c.Rate <= 0 {
		return fmt.Errorf("service %s: rate must be positive", c.Group)
	}
	for md != nil && !c.topicsExist(ctx, md) {
		sleepCtx(ctx, topicWait)
		if ctx.Err() != nil {
			return nil
		}
	}
	rd, err := open(cluster.ReaderOptions{Group: c.Group, Topics: c.Topics, Properties: map[string]any{
		"auto.commit.interval.ms": int(commitEvery.Milliseconds()),
	}})
	if err != nil {
		return fmt.Errorf("service %s: %w", c.Group, err)
	}
	defer func() {
		if cerr := rd.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("service %s: %w", c.Group, cerr)
		}
	}()
	sleep := c.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	per := time.Duration(float64(time.Second) / c.Rate)
	var next time.Time // when the next record may be processed
	for ctx.Err() == nil {
		r, err := rd.Poll(consume.PollTimeout)
		if err != nil {
			return fmt.Errorf("service %s: %w", c.Group, err)
		}
		if r == nil {
			continue
		}
		// Pace against the clock, without saving up credit while idle.
		now := time.Now()
		if next.Before(now) {
			next = now
		}
		if d := next.Sub(now); d > 0 {
			sleep(ctx, d)
			if ctx.Err() != nil {
				return nil // this record was not processed: not stored
			}
		}
		next = next.Add(per)
		if err := rd.Store(r); err != nil {
			return fmt.Errorf("service %s: store %s/%d@%d: %w", c.Group, r.Topic, r.Partition, r.Offset, err)
		}
	}
	return nil
}

func (c *Consumer) topicsExist(ctx context.Context, md Metadata) bool {
	m, err := md.Metadata(ctx)
	if err != nil {
		return false // not up yet: look again
	}
	for _, t := range c.Topics {
		if _, ok := m.Topic(t); !ok {
			return false
		}
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
