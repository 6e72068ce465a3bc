package play

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kx-cli/kx/pkg/record"
)

// Verification outcomes of one topic.
const (
	VerifyOK         = "ok"         // growth equals acknowledged, every sent record acknowledged
	VerifyShortfall  = "shortfall"  // records sent but not acknowledged, or acknowledged but not in the log
	VerifyInterfered = "interfered" // the log grew more than this run wrote: another writer, not verifiable
)

// TopicCheck is the verification of one topic.
type TopicCheck struct {
	Topic  string `json:"topic"`
	Sent   int64  `json:"sent"`
	Acked  int64  `json:"acked"`
	Failed int64  `json:"failed"`
	// Unconfirmed were sent but got no delivery report (flush timed out).
	Unconfirmed int64 `json:"unconfirmed"`
	// Growth is the sum of high-watermark growth over the partitions.
	Growth int64  `json:"growth"`
	Status string `json:"status"`
	// Partitions lists the partitions whose growth differs from their
	// acknowledged count.
	Partitions []PartitionCheck `json:"mismatches,omitempty"`
}

// PartitionCheck is one partition whose growth differs from its acknowledged count.
type PartitionCheck struct {
	Partition int32 `json:"partition"`
	Acked     int64 `json:"acked"`
	Growth    int64 `json:"growth"`
}

// Verify compares, per topic, what was sent and acknowledged with how much
// the high watermarks moved between before and after (maps keyed by
// partition; a partition missing from before started at 0). A topic whose
// log grew more than this run acknowledged had another writer: it is
// reported as interfered, not as a failure.
func Verify(topics []TopicReport, acked, before, after map[record.TopicPartition]int64) []TopicCheck {
	type agg struct {
		acked, growth int64
		parts         []PartitionCheck
		short         bool
		extra         bool
	}
	per := map[string]*agg{}
	for _, t := range topics {
		per[t.Topic] = &agg{}
	}
	tps := map[record.TopicPartition]bool{}
	for tp := range after {
		tps[tp] = true
	}
	for tp := range acked {
		tps[tp] = true
	}
	keys := make([]record.TopicPartition, 0, len(tps))
	for tp := range tps {
		keys = append(keys, tp)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Topic != keys[j].Topic {
			return keys[i].Topic < keys[j].Topic
		}
		return keys[i].Partition < keys[j].Partition
	})
	for _, tp := range keys {
		a := per[tp.Topic]
		if a == nil {
			continue
		}
		growth := after[tp] - before[tp]
		a.acked += acked[tp]
		a.growth += growth
		if growth != acked[tp] {
			a.parts = append(a.parts, PartitionCheck{Partition: tp.Partition, Acked: acked[tp], Growth: growth})
			if growth < acked[tp] {
				a.short = true
			} else {
				a.extra = true
			}
		}
	}
	out := make([]TopicCheck, 0, len(topics))
	for _, t := range topics {
		a := per[t.Topic]
		c := TopicCheck{
			Topic: t.Topic, Sent: t.Events, Acked: t.Acked, Failed: t.Failed,
			Unconfirmed: t.Events - t.Acked - t.Failed, Growth: a.growth, Partitions: a.parts,
		}
		switch {
		case c.Failed > 0 || c.Unconfirmed > 0 || a.short:
			c.Status = VerifyShortfall
		case a.extra:
			c.Status = VerifyInterfered
		default:
			c.Status = VerifyOK
		}
		out = append(out, c)
	}
	return out
}

// Shortfall returns a one-line summary of the topics that failed
// verification, or "" when none did.
func Shortfall(checks []TopicCheck) string {
	var parts []string
	for _, c := range checks {
		if c.Status != VerifyShortfall {
			continue
		}
		s := fmt.Sprintf("%s: sent %d, acknowledged %d", c.Topic, c.Sent, c.Acked)
		if c.Failed > 0 {
			s += ", failed " + strconv.FormatInt(c.Failed, 10)
		}
		if c.Unconfirmed > 0 {
			s += ", unconfirmed " + strconv.FormatInt(c.Unconfirmed, 10)
		}
		s += ", log grew by " + strconv.FormatInt(c.Growth, 10)
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
