package kafka

import (
	"testing"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// pkg/cluster spells librdkafka's special values without cgo; they must
// stay the values the adapter hands to confluent-kafka-go.
func TestClusterConstantsAreLibrdkafkas(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"Earliest", int64(Earliest), int64(ck.EarliestOffsetSpec)},
		{"Latest", int64(Latest), int64(ck.LatestOffsetSpec)},
		{"MaxTimestamp", int64(MaxTimestamp), int64(ck.MaxTimestampOffsetSpec)},
		{"OffsetBeginning", OffsetBeginning, int64(ck.OffsetBeginning)},
		{"OffsetEnd", OffsetEnd, int64(ck.OffsetEnd)},
		{"AnyPartition", int64(AnyPartition), int64(ck.PartitionAny)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, librdkafka's is %d", c.name, c.got, c.want)
		}
	}
}
