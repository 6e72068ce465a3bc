// Package cluster holds what kx knows of a Kafka cluster and of a Schema
// Registry as plain data: topics, partitions, offsets, consumer groups,
// reader and producer settings, deliveries, schemas, and the classes of
// failure. It has no cgo: pkg/kafka (the adapter around confluent-kafka-go)
// fills these types in, the in-memory fake (pkg/kafkafake) does too, and
// the domain packages read them without linking librdkafka.
package cluster

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// TP names a topic partition.
type TP = record.TopicPartition

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

// Resolve matches names and regular expressions against the topics. A
// plain name that does not exist is an error naming it; a pattern
// (anything with regexp metacharacters) must match at least one topic. An
// empty list means every topic.
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
			return nil, Classify(ErrInvalid, fmt.Errorf("topic pattern %q: %w", p, err))
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
			return nil, Classify(ErrInvalid, fmt.Errorf("topic pattern %q matches no topic", p))
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

// UnknownTopicError names a topic the cluster does not have.
type UnknownTopicError struct{ Topic string }

func (e *UnknownTopicError) Error() string {
	return fmt.Sprintf("topic %q does not exist", e.Topic)
}

// Is makes an UnknownTopicError match ErrUnknownTopic.
func (e *UnknownTopicError) Is(target error) bool { return target == ErrUnknownTopic }

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

// ConfigEntry is one topic config.
type ConfigEntry struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Source    string `json:"source"`
	IsDefault bool   `json:"is_default"`
	Sensitive bool   `json:"sensitive"`
}

// OffsetSpec selects what a ListOffsets asks for.
type OffsetSpec int64

// Special offset specs (the values of Kafka's ListOffsets protocol and of
// librdkafka); any value >= 0 is a timestamp in milliseconds.
const (
	Earliest     OffsetSpec = -2
	Latest       OffsetSpec = -1
	MaxTimestamp OffsetSpec = -3
)

// AtTime is the spec for the first offset at or after t.
func AtTime(t time.Time) OffsetSpec { return OffsetSpec(t.UnixMilli()) }

// OffsetInfo is one ListOffsets answer. Offset is -1 when no record matches
// (e.g. a timestamp after the last record).
type OffsetInfo struct {
	Offset    int64
	Timestamp time.Time // zero when unknown
}

// Watermark is a partition's low and high offsets.
type Watermark struct {
	Low, High int64
}

// Count is the number of offsets between the watermarks.
func (w Watermark) Count() int64 { return w.High - w.Low }
