// Package play holds the pure-Go parts of `kx play`: pacing, per-topic and
// per-phase statistics (events, incidents, peak rates), the end-of-run
// verification of acknowledged counts against high-watermark growth, and
// the progress views. The command itself (pkg/cmd/play) wires them to Kafka.
package play

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kx-cli/kx/internal/slab"
	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

// incidentStatuses are the status tags counted as incidents: the failures a
// scenario injects (payment errors, stock-outs, shipping delays, …).
var incidentStatuses = map[string]bool{
	"ERROR": true, "FAILED": true, "FAILURE": true, "TIMEOUT": true,
	"OUT_OF_STOCK": true, "DELAYED": true, "REJECTED": true, "CANCELLED": true,
}

// IsIncident reports whether a status tag names an injected failure.
func IsIncident(status string) bool { return incidentStatuses[status] }

// Counts are the statistics of one topic or one phase.
type Counts struct {
	Events    int64            `json:"events"`
	Acked     int64            `json:"acked"`
	Failed    int64            `json:"failed"`
	Incidents int64            `json:"incidents"`
	Statuses  map[string]int64 `json:"statuses"`
	// PeakPerSec is the most events in one second of event time (record
	// timestamps), so it reads as records per wall-clock second at --speed.
	PeakPerSec int64 `json:"peak_per_sec"`

	// sec is the second of the latest event and inSec its events so far;
	// buckets holds the other seconds' (events come in time order, so
	// the map is seldom read).
	sec, inSec int64
	buckets    map[int64]int64
	// byStatus counts events by the index of their status in the
	// tracker's statuses: Statuses is filled from it when read (sync).
	byStatus []int64
}

func newCounts() *Counts {
	return &Counts{Statuses: map[string]int64{}, buckets: map[int64]int64{}}
}

// add counts an event of second sec with status number st (-1: none).
func (c *Counts) add(sec int64, st int, incident bool) {
	c.Events++
	if st >= 0 {
		if st >= len(c.byStatus) {
			c.byStatus = append(c.byStatus, make([]int64, st+1-len(c.byStatus))...)
		}
		c.byStatus[st]++
		if incident {
			c.Incidents++
		}
	}
	if sec != c.sec || c.inSec == 0 {
		if c.inSec > 0 {
			c.buckets[c.sec] = c.inSec
		}
		c.sec, c.inSec = sec, c.buckets[sec]
	}
	c.inSec++
	c.PeakPerSec = max(c.PeakPerSec, c.inSec)
}

// sync fills Statuses from byStatus; names are the tracker's statuses.
func (c *Counts) sync(names []string) {
	for i, n := range c.byStatus {
		if n > 0 {
			c.Statuses[names[i]] = n
		}
	}
}

// Meta is what the player keeps of a sent event until its delivery report.
type Meta struct {
	topic, phase int
	// Time is the record's timestamp (delivery reports do not carry it).
	Time time.Time
	// json is the event's JSON when the record is schema-encoded: what the
	// run prints for it.
	json []byte
}

// Notice is something worth telling the user while the run goes on: a phase
// starting, or the first incident of a kind in a phase.
type Notice struct {
	At   time.Duration // scenario time
	Text string
}

// Tracker accumulates a run's statistics. Sent is called by the producing
// goroutine, Acked/Failed by the delivery goroutine, Snapshot by a view.
type Tracker struct {
	mu       sync.Mutex
	start    time.Time
	topics   []string
	topicC   []*Counts
	phases   []scenario.Phase
	phaseC   []*Counts
	flows    []int64 // flows started per phase
	lastFlow int64
	acked    map[record.TopicPartition]int64
	behind   time.Duration
	lastAt   time.Duration
	phase    int
	notices  []Notice
	seen     map[string]bool
	// statuses are the status tags seen, numbered in order of first
	// sight (statusNum), and whether each is an incident: one map lookup
	// an event, none when it has the previous event's status.
	statuses  []string
	incident  []bool
	statusNum map[string]int
	lastSt    int
	// pending counts events sent and not yet acknowledged or failed,
	// updated once a batch: the producing and the delivery goroutines
	// both write it.
	pending atomic.Int64
	// inFlight holds the Meta of each record handed to the producer, by
	// the id Track returns (its delivery's opaque): an int in librdkafka's
	// opaque instead of a boxed Meta and a map entry per record.
	inFlight slab.Slab[Meta]
}

// Pending is the number of events sent whose delivery is not known yet.
func (t *Tracker) Pending() int64 { return t.pending.Load() }

// NewTracker prepares statistics for s's topics and phases; start is the
// instant of scenario time 0 (the base of record timestamps).
func NewTracker(s *scenario.Scenario, start time.Time) *Tracker {
	t := &Tracker{
		start: start, phases: s.Phases, flows: make([]int64, len(s.Phases)),
		acked: map[record.TopicPartition]int64{}, phase: -1, seen: map[string]bool{},
		statusNum: map[string]int{}, lastSt: -1,
	}
	for _, tp := range s.Topics {
		t.topics = append(t.topics, tp.Name)
		t.topicC = append(t.topicC, newCounts())
	}
	for range s.Phases {
		t.phaseC = append(t.phaseC, newCounts())
	}
	return t
}

// Sent records an event handed to the producer (or printed by a dry run)
// and returns the Meta to pass back to Acked or Failed.
func (t *Tracker) Sent(ev *scenario.Event) Meta {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending.Add(1)
	return t.sent(ev)
}

// statusNumber returns status's number in t.statuses (-1 for none) and
// whether it is an incident.
func (t *Tracker) statusNumber(status string) (int, bool) {
	if status == "" {
		return -1, false
	}
	if t.lastSt >= 0 && t.statuses[t.lastSt] == status {
		return t.lastSt, t.incident[t.lastSt]
	}
	st, ok := t.statusNum[status]
	if !ok {
		st = len(t.statuses)
		t.statuses = append(t.statuses, status)
		t.incident = append(t.incident, IsIncident(status))
		t.statusNum[status] = st
	}
	t.lastSt = st
	return st, t.incident[st]
}

// sent is Sent with t.mu held, pending not counted.
func (t *Tracker) sent(ev *scenario.Event) Meta {
	m := Meta{topic: ev.TopicIndex, phase: ev.PhaseIndex, Time: ev.Time}
	if m.phase >= len(t.phaseC) {
		m.phase = -1 // not among the phases played
	}
	sec := int64(ev.Time.Sub(t.start) / time.Second)
	status := ev.Tag("status")
	st, incident := t.statusNumber(status)
	t.topicC[m.topic].add(sec, st, incident)
	t.lastAt = ev.At
	for t.phase+1 < len(t.phases) && t.phases[t.phase+1].Start <= ev.At {
		t.phase++
		p := t.phases[t.phase]
		t.notices = append(t.notices, Notice{At: p.Start, Text: "phase " + p.Name + " " + describePhase(p)})
	}
	if m.phase >= 0 {
		t.phaseC[m.phase].add(sec, st, incident)
		if ev.FlowID > t.lastFlow {
			// Flow ids grow as flows start: a new id is a new flow.
			t.lastFlow = ev.FlowID
			t.flows[m.phase]++
		}
		if incident {
			key := ev.Phase + "\x00" + ev.Topic + "\x00" + status
			if !t.seen[key] {
				t.seen[key] = true
				t.notices = append(t.notices, Notice{At: ev.At, Text: "incident: " + status + " on " + ev.Topic + " (phase " + ev.Phase + ")"})
			}
		}
	}
	return m
}

// TrackAll is Sent for each of evs, handed to the producer: it keeps
// their Meta (with jsons[i], when jsons is not nil, the event's JSON when
// the record is schema-encoded) until Settle or Failed, and ids gets the
// ids to find them by (their records' opaques). One lock for the batch:
// per record, the producing goroutine contended with the delivery
// reports.
func (t *Tracker) TrackAll(evs []scenario.Event, jsons [][]byte, ids []int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending.Add(int64(len(evs)))
	for i := range evs {
		var json []byte
		if jsons != nil {
			json = jsons[i]
		}
		ids[i] = t.track(&evs[i], json)
	}
}

func (t *Tracker) track(ev *scenario.Event, json []byte) int {
	m := t.sent(ev)
	m.json = json
	return t.inFlight.Put(m)
}

// ack counts an acknowledged record; its partition's count is the
// caller's (Settle counts a run of one partition's records at once).
func (t *Tracker) ack(id int) Meta {
	m := t.inFlight.Take(id)
	t.topicC[m.topic].Acked++
	if m.phase >= 0 {
		t.phaseC[m.phase].Acked++
	}
	return m
}

// Failed records that TrackAll's id failed for good.
func (t *Tracker) Failed(id int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending.Add(-1)
	t.failed(id)
}

// failed counts a failed record, pending not counted.
func (t *Tracker) failed(id int) {
	m := t.inFlight.Take(id)
	t.topicC[m.topic].Failed++
	if m.phase >= 0 {
		t.phaseC[m.phase].Failed++
	}
}

// Settle records the delivery reports ds of TrackAll's records under one
// lock: an acknowledged record counts per topic, phase and partition, and
// metas[i] gets its Meta; a failed one counts as failed; a delivery
// without a record (a fatal error) is skipped.
func (t *Tracker) Settle(ds []cluster.Delivery, metas []Meta) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// A batch's reports come a partition at a time: count each run of
	// one partition's acknowledgements with one map update.
	var run record.TopicPartition
	var inRun, settled int64
	for i := range ds {
		d := &ds[i]
		switch {
		case d.Record == nil:
			continue
		case d.Err != nil:
			t.failed(d.ID)
		default:
			metas[i] = t.ack(d.ID)
			if tp := d.Record.TP(); tp != run || inRun == 0 {
				if inRun > 0 {
					t.acked[run] += inRun
				}
				run, inRun = tp, 0
			}
			inRun++
		}
		settled++
	}
	if inRun > 0 {
		t.acked[run] += inRun
	}
	t.pending.Add(-settled)
}

// Behind records how late an event was sent compared with its schedule.
func (t *Tracker) Behind(d time.Duration) {
	t.mu.Lock()
	if d > t.behind {
		t.behind = d
	}
	t.mu.Unlock()
}

// AckedByPartition returns a copy of the acknowledged counts per partition.
func (t *Tracker) AckedByPartition() map[record.TopicPartition]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[record.TopicPartition]int64, len(t.acked))
	for k, v := range t.acked {
		out[k] = v
	}
	return out
}

// TopicCount is one topic's running totals in a Snapshot.
type TopicCount struct {
	Topic         string
	Events, Acked int64
}

// Snapshot is the progress of a run at one instant, for views.
type Snapshot struct {
	At, Duration  time.Duration // scenario time reached, scenario length
	Phase         string
	Events, Acked int64
	Failed        int64
	Incidents     map[string]int64 // by status
	Topics        []TopicCount
	Notices       []Notice // new since the previous snapshot
}

// Snapshot returns the progress so far and the notices not yet taken.
func (t *Tracker) Snapshot(duration time.Duration) Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Snapshot{At: t.lastAt, Duration: duration, Incidents: map[string]int64{}, Notices: t.notices}
	t.notices = nil
	if t.phase >= 0 {
		s.Phase = t.phases[t.phase].Name
	}
	for i, c := range t.topicC {
		s.Events += c.Events
		s.Acked += c.Acked
		s.Failed += c.Failed
		s.Topics = append(s.Topics, TopicCount{Topic: t.topics[i], Events: c.Events, Acked: c.Acked})
		c.sync(t.statuses)
		for st, n := range c.Statuses {
			if IsIncident(st) {
				s.Incidents[st] += n
			}
		}
	}
	return s
}

// TopicReport is one topic's final statistics.
type TopicReport struct {
	Topic string `json:"topic"`
	Counts
}

// PhaseReport is one phase's final statistics.
type PhaseReport struct {
	Phase        string `json:"phase"`
	Start        string `json:"start"`
	End          string `json:"end"`
	FlowsStarted int64  `json:"flows_started"`
	Counts
}

// Totals returns the final statistics per topic and per phase.
func (t *Tracker) Totals() ([]TopicReport, []PhaseReport, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var topics []TopicReport
	for i, c := range t.topicC {
		c.sync(t.statuses)
		topics = append(topics, TopicReport{Topic: t.topics[i], Counts: *c})
	}
	var phases []PhaseReport
	for i, c := range t.phaseC {
		c.sync(t.statuses)
		p := t.phases[i]
		phases = append(phases, PhaseReport{
			Phase: p.Name, Start: FormatClock(p.Start), End: FormatClock(p.End()),
			FlowsStarted: t.flows[i], Counts: *c,
		})
	}
	return topics, phases, t.behind
}

// FormatClock formats scenario time as m:ss (or h:mm:ss).
func FormatClock(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return itoa2(h, false) + ":" + itoa2(m, true) + ":" + itoa2(s, true)
	}
	return itoa2(m, false) + ":" + itoa2(s, true)
}

func itoa2(n int, pad bool) string {
	if pad && n < 10 {
		return "0" + string(rune('0'+n))
	}
	return formatInt(int64(n))
}

func describePhase(p scenario.Phase) string {
	s := FormatClock(p.Start) + "–" + FormatClock(p.End())
	switch {
	case p.Rate > 0:
		s += ", " + formatFloat(p.Rate) + " flows/s"
	case p.Count > 0:
		s += ", " + formatInt(int64(p.Count)) + " flows"
		if p.Count == 1 {
			s = s[:len(s)-1]
		}
	}
	if len(p.Overrides) > 0 {
		keys := make([]string, 0, len(p.Overrides))
		for k := range p.Overrides {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s += ", overrides: "
		for i, k := range keys {
			if i > 0 {
				s += " "
			}
			s += k + "=" + formatAny(p.Overrides[k])
		}
	}
	if p.Hold {
		s += ", failed flows held"
	}
	if p.Resolve {
		s += ", held flows resumed"
	}
	return s
}
