package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/record"
)

type fakeReader struct {
	opts   cluster.ReaderOptions
	recs   []*record.Record
	stored []int64
	closed bool
	polls  int
	onIdle func()
}

func (f *fakeReader) Poll(time.Duration) (*record.Record, error) {
	f.polls++
	if len(f.recs) == 0 {
		if f.onIdle != nil {
			f.onIdle()
		}
		return nil, nil
	}
	r := f.recs[0]
	f.recs = f.recs[1:]
	return r, nil
}
func (f *fakeReader) Positions([]cluster.TP) (map[cluster.TP]int64, error) { return nil, nil }
func (f *fakeReader) Pause([]cluster.TP) error                             { return nil }
func (f *fakeReader) Store(r *record.Record) error {
	f.stored = append(f.stored, r.Offset)
	return nil
}
func (f *fakeReader) Close() error { f.closed = true; return nil }

func records(n int) []*record.Record {
	out := make([]*record.Record, n)
	for i := range out {
		out[i] = &record.Record{Topic: "orders", Offset: int64(i)}
	}
	return out
}

func TestConsumerStoresWhatItProcessedAtItsRate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeReader{recs: records(5), onIdle: cancel}
	var slept time.Duration
	c := &Consumer{Group: "shipping-service", Topics: []string{"orders"}, Rate: 2,
		sleep: func(_ context.Context, d time.Duration) { slept += d }}
	err := c.Run(ctx, nil, func(o cluster.ReaderOptions) (consume.Reader, error) { f.opts = o; return f, nil })
	if err != nil {
		t.Fatal(err)
	}
	if f.opts.Group != "shipping-service" || f.opts.Topics[0] != "orders" || f.opts.Properties["auto.commit.interval.ms"] != 500 {
		t.Errorf("reader options %+v", f.opts)
	}
	if len(f.stored) != 5 || f.stored[4] != 4 || !f.closed {
		t.Errorf("stored %v closed %v", f.stored, f.closed)
	}
	// At 2 records/s, the 2nd to 5th records wait their turn (the sleep
	// is faked, so the clock does not move: each waits 0.5 s more).
	if slept < 4*time.Second {
		t.Errorf("slept %s, want the records paced at 2/s", slept)
	}
}

func TestConsumerStopsWithoutStoringAnUnprocessedRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeReader{recs: records(3)}
	c := &Consumer{Group: "g", Topics: []string{"orders"}, Rate: 1,
		sleep: func(context.Context, time.Duration) { cancel() }}
	if err := c.Run(ctx, nil, func(cluster.ReaderOptions) (consume.Reader, error) { return f, nil }); err != nil {
		t.Fatal(err)
	}
	if len(f.stored) != 1 || !f.closed {
		t.Errorf("stored %v closed %v", f.stored, f.closed)
	}
	boom := errors.New("boom")
	c = &Consumer{Group: "g", Rate: 1}
	if err := c.Run(context.Background(), nil, func(cluster.ReaderOptions) (consume.Reader, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("open error: %v", err)
	}
}

type fakeMetadata struct{ calls int }

// The topic appears at the third look.
func (m *fakeMetadata) Metadata(context.Context) (*cluster.Metadata, error) {
	m.calls++
	if m.calls < 3 {
		return &cluster.Metadata{Topics: []cluster.TopicMeta{{Name: "other"}}}, nil
	}
	return &cluster.Metadata{Topics: []cluster.TopicMeta{{Name: "orders"}, {Name: "other"}}}, nil
}

func TestConsumerWaitsForItsTopics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	md := &fakeMetadata{}
	f := &fakeReader{recs: records(1), onIdle: cancel}
	opened := 0
	c := &Consumer{Group: "g", Topics: []string{"orders"}, Rate: 1000}
	err := c.Run(ctx, md, func(cluster.ReaderOptions) (consume.Reader, error) {
		opened++
		if md.calls < 3 {
			t.Errorf("opened before the topic exists (%d looks)", md.calls)
		}
		return f, nil
	})
	if err != nil || opened != 1 || len(f.stored) != 1 {
		t.Errorf("err %v opened %d stored %v", err, opened, f.stored)
	}
}
