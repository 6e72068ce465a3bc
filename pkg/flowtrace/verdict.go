package flowtrace

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// Verdicts of a trace.
const (
	Complete   = "complete"   // the flow's last stage was reached
	Cancelled  = "cancelled"  // the last stage was reached with a failure status (CANCELLED)
	Stuck      = "stuck"      // a step failed and nothing got past it
	Incomplete = "incomplete" // no failure, but the last stage is missing
	NotFound   = "not_found"  // no record carries the key
)

// Summary is the verdict on one trace: the final object of `kx trace -o
// ndjson` for each key.
type Summary struct {
	Trace   string `json:"trace"`
	Verdict string `json:"verdict"`
	Message string `json:"message"`
	// Stage and Status name the failed step of a stuck trace, the failure
	// that led to a cancellation (else the closing step), or the last step
	// of an incomplete one; At is its time.
	Stage  string  `json:"stage,omitempty"`
	Status string  `json:"status,omitempty"`
	At     *string `json:"at,omitempty"`
	// Stages seen, in flow order; Missing are the expected ones not seen.
	Stages  []string `json:"stages"`
	Missing []string `json:"missing"`
	Events  int      `json:"events"`
	First   *string  `json:"first,omitempty"`
	Last    *string  `json:"last,omitempty"`
	// DurationMS is the time from the first to the last event.
	DurationMS int64 `json:"duration_ms"`
	// IDs are the ids seen along the chain (customerId, shipmentId…).
	IDs map[string][]string `json:"ids,omitempty"`
}

// Summarize gives the verdict on a trace.
func Summarize(flow Flow, tr *Trace) Summary {
	s := Summary{Trace: tr.Key, Events: len(tr.Events), Stages: []string{}, Missing: []string{}}
	if len(tr.Events) == 0 {
		s.Verdict, s.Message = NotFound, fmt.Sprintf("no record carries %s %s", flow.Field, tr.Key)
		for _, st := range flow.Stages {
			if !st.Optional {
				s.Missing = append(s.Missing, st.Name)
			}
		}
		return s
	}
	seen := make([]bool, len(flow.Stages))
	ids := map[string]map[string]bool{}
	add := func(id, v string) {
		if ids[id] == nil {
			ids[id] = map[string]bool{}
		}
		ids[id][v] = true
	}
	for _, ev := range tr.Events {
		seen[ev.Index] = true
		for id, v := range ev.IDs {
			add(id, v)
		}
	}
	for id, vs := range tr.Learned {
		for _, v := range vs {
			add(id, v)
		}
	}
	s.IDs = map[string][]string{}
	for id, vs := range ids {
		for v := range vs {
			s.IDs[id] = append(s.IDs[id], v)
		}
		sort.Strings(s.IDs[id])
	}
	for i, st := range flow.Stages {
		switch {
		case seen[i]:
			s.Stages = append(s.Stages, st.Name)
		case !st.Optional:
			s.Missing = append(s.Missing, st.Name)
		}
	}
	first, last := tr.Events[0].Record.Timestamp, tr.Events[len(tr.Events)-1].Record.Timestamp
	s.First, s.Last = tsPtr(first), tsPtr(last)
	s.DurationMS = last.Sub(first).Milliseconds()
	span := fmt.Sprintf("%s in %s over %s", output.Count(len(tr.Events), "event"), output.Count(len(s.Stages), "stage"), FormatDuration(last.Sub(first)))

	terminal := len(flow.Stages) - 1
	if closing, ok := cancelled(flow, tr.Events, terminal); ok {
		s.Verdict, s.Stage, s.Status = Cancelled, closing.Stage, closing.Status
		s.At = tsPtr(closing.Record.Timestamp)
		s.Message = fmt.Sprintf("cancelled: order closed %s at %s", closing.Status, clock(closing.Record.Timestamp))
		if failed, ok := firstUnrecovered(flow, tr.Events[:closing.pos]); ok {
			s.Stage, s.Status = failed.Stage, failed.Status
			s.At = tsPtr(failed.Record.Timestamp)
			s.Message = fmt.Sprintf("cancelled: %s %s at %s, order closed %s", failed.Stage, failed.Status, clock(failed.Record.Timestamp), closing.Status)
		}
		return s
	}
	if seen[terminal] {
		s.Verdict = Complete
		s.Message = fmt.Sprintf("complete: %s", span)
		if len(s.Missing) > 0 {
			s.Message += fmt.Sprintf(" (no %s event)", strings.Join(s.Missing, ", "))
		}
		return s
	}
	if failed, ok := firstUnrecovered(flow, tr.Events); ok {
		s.Verdict, s.Stage, s.Status = Stuck, failed.Stage, failed.Status
		s.At = tsPtr(failed.Record.Timestamp)
		s.Message = fmt.Sprintf("stuck at %s %s at %s", failed.Stage, failed.Status, clock(failed.Record.Timestamp))
		if next := nextMissing(flow, seen, failed.Index); next != "" {
			s.Message += fmt.Sprintf(", no %s event since", next)
		}
		return s
	}
	lastEv := tr.Events[len(tr.Events)-1]
	s.Verdict, s.Stage, s.Status = Incomplete, lastEv.Stage, lastEv.Status
	s.At = tsPtr(lastEv.Record.Timestamp)
	s.Message = fmt.Sprintf("incomplete: last step %s %s at %s", lastEv.Stage, lastEv.Status, clock(lastEv.Record.Timestamp))
	if next := nextMissing(flow, seen, -1); next != "" {
		s.Message += fmt.Sprintf(", no %s event yet", next)
	}
	return s
}

// closingEvent is the event that closed a trace, with its position.
type closingEvent struct {
	Event
	pos int
}

// cancelled finds the last event of the terminal stage and reports whether
// its status is a failure (orders.completed with CANCELLED).
func cancelled(flow Flow, evs []Event, terminal int) (closingEvent, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Index == terminal {
			return closingEvent{evs[i], i}, flow.isError(evs[i].Status)
		}
	}
	return closingEvent{}, false
}

// firstUnrecovered is the first failed event whose stage has no later
// successful event (a payment ERROR retried with SUCCESS has recovered).
func firstUnrecovered(flow Flow, evs []Event) (Event, bool) {
	for i, ev := range evs {
		if !flow.isError(ev.Status) {
			continue
		}
		recovered := false
		for _, later := range evs[i+1:] {
			if later.Index == ev.Index && !flow.isError(later.Status) {
				recovered = true
				break
			}
		}
		if !recovered {
			return ev, true
		}
	}
	return Event{}, false
}

// nextMissing is the first expected stage after index that was not seen.
func nextMissing(flow Flow, seen []bool, index int) string {
	for i := index + 1; i < len(flow.Stages); i++ {
		if !seen[i] && !flow.Stages[i].Optional {
			return flow.Stages[i].Name
		}
	}
	return ""
}

// Step is one row of a timeline.
type Step struct {
	Time       time.Time
	Topic      string
	Stage      string
	Status     string
	IDs        string // id=value pairs, sorted by id
	SincePrev  time.Duration
	SinceStart time.Duration
	Record     *record.Record
}

// Timeline turns a trace's events into rows with the gaps between them.
func Timeline(tr *Trace) []Step {
	steps := make([]Step, len(tr.Events))
	for i, ev := range tr.Events {
		st := Step{Time: ev.Record.Timestamp, Topic: ev.Record.Topic, Stage: ev.Stage, Status: ev.Status, IDs: formatIDs(ev.IDs), Record: ev.Record}
		if i > 0 {
			st.SincePrev = ev.Record.Timestamp.Sub(tr.Events[i-1].Record.Timestamp)
			st.SinceStart = ev.Record.Timestamp.Sub(tr.Events[0].Record.Timestamp)
		}
		steps[i] = st
	}
	return steps
}

func formatIDs(ids map[string]string) string {
	names := make([]string, 0, len(ids))
	for id := range ids {
		names = append(names, id)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, id := range names {
		parts[i] = id + "=" + ids[id]
	}
	return strings.Join(parts, " ")
}

// FormatDuration prints a gap rounded to the millisecond ("1.234s").
func FormatDuration(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

func tsPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := record.FormatTimestamp(t)
	return &s
}
