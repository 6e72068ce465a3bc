package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The admin calls against the embedded broker, over the wire: offsets by
// position and time, configs, deleting records, group commits, deleting
// topics; unknown names are classified.
func TestAdminCalls(t *testing.T) {
	ctx := context.Background()
	c := startBroker(t)
	// 10 records, i to partition i%2 at 1700000000000+i ms: 5 a partition.
	produceShapes(t, c, "orders", 2, 10)
	p0, p1 := TP{Topic: "orders", Partition: 0}, TP{Topic: "orders", Partition: 1}
	nope := TP{Topic: "nope", Partition: 0}

	wm, err := c.Watermarks(ctx, []TP{p0, p1})
	if err != nil || wm[p0] != (Watermark{Low: 0, High: 5}) || wm[p1] != (Watermark{Low: 0, High: 5}) {
		t.Fatalf("watermarks %v, %v", wm, err)
	}
	// At +4 ms: partition 0 holds i=4 at offset 2, partition 1 i=5 at offset 2.
	at, err := c.ListOffsets(ctx, []TP{p0, p1}, AtTime(time.UnixMilli(1700000000004)))
	if err != nil || at[p0].Offset != 2 || at[p1].Offset != 2 || at[p0].Timestamp.UnixMilli() != 1700000000004 || at[p1].Timestamp.UnixMilli() != 1700000000005 {
		t.Errorf("offsets at +4ms: %v, %v", at, err)
	}
	// After the last record: no offset, no timestamp.
	if after, err := c.ListOffsets(ctx, []TP{p0}, AtTime(time.UnixMilli(1800000000000))); err != nil || after[p0].Offset != -1 || !after[p0].Timestamp.IsZero() {
		t.Errorf("offsets after the end: %v, %v", after, err)
	}
	if none, err := c.ListOffsets(ctx, nil, Latest); err != nil || len(none) != 0 {
		t.Errorf("no partitions: %v, %v", none, err)
	}
	// librdkafka answers "no leaders found" (_NOENT) for an unknown topic
	// before asking the broker; callers resolve topics first.
	if _, err := c.ListOffsets(ctx, []TP{nope}, Latest); err == nil {
		t.Errorf("offsets of an unknown topic: no error")
	}

	cfgs, err := c.TopicConfigs(ctx, "orders")
	if err != nil || len(cfgs) == 0 {
		t.Fatalf("configs %v, %v", cfgs, err)
	}
	for i := 1; i < len(cfgs); i++ {
		if cfgs[i-1].Name > cfgs[i].Name {
			t.Errorf("configs not sorted: %s before %s", cfgs[i-1].Name, cfgs[i].Name)
		}
	}
	if _, err := c.TopicConfigs(ctx, "nope"); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("configs of an unknown topic: %v", err)
	}

	if err := c.DeleteRecords(ctx, p0, 3); err != nil {
		t.Fatal(err)
	}
	if wm, err := c.Watermarks(ctx, []TP{p0}); err != nil || wm[p0] != (Watermark{Low: 3, High: 5}) {
		t.Errorf("after deleting records below 3: %v, %v", wm, err)
	}

	// A group's commits, with their metadata, as an administrator.
	if err := c.CommitGroupOffsets(ctx, "billing", map[TP]Commit{p0: {Offset: 4, Metadata: "v1"}, p1: {Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.CommitGroupOffsets(ctx, "billing", nil); err != nil {
		t.Errorf("nothing to commit: %v", err)
	}
	commits, err := c.GroupCommits(ctx, "billing")
	if err != nil || commits[p0] != (Commit{Offset: 4, Metadata: "v1"}) || commits[p1].Offset != 1 {
		t.Errorf("commits %v, %v", commits, err)
	}
	if offs, err := c.GroupOffsets(ctx, "billing"); err != nil || len(offs) != 2 || offs[p0] != 4 {
		t.Errorf("offsets %v, %v", offs, err)
	}
	if gs, err := c.ListGroups(ctx); err != nil || len(gs) != 1 || gs[0].ID != "billing" {
		t.Errorf("groups %v, %v", gs, err)
	}
	ds, err := c.DescribeGroups(ctx, []string{"billing"})
	if err != nil || len(ds) != 1 || ds[0].ID != "billing" || len(ds[0].Members) != 0 || ds[0].State != "Empty" {
		t.Errorf("describe %+v, %v", ds, err)
	}
	if err := c.DeleteGroup(ctx, "billing"); err != nil {
		t.Fatal(err)
	}
	if commits, err := c.GroupCommits(ctx, "billing"); err != nil || len(commits) != 0 {
		t.Errorf("commits of a deleted group: %v, %v", commits, err)
	}
	var unknown *UnknownGroupError
	if err := c.DeleteGroup(ctx, "billing"); !errors.As(err, &unknown) || unknown.Group != "billing" {
		t.Errorf("deleting it again: %v", err)
	}

	if err := c.DeleteTopics(ctx, []string{"nope"}); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("deleting an unknown topic: %v", err)
	}
	if err := c.DeleteTopics(ctx, []string{"orders"}); err != nil {
		t.Fatal(err)
	}
	md, err := c.Metadata(ctx)
	if _, ok := md.Topic("orders"); err != nil || ok {
		t.Errorf("orders still there after deletion: %v", err)
	}
}

func TestClientSettings(t *testing.T) {
	c := New(Options{Brokers: []string{"a:1", "b:2"}})
	if c.Timeout() != 10*time.Second || strings.Join(c.Brokers(), ",") != "a:1,b:2" {
		t.Errorf("defaults: %v %v", c.Timeout(), c.Brokers())
	}
	if d := c.WithTimeout(time.Second); d.Timeout() != time.Second || c.Timeout() != 10*time.Second {
		t.Errorf("WithTimeout changed the original or not the copy: %v %v", d.Timeout(), c.Timeout())
	}
	if v := LibraryVersion(); !strings.Contains(v, ".") {
		t.Errorf("librdkafka version %q", v)
	}
}

func TestRegistryLookupAndLevel(t *testing.T) {
	ctx := context.Background()
	srv := startRegistry(t, "")
	r := newRegistry(t, RegistryOptions{URL: srv.URL()})
	if !strings.HasPrefix(r.Name(), "http://127.0.0.1:") {
		t.Errorf("name %q", r.Name())
	}
	s := Schema{Type: SchemaAvro, Text: userAvro}
	if _, err := r.LookupSchema(ctx, "users-value", s); !errors.Is(err, ErrSchemaNotFound) {
		t.Errorf("lookup before registering: %v", err)
	}
	reg, err := r.Register(ctx, "users-value", s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.LookupSchema(ctx, "users-value", s)
	if err != nil || got.ID != reg.ID || got.Version != 1 || got.Subject != "users-value" {
		t.Errorf("lookup %+v, %v; registered %+v", got, err, reg)
	}
	if level, err := r.Compatibility(ctx, "users-value"); err != nil || level != "BACKWARD" {
		t.Errorf("level %q, %v", level, err)
	}
}
