package play

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/output"
)

// Report is the final statistics of a run: printed as tables on stderr, or
// as one JSON document on stdout with -o json.
type Report struct {
	// Command prefixes the text report ("kx play", "kx demo").
	Command string `json:"-"`

	RunID            string  `json:"run_id"`
	Scenario         string  `json:"scenario"`
	File             string  `json:"file"`
	Seed             int64   `json:"seed"`
	Speed            float64 `json:"speed"`
	RateScale        float64 `json:"rate_scale"`
	DryRun           bool    `json:"dry_run"`
	Interrupted      bool    `json:"interrupted"`
	Start            string  `json:"start"`
	ScenarioDuration string  `json:"scenario_duration"`
	// Until is the phase the run stopped after (kx play --until).
	Until       string  `json:"until,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
	// MaxBehindMs is how late the most delayed event was sent compared
	// with its schedule: large values mean the producer could not hold the
	// rate.
	MaxBehindMs int64 `json:"max_behind_ms"`

	Events int64 `json:"events"`
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`

	Flows  FlowReport    `json:"flows"`
	Topics []TopicReport `json:"topics"`
	Phases []PhaseReport `json:"phases"`

	// Verified is true when every topic checked out (or was interfered with
	// by another writer, which is reported but not a failure).
	Verified     bool         `json:"verified"`
	Verification []TopicCheck `json:"verification,omitempty"`
}

// FlowReport counts flows by fate.
type FlowReport struct {
	Started int64 `json:"started"`
	Ended   int64 `json:"ended"`
	Held    int64 `json:"held"`    // times a flow was parked by a hold phase
	Resumed int64 `json:"resumed"` // parked flows resumed by a resolve phase
	Pending int64 `json:"pending"` // still parked at the end
}

// Fill completes the report from the tracker's totals.
func (r *Report) Fill(t *Tracker) {
	var behind time.Duration
	r.Topics, r.Phases, behind = t.Totals()
	r.MaxBehindMs = behind.Milliseconds()
	r.Events, r.Acked, r.Failed = 0, 0, 0
	for _, tr := range r.Topics {
		r.Events += tr.Events
		r.Acked += tr.Acked
		r.Failed += tr.Failed
	}
}

// WriteText renders the report for people: a summary line, then a table per
// topic and a table per phase, their status lists wrapped at spaces to fit a
// terminal of width columns (0: no limit).
func (r *Report) WriteText(w io.Writer, width int) error {
	var b bytes.Buffer
	state := "finished"
	if r.Interrupted {
		state = "interrupted"
	} else if r.Until != "" {
		state = "stopped after phase " + r.Until
	}
	fmt.Fprintf(&b, "\n%s: %s %s (run %s, seed %d, speed %s) in %.1fs: %s",
		r.Command, r.Scenario, state, r.RunID, r.Seed, formatFloat(r.Speed), r.WallSeconds, output.Count(r.Events, "event"))
	if !r.DryRun {
		fmt.Fprintf(&b, ", %d acknowledged", r.Acked)
		if r.Failed > 0 {
			fmt.Fprintf(&b, ", %d failed", r.Failed)
		}
	}
	fmt.Fprintf(&b, "; flows: %d started, %d ended, %d held, %d pending\n\n",
		r.Flows.Started, r.Flows.Ended, r.Flows.Held, r.Flows.Pending)

	checks := map[string]TopicCheck{}
	for _, c := range r.Verification {
		checks[c.Topic] = c
	}
	header := []string{"topic", "events", "incidents", "peak rate", "statuses"}
	if !r.DryRun {
		header = []string{"topic", "events", "acked", "incidents", "peak rate", "verified", "statuses"}
	}
	var rows [][]string
	for _, t := range r.Topics {
		row := []string{t.Topic, itoa(t.Events)}
		if !r.DryRun {
			row = append(row, itoa(t.Acked))
		}
		row = append(row, itoa(t.Incidents), itoa(t.PeakPerSec)+"/s")
		if !r.DryRun {
			v := "-"
			if c, ok := checks[t.Topic]; ok {
				v = c.Status
			}
			row = append(row, v)
		}
		rows = append(rows, append(row, statuses(t.Statuses)))
	}
	if err := output.WriteTableWidth(&b, header, rows, width); err != nil {
		return err
	}
	b.WriteByte('\n')
	rows = rows[:0]
	for _, p := range r.Phases {
		rows = append(rows, []string{p.Phase, p.Start + "–" + p.End, itoa(p.FlowsStarted), itoa(p.Events),
			itoa(p.Incidents), itoa(p.PeakPerSec) + "/s", incidents(p.Statuses)})
	}
	if err := output.WriteTableWidth(&b, []string{"phase", "time", "flows", "events", "incidents", "peak rate", "incident statuses"}, rows, width); err != nil {
		return err
	}
	for _, c := range r.Verification {
		switch c.Status {
		case VerifyInterfered:
			fmt.Fprintf(&b, "%s: warning: %s grew by %s but this run wrote %d: another writer interfered, not verified\n", r.Command, c.Topic, output.Count(c.Growth, "record"), c.Acked)
		case VerifyShortfall:
			fmt.Fprintf(&b, "%s: %s: sent %d, acknowledged %d, failed %d, unconfirmed %d, log grew by %d\n", r.Command, c.Topic, c.Sent, c.Acked, c.Failed, c.Unconfirmed, c.Growth)
		}
	}
	if r.MaxBehindMs >= 1000 {
		fmt.Fprintf(&b, "%s: warning: sending fell up to %s behind schedule: the rates above are the scenario's, not what the cluster received in real time\n", r.Command, time.Duration(r.MaxBehindMs)*time.Millisecond)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// statuses renders status counts as "ERROR=3 SUCCESS=40", incidents first.
func statuses(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ii, ij := IsIncident(keys[i]), IsIncident(keys[j])
		if ii != ij {
			return ii
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + itoa(m[k])
	}
	return strings.Join(parts, " ")
}

// incidents renders only the incident statuses of m.
func incidents(m map[string]int64) string {
	only := map[string]int64{}
	for k, v := range m {
		if IsIncident(k) {
			only[k] = v
		}
	}
	return statuses(only)
}
