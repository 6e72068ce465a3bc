package groups

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/position"
)

// fakeAdmin is an in-memory cluster: topics with watermarks, groups with
// members and commits.
type fakeAdmin struct {
	wm      map[cluster.TP]cluster.Watermark
	byTime  map[cluster.TP]int64 // ListOffsets for any timestamp
	members map[string][]cluster.GroupMember
	commits map[string]map[cluster.TP]cluster.Commit
	// failCommit makes CommitGroupOffsets fail.
	failCommit  error
	commitCalls int
}

func newFake() *fakeAdmin {
	return &fakeAdmin{
		wm: map[cluster.TP]cluster.Watermark{
			{Topic: "orders", Partition: 0}: {Low: 0, High: 100},
			{Topic: "orders", Partition: 1}: {Low: 20, High: 50},
			{Topic: "audit", Partition: 0}:  {Low: 0, High: 7},
		},
		members: map[string][]cluster.GroupMember{},
		commits: map[string]map[cluster.TP]cluster.Commit{},
	}
}

func (f *fakeAdmin) ListGroups(context.Context) ([]cluster.Group, error) {
	var out []cluster.Group
	seen := map[string]bool{}
	for g := range f.commits {
		seen[g] = true
	}
	for g := range f.members {
		seen[g] = true
	}
	for g := range seen {
		out = append(out, cluster.Group{ID: g, State: f.state(g)})
	}
	return out, nil
}

func (f *fakeAdmin) state(g string) string {
	switch {
	case len(f.members[g]) > 0:
		return "Stable"
	case f.commits[g] != nil:
		return "Empty"
	}
	return "Dead"
}

func (f *fakeAdmin) DescribeGroups(_ context.Context, ids []string) ([]cluster.GroupDescription, error) {
	var out []cluster.GroupDescription
	for _, id := range ids {
		out = append(out, cluster.GroupDescription{ID: id, State: f.state(id), Type: "Classic", Protocol: "range", Members: f.members[id]})
	}
	return out, nil
}

func (f *fakeAdmin) GroupCommits(_ context.Context, g string) (map[cluster.TP]cluster.Commit, error) {
	return maps.Clone(f.commits[g]), nil
}

func (f *fakeAdmin) Metadata(context.Context) (*cluster.Metadata, error) {
	parts := map[string][]cluster.PartitionMeta{}
	for tp := range f.wm {
		parts[tp.Topic] = append(parts[tp.Topic], cluster.PartitionMeta{ID: tp.Partition})
	}
	md := &cluster.Metadata{}
	for _, name := range []string{"audit", "orders"} {
		ps := parts[name]
		for i := range ps {
			ps[i].ID = int32(i)
		}
		md.Topics = append(md.Topics, cluster.TopicMeta{Name: name, Partitions: ps})
	}
	return md, nil
}

func (f *fakeAdmin) ListOffsets(_ context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error) {
	out := map[cluster.TP]cluster.OffsetInfo{}
	for _, tp := range tps {
		w, ok := f.wm[tp]
		if !ok {
			return nil, &cluster.UnknownTopicError{Topic: tp.Topic}
		}
		switch spec {
		case cluster.Latest:
			out[tp] = cluster.OffsetInfo{Offset: w.High}
		case cluster.Earliest:
			out[tp] = cluster.OffsetInfo{Offset: w.Low}
		default:
			off, ok := f.byTime[tp]
			if !ok {
				off = -1
			}
			out[tp] = cluster.OffsetInfo{Offset: off}
		}
	}
	return out, nil
}

func (f *fakeAdmin) Watermarks(_ context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error) {
	out := map[cluster.TP]cluster.Watermark{}
	for _, tp := range tps {
		out[tp] = f.wm[tp]
	}
	return out, nil
}

func (f *fakeAdmin) CommitGroupOffsets(_ context.Context, g string, offs map[cluster.TP]cluster.Commit) error {
	f.commitCalls++
	if f.failCommit != nil {
		return f.failCommit
	}
	if len(f.members[g]) > 0 {
		return errors.New("UNKNOWN_MEMBER_ID")
	}
	if f.commits[g] == nil {
		f.commits[g] = map[cluster.TP]cluster.Commit{}
	}
	maps.Copy(f.commits[g], offs)
	return nil
}

func (f *fakeAdmin) DeleteGroup(_ context.Context, g string) error {
	if f.commits[g] == nil && f.members[g] == nil {
		return &cluster.UnknownGroupError{Group: g}
	}
	delete(f.commits, g)
	return nil
}

var (
	o0 = cluster.TP{Topic: "orders", Partition: 0}
	o1 = cluster.TP{Topic: "orders", Partition: 1}
	a0 = cluster.TP{Topic: "audit", Partition: 0}
)

func TestListAndDescribe(t *testing.T) {
	f := newFake()
	f.commits["billing"] = map[cluster.TP]cluster.Commit{o0: {Offset: 90, Metadata: "m"}}
	f.members["shipping"] = []cluster.GroupMember{{ID: "m1", ClientID: "ship", Host: "/10.0.0.1", Assigned: []cluster.TP{a0}}}
	list, err := List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Summary{}
	for _, s := range list {
		got[s.Group] = s
	}
	// orders/1 has no commit: counted apart, not in the lag.
	if b := got["billing"]; b.Lag != 10 || b.Uncommitted != 1 || b.State != "Empty" || strings.Join(b.Topics, ",") != "orders" {
		t.Errorf("billing = %+v", b)
	}
	if s := got["shipping"]; s.Members != 1 || s.Uncommitted != 1 || s.Lag != 0 || strings.Join(s.Topics, ",") != "audit" {
		t.Errorf("shipping = %+v", s)
	}

	d, err := Describe(context.Background(), f, "billing")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Partitions) != 2 {
		t.Fatalf("partitions = %+v, want both of orders", d.Partitions)
	}
	p0, p1 := d.Partitions[0], d.Partitions[1]
	if *p0.Committed != 90 || *p0.Lag != 10 || p0.Metadata != "m" || p0.End != 100 {
		t.Errorf("orders/0 = %+v", p0)
	}
	// Shown, never dropped, with its records from the log start (issue 12,
	// item 5).
	if p1.Committed != nil || p1.Lag != nil || p1.End != 50 || p1.LagFromStart == nil || *p1.LagFromStart != 30 {
		t.Errorf("orders/1 without a commit = %+v", p1)
	}
	if p0.LagFromStart != nil {
		t.Errorf("orders/0 has a commit, and a lag from start %d", *p0.LagFromStart)
	}
	d, err = Describe(context.Background(), f, "shipping")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Members) != 1 || d.Members[0].Assigned[0] != "audit/0" || d.Partitions[0].Member != "ship" {
		t.Errorf("shipping = %+v", d)
	}
	var unknown *cluster.UnknownGroupError
	if _, err := Describe(context.Background(), f, "nope"); !errors.As(err, &unknown) {
		t.Errorf("Describe(nope) = %v, want UnknownGroupError", err)
	}
}

func spec(t *testing.T, s string) *position.Spec {
	t.Helper()
	sp, err := position.Parse(s, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return &sp
}

func rowsByTP(p *Plan) map[cluster.TP]PlanRow {
	out := map[cluster.TP]PlanRow{}
	for _, r := range p.Rows {
		out[r.TP()] = r
	}
	return out
}

func TestPlanResetClampsAndCounts(t *testing.T) {
	f := newFake()
	f.commits["billing"] = map[cluster.TP]cluster.Commit{o0: {Offset: 90}, o1: {Offset: 30}}
	ctx := context.Background()
	all := []TopicSelection{{Topic: "orders"}}

	p, err := PlanReset(ctx, f, "billing", all, Target{To: spec(t, "40")})
	if err != nil {
		t.Fatal(err)
	}
	r := rowsByTP(p)
	if r[o0].New != 40 || *r[o0].Replayed != 50 || *r[o0].Skipped != 0 || r[o0].Note != "" {
		t.Errorf("orders/0 to 40 = %+v", r[o0])
	}
	// orders/1 ends at 50: 40 is inside, 30 → 40 skips 10.
	if r[o1].New != 40 || *r[o1].Skipped != 10 {
		t.Errorf("orders/1 to 40 = %+v", r[o1])
	}

	p, _ = PlanReset(ctx, f, "billing", all, Target{To: spec(t, "5")})
	r = rowsByTP(p)
	if r[o1].New != 20 || !strings.Contains(r[o1].Note, "clamped from 5 up to the first offset 20") {
		t.Errorf("below the range = %+v", r[o1])
	}
	p, _ = PlanReset(ctx, f, "billing", all, Target{To: spec(t, "500")})
	r = rowsByTP(p)
	if r[o0].New != 100 || !strings.Contains(r[o0].Note, "clamped from 500 down to the end 100") {
		t.Errorf("past the end = %+v", r[o0])
	}

	shift := int64(-80)
	p, _ = PlanReset(ctx, f, "billing", all, Target{Shift: &shift})
	r = rowsByTP(p)
	if r[o0].New != 10 || *r[o0].Replayed != 80 || r[o1].New != 20 || !strings.Contains(r[o1].Note, "clamped from -50") {
		t.Errorf("shift -80 = %+v", p.Rows)
	}

	// A partition without a commit: to a position it gets one, shifting
	// leaves it alone.
	f.byTime = map[cluster.TP]int64{o0: 60}
	p, _ = PlanReset(ctx, f, "billing", []TopicSelection{{Topic: "orders", Partitions: []int32{0}}, {Topic: "audit"}}, Target{To: spec(t, "-1h")})
	r = rowsByTP(p)
	if len(p.Rows) != 2 || r[o0].New != 60 || r[a0].New != 7 || r[a0].Current != nil || r[a0].Skipped != nil || !strings.Contains(r[a0].Note, "no record at or after") {
		t.Errorf("by time = %+v", p.Rows)
	}
	p, _ = PlanReset(ctx, f, "billing", []TopicSelection{{Topic: "audit"}}, Target{Shift: &shift})
	if p.Rows[0].New != -1 || p.Changes() != 0 {
		t.Errorf("shift without a commit = %+v", p.Rows)
	}

	for _, bad := range [][]TopicSelection{{{Topic: "orders", Partitions: []int32{2}}}, {{Topic: "missing"}}} {
		if _, err := PlanReset(ctx, f, "billing", bad, Target{To: spec(t, "0")}); err == nil {
			t.Errorf("PlanReset(%v): want an error", bad)
		}
	}
}

func TestApplyCommitsOnceAndRefusesActive(t *testing.T) {
	f := newFake()
	f.commits["billing"] = map[cluster.TP]cluster.Commit{o0: {Offset: 90}}
	ctx := context.Background()
	p, err := PlanReset(ctx, f, "billing", []TopicSelection{{Topic: "orders"}}, Target{To: spec(t, "beginning")})
	if err != nil {
		t.Fatal(err)
	}
	// Planning changed nothing.
	if f.commits["billing"][o0].Offset != 90 || f.commitCalls != 0 {
		t.Fatalf("planning committed: %+v", f.commits)
	}
	if err := Apply(ctx, f, p); err != nil {
		t.Fatal(err)
	}
	if f.commitCalls != 1 || f.commits["billing"][o0].Offset != 0 || f.commits["billing"][o1].Offset != 20 {
		t.Errorf("after Apply: %d calls, %+v", f.commitCalls, f.commits["billing"])
	}

	f.members["billing"] = []cluster.GroupMember{{ClientID: "svc-b", Host: "/10.0.0.2"}, {ClientID: "svc-a", Host: "/10.0.0.3"}}
	err = Apply(ctx, f, p)
	var active *ActiveMembersError
	if !errors.As(err, &active) || f.commitCalls != 1 {
		t.Fatalf("Apply on an active group = %v (%d calls)", err, f.commitCalls)
	}
	if msg := err.Error(); !strings.Contains(msg, "svc-a (/10.0.0.3), svc-b (/10.0.0.2)") {
		t.Errorf("refusal does not name the members: %s", msg)
	}
	if err := Delete(ctx, f, "billing"); !errors.As(err, &active) {
		t.Errorf("Delete on an active group = %v", err)
	}
}

func TestPlanCSVRoundTrip(t *testing.T) {
	f := newFake()
	f.commits["billing"] = map[cluster.TP]cluster.Commit{o0: {Offset: 90}}
	ctx := context.Background()
	shift := int64(-15)
	p, err := PlanReset(ctx, f, "billing", []TopicSelection{{Topic: "orders"}}, Target{Shift: &shift})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePlanCSV(&buf, p); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadPlanCSV(&buf, "plan.csv")
	if err != nil {
		t.Fatal(err)
	}
	// orders/1 has no commit: left alone, so not in what the file moves.
	if len(rows) != 1 || rows[0].TP != o0 || rows[0].Offset != 75 || rows[0].Line != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	p2, err := PlanReset(ctx, f, "billing", nil, Target{File: rows, FileName: "plan.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Rows) != 1 || p2.Rows[0].New != 75 || *p2.Rows[0].Replayed != 15 {
		t.Errorf("replanned = %+v", p2.Rows)
	}

	// Kafka's own export format, headerless.
	rows, err = ReadPlanCSV(strings.NewReader("orders,1,33\naudit,0,2\n"), "k.csv")
	if err != nil || len(rows) != 2 || rows[0].TP != o1 || rows[0].Offset != 33 {
		t.Errorf("kafka format = %+v, %v", rows, err)
	}
	for in, want := range map[string]string{
		"topic,partition,new\norders,x,3\n":   "k.csv:2: partition \"x\"",
		"topic,partition,new\norders,0,-3\n":  "k.csv:2: offset \"-3\"",
		"topic,partition\norders,0\n":         "k.csv:1: the header must name",
		"topic,partition,new\n\"orders,0,3\n": "k.csv:2:",
		"":                                    "k.csv: the plan moves no partition",
	} {
		_, err := ReadPlanCSV(strings.NewReader(in), "k.csv")
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPlanCSV(%q) = %v, want a usage error with %q", in, err, want)
		}
	}
	// A file naming a partition twice or one that does not exist.
	dup := []FileRow{{TP: o0, Offset: 1, Line: 2}, {TP: o0, Offset: 2, Line: 3}}
	if _, err := PlanReset(ctx, f, "billing", nil, Target{File: dup, FileName: "p.csv"}); err == nil || !strings.Contains(err.Error(), "p.csv:3: orders/0 appears twice") {
		t.Errorf("duplicate = %v", err)
	}
}

func TestDeleteOffsetsKeepsOtherCommits(t *testing.T) {
	f := newFake()
	f.commits["billing"] = map[cluster.TP]cluster.Commit{o0: {Offset: 90, Metadata: "keep me"}, a0: {Offset: 3}}
	ctx := context.Background()
	kept, removed, err := DeleteOffsets(ctx, f, "billing", []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	if removed != 1 || len(kept) != 1 || f.commits["billing"][o0] != (cluster.Commit{Offset: 90, Metadata: "keep me"}) || len(f.commits["billing"]) != 1 {
		t.Errorf("after delete-offsets: removed %d, commits %+v", removed, f.commits["billing"])
	}
	var nc *NoCommitsError
	if _, _, err := DeleteOffsets(ctx, f, "billing", []string{"audit"}); !errors.As(err, &nc) {
		t.Errorf("second delete-offsets = %v, want NoCommitsError", err)
	}
	f.commits["billing"][a0] = cluster.Commit{Offset: 3}
	f.failCommit = errors.New("broker down")
	var re *RestoreError
	if _, _, err := DeleteOffsets(ctx, f, "billing", []string{"audit"}); !errors.As(err, &re) || re.Offsets[o0].Offset != 90 {
		t.Errorf("failed restore = %v", err)
	}
}
