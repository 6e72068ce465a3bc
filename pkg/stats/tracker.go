package stats

import (
	"math"
	"sort"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// Tracker turns successive offset samples (and, optionally, the records
// read) into Snapshots: rates per interval, their history for sparklines,
// peaks, bytes per second, latency and --by counts. It is not safe for
// concurrent use; the caller serializes Observe* and Snapshot.
type Tracker struct {
	// Latency keeps end-to-end latencies of the records observed (only
	// with --latency: records read for --by or alert rules are mostly old,
	// and their age is no latency anyone asked for).
	Latency bool
	history int
	start   time.Time
	topics  map[string]*topicState
	by      *ByCounter
}

type topicState struct {
	firstHigh  int64
	lastHigh   int64
	lastAt     time.Time
	started    bool
	rates      []float64 // last `history` interval rates, oldest first
	peak       float64
	bytes      int64     // bytes read in the current interval
	read       bool      // records of this topic are read
	latencies  []float64 // ms, current interval
	current    TopicStats
	sinceStart int64
}

// NewTracker keeps history interval rates per topic for sparklines.
func NewTracker(history int) *Tracker {
	if history <= 0 {
		history = 60
	}
	return &Tracker{history: history, topics: map[string]*topicState{}}
}

// SetBy counts records by a jq expression (see ByCounter).
func (t *Tracker) SetBy(by *ByCounter) { t.by = by }

// By returns the --by counter, or nil.
func (t *Tracker) By() *ByCounter { return t.by }

// MarkRead declares that the records of topic are read, so its bytes per
// second are known (zero included).
func (t *Tracker) MarkRead(topic string) { t.state(topic).read = true }

func (t *Tracker) state(topic string) *topicState {
	s := t.topics[topic]
	if s == nil {
		s = &topicState{}
		t.topics[topic] = s
	}
	return s
}

// ObserveOffsets records one sample of every selected topic's offsets,
// taken at now, and computes each topic's rate since the previous sample.
func (t *Tracker) ObserveOffsets(now time.Time, topics []TopicOffsets) {
	if t.start.IsZero() {
		t.start = now
	}
	for _, to := range topics {
		s := t.state(to.Topic)
		high := to.high()
		rate := 0.0
		if !s.started {
			s.started, s.firstHigh = true, high
		} else if dt := now.Sub(s.lastAt).Seconds(); dt > 0 && high >= s.lastHigh {
			rate = float64(high-s.lastHigh) / dt
			s.rates = append(s.rates, rate)
			if len(s.rates) > t.history {
				s.rates = s.rates[len(s.rates)-t.history:]
			}
		}
		s.peak = max(s.peak, rate)
		s.lastHigh, s.lastAt = high, now
		s.sinceStart = high - s.firstHigh
		lo, hi, skew := Spread(to.Partitions)
		counts := make([]int64, len(to.Partitions))
		for i, p := range to.Partitions {
			counts[i] = p.High - p.Low
		}
		s.current = TopicStats{
			Topic:             to.Topic,
			Partitions:        len(to.Partitions),
			PartitionMessages: counts,
			Messages:          to.Messages(),
			PartitionMin:      lo,
			PartitionMax:      hi,
			Skew:              skew,
			MessagesPerSec:    round(rate, 2),
			PeakPerSec:        round(s.peak, 2),
		}
		if !to.LastTimestamp.IsZero() {
			s.current.LastTimestamp = record.FormatTimestamp(to.LastTimestamp)
		}
	}
}

// ObserveRecord accounts one record read at now: its bytes, its latency
// and its --by value.
func (t *Tracker) ObserveRecord(r *record.Record, now time.Time) {
	s := t.state(r.Topic)
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	s.bytes += int64(n)
	if t.Latency && !r.Timestamp.IsZero() && len(s.latencies) < maxLatencySamples {
		s.latencies = append(s.latencies, float64(now.Sub(r.Timestamp).Microseconds())/1000)
	}
	if t.by != nil {
		t.by.Observe(r)
	}
}

// maxLatencySamples bounds the memory of one interval's latencies; beyond
// it the percentiles describe the interval's first records.
const maxLatencySamples = 100_000

// Rates returns a topic's interval rates, oldest first (for sparklines).
func (t *Tracker) Rates(topic string) []float64 {
	if s := t.topics[topic]; s != nil {
		return s.rates
	}
	return nil
}

// Snapshot builds the stats object of the interval that ends at now, in
// the order of topics, and starts a new interval (bytes, latencies, --by
// interval counts). interval is the time since the previous snapshot.
func (t *Tracker) Snapshot(now time.Time, interval time.Duration, topics []string) *Snapshot {
	snap := &Snapshot{Kind: KindStats, Time: record.FormatTimestamp(now), IntervalSec: round(interval.Seconds(), 3)}
	for _, name := range topics {
		s := t.topics[name]
		if s == nil {
			continue
		}
		ts := s.current
		if s.read && interval > 0 {
			bps := round(float64(s.bytes)/interval.Seconds(), 1)
			ts.BytesPerSec = &bps
		}
		if len(s.latencies) > 0 {
			ts.Latency = LatencyOf(s.latencies)
		}
		s.bytes, s.latencies = 0, s.latencies[:0]
		snap.Topics = append(snap.Topics, ts)
	}
	t.sumTotals(snap, topics)
	if t.by != nil {
		snap.By = t.by.Snapshot()
		snap.ByTotal = t.by.Totals()
	}
	return snap
}

// sumTotals fills snap's totals from its topics.
func (t *Tracker) sumTotals(snap *Snapshot, topics []string) {
	for _, ts := range snap.Topics {
		snap.Totals.Messages += ts.Messages
		snap.Totals.MessagesPerSec += ts.MessagesPerSec
	}
	snap.Totals.Topics = len(snap.Topics)
	snap.Totals.MessagesPerSec = round(snap.Totals.MessagesPerSec, 2)
	snap.Totals.PeakPerSec = round(t.totalPeak(topics), 2)
}

// totalPeak is the highest sum of the topics' rates over the same interval.
func (t *Tracker) totalPeak(topics []string) float64 {
	var sums []float64
	for _, name := range topics {
		s := t.topics[name]
		if s == nil {
			continue
		}
		// Align on the most recent interval: histories may differ in length
		// when a topic appeared later.
		off := len(sums) - len(s.rates)
		if off < 0 {
			sums = append(make([]float64, -off), sums...)
			off = 0
		}
		for i, r := range s.rates {
			sums[off+i] += r
		}
	}
	peak := 0.0
	for _, v := range sums {
		peak = max(peak, v)
	}
	return peak
}

// Summary is the closing object: messages now, messages produced since the
// start, the average rate over the run and the peak.
func (t *Tracker) Summary(now time.Time, topics []string) *Snapshot {
	snap := &Snapshot{Kind: KindSummary, Time: record.FormatTimestamp(now)}
	elapsed := now.Sub(t.start)
	snap.IntervalSec = round(elapsed.Seconds(), 3)
	for _, name := range topics {
		s := t.topics[name]
		if s == nil {
			continue
		}
		ts := s.current
		ts.Produced = s.sinceStart
		ts.MessagesPerSec = 0
		if elapsed > 0 {
			ts.MessagesPerSec = round(float64(s.sinceStart)/elapsed.Seconds(), 2)
		}
		snap.Topics = append(snap.Topics, ts)
	}
	t.sumTotals(snap, topics)
	if t.by != nil {
		snap.By = t.by.Totals()
	}
	return snap
}

// LatencyOf computes p50, p95 and max of samples (milliseconds), by
// nearest rank. It sorts samples in place.
func LatencyOf(samples []float64) *Latency {
	if len(samples) == 0 {
		return nil
	}
	sort.Float64s(samples)
	return &Latency{
		Samples: len(samples),
		P50Ms:   round(Percentile(samples, 50), 1),
		P95Ms:   round(Percentile(samples, 95), 1),
		MaxMs:   round(samples[len(samples)-1], 1),
	}
}

// Percentile returns the p-th percentile (nearest rank) of sorted values.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}
