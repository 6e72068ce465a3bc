package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Metadata fetches brokers and all topics. It asks for all topics, never
// for one by name, so a lookup can never auto-create a topic.
func (c *Client) Metadata(ctx context.Context) (*Metadata, error) {
	a, calls, err := c.metadataCall()
	if err != nil {
		return nil, err
	}
	type result struct {
		md  *ck.Metadata
		err error
	}
	ch := make(chan result, 1)
	go func() {
		md, err := a.GetMetadata(nil, true, int(c.opts.Timeout.Milliseconds()))
		c.metadataPending.Add(-1)
		calls.Done()
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
