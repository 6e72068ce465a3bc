// Package stats computes what `kx stats` shows: per-topic message counts,
// partition spread, rates over time (with a history for sparklines and the
// peak), bytes per second and end-to-end latency when records are read,
// counts by the value of a jq expression, and consumer-group lag. It is pure
// Go: the command feeds it offsets and records, it hands back Snapshots, and
// Dashboard renders them for a terminal.
package stats

import (
	"math"
	"sort"
	"time"
)

// The kinds of objects kx stats prints, in the "kind" field.
const (
	KindStats   = "stats"
	KindSummary = "summary"
)

// Snapshot is one stats object: the document printed once, per --watch
// interval (kind "stats") or at the end (kind "summary"). Field names are a
// stable interface (docs/stats.md).
type Snapshot struct {
	Kind        string       `json:"kind"`
	Time        string       `json:"time"`
	IntervalSec float64      `json:"interval_sec"`
	Brokers     int          `json:"brokers"`
	Topics      []TopicStats `json:"topics"`
	Totals      Totals       `json:"totals"`
	Groups      []GroupLag   `json:"groups"`
	// By counts the interval's records (the whole run in a summary);
	// ByTotal counts since the start.
	By      *ByStats     `json:"by,omitempty"`
	ByTotal *ByStats     `json:"by_total,omitempty"`
	Alerts  *AlertCounts `json:"alerts,omitempty"`
}

// TopicStats is one topic in a Snapshot.
type TopicStats struct {
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
	// Messages is the sum over partitions of high minus low watermarks.
	Messages int64 `json:"messages"`
	// PartitionMin and PartitionMax are the fewest and most messages in one
	// partition; Skew is max over mean (1 is perfectly even, 0 when empty).
	PartitionMessages []int64 `json:"partition_messages"`
	PartitionMin      int64   `json:"partition_min"`
	PartitionMax      int64   `json:"partition_max"`
	Skew              float64 `json:"skew"`
	// MessagesPerSec is the rate over the last interval (snapshot: over the
	// --window); PeakPerSec the highest interval rate seen.
	MessagesPerSec float64 `json:"messages_per_sec"`
	PeakPerSec     float64 `json:"peak_messages_per_sec"`
	// BytesPerSec (key+value+headers) is known only when records are read.
	BytesPerSec   *float64 `json:"bytes_per_sec,omitempty"`
	LastTimestamp string   `json:"last_timestamp,omitempty"`
	Latency       *Latency `json:"latency,omitempty"`
	// Produced is the count of new messages since the start (summary only).
	Produced int64 `json:"produced,omitempty"`
}

// Latency is the end-to-end latency (read time minus record timestamp) of
// the records read in the interval, in milliseconds.
type Latency struct {
	Samples int     `json:"samples"`
	P50Ms   float64 `json:"p50_ms"`
	P95Ms   float64 `json:"p95_ms"`
	MaxMs   float64 `json:"max_ms"`
}

// Totals sum the topics.
type Totals struct {
	Messages       int64   `json:"messages"`
	Topics         int     `json:"topics"`
	MessagesPerSec float64 `json:"messages_per_sec"`
	PeakPerSec     float64 `json:"peak_messages_per_sec"`
	Groups         int     `json:"groups"`
	// Lag sums the groups' Lag: partitions with a commit only. NoCommit
	// and NoCommitRecords sum the partitions left out.
	Lag             int64 `json:"lag"`
	NoCommit        int   `json:"no_commit_partitions"`
	NoCommitRecords int64 `json:"no_commit_records"`
}

// GroupLag is one consumer group's lag on one topic.
type GroupLag struct {
	Group string `json:"group"`
	Topic string `json:"topic"`
	// Lag sums high watermark minus committed offset over the partitions
	// the group committed; WorstPartition has the largest lag.
	Lag            int64 `json:"lag"`
	WorstPartition int32 `json:"worst_partition"`
	WorstLag       int64 `json:"worst_lag"`
	// Partitions counts the partitions with a commit.
	Partitions int `json:"partitions"`
	// NoCommit counts the topic's partitions without a commit; they are not
	// in Lag. NoCommitRecords are their records from the log start to the
	// end: their lag if the group starts at the beginning (0 if it starts
	// at the end, the default of librdkafka, Java and kx tail --group).
	NoCommit        int   `json:"no_commit_partitions"`
	NoCommitRecords int64 `json:"no_commit_records"`
}

// AlertCounts count the alerts fired, by severity (summary only).
type AlertCounts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
	Success int `json:"success"`
}

// PartitionOffsets are one partition's watermarks.
type PartitionOffsets struct {
	Partition int32
	Low, High int64
}

// TopicOffsets are what the command fetched about one topic.
type TopicOffsets struct {
	Topic         string
	Partitions    []PartitionOffsets
	LastTimestamp time.Time // zero when unknown
}

// Messages sums the partitions.
func (t TopicOffsets) Messages() int64 {
	var n int64
	for _, p := range t.Partitions {
		n += p.High - p.Low
	}
	return n
}

// high sums the high watermarks: it only grows, unlike Messages, which
// retention and deletes shrink.
func (t TopicOffsets) high() int64 {
	var n int64
	for _, p := range t.Partitions {
		n += p.High
	}
	return n
}

// Spread computes min, max and skew of the per-partition counts.
func Spread(parts []PartitionOffsets) (lo, hi int64, skew float64) {
	if len(parts) == 0 {
		return 0, 0, 0
	}
	lo, hi = math.MaxInt64, 0
	var sum int64
	for _, p := range parts {
		n := p.High - p.Low
		sum += n
		lo, hi = min(lo, n), max(hi, n)
	}
	if sum == 0 {
		return lo, hi, 0
	}
	mean := float64(sum) / float64(len(parts))
	return lo, hi, round(float64(hi)/mean, 2)
}

// Lag computes per-topic lag of one group from its committed offsets and
// the watermarks, for every topic it committed on: every partition of such
// a topic in wm is counted, with its lag or as one without a commit.
// Topics not in wm are ignored. Results are sorted by topic.
func Lag(group string, committed map[PartitionKey]int64, wm map[PartitionKey]PartitionOffsets) []GroupLag {
	by := map[string]*GroupLag{}
	for tp := range committed {
		if _, ok := wm[tp]; ok && by[tp.Topic] == nil {
			by[tp.Topic] = &GroupLag{Group: group, Topic: tp.Topic, WorstPartition: -1}
		}
	}
	for tp, w := range wm {
		g := by[tp.Topic]
		if g == nil {
			continue
		}
		off, ok := committed[tp]
		if !ok {
			g.NoCommit++
			g.NoCommitRecords += max(w.High-w.Low, 0)
			continue
		}
		lag := max(w.High-off, 0)
		g.Lag += lag
		g.Partitions++
		if lag > g.WorstLag || g.WorstPartition < 0 || (lag == g.WorstLag && tp.Partition < g.WorstPartition) {
			g.WorstLag, g.WorstPartition = lag, tp.Partition
		}
	}
	out := make([]GroupLag, 0, len(by))
	for _, g := range by {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

// PartitionKey names a partition without importing the Kafka adapter.
type PartitionKey struct {
	Topic     string
	Partition int32
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}
