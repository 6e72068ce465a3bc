package flowtrace

import (
	"slices"

	"github.com/kx-cli/kx/pkg/partitioner"
)

// Read is one topic to read in a round of a trace.
type Read struct {
	Topic string
	// Keys are the values of the topic's key id to read: only their
	// partitions are read. Empty means every partition.
	Keys []string
	// AfterRoot reads from the root stage's time on (minus the skew).
	AfterRoot bool
}

// Plan decides what a trace reads, round by round: first the topics keyed
// by an id already known (only the partitions the ids hash to) together
// with the root stage; once the root is read, the ids learned from it
// (customerId, productId) prune the topics they key, and the remaining
// topics are read from the root's time on.
type Plan struct {
	Flow Flow
	// ScanAll reads every partition of every topic in one round.
	ScanAll  bool
	done     map[string]bool
	rootRead bool
}

// Next returns the next round; empty when the trace is done. known gives
// the values of an id known so far; rootFound tells whether the root stage
// produced a start time.
func (p *Plan) Next(known func(id string) []string, rootFound bool) []Read {
	if p.done == nil {
		p.done = map[string]bool{}
	}
	var reads []Read
	pending := func(s Stage) bool { return !p.done[s.Topic] }
	if p.ScanAll {
		for _, s := range p.Flow.Stages {
			if pending(s) {
				reads = append(reads, Read{Topic: s.Topic})
			}
		}
		return p.mark(reads)
	}
	if !p.rootRead {
		for _, s := range p.Flow.Stages {
			if !pending(s) {
				continue
			}
			if keys := keysOf(s, known); len(keys) > 0 {
				reads = append(reads, Read{Topic: s.Topic, Keys: keys})
			} else if s.Root {
				reads = append(reads, Read{Topic: s.Topic})
			}
		}
		p.rootRead = true
		if len(reads) > 0 {
			return p.mark(reads)
		}
	}
	for _, s := range p.Flow.Stages {
		if pending(s) {
			reads = append(reads, Read{Topic: s.Topic, Keys: keysOf(s, known), AfterRoot: rootFound})
		}
	}
	return p.mark(reads)
}

func (p *Plan) mark(reads []Read) []Read {
	for _, r := range reads {
		p.done[r.Topic] = true
	}
	return reads
}

func keysOf(s Stage, known func(string) []string) []string {
	if s.Key == "" {
		return nil
	}
	return known(s.Key)
}

// Partitions returns the sorted, distinct partitions keys hash to.
func Partitions(part partitioner.Func, keys []string, numPartitions int32) []int32 {
	var out []int32
	for _, k := range keys {
		p := part([]byte(k), numPartitions)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
