package export

import (
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	"time"

	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// Event is one keyed record seen by the reconciliation.
type Event struct {
	Key  string
	Time time.Time
	Loc  Location
}

// Match pairs a creation with its completion.
type Match struct {
	Key       string   `json:"key"`
	Created   Location `json:"created"`
	Completed Location `json:"completed"`
	After     string   `json:"after"` // completion time minus creation time
}

// Orphan is an event without its counterpart.
type Orphan struct {
	Key string   `json:"key"`
	At  Location `json:"at"`
}

// ReconcileReport is the outcome of --reconcile.
type ReconcileReport struct {
	Reference string `json:"reference"`
	On        string `json:"on"`
	SLA       string `json:"sla,omitempty"`
	AsOf      string `json:"as_of"`
	Created   int64  `json:"created"`
	Completed int64  `json:"completed"`
	Matched   int64  `json:"matched"`
	// Missing: created, never completed (and past the SLA when one is set).
	MissingTotal int64    `json:"missing_total"`
	Missing      []Orphan `json:"missing"`
	// Open: created, not completed yet, but still within the SLA.
	OpenTotal int64    `json:"open_within_sla_total"`
	Open      []Orphan `json:"open_within_sla"`
	LateTotal int64    `json:"late_total"`
	Late      []Match  `json:"late"`
	// Unmatched: completions with no creation in the reference topic.
	UnmatchedTotal int64    `json:"completed_without_creation_total"`
	Unmatched      []Orphan `json:"completed_without_creation"`
	// Duplicates: a key created, or completed, more than once. Once an
	// order is matched kx keeps only a bounded Bloom filter of it, so a
	// duplicate of a closed order is "probable" (see docs/export.md).
	DuplicateCreationsTotal   int64    `json:"duplicate_creations_total"`
	DuplicateCreations        []Orphan `json:"duplicate_creations"`
	DuplicateCompletionsTotal int64    `json:"duplicate_completions_total"`
	DuplicateCompletions      []Orphan `json:"duplicate_completions"`
	WithoutKey                int64    `json:"records_without_key"`
	// PeakOpen is the most orders held in memory at once.
	PeakOpen int `json:"peak_open"`
}

// Reconciler matches creations and completions by key. Fed in time order,
// it holds only the open orders (and completions whose creation it has not
// seen yet); matched keys go into a fixed-size Bloom filter.
type Reconciler struct {
	sla     time.Duration
	open    map[string]Event
	pending map[string]Event
	closed  *bloom
	latest  time.Time // the latest timestamp seen in either topic
	rep     ReconcileReport
}

// NewReconciler returns a reconciler; sla 0 means none.
func NewReconciler(reference, on string, sla time.Duration) *Reconciler {
	r := &Reconciler{sla: sla, open: map[string]Event{}, pending: map[string]Event{}, closed: newBloom(1 << 25)}
	r.rep = ReconcileReport{Reference: reference, On: on, Missing: []Orphan{}, Open: []Orphan{}, Late: []Match{},
		Unmatched: []Orphan{}, DuplicateCreations: []Orphan{}, DuplicateCompletions: []Orphan{}}
	if sla > 0 {
		r.rep.SLA = sla.String()
	}
	return r
}

// Reference is the reference topic.
func (r *Reconciler) Reference() string { return r.rep.Reference }

// NoKey counts a record without a key.
func (r *Reconciler) NoKey() { r.rep.WithoutKey++ }

// Created takes a record of the reference topic.
func (r *Reconciler) Created(e Event) {
	r.rep.Created++
	r.see(e.Time)
	if _, dup := r.open[e.Key]; dup || r.closed.has(e.Key) {
		r.rep.DuplicateCreationsTotal++
		appendCapped(&r.rep.DuplicateCreations, Orphan{Key: e.Key, At: e.Loc})
		return
	}
	if c, ok := r.pending[e.Key]; ok {
		delete(r.pending, e.Key)
		r.match(e, c)
		return
	}
	r.open[e.Key] = e
	r.rep.PeakOpen = max(r.rep.PeakOpen, len(r.open)+len(r.pending))
}

// Completed takes a record of the exported topic.
func (r *Reconciler) Completed(e Event) {
	r.rep.Completed++
	r.see(e.Time)
	if c, ok := r.open[e.Key]; ok {
		delete(r.open, e.Key)
		r.match(c, e)
		return
	}
	if _, dup := r.pending[e.Key]; dup || r.closed.has(e.Key) {
		r.rep.DuplicateCompletionsTotal++
		appendCapped(&r.rep.DuplicateCompletions, Orphan{Key: e.Key, At: e.Loc})
		return
	}
	r.pending[e.Key] = e
	r.rep.PeakOpen = max(r.rep.PeakOpen, len(r.open)+len(r.pending))
}

func (r *Reconciler) see(t time.Time) {
	if t.After(r.latest) {
		r.latest = t
	}
}

func (r *Reconciler) match(created, completed Event) {
	r.closed.add(created.Key)
	r.rep.Matched++
	after := completed.Time.Sub(created.Time)
	if r.sla > 0 && after > r.sla {
		r.rep.LateTotal++
		appendCapped(&r.rep.Late, Match{Key: created.Key, Created: created.Loc, Completed: completed.Loc, After: after.String()})
	}
}

func appendCapped[T any](list *[]T, v T) {
	if len(*list) < maxListed {
		*list = append(*list, v)
	}
}

// Finish lists what is still open and returns the report. An open order
// is judged as of asOf (the export's start) or the latest timestamp seen,
// whichever is later, so data stamped ahead of this clock is judged by
// its own time.
func (r *Reconciler) Finish(asOf time.Time) *ReconcileReport {
	if r.latest.After(asOf) {
		asOf = r.latest
	}
	r.rep.AsOf = record.FormatTimestamp(asOf)
	for _, e := range sortedEvents(r.open) {
		if r.sla > 0 && asOf.Sub(e.Time) <= r.sla {
			r.rep.OpenTotal++
			appendCapped(&r.rep.Open, Orphan{Key: e.Key, At: e.Loc})
			continue
		}
		r.rep.MissingTotal++
		appendCapped(&r.rep.Missing, Orphan{Key: e.Key, At: e.Loc})
	}
	for _, e := range sortedEvents(r.pending) {
		r.rep.UnmatchedTotal++
		appendCapped(&r.rep.Unmatched, Orphan{Key: e.Key, At: e.Loc})
	}
	return &r.rep
}

// Failures are the reasons the reconciliation fails (exit 5).
func (rep *ReconcileReport) Failures() []string {
	var out []string
	if rep.MissingTotal > 0 {
		out = append(out, fmt.Sprintf("%s of %s never completed (first: %q)", output.Count(rep.MissingTotal, "order"), rep.Reference, rep.Missing[0].Key))
	}
	if rep.LateTotal > 0 {
		out = append(out, fmt.Sprintf("%s completed after the %s SLA (first: %q after %s)", output.Count(rep.LateTotal, "order"), rep.SLA, rep.Late[0].Key, rep.Late[0].After))
	}
	return out
}

// Warnings are anomalies that do not fail the reconciliation.
func (rep *ReconcileReport) Warnings() []string {
	var out []string
	if rep.UnmatchedTotal > 0 {
		out = append(out, fmt.Sprintf("%s no creation in %s (first: %q)", output.CountHave(rep.UnmatchedTotal, "completion"), rep.Reference, rep.Unmatched[0].Key))
	}
	if rep.DuplicateCreationsTotal > 0 {
		out = append(out, fmt.Sprintf("%s (first: %q)", output.Count(rep.DuplicateCreationsTotal, "duplicate creation"), rep.DuplicateCreations[0].Key))
	}
	if rep.DuplicateCompletionsTotal > 0 {
		out = append(out, fmt.Sprintf("%s (first: %q)", output.Count(rep.DuplicateCompletionsTotal, "duplicate completion"), rep.DuplicateCompletions[0].Key))
	}
	if rep.OpenTotal > 0 {
		out = append(out, fmt.Sprintf("%s still open within the %s SLA", output.Count(rep.OpenTotal, "order"), rep.SLA))
	}
	if rep.WithoutKey > 0 {
		out = append(out, fmt.Sprintf("%s no %s", output.CountHave(rep.WithoutKey, "record"), rep.On))
	}
	return out
}

func sortedEvents(m map[string]Event) []Event {
	out := make([]Event, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Merge feeds r from both streams in timestamp order (each stream is
// roughly ordered already), so a creation is normally seen before its
// completion and memory stays proportional to the open orders. It returns
// when both channels are closed or ctx ends. Events with an empty Key
// count as records without a key.
func Merge(ctx context.Context, r *Reconciler, created, completed <-chan Event) {
	var a, b *Event
	for {
		if a == nil && created != nil {
			select {
			case e, ok := <-created:
				if ok {
					a = &e
				} else {
					created = nil
				}
			case <-ctx.Done():
				return
			}
			continue
		}
		if b == nil && completed != nil {
			select {
			case e, ok := <-completed:
				if ok {
					b = &e
				} else {
					completed = nil
				}
			case <-ctx.Done():
				return
			}
			continue
		}
		switch {
		case a == nil && b == nil:
			return
		case b == nil || a != nil && !b.Time.Before(a.Time):
			if a.Key == "" {
				r.NoKey()
			} else {
				r.Created(*a)
			}
			a = nil
		default:
			if b.Key == "" {
				r.NoKey()
			} else {
				r.Completed(*b)
			}
			b = nil
		}
	}
}

// bloom is a fixed-size Bloom filter of matched keys.
type bloom struct {
	bits  []uint64
	seeds [2]maphash.Seed
}

func newBloom(nbits int) *bloom {
	return &bloom{bits: make([]uint64, nbits/64), seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

const bloomHashes = 4

func (b *bloom) positions(key string, f func(word int, mask uint64) bool) bool {
	h1, h2 := maphash.String(b.seeds[0], key), maphash.String(b.seeds[1], key)|1
	n := uint64(len(b.bits) * 64)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) % n
		if !f(int(p/64), 1<<(p%64)) {
			return false
		}
	}
	return true
}

func (b *bloom) add(key string) {
	b.positions(key, func(w int, m uint64) bool { b.bits[w] |= m; return true })
}

func (b *bloom) has(key string) bool {
	return b.positions(key, func(w int, m uint64) bool { return b.bits[w]&m != 0 })
}
