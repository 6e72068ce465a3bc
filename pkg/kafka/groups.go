package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// ListGroups lists the consumer groups, sorted by id. kx's own throwaway
// reader ids (kx-reader-…) never commit, so they do not show.
func (c *Client) ListGroups(ctx context.Context) ([]Group, error) {
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.ListConsumerGroups(ctx)
	if err != nil {
		return nil, c.classify("list consumer groups", err)
	}
	if len(res.Valid) == 0 && len(res.Errors) > 0 {
		return nil, c.classify("list consumer groups", res.Errors[0])
	}
	out := make([]Group, 0, len(res.Valid))
	for _, g := range res.Valid {
		if strings.HasPrefix(g.GroupID, "kx-reader-") {
			continue
		}
		out = append(out, Group{ID: g.GroupID, State: g.State.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GroupOffsets returns the committed offsets of a group, for every
// partition it has committed (partitions without a commit are left out).
func (c *Client) GroupOffsets(ctx context.Context, group string) (map[TP]int64, error) {
	commits, err := c.GroupCommits(ctx, group)
	if err != nil {
		return nil, err
	}
	out := make(map[TP]int64, len(commits))
	for tp, cm := range commits {
		out[tp] = cm.Offset
	}
	return out, nil
}

// GroupCommits returns every committed offset of group with its metadata.
// A group the cluster has never seen has no commits (kfake answers
// GROUP_ID_NOT_FOUND where Apache Kafka answers offset -1).
func (c *Client) GroupCommits(ctx context.Context, group string) (map[TP]Commit, error) {
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	out := map[TP]Commit{}
	res, err := a.ListConsumerGroupOffsets(ctx, []ck.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		if isCode(err, ck.ErrGroupIDNotFound) {
			return out, nil
		}
		return nil, c.classify("list offsets of group "+group, err)
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, p := range g.Partitions {
			if p.Error != nil {
				if isCode(p.Error, ck.ErrGroupIDNotFound) {
					continue
				}
				return nil, c.classify("list offsets of group "+group, p.Error)
			}
			if p.Topic == nil || p.Offset < 0 {
				continue
			}
			cm := Commit{Offset: int64(p.Offset)}
			if p.Metadata != nil {
				cm.Metadata = *p.Metadata
			}
			out[TP{Topic: *p.Topic, Partition: p.Partition}] = cm
		}
	}
	return out, nil
}

// DescribeGroups describes groups, in the order asked. A group the cluster
// does not know comes back in state Dead with no members.
func (c *Client) DescribeGroups(ctx context.Context, ids []string) ([]GroupDescription, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.DescribeConsumerGroups(ctx, ids)
	if err != nil {
		return nil, c.classify("describe consumer groups", err)
	}
	out := make([]GroupDescription, 0, len(res.ConsumerGroupDescriptions))
	for _, g := range res.ConsumerGroupDescriptions {
		d := GroupDescription{ID: g.GroupID, State: g.State.String(), Type: groupType(g.Type), Protocol: g.PartitionAssignor}
		if code := g.Error.Code(); code != ck.ErrNoError {
			if code != ck.ErrGroupIDNotFound {
				return nil, c.classify("describe consumer group "+g.GroupID, g.Error)
			}
			d.State = "Dead"
		}
		for _, m := range g.Members {
			gm := GroupMember{ID: m.ConsumerID, ClientID: m.ClientID, InstanceID: m.GroupInstanceID, Host: m.Host}
			for _, p := range m.Assignment.TopicPartitions {
				if p.Topic != nil {
					gm.Assigned = append(gm.Assigned, TP{Topic: *p.Topic, Partition: p.Partition})
				}
			}
			sort.Slice(gm.Assigned, func(i, j int) bool { return lessTP(gm.Assigned[i], gm.Assigned[j]) })
			d.Members = append(d.Members, gm)
		}
		sort.Slice(d.Members, func(i, j int) bool { return d.Members[i].ID < d.Members[j].ID })
		out = append(out, d)
	}
	return out, nil
}

func groupType(t ck.ConsumerGroupType) string {
	switch t {
	case ck.ConsumerGroupTypeClassic:
		return "Classic"
	case ck.ConsumerGroupTypeConsumer:
		return "Consumer"
	}
	return "Unknown"
}

// CommitGroupOffsets commits offsets for group in one request, as an
// administrator (the group must have no active members, or the broker
// refuses). The metadata of each commit is kept.
func (c *Client) CommitGroupOffsets(ctx context.Context, group string, offsets map[TP]Commit) error {
	if len(offsets) == 0 {
		return nil
	}
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	tps := make([]ck.TopicPartition, 0, len(offsets))
	for tp, cm := range offsets {
		t, md := tp.Topic, cm.Metadata
		p := ck.TopicPartition{Topic: &t, Partition: tp.Partition, Offset: ck.Offset(cm.Offset)}
		if md != "" {
			p.Metadata = &md
		}
		tps = append(tps, p)
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.AlterConsumerGroupOffsets(ctx, []ck.ConsumerGroupTopicPartitions{{Group: group, Partitions: tps}})
	if err != nil {
		return c.classify("commit offsets of group "+group, err)
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, p := range g.Partitions {
			if p.Error != nil {
				return c.classify(fmt.Sprintf("commit offset of group %s for %s/%d", group, *p.Topic, p.Partition), p.Error)
			}
		}
	}
	return nil
}

// DeleteGroup deletes a consumer group and its committed offsets.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.DeleteConsumerGroups(ctx, []string{group}, ck.SetAdminRequestTimeout(c.opts.Timeout))
	if err != nil {
		return c.classify("delete consumer group "+group, err)
	}
	for _, r := range res.ConsumerGroupResults {
		switch r.Error.Code() {
		case ck.ErrNoError:
		case ck.ErrGroupIDNotFound:
			return &UnknownGroupError{Group: group}
		default:
			return c.classify("delete consumer group "+group, r.Error)
		}
	}
	return nil
}

func isCode(err error, code ck.ErrorCode) bool {
	var ke ck.Error
	return errors.As(err, &ke) && ke.Code() == code
}

func lessTP(a, b TP) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}
