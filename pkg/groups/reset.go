package groups

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
)

// TopicSelection is a --topic argument: a topic and, optionally, some of
// its partitions (nil: all).
type TopicSelection struct {
	Topic      string
	Partitions []int32
}

// ParseTopicSelection reads T or T:P,P….
func ParseTopicSelection(s string) (TopicSelection, error) {
	name, parts, hasParts := strings.Cut(s, ":")
	if name == "" {
		return TopicSelection{}, fmt.Errorf("--topic %q: want TOPIC or TOPIC:P,P…", s)
	}
	sel := TopicSelection{Topic: name}
	if !hasParts {
		return sel, nil
	}
	for _, p := range strings.Split(parts, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || n < 0 {
			return TopicSelection{}, fmt.Errorf("--topic %q: partition %q is not a partition number", s, p)
		}
		sel.Partitions = append(sel.Partitions, int32(n))
	}
	return sel, nil
}

// Target is where a reset moves each partition: exactly one of To, Shift
// or File is set.
type Target struct {
	To    *position.Spec
	Shift *int64
	File  []FileRow
	// FileName names the plan file in errors.
	FileName string
}

// FileRow is one partition of a plan file.
type FileRow struct {
	TP     cluster.TP
	Offset int64
	Line   int
}

// PlanRow is one partition of a reset plan.
type PlanRow struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Current is the committed offset, nil when there is none.
	Current *int64 `json:"current"`
	// New is the offset to commit; -1 when the partition is left alone.
	New  int64 `json:"new"`
	Low  int64 `json:"low"`
	High int64 `json:"high"`
	// Skipped and Replayed count the offsets the move jumps over forward
	// or goes back over (nil without a current commit).
	Skipped  *int64 `json:"skipped"`
	Replayed *int64 `json:"replayed"`
	// Note says when the offset was clamped to the partition's range or
	// the partition is left alone.
	Note string `json:"note,omitempty"`
}

// TP is the row's partition.
func (r PlanRow) TP() cluster.TP { return cluster.TP{Topic: r.Topic, Partition: r.Partition} }

// Plan is a reset plan for one group.
type Plan struct {
	Group string
	Rows  []PlanRow
}

// Changes counts the partitions the plan commits.
func (p *Plan) Changes() int {
	n := 0
	for _, r := range p.Rows {
		if r.New >= 0 {
			n++
		}
	}
	return n
}

// UsageError is bad input to a reset (a missing partition, a bad plan
// file): the command maps it to its usage exit code.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// PlanReset computes where each selected partition moves. It reads the
// cluster and changes nothing. With a File target the file names the
// partitions and sel must be empty.
func PlanReset(ctx context.Context, a Admin, group string, sel []TopicSelection, target Target) (*Plan, error) {
	md, err := a.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	var tps []cluster.TP
	wanted := map[cluster.TP]int64{}
	if target.File != nil {
		for _, fr := range target.File {
			if err := checkPartition(md, fr.TP); err != nil {
				return nil, usagef("%s:%d: %v", target.FileName, fr.Line, err)
			}
			if _, dup := wanted[fr.TP]; dup {
				return nil, usagef("%s:%d: %s appears twice", target.FileName, fr.Line, fr.TP)
			}
			wanted[fr.TP] = fr.Offset
			tps = append(tps, fr.TP)
		}
	} else {
		seen := map[cluster.TP]bool{}
		for _, s := range sel {
			t, ok := md.Topic(s.Topic)
			if !ok {
				return nil, &cluster.UnknownTopicError{Topic: s.Topic}
			}
			ps := s.Partitions
			if ps == nil {
				for _, p := range t.Partitions {
					ps = append(ps, p.ID)
				}
			}
			for _, p := range ps {
				tp := cluster.TP{Topic: s.Topic, Partition: p}
				if err := checkPartition(md, tp); err != nil {
					return nil, usagef("--topic: %v", err)
				}
				if !seen[tp] {
					seen[tp] = true
					tps = append(tps, tp)
				}
			}
		}
	}
	if len(tps) == 0 {
		return nil, usagef("no partition to reset")
	}
	sort.Slice(tps, func(i, j int) bool { return lessTP(tps[i], tps[j]) })
	commits, err := a.GroupCommits(ctx, group)
	if err != nil {
		return nil, err
	}
	wm, err := a.Watermarks(ctx, tps)
	if err != nil {
		return nil, err
	}
	var byTime map[cluster.TP]cluster.OffsetInfo
	if target.To != nil && target.To.Kind == position.Time {
		if byTime, err = a.ListOffsets(ctx, tps, cluster.AtTime(target.To.Time)); err != nil {
			return nil, err
		}
	}
	plan := &Plan{Group: group}
	for _, tp := range tps {
		w := wm[tp]
		row := PlanRow{Topic: tp.Topic, Partition: tp.Partition, Low: w.Low, High: w.High, New: -1}
		cm, committed := commits[tp]
		if committed {
			cur := cm.Offset
			row.Current = &cur
		}
		var want int64
		switch {
		case target.File != nil:
			want = wanted[tp]
		case target.Shift != nil:
			if !committed {
				row.Note = "no commit to shift from: left alone"
				plan.Rows = append(plan.Rows, row)
				continue
			}
			want = cm.Offset + *target.Shift
		default:
			switch target.To.Kind {
			case position.Beginning:
				want = w.Low
			case position.End:
				want = w.High
			case position.Offset:
				want = target.To.Offset
			case position.FromEnd:
				want = w.High - target.To.Offset
			case position.Time:
				want = byTime[tp].Offset
				if want < 0 {
					want = w.High
					row.Note = "no record at or after " + target.To.Time.UTC().Format("2006-01-02T15:04:05.000Z") + ": the end"
				}
			}
		}
		row.New = min(max(want, w.Low), w.High)
		switch {
		case want < w.Low:
			row.Note = fmt.Sprintf("clamped from %d up to the first offset %d", want, w.Low)
		case want > w.High:
			row.Note = fmt.Sprintf("clamped from %d down to the end %d", want, w.High)
		}
		if committed {
			d := row.New - cm.Offset
			skipped, replayed := max(d, 0), max(-d, 0)
			row.Skipped, row.Replayed = &skipped, &replayed
		}
		plan.Rows = append(plan.Rows, row)
	}
	return plan, nil
}

func checkPartition(md *cluster.Metadata, tp cluster.TP) error {
	t, ok := md.Topic(tp.Topic)
	if !ok {
		return &cluster.UnknownTopicError{Topic: tp.Topic}
	}
	for _, p := range t.Partitions {
		if p.ID == tp.Partition {
			return nil
		}
	}
	return fmt.Errorf("topic %q has no partition %d (it has %d)", tp.Topic, tp.Partition, len(t.Partitions))
}

func lessTP(a, b cluster.TP) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}

// Apply commits the plan's new offsets in one commit, after checking again
// that the group has no active members. Each commit's metadata says it
// came from kx groups reset.
func Apply(ctx context.Context, a Admin, plan *Plan) error {
	if err := CheckInactive(ctx, a, plan.Group); err != nil {
		return err
	}
	offs := map[cluster.TP]cluster.Commit{}
	for _, r := range plan.Rows {
		if r.New >= 0 {
			offs[r.TP()] = cluster.Commit{Offset: r.New, Metadata: "kx groups reset"}
		}
	}
	if len(offs) == 0 {
		return nil
	}
	return a.CommitGroupOffsets(ctx, plan.Group, offs)
}

// PlanHeader is the header of a plan file.
var PlanHeader = []string{"topic", "partition", "current", "new", "low", "high", "skipped", "replayed", "note"}

// Cells renders a row for a table or a plan file; an absent value is "".
func (r PlanRow) Cells() []string {
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	n := ""
	if r.New >= 0 {
		n = strconv.FormatInt(r.New, 10)
	}
	return []string{r.Topic, strconv.Itoa(int(r.Partition)), opt(r.Current), n,
		strconv.FormatInt(r.Low, 10), strconv.FormatInt(r.High, 10), opt(r.Skipped), opt(r.Replayed), r.Note}
}

// WritePlanCSV writes a plan in the format ReadPlanCSV reads.
func WritePlanCSV(w io.Writer, p *Plan) error {
	rows := make([][]string, len(p.Rows))
	for i, r := range p.Rows {
		rows[i] = r.Cells()
	}
	return output.WriteCSV(w, PlanHeader, rows)
}

// ReadPlanCSV reads a plan file: a header naming at least topic, partition
// and new (as --export writes), or the headerless topic,partition,offset
// lines of Kafka's kafka-consumer-groups --export. Rows with an empty new
// offset (partitions a plan leaves alone) are skipped. name is used in
// errors (name:line: …).
func ReadPlanCSV(r io.Reader, name string) ([]FileRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	colTopic, colPart, colNew := 0, 1, 2
	var out []FileRow
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, usagef("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ln, _ := cr.FieldPos(0)
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "topic") {
			colTopic, colPart, colNew = -1, -1, -1
			for i, h := range rec {
				switch strings.ToLower(strings.TrimSpace(h)) {
				case "topic":
					colTopic = i
				case "partition":
					colPart = i
				case "new", "offset", "new_offset":
					colNew = i
				}
			}
			if colTopic < 0 || colPart < 0 || colNew < 0 {
				return nil, usagef("%s:%d: the header must name topic, partition and new", name, ln)
			}
			continue
		}
		if need := max(colTopic, colPart, colNew) + 1; len(rec) < need {
			return nil, usagef("%s:%d: want %d fields, got %d", name, ln, need, len(rec))
		}
		topic := unneutralize(strings.TrimSpace(rec[colTopic]))
		if topic == "" {
			return nil, usagef("%s:%d: empty topic", name, ln)
		}
		p, err := strconv.ParseInt(strings.TrimSpace(rec[colPart]), 10, 32)
		if err != nil || p < 0 {
			return nil, usagef("%s:%d: partition %q is not a partition number", name, ln, rec[colPart])
		}
		nv := strings.TrimSpace(rec[colNew])
		if nv == "" {
			continue
		}
		off, err := strconv.ParseInt(nv, 10, 64)
		if err != nil || off < 0 {
			return nil, usagef("%s:%d: offset %q is not an offset", name, ln, nv)
		}
		out = append(out, FileRow{TP: cluster.TP{Topic: topic, Partition: int32(p)}, Offset: off, Line: ln})
	}
	if len(out) == 0 {
		return nil, usagef("%s: the plan moves no partition", name)
	}
	return out, nil
}

// unneutralize undoes the quote the CSV writer puts before a cell that
// looks like a formula (a topic may start with "-").
func unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}
