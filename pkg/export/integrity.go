package export

import (
	"fmt"
	"hash/maphash"
	"sort"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// Gap kinds.
const (
	// GapDeleted: offsets below the partition's low watermark when the read
	// ended. Retention or delete-records removed them: records are lost.
	GapDeleted = "deleted"
	// GapNoRecord: offsets inside the log for which Kafka delivered no
	// record. Compaction, transaction markers and aborted transactions all
	// look like this to a consumer; kx cannot tell them apart.
	GapNoRecord = "no-record"
)

// maxListed caps every list in the report; totals are always exact.
const maxListed = 1000

// Range is an offset range [From, To).
type Range struct {
	From  int64 `json:"from"`
	To    int64 `json:"to"`
	Count int64 `json:"count"`
}

// Gap is a run of offsets in the requested range with no record read.
type Gap struct {
	Range
	Kind string `json:"kind"`
}

// Backwards is a record whose timestamp is before its predecessor's.
type Backwards struct {
	Offset            int64  `json:"offset"`
	Timestamp         string `json:"timestamp"`
	PreviousOffset    int64  `json:"previous_offset"`
	PreviousTimestamp string `json:"previous_timestamp"`
}

// PartitionReport is the integrity report of one partition.
type PartitionReport struct {
	Topic      string `json:"topic"`
	Partition  int32  `json:"partition"`
	Requested  Range  `json:"requested"`
	Watermarks struct {
		LowAtStart  int64 `json:"low_at_start"`
		HighAtStart int64 `json:"high_at_start"`
		LowAtEnd    int64 `json:"low_at_end"`
	} `json:"watermarks"`
	Read struct {
		First *int64 `json:"first"`
		Last  *int64 `json:"last"`
		Count int64  `json:"count"`
	} `json:"read"`
	LostToRetention *Range `json:"lost_to_retention"`
	Gaps            []Gap  `json:"gaps"`
	GapsTotal       int    `json:"gaps_total"`
	Timestamps      struct {
		First          string      `json:"first"`
		Last           string      `json:"last"`
		Backwards      int64       `json:"backwards"`
		BackwardsFirst []Backwards `json:"backwards_listed"`
	} `json:"timestamps"`

	prevOffset int64
	prevTS     time.Time
	rng        consume.Range
}

// Location names a record.
type Location struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Timestamp string `json:"timestamp,omitempty"`
}

// Duplicate is a business key seen again.
type Duplicate struct {
	Key   string   `json:"key"`
	First Location `json:"first"`
	Again Location `json:"again"`
}

// UniqueReport lists the duplicates of --unique.
type UniqueReport struct {
	Expr            string      `json:"expr"`
	Keys            int64       `json:"keys"`
	Missing         int64       `json:"records_without_key"`
	DuplicatesTotal int64       `json:"duplicates_total"`
	Duplicates      []Duplicate `json:"duplicates"`
}

// Checker follows what an export reads, partition by partition, in offset
// order. Memory: a few words per partition, plus 28 bytes per distinct key
// with --unique (a 128-bit hash and where it was first seen).
type Checker struct {
	parts  map[record.TopicPartition]*PartitionReport
	order  []*PartitionReport
	unique *UniqueReport
	seeds  [2]maphash.Seed
	keys   map[[2]uint64]Location
}

// NewChecker starts checking ranges; uniqueExpr is "" without --unique.
// Each range is bounded, its End at or after its Start.
func NewChecker(ranges []consume.Range, uniqueExpr string) *Checker {
	c := &Checker{parts: map[record.TopicPartition]*PartitionReport{}}
	for _, r := range ranges {
		p := &PartitionReport{Topic: r.Topic, Partition: r.Partition, rng: r, prevOffset: -1}
		p.Requested = Range{From: r.Requested, To: r.End, Count: max(r.End-r.Requested, 0)}
		p.Watermarks.LowAtStart, p.Watermarks.HighAtStart = r.Watermark.Low, r.Watermark.High
		p.Gaps = []Gap{}
		p.Timestamps.BackwardsFirst = []Backwards{}
		c.parts[r.TP] = p
		c.order = append(c.order, p)
	}
	if uniqueExpr != "" {
		c.unique = &UniqueReport{Expr: uniqueExpr, Duplicates: []Duplicate{}}
		c.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		c.keys = map[[2]uint64]Location{}
	}
	return c
}

// Observe records one record read (in offset order within its partition).
func (c *Checker) Observe(tp record.TopicPartition, offset int64, ts time.Time) {
	p := c.parts[tp]
	if p == nil {
		return
	}
	if p.Read.Count == 0 {
		first := offset
		p.Read.First = &first
		p.Timestamps.First = record.FormatTimestamp(ts)
		p.gapBefore(p.rng.Start, offset)
	} else {
		p.gapBefore(p.prevOffset+1, offset)
		if ts.Before(p.prevTS) {
			p.Timestamps.Backwards++
			if len(p.Timestamps.BackwardsFirst) < maxListed {
				p.Timestamps.BackwardsFirst = append(p.Timestamps.BackwardsFirst, Backwards{
					Offset: offset, Timestamp: record.FormatTimestamp(ts),
					PreviousOffset: p.prevOffset, PreviousTimestamp: record.FormatTimestamp(p.prevTS),
				})
			}
		}
	}
	p.Read.Count++
	p.prevOffset, p.prevTS = offset, ts
	p.Timestamps.Last = record.FormatTimestamp(ts)
}

// gapBefore notes [from, to) when it is not empty; it is classified at the
// end, once the final low watermark is known.
func (p *PartitionReport) gapBefore(from, to int64) {
	if to <= from {
		return
	}
	p.GapsTotal++
	if len(p.Gaps) < maxListed {
		p.Gaps = append(p.Gaps, Gap{Range: Range{From: from, To: to, Count: to - from}})
	}
}

// ObserveKey records a business key of --unique; ok is false when the
// record has none.
func (c *Checker) ObserveKey(key string, ok bool, loc Location) {
	if c.unique == nil {
		return
	}
	if !ok {
		c.unique.Missing++
		return
	}
	h := [2]uint64{maphash.String(c.seeds[0], key), maphash.String(c.seeds[1], key)}
	if first, seen := c.keys[h]; seen {
		c.unique.DuplicatesTotal++
		if len(c.unique.Duplicates) < maxListed {
			c.unique.Duplicates = append(c.unique.Duplicates, Duplicate{Key: key, First: first, Again: loc})
		}
		return
	}
	c.keys[h] = loc
	c.unique.Keys++
}

// Result is the integrity part of the report.
type Result struct {
	Partitions []*PartitionReport `json:"partitions"`
	Unique     *UniqueReport      `json:"unique,omitempty"`
	Records    int64              `json:"records"`
	Failures   []string           `json:"failures"`
	Warnings   []string           `json:"warnings"`
}

// Finish closes the check. lowAtEnd are the low watermarks after the read;
// complete is false when the read was interrupted (the tail of each range
// is then not a gap).
func (c *Checker) Finish(lowAtEnd map[record.TopicPartition]int64, complete bool) *Result {
	res := &Result{Unique: c.unique, Failures: []string{}, Warnings: []string{}}
	sort.Slice(c.order, func(i, j int) bool {
		a, b := c.order[i], c.order[j]
		return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
	})
	for _, p := range c.order {
		res.Partitions = append(res.Partitions, p)
		res.Records += p.Read.Count
		if p.Read.Count > 0 {
			last := p.prevOffset
			p.Read.Last = &last
		}
		low, ok := lowAtEnd[record.TopicPartition{Topic: p.Topic, Partition: p.Partition}]
		if !ok {
			low = p.rng.Watermark.Low
		}
		p.Watermarks.LowAtEnd = low
		name := fmt.Sprintf("%s/%d", p.Topic, p.Partition)
		if p.rng.Requested < p.rng.Watermark.Low {
			lost := Range{From: p.rng.Requested, To: p.rng.Watermark.Low, Count: p.rng.Watermark.Low - p.rng.Requested}
			p.LostToRetention = &lost
			res.Failures = append(res.Failures, fmt.Sprintf("%s: offsets %d-%d (%s) asked for were already deleted (retention or delete-records; low watermark %d)",
				name, lost.From, lost.To-1, output.Count(lost.Count, "record"), p.rng.Watermark.Low))
		}
		if complete {
			last := p.rng.Start
			if p.Read.Count > 0 {
				last = p.prevOffset + 1
			}
			p.gapBefore(last, p.rng.End)
		}
		// Split gaps at the final low watermark: below it, deleted.
		var gaps []Gap
		for _, g := range p.Gaps {
			if g.From < low && g.To > low {
				gaps = append(gaps, Gap{Range{g.From, low, low - g.From}, GapDeleted}, Gap{Range{low, g.To, g.To - low}, GapNoRecord})
				p.GapsTotal++
				continue
			}
			g.Kind = GapNoRecord
			if g.To <= low {
				g.Kind = GapDeleted
			}
			gaps = append(gaps, g)
		}
		p.Gaps = gaps
		if p.Gaps == nil {
			p.Gaps = []Gap{}
		}
		var deleted, noRecord int64
		for _, g := range p.Gaps {
			if g.Kind == GapDeleted {
				deleted += g.Count
			} else {
				noRecord += g.Count
			}
		}
		if deleted > 0 {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %s deleted during the export (low watermark moved to %d)", name, output.Count(deleted, "record"), low))
		}
		if noRecord > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s without a record (compaction or transaction markers)", name, output.Count(noRecord, "offset")))
		}
		if p.Timestamps.Backwards > 0 {
			b := p.Timestamps.BackwardsFirst[0]
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d timestamps go backwards (first at offset %d: %s after %s)",
				name, p.Timestamps.Backwards, b.Offset, b.Timestamp, b.PreviousTimestamp))
		}
	}
	if u := c.unique; u != nil && u.DuplicatesTotal > 0 {
		d := u.Duplicates[0]
		res.Failures = append(res.Failures, fmt.Sprintf("%s of %s (first: %q at %s/%d@%d, again at %s/%d@%d)",
			output.Count(u.DuplicatesTotal, "duplicate"), u.Expr, d.Key, d.First.Topic, d.First.Partition, d.First.Offset, d.Again.Topic, d.Again.Partition, d.Again.Offset))
	}
	if u := c.unique; u != nil && u.Missing > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s no %s", output.CountHave(u.Missing, "record"), u.Expr))
	}
	return res
}
