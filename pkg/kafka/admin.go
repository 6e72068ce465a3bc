package kafka

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/pkg/record"
)

// Broker is one broker of the cluster.
type Broker struct {
	ID   int32  `json:"id"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

// PartitionMeta is one partition's placement.
type PartitionMeta struct {
	ID       int32   `json:"partition"`
	Leader   int32   `json:"leader"`
	Replicas []int32 `json:"replicas"`
	ISR      []int32 `json:"isr"`
}

// TopicMeta is one topic's placement.
type TopicMeta struct {
	Name       string          `json:"topic"`
	Partitions []PartitionMeta `json:"partitions"`
}

// ReplicationFactor is the replica count of the first partition.
func (t TopicMeta) ReplicationFactor() int {
	if len(t.Partitions) == 0 {
		return 0
	}
	return len(t.Partitions[0].Replicas)
}

// Metadata is what the cluster says about itself.
type Metadata struct {
	Brokers []Broker
	Topics  []TopicMeta // sorted by name, internal topics (__*) excluded
}

// Topic returns the named topic.
func (m *Metadata) Topic(name string) (TopicMeta, bool) {
	i := sort.Search(len(m.Topics), func(i int) bool { return m.Topics[i].Name >= name })
	if i < len(m.Topics) && m.Topics[i].Name == name {
		return m.Topics[i], true
	}
	return TopicMeta{}, false
}

// UnknownTopicError names a topic the cluster does not have.
type UnknownTopicError struct{ Topic string }

func (e *UnknownTopicError) Error() string {
	return fmt.Sprintf("topic %q does not exist", e.Topic)
}

// Is makes an UnknownTopicError match ErrUnknownTopic.
func (e *UnknownTopicError) Is(target error) bool { return target == ErrUnknownTopic }

// Metadata fetches brokers and all topics. It asks for all topics, never
// for one by name, so a lookup can never auto-create a topic.
func (c *Client) Metadata(ctx context.Context) (*Metadata, error) {
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	type result struct {
		md  *ck.Metadata
		err error
	}
	ch := make(chan result, 1)
	c.metadataPending.Add(1)
	go func() {
		md, err := a.GetMetadata(nil, true, int(c.opts.Timeout.Milliseconds()))
		c.metadataPending.Add(-1)
		ch <- result{md, err}
	}()
	var r result
	ctx, stop := c.watchRefused(ctx)
	defer stop()
	select {
	case r = <-ch:
	case <-ctx.Done():
		if errors.Is(context.Cause(ctx), errAllRefused) {
			return nil, c.unreachable("metadata", true, "")
		}
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, c.classify("metadata", r.err)
	}
	md := &Metadata{}
	for _, b := range r.md.Brokers {
		md.Brokers = append(md.Brokers, Broker{ID: b.ID, Host: b.Host, Port: b.Port})
	}
	sort.Slice(md.Brokers, func(i, j int) bool { return md.Brokers[i].ID < md.Brokers[j].ID })
	for name, t := range r.md.Topics {
		if strings.HasPrefix(name, "__") || t.Error.Code() == ck.ErrUnknownTopicOrPart {
			continue
		}
		tm := TopicMeta{Name: name}
		for _, p := range t.Partitions {
			tm.Partitions = append(tm.Partitions, PartitionMeta{ID: p.ID, Leader: p.Leader, Replicas: p.Replicas, ISR: p.Isrs})
		}
		sort.Slice(tm.Partitions, func(i, j int) bool { return tm.Partitions[i].ID < tm.Partitions[j].ID })
		md.Topics = append(md.Topics, tm)
	}
	sort.Slice(md.Topics, func(i, j int) bool { return md.Topics[i].Name < md.Topics[j].Name })
	return md, nil
}

// ResolveTopics matches names and regular expressions against the cluster's
// topics. A plain name that does not exist is an error naming it; a pattern
// (anything with regexp metacharacters) must match at least one topic. An
// empty list means every topic.
func (c *Client) ResolveTopics(ctx context.Context, patterns []string) ([]TopicMeta, error) {
	md, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	return md.Resolve(patterns)
}

// Resolve is ResolveTopics on already fetched metadata.
func (m *Metadata) Resolve(patterns []string) ([]TopicMeta, error) {
	if len(patterns) == 0 {
		return m.Topics, nil
	}
	seen := map[string]bool{}
	var out []TopicMeta
	for _, p := range patterns {
		if !IsPattern(p) {
			t, ok := m.Topic(p)
			if !ok {
				return nil, &UnknownTopicError{Topic: p}
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, t)
			}
			continue
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, classErr(ErrInvalid, fmt.Errorf("topic pattern %q: %w", p, err))
		}
		n := 0
		for _, t := range m.Topics {
			if re.MatchString(t.Name) {
				n++
				if !seen[t.Name] {
					seen[t.Name] = true
					out = append(out, t)
				}
			}
		}
		if n == 0 {
			return nil, classErr(ErrInvalid, fmt.Errorf("topic pattern %q matches no topic", p))
		}
	}
	return out, nil
}

// IsPattern reports whether a topic argument is a regular expression.
// Kafka topic names use only [a-zA-Z0-9._-], so any other character marks
// a pattern; a "." alone is a legal name character and does not.
func IsPattern(s string) bool {
	return strings.ContainsAny(s, `*+?()[]{}|^$\`)
}

// TP names a topic partition.
type TP = record.TopicPartition

// OffsetSpec selects what ListOffsets asks for.
type OffsetSpec int64

// Special offset specs; any value >= 0 is a timestamp in milliseconds.
const (
	Earliest     OffsetSpec = OffsetSpec(ck.EarliestOffsetSpec)
	Latest       OffsetSpec = OffsetSpec(ck.LatestOffsetSpec)
	MaxTimestamp OffsetSpec = OffsetSpec(ck.MaxTimestampOffsetSpec)
)

// AtTime is the spec for the first offset at or after t.
func AtTime(t time.Time) OffsetSpec { return OffsetSpec(t.UnixMilli()) }

// OffsetInfo is one ListOffsets answer. Offset is -1 when no record matches
// (e.g. a timestamp after the last record).
type OffsetInfo struct {
	Offset    int64
	Timestamp time.Time // zero when unknown
}

// ListOffsets asks the partition leaders for the offsets matching spec, in
// one request per broker.
func (c *Client) ListOffsets(ctx context.Context, tps []TP, spec OffsetSpec) (map[TP]OffsetInfo, error) {
	out := make(map[TP]OffsetInfo, len(tps))
	if len(tps) == 0 {
		return out, nil
	}
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	req := make(map[ck.TopicPartition]ck.OffsetSpec, len(tps))
	for _, tp := range tps {
		t := tp.Topic
		req[ck.TopicPartition{Topic: &t, Partition: tp.Partition}] = ck.OffsetSpec(spec)
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.ListOffsets(ctx, req, ck.SetAdminIsolationLevel(ck.IsolationLevelReadCommitted))
	if err != nil {
		return nil, c.classify("list offsets", err)
	}
	for tp, info := range res.ResultInfos {
		if info.Error.Code() != ck.ErrNoError {
			if info.Error.Code() == ck.ErrUnknownTopicOrPart {
				return nil, &UnknownTopicError{Topic: *tp.Topic}
			}
			return nil, c.classify(fmt.Sprintf("list offsets %s/%d", *tp.Topic, tp.Partition), info.Error)
		}
		oi := OffsetInfo{Offset: int64(info.Offset)}
		if info.Timestamp >= 0 && info.Offset >= 0 {
			oi.Timestamp = time.UnixMilli(info.Timestamp)
		}
		out[TP{Topic: *tp.Topic, Partition: tp.Partition}] = oi
	}
	return out, nil
}

// Watermark is a partition's low and high offsets.
type Watermark struct {
	Low, High int64
}

// Count is the number of offsets between the watermarks.
func (w Watermark) Count() int64 { return w.High - w.Low }

// Watermarks returns the low and high watermarks of tps.
func (c *Client) Watermarks(ctx context.Context, tps []TP) (map[TP]Watermark, error) {
	low, err := c.ListOffsets(ctx, tps, Earliest)
	if err != nil {
		return nil, err
	}
	high, err := c.ListOffsets(ctx, tps, Latest)
	if err != nil {
		return nil, err
	}
	out := make(map[TP]Watermark, len(tps))
	for _, tp := range tps {
		out[tp] = Watermark{Low: low[tp].Offset, High: high[tp].Offset}
	}
	return out, nil
}

// Partitions lists the TPs of topics.
func Partitions(topics []TopicMeta) []TP {
	var tps []TP
	for _, t := range topics {
		for _, p := range t.Partitions {
			tps = append(tps, TP{Topic: t.Name, Partition: p.ID})
		}
	}
	return tps
}

// TopicSpec describes a topic to create.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}

// TopicExistsError says a topic to create is already there.
type TopicExistsError struct{ Topic string }

func (e *TopicExistsError) Error() string { return fmt.Sprintf("topic %q already exists", e.Topic) }

// CreateTopic creates one topic and waits until the cluster confirms it.
func (c *Client) CreateTopic(ctx context.Context, spec TopicSpec) error {
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.CreateTopics(ctx, []ck.TopicSpecification{{
		Topic:             spec.Name,
		NumPartitions:     spec.Partitions,
		ReplicationFactor: spec.ReplicationFactor,
		Config:            spec.Configs,
	}}, ck.SetAdminOperationTimeout(c.opts.Timeout))
	if err != nil {
		return c.classify("create topic "+spec.Name, err)
	}
	for _, r := range res {
		switch r.Error.Code() {
		case ck.ErrNoError:
		case ck.ErrTopicAlreadyExists:
			return &TopicExistsError{Topic: r.Topic}
		case ck.ErrInvalidPartitions, ck.ErrInvalidReplicationFactor, ck.ErrInvalidConfig, ck.ErrTopicException, ck.ErrInvalidRequest:
			return classErr(ErrInvalid, fmt.Errorf("create topic %s: %v", r.Topic, r.Error))
		default:
			return c.classify("create topic "+r.Topic, r.Error)
		}
	}
	return nil
}

// DeleteTopics deletes topics; each must exist.
func (c *Client) DeleteTopics(ctx context.Context, names []string) error {
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.DeleteTopics(ctx, names, ck.SetAdminOperationTimeout(c.opts.Timeout))
	if err != nil {
		return c.classify("delete topics", err)
	}
	for _, r := range res {
		switch r.Error.Code() {
		case ck.ErrNoError:
		case ck.ErrUnknownTopicOrPart, ck.ErrUnknownTopic:
			return &UnknownTopicError{Topic: r.Topic}
		default:
			return c.classify("delete topic "+r.Topic, r.Error)
		}
	}
	return nil
}

// ConfigEntry is one topic config.
type ConfigEntry struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Source    string `json:"source"`
	IsDefault bool   `json:"is_default"`
	Sensitive bool   `json:"sensitive"`
}

// TopicConfigs returns a topic's configs, sorted by name.
func (c *Client) TopicConfigs(ctx context.Context, topic string) ([]ConfigEntry, error) {
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.DescribeConfigs(ctx, []ck.ConfigResource{{Type: ck.ResourceTopic, Name: topic}})
	if err != nil {
		return nil, c.classify("describe configs "+topic, err)
	}
	var out []ConfigEntry
	for _, r := range res {
		if r.Error.Code() == ck.ErrUnknownTopicOrPart {
			return nil, &UnknownTopicError{Topic: topic}
		}
		if r.Error.Code() != ck.ErrNoError {
			return nil, c.classify("describe configs "+topic, r.Error)
		}
		for _, e := range r.Config {
			v := e.Value
			if e.IsSensitive {
				v = "[REDACTED]"
			}
			out = append(out, ConfigEntry{
				Name: e.Name, Value: v, Source: e.Source.String(),
				IsDefault: e.IsDefault || e.Source == ck.ConfigSourceDefault,
				Sensitive: e.IsSensitive,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteRecords deletes the records of tp before offset (the new low
// watermark).
func (c *Client) DeleteRecords(ctx context.Context, tp TP, before int64) error {
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	t := tp.Topic
	res, err := a.DeleteRecords(ctx, []ck.TopicPartition{{Topic: &t, Partition: tp.Partition, Offset: ck.Offset(before)}})
	if err != nil {
		return c.classify("delete records "+tp.String(), err)
	}
	for _, r := range res.DeleteRecordsResults {
		if r.TopicPartition.Error != nil {
			return c.classify("delete records "+tp.String(), r.TopicPartition.Error)
		}
	}
	return nil
}
