package stats

import (
	"sort"

	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/record"
)

// ByStats are the counts of records by the value of a jq expression.
type ByStats struct {
	Expr  string `json:"expr"`
	Topic string `json:"topic"`
	// Records counts the records evaluated; Errors those the expression
	// failed on (a non-JSON value, say).
	Records int64 `json:"records"`
	Errors  int64 `json:"errors"`
	// Values are sorted by count, largest first. Share is the value's
	// fraction of the records, in percent.
	Values []ByValue `json:"values"`
}

// ByValue is one distinct value of the expression.
type ByValue struct {
	Value string  `json:"value"`
	Count int64   `json:"count"`
	Share float64 `json:"share_pct"`
}

// maxByValues bounds the distinct values kept: an expression like .orderId
// has one per record; beyond the bound new values count as "(other)".
const maxByValues = 1000

// OtherValue collects values beyond the distinct-value bound.
const OtherValue = "(other)"

// ByCounter counts records by the outputs of a compiled jq expression. A
// string output counts as itself, anything else as its compact JSON, and a
// record with no output as "null".
type ByCounter struct {
	filter   *jqfilter.Filter
	topic    string
	total    map[string]int64
	interval map[string]int64
	records  [2]int64 // total, interval
	errors   [2]int64
}

// NewByCounter counts the records of topic by filter.
func NewByCounter(filter *jqfilter.Filter, topic string) *ByCounter {
	return &ByCounter{filter: filter, topic: topic, total: map[string]int64{}, interval: map[string]int64{}}
}

// Topic is the topic whose records are counted.
func (b *ByCounter) Topic() string { return b.topic }

// Observe counts one record (records of other topics are ignored).
func (b *ByCounter) Observe(r *record.Record) {
	if r.Topic != b.topic {
		return
	}
	b.records[0]++
	b.records[1]++
	vals, err := b.filter.Values(r)
	if err != nil {
		b.errors[0]++
		b.errors[1]++
		return
	}
	if len(vals) == 0 {
		b.add("null")
	}
	for _, v := range vals {
		if s, ok := v.(string); ok {
			b.add(s)
		} else {
			b.add(string(jqfilter.AppendValue(nil, v)))
		}
	}
}

func (b *ByCounter) add(v string) {
	if _, ok := b.total[v]; !ok && len(b.total) >= maxByValues {
		v = OtherValue
	}
	b.total[v]++
	b.interval[v]++
}

// Snapshot returns the counts of the interval and starts a new one.
func (b *ByCounter) Snapshot() *ByStats {
	s := b.stats(b.interval, b.records[1], b.errors[1])
	b.interval = map[string]int64{}
	b.records[1], b.errors[1] = 0, 0
	return s
}

// Totals returns the counts since the start.
func (b *ByCounter) Totals() *ByStats { return b.stats(b.total, b.records[0], b.errors[0]) }

func (b *ByCounter) stats(counts map[string]int64, records, errors int64) *ByStats {
	s := &ByStats{Expr: b.filter.String(), Topic: b.topic, Records: records, Errors: errors, Values: []ByValue{}}
	for v, n := range counts {
		share := 0.0
		if records > 0 {
			share = round(100*float64(n)/float64(records), 2)
		}
		s.Values = append(s.Values, ByValue{Value: v, Count: n, Share: share})
	}
	sort.Slice(s.Values, func(i, j int) bool {
		if s.Values[i].Count != s.Values[j].Count {
			return s.Values[i].Count > s.Values[j].Count
		}
		return s.Values[i].Value < s.Values[j].Value
	})
	return s
}
