package kafkafake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/record"
)

func TestReadAcrossGaps(t *testing.T) {
	c := New()
	c.CreateTopic("t", 2)
	tp := cluster.TP{Topic: "t", Partition: 0}
	c.MustAdd(record.Record{Topic: "t", Partition: 0, Value: []byte("a")})
	c.AddGap(tp, 1)
	c.MustAdd(record.Record{Topic: "t", Partition: 0, Value: []byte("b")})
	c.AddGap(tp, 1)
	ctx := context.Background()
	wm, err := c.Watermarks(ctx, []cluster.TP{tp})
	if err != nil || wm[tp] != (cluster.Watermark{Low: 0, High: 4}) {
		t.Fatalf("watermarks %v %v", wm, err)
	}
	rd, err := c.NewReader(cluster.ReaderOptions{Assign: []cluster.Assignment{{TP: tp, Offset: cluster.OffsetBeginning}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for range 4 {
		r, err := rd.Poll(time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if r != nil {
			got = append(got, r.Offset)
		}
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Fatalf("offsets %v, want [0 2]", got)
	}
	pos, _ := rd.Positions([]cluster.TP{tp})
	if pos[tp] != 4 {
		t.Errorf("position %d after the trailing marker, want 4", pos[tp])
	}
	rd.Close()
	if _, err := rd.Poll(0); !errors.Is(err, ErrClosed) {
		t.Errorf("poll after close: %v", err)
	}
}

func TestGroupReaderCommitsStored(t *testing.T) {
	c := New()
	c.CreateTopic("t", 1)
	tp := cluster.TP{Topic: "t"}
	for range 3 {
		c.MustAdd(record.Record{Topic: "t", Key: []byte("k")})
	}
	c.Commit("g", tp, 1)
	rd, err := c.NewReader(cluster.ReaderOptions{Group: "g", Topics: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := rd.Poll(time.Millisecond)
	if r == nil || r.Offset != 1 {
		t.Fatalf("first record %v, want offset 1 (the commit)", r)
	}
	rd.Store(r)
	rd.Close()
	offs, _ := c.GroupOffsets(context.Background(), "g")
	if offs[tp] != 2 {
		t.Errorf("committed %d, want 2", offs[tp])
	}
	groups, _ := c.ListGroups(context.Background())
	if len(groups) != 1 || groups[0].ID != "g" {
		t.Errorf("groups %v", groups)
	}
}

func TestListOffsetsByTime(t *testing.T) {
	c := New()
	c.CreateTopic("t", 1)
	tp := cluster.TP{Topic: "t"}
	base := time.UnixMilli(1_700_000_000_000)
	for i := range 3 {
		c.MustAdd(record.Record{Topic: "t", Partition: 0, Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	ctx := context.Background()
	got, _ := c.ListOffsets(ctx, []cluster.TP{tp}, cluster.AtTime(base.Add(1500*time.Millisecond)))
	if got[tp].Offset != 2 {
		t.Errorf("offset at time %d, want 2", got[tp].Offset)
	}
	got, _ = c.ListOffsets(ctx, []cluster.TP{tp}, cluster.AtTime(base.Add(time.Hour)))
	if got[tp].Offset != -1 {
		t.Errorf("offset after the last record %d, want -1", got[tp].Offset)
	}
	got, _ = c.ListOffsets(ctx, []cluster.TP{tp}, cluster.MaxTimestamp)
	if got[tp].Offset != 2 || !got[tp].Timestamp.Equal(base.Add(2*time.Second)) {
		t.Errorf("max timestamp %+v", got[tp])
	}
	c.Fail(OpListOffsets, errors.New("boom"))
	if _, err := c.ListOffsets(ctx, []cluster.TP{tp}, cluster.Latest); err == nil {
		t.Error("Fail did not fail ListOffsets")
	}
}

func TestProducerDelivers(t *testing.T) {
	c := New()
	c.CreateTopic("t", 3)
	p, _ := c.NewProducer(cluster.ProducerOptions{})
	ctx := context.Background()
	if err := p.Produce(ctx, &record.Record{Topic: "t", Partition: -1, Key: []byte("ord-1")}, 7); err != nil {
		t.Fatal(err)
	}
	p.Produce(ctx, &record.Record{Topic: "nope", Partition: -1}, nil)
	p.Close()
	var ds []cluster.Delivery
	for d := range p.Deliveries() {
		ds = append(ds, d)
	}
	if len(ds) != 2 || ds[0].Err != nil || ds[0].Opaque != 7 || ds[0].Record.Offset != 0 || ds[1].Err == nil {
		t.Fatalf("deliveries %+v", ds)
	}
	md, _ := c.Metadata(ctx)
	if tm, ok := md.Topic("t"); !ok || len(tm.Partitions) != 3 {
		t.Errorf("metadata %+v", md)
	}
}
