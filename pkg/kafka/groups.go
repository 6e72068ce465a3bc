package kafka

import (
	"context"
	"sort"
	"strings"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Group is one consumer group as the cluster lists it.
type Group struct {
	ID    string `json:"group"`
	State string `json:"state"`
}

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
	a, err := c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	res, err := a.ListConsumerGroupOffsets(ctx, []ck.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		return nil, c.classify("list offsets of group "+group, err)
	}
	out := map[TP]int64{}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, p := range g.Partitions {
			if p.Error != nil || p.Topic == nil || p.Offset < 0 {
				continue
			}
			out[TP{Topic: *p.Topic, Partition: p.Partition}] = int64(p.Offset)
		}
	}
	return out, nil
}
