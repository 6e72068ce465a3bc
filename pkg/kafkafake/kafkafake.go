// Package kafkafake is an in-memory Kafka for unit tests: topics,
// partitions and records (record.Record), watermarks, committed offsets per
// group, metadata, readers and producers with delivery reports. Its methods
// have the signatures of pkg/kafka's Client, Reader and Producer, so the
// small interfaces domain packages define for those also fit the fake.
//
// It is not a broker: no network, no rebalancing (a group has one member),
// no retention. Offsets without a record (transaction markers, compaction)
// are made with AddGap, failures with Fail. To extend it for a new
// interface, add a method with the adapter's signature on Cluster.
package kafkafake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/partitioner"
	"github.com/kx-cli/kx/pkg/record"
)

// Cluster is the fake cluster. It is safe for concurrent use.
type Cluster struct {
	mu        sync.Mutex
	topics    map[string][]*partition
	committed map[string]map[cluster.TP]int64 // group -> offsets
	fail      map[string]error
	calls     map[string]int
	notify    chan struct{} // closed and replaced on every produce
	// Partitioner places keyed records produced to any partition
	// (default: murmur2, as kx's producer).
	Partitioner partitioner.Func
	// Now stamps records produced without a timestamp (default time.Now).
	Now func() time.Time
}

type partition struct {
	low     int64
	entries []entry // offsets low, low+1, …
}

// entry is one offset: a record, or a gap (marker, compacted away).
type entry struct{ rec *record.Record }

func (p *partition) high() int64 { return p.low + int64(len(p.entries)) }

// New returns an empty cluster.
func New() *Cluster {
	return &Cluster{
		topics:      map[string][]*partition{},
		committed:   map[string]map[cluster.TP]int64{},
		fail:        map[string]error{},
		calls:       map[string]int{},
		notify:      make(chan struct{}),
		Partitioner: partitioner.Partition,
		Now:         time.Now,
	}
}

// Operation names for Fail and Calls.
const (
	OpMetadata     = "Metadata"
	OpWatermarks   = "Watermarks"
	OpListOffsets  = "ListOffsets"
	OpGroupOffsets = "GroupOffsets"
	OpListGroups   = "ListGroups"
	OpNewReader    = "NewReader"
	OpPoll         = "Poll"
	OpPositions    = "Positions"
	OpCommitted    = "Committed"
	OpCommit       = "Commit"
	OpNewProducer  = "NewProducer"
	OpProduce      = "Produce"
)

// Fail makes every later call of op return err (nil clears it).
func (c *Cluster) Fail(op string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.fail, op)
		return
	}
	c.fail[op] = err
}

// Calls is how often op was called.
func (c *Cluster) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// enter counts a call and returns the failure set for op; c.mu is held.
func (c *Cluster) enter(op string) error {
	c.calls[op]++
	return c.fail[op]
}

// CreateTopic adds a topic with n empty partitions.
func (c *Cluster) CreateTopic(name string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := make([]*partition, n)
	for i := range ps {
		ps[i] = &partition{}
	}
	c.topics[name] = ps
}

// Add appends r to its partition (r.Partition < 0: the partitioner picks
// by key, round robin without a key) and returns the stored copy with its
// offset. A zero timestamp becomes Now (CreateTime).
func (c *Cluster) Add(r record.Record) (*record.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.add(r)
}

// MustAdd is Add for test setup; it panics on an unknown topic.
func (c *Cluster) MustAdd(r record.Record) *record.Record {
	out, err := c.Add(r)
	if err != nil {
		panic(err)
	}
	return out
}

func (c *Cluster) add(r record.Record) (*record.Record, error) {
	ps, ok := c.topics[r.Topic]
	if !ok {
		return nil, &cluster.UnknownTopicError{Topic: r.Topic}
	}
	if r.Partition < 0 {
		if r.Key != nil {
			r.Partition = c.Partitioner(r.Key, int32(len(ps)))
		} else {
			r.Partition = int32(c.calls["roundrobin"] % len(ps))
			c.calls["roundrobin"]++
		}
	}
	if int(r.Partition) >= len(ps) {
		return nil, fmt.Errorf("kafkafake: %s/%d: no such partition", r.Topic, r.Partition)
	}
	p := ps[r.Partition]
	r.Offset = p.high()
	if r.Timestamp.IsZero() {
		r.Timestamp = c.Now()
	}
	if r.TimestampType == "" {
		r.TimestampType = record.TimestampCreateTime
	}
	stored := r
	p.entries = append(p.entries, entry{rec: &stored})
	close(c.notify)
	c.notify = make(chan struct{})
	out := stored
	return &out, nil
}

// AddGap appends n offsets without a record to tp (a transaction's commit
// marker takes one offset; compaction leaves such holes too).
func (c *Cluster) AddGap(tp cluster.TP, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.part(tp)
	for range n {
		p.entries = append(p.entries, entry{})
	}
}

// Compact removes the records at offsets of tp, leaving gaps.
func (c *Cluster) Compact(tp cluster.TP, offsets ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.part(tp)
	for _, o := range offsets {
		if i := o - p.low; i >= 0 && i < int64(len(p.entries)) {
			p.entries[i] = entry{}
		}
	}
}

// DeleteRecords moves tp's low watermark to before (retention).
func (c *Cluster) DeleteRecords(_ context.Context, tp cluster.TP, before int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.part(tp)
	for p.low < before && len(p.entries) > 0 {
		p.entries = p.entries[1:]
		p.low++
	}
	return nil
}

// Commit sets group's committed offset of tp (the next offset to read).
func (c *Cluster) Commit(group string, tp cluster.TP, offset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commit(group, tp, offset)
}

func (c *Cluster) commit(group string, tp cluster.TP, offset int64) {
	if c.committed[group] == nil {
		c.committed[group] = map[cluster.TP]int64{}
	}
	c.committed[group][tp] = offset
}

func (c *Cluster) part(tp cluster.TP) *partition {
	ps, ok := c.topics[tp.Topic]
	if !ok || int(tp.Partition) >= len(ps) || tp.Partition < 0 {
		panic(fmt.Sprintf("kafkafake: no partition %s", tp))
	}
	return ps[tp.Partition]
}

// Records returns the records of tp in offset order.
func (c *Cluster) Records(tp cluster.TP) []*record.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*record.Record
	for _, e := range c.part(tp).entries {
		if e.rec != nil {
			r := *e.rec
			out = append(out, &r)
		}
	}
	return out
}

// Metadata lists the topics, sorted, with one broker (id 1).
func (c *Cluster) Metadata(context.Context) (*cluster.Metadata, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpMetadata); err != nil {
		return nil, err
	}
	md := &cluster.Metadata{Brokers: []cluster.Broker{{ID: 1, Host: "fake", Port: 9092}}}
	for name, ps := range c.topics {
		tm := cluster.TopicMeta{Name: name}
		for i := range ps {
			tm.Partitions = append(tm.Partitions, cluster.PartitionMeta{ID: int32(i), Leader: 1, Replicas: []int32{1}, ISR: []int32{1}})
		}
		md.Topics = append(md.Topics, tm)
	}
	sort.Slice(md.Topics, func(i, j int) bool { return md.Topics[i].Name < md.Topics[j].Name })
	return md, nil
}

// ResolveTopics matches names and patterns as the adapter does.
func (c *Cluster) ResolveTopics(ctx context.Context, patterns []string) ([]cluster.TopicMeta, error) {
	md, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	return md.Resolve(patterns)
}

// Timeout is the fake's cluster timeout.
func (c *Cluster) Timeout() time.Duration { return time.Second }

// Watermarks returns the low and high offsets of tps.
func (c *Cluster) Watermarks(_ context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpWatermarks); err != nil {
		return nil, err
	}
	out := make(map[cluster.TP]cluster.Watermark, len(tps))
	for _, tp := range tps {
		p, err := c.lookup(tp)
		if err != nil {
			return nil, err
		}
		out[tp] = cluster.Watermark{Low: p.low, High: p.high()}
	}
	return out, nil
}

func (c *Cluster) lookup(tp cluster.TP) (*partition, error) {
	ps, ok := c.topics[tp.Topic]
	if !ok || tp.Partition < 0 || int(tp.Partition) >= len(ps) {
		return nil, &cluster.UnknownTopicError{Topic: tp.Topic}
	}
	return ps[tp.Partition], nil
}

// ListOffsets answers Earliest, Latest, MaxTimestamp and times (the first
// offset whose timestamp is at or after; -1 when none) as a broker does.
func (c *Cluster) ListOffsets(_ context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpListOffsets); err != nil {
		return nil, err
	}
	out := make(map[cluster.TP]cluster.OffsetInfo, len(tps))
	for _, tp := range tps {
		p, err := c.lookup(tp)
		if err != nil {
			return nil, err
		}
		info := cluster.OffsetInfo{Offset: -1}
		switch spec {
		case cluster.Earliest:
			info.Offset = p.low
		case cluster.Latest:
			info.Offset = p.high()
		case cluster.MaxTimestamp:
			for i, e := range p.entries {
				if e.rec != nil && (info.Offset < 0 || !e.rec.Timestamp.Before(info.Timestamp)) {
					info = cluster.OffsetInfo{Offset: p.low + int64(i), Timestamp: e.rec.Timestamp}
				}
			}
		default:
			at := time.UnixMilli(int64(spec))
			for i, e := range p.entries {
				if e.rec != nil && !e.rec.Timestamp.Before(at) {
					info = cluster.OffsetInfo{Offset: p.low + int64(i), Timestamp: e.rec.Timestamp}
					break
				}
			}
		}
		out[tp] = info
	}
	return out, nil
}

// GroupOffsets returns the group's committed offsets (partitions without a
// commit are left out; an unknown group has none).
func (c *Cluster) GroupOffsets(_ context.Context, group string) (map[cluster.TP]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpGroupOffsets); err != nil {
		return nil, err
	}
	out := map[cluster.TP]int64{}
	for tp, o := range c.committed[group] {
		out[tp] = o
	}
	return out, nil
}

// ListGroups lists the groups that committed, sorted.
func (c *Cluster) ListGroups(context.Context) ([]cluster.Group, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpListGroups); err != nil {
		return nil, err
	}
	var out []cluster.Group
	for g := range c.committed {
		out = append(out, cluster.Group{ID: g, State: "Empty"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NewReader opens a reader: assigned partitions from their offsets, or
// (Group set) every partition of Topics from the group's committed offsets,
// else from auto.offset.reset ("earliest", the default, or "latest").
func (c *Cluster) NewReader(opts cluster.ReaderOptions) (*Reader, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpNewReader); err != nil {
		return nil, err
	}
	r := &Reader{c: c, group: opts.Group, pos: map[cluster.TP]int64{}, paused: map[cluster.TP]bool{}, stored: map[cluster.TP]int64{}}
	if opts.Group == "" {
		for _, a := range opts.Assign {
			p, err := c.lookup(a.TP)
			if err != nil {
				return nil, err
			}
			off := a.Offset
			switch {
			case off == cluster.OffsetBeginning:
				off = p.low
			case off == cluster.OffsetEnd:
				off = p.high()
			}
			r.pos[a.TP] = off
			r.order = append(r.order, a.TP)
		}
		return r, nil
	}
	reset := "earliest"
	if v, ok := opts.Properties["auto.offset.reset"].(string); ok {
		reset = v
	}
	for _, t := range opts.Topics {
		ps, ok := c.topics[t]
		if !ok {
			return nil, &cluster.UnknownTopicError{Topic: t}
		}
		for i, p := range ps {
			tp := cluster.TP{Topic: t, Partition: int32(i)}
			off, ok := c.committed[opts.Group][tp]
			if !ok {
				off = p.low
				if reset == "latest" {
					off = p.high()
				}
			}
			r.pos[tp] = off
			r.order = append(r.order, tp)
		}
	}
	return r, nil
}

// Reader reads a fake cluster like kafka.Reader. Not safe for concurrent use.
type Reader struct {
	c      *Cluster
	group  string
	order  []cluster.TP
	pos    map[cluster.TP]int64
	paused map[cluster.TP]bool
	stored map[cluster.TP]int64
	next   int // round robin over order
	closed bool
}

// ErrClosed is returned by a closed reader.
var ErrClosed = errors.New("kafkafake: reader closed")

// MaxWait caps how long Poll waits for a record, so tests stay fast.
const MaxWait = 5 * time.Millisecond

// Poll returns the next record of some partition (round robin, in offset
// order per partition), skipping gaps; nil when none arrives in time.
func (r *Reader) Poll(timeout time.Duration) (*record.Record, error) {
	if rec, wait, err := r.poll(); rec != nil || err != nil {
		return rec, err
	} else {
		select {
		case <-wait:
		case <-time.After(min(timeout, MaxWait)):
		}
	}
	rec, _, err := r.poll()
	return rec, err
}

func (r *Reader) poll() (*record.Record, <-chan struct{}, error) {
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.closed {
		return nil, nil, ErrClosed
	}
	if err := c.enter(OpPoll); err != nil {
		return nil, nil, err
	}
	for i := range r.order {
		tp := r.order[(r.next+i)%len(r.order)]
		if r.paused[tp] {
			continue
		}
		p := c.part(tp)
		off := max(r.pos[tp], p.low)
		for off < p.high() && p.entries[off-p.low].rec == nil {
			off++ // a gap: the position moves past it
		}
		r.pos[tp] = off
		if off < p.high() {
			r.pos[tp] = off + 1
			r.next = (r.next + i + 1) % len(r.order)
			rec := *p.entries[off-p.low].rec
			return &rec, nil, nil
		}
	}
	return nil, c.notify, nil
}

// Positions returns the next offset to read of each of tps.
func (r *Reader) Positions(tps []cluster.TP) (map[cluster.TP]int64, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if err := r.c.enter(OpPositions); err != nil {
		return nil, err
	}
	out := make(map[cluster.TP]int64, len(tps))
	for _, tp := range tps {
		if p, ok := r.pos[tp]; ok {
			out[tp] = p
		} else {
			out[tp] = -1
		}
	}
	return out, nil
}

// Pause stops reading tps.
func (r *Reader) Pause(tps []cluster.TP) error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	for _, tp := range tps {
		r.paused[tp] = true
	}
	return nil
}

// Store marks rec processed; a group reader commits it on Close.
func (r *Reader) Store(rec *record.Record) error {
	if r.group == "" {
		return nil
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.stored[rec.TP()] = rec.Offset + 1
	return nil
}

// Committed returns the group's committed offsets of tps.
func (r *Reader) Committed(tps []cluster.TP, _ time.Duration) (map[cluster.TP]int64, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if err := r.c.enter(OpCommitted); err != nil {
		return nil, err
	}
	out := map[cluster.TP]int64{}
	for _, tp := range tps {
		if o, ok := r.c.committed[r.group][tp]; ok {
			out[tp] = o
		}
	}
	return out, nil
}

// Close commits stored offsets (group readers) and ends the reader.
func (r *Reader) Close() error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.group == "" || len(r.stored) == 0 {
		return nil
	}
	if err := r.c.enter(OpCommit); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for tp, o := range r.stored {
		r.c.commit(r.group, tp, o)
	}
	return nil
}

// Closed reports whether Close was called.
func (r *Reader) Closed() bool {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.closed
}

// NewProducer opens a producer; every Produce is delivered at once.
func (c *Cluster) NewProducer(opts cluster.ProducerOptions) (*Producer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter(OpNewProducer); err != nil {
		return nil, err
	}
	return &Producer{c: c, deliveries: make(chan cluster.Delivery, 1024), onDeliveries: opts.OnDeliveries}, nil
}

// Producer writes to a fake cluster like kafka.Producer. Deliveries must be
// drained once more than 1024 are pending.
type Producer struct {
	c          *Cluster
	deliveries chan cluster.Delivery
	closeOnce  sync.Once
	// onDeliveries, when set, gets each delivery (as a batch of one)
	// instead of deliveries, as ProducerOptions.OnDeliveries asks.
	onDeliveries func([]cluster.Delivery)
}

// Deliveries reports every produced record; closed by Close.
func (p *Producer) Deliveries() <-chan cluster.Delivery { return p.deliveries }

// Produce stores a copy of r and reports its delivery (an error of
// Fail(OpProduce) arrives as a failed delivery, as the adapter reports
// broker errors). Like the adapter, which copies into librdkafka, it keeps
// none of r's memory: callers reuse their buffers.
func (p *Producer) Produce(ctx context.Context, r *record.Record, opaque any) error {
	return p.produce(ctx, r, cluster.Delivery{Opaque: opaque})
}

// produce stores r and reports d with its outcome.
func (p *Producer) produce(ctx context.Context, r *record.Record, d cluster.Delivery) error {
	// As the adapter: a record is either refused (nothing stored, no
	// report) or stored and then always reported.
	if err := ctx.Err(); err != nil {
		return err
	}
	p.c.mu.Lock()
	// The report carries a copy, as the real producer's does: callers
	// reuse r.
	if err := p.c.enter(OpProduce); err != nil {
		d.Record, d.Err = r.Clone(), err
	} else if stored, err := p.c.add(*r.Clone()); err != nil {
		d.Record, d.Err = r.Clone(), err
	} else {
		d.Record = stored
	}
	p.c.mu.Unlock()
	if p.onDeliveries != nil {
		p.onDeliveries([]cluster.Delivery{d})
		return nil
	}
	p.deliveries <- d
	return nil
}

// ProduceBatch produces b's records in order as Produce does (the fake
// refuses none before sending: failures arrive as deliveries).
func (p *Producer) ProduceBatch(ctx context.Context, b *cluster.Batch, refused func(id int, err error)) (int, error) {
	for i, m := range b.Messages() {
		if err := p.produce(ctx, b.Record(i).Clone(), cluster.Delivery{ID: m.ID}); err != nil {
			return i, err
		}
	}
	return b.Len(), nil
}

// Flush has nothing to wait for: deliveries are immediate.
func (p *Producer) Flush(context.Context) int { return 0 }

// Len is always 0.
func (p *Producer) Len() int { return 0 }

// Close closes Deliveries.
func (p *Producer) Close() { p.closeOnce.Do(func() { close(p.deliveries) }) }
