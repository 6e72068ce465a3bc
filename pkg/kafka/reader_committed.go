package kafka

import (
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Committed returns the group's committed offsets for tps (only those that
// have one). It asks the group coordinator, so it works before the reader
// has joined the group.
func (r *Reader) Committed(tps []TP, timeout time.Duration) (map[TP]int64, error) {
	res, err := r.c.Committed(toCK(tps), int(timeout.Milliseconds()))
	if isCode(err, ck.ErrGroupIDNotFound) {
		// kfake's answer for a group without commits yet (kafka-notes.md).
		return map[TP]int64{}, nil
	}
	if err != nil {
		return nil, r.owner.classify("committed offsets", err)
	}
	out := make(map[TP]int64, len(res))
	for _, p := range res {
		if p.Error == nil && p.Offset >= 0 {
			out[TP{Topic: *p.Topic, Partition: p.Partition}] = int64(p.Offset)
		}
	}
	return out, nil
}
