// Package groups answers what kx groups asks about consumer groups: their
// lag, their members and commits, and plans for moving their offsets. It
// works through the small Admin interface, so it is tested on a fake.
package groups

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/output"
)

// Admin is the part of the Kafka client this package uses.
type Admin interface {
	ListGroups(ctx context.Context) ([]cluster.Group, error)
	DescribeGroups(ctx context.Context, ids []string) ([]cluster.GroupDescription, error)
	GroupCommits(ctx context.Context, group string) (map[cluster.TP]cluster.Commit, error)
	Metadata(ctx context.Context) (*cluster.Metadata, error)
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
	Watermarks(ctx context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error)
	CommitGroupOffsets(ctx context.Context, group string, offsets map[cluster.TP]cluster.Commit) error
	DeleteGroup(ctx context.Context, group string) error
}

// Summary is one line of kx groups.
type Summary struct {
	Group    string   `json:"group"`
	State    string   `json:"state"`
	Type     string   `json:"type"`
	Members  int      `json:"members"`
	Protocol string   `json:"protocol"`
	Topics   []string `json:"topics"`
	// Lag sums, over the partitions with a commit, the records between the
	// commit and the end.
	Lag int64 `json:"lag"`
	// Uncommitted counts partitions of the group's topics without a commit
	// (their lag is unknown and not in Lag).
	Uncommitted int `json:"uncommitted_partitions"`
}

// List summarizes every consumer group, sorted by name.
func List(ctx context.Context, a Admin) ([]Summary, error) {
	gs, err := a.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return []Summary{}, nil
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	descs, err := a.DescribeGroups(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]cluster.GroupDescription, len(descs))
	for _, d := range descs {
		byID[d.ID] = d
	}
	md, err := a.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	type state struct {
		commits map[cluster.TP]cluster.Commit
		tps     []cluster.TP
		topics  []string
	}
	states := make([]state, len(gs))
	var all []cluster.TP
	seen := map[cluster.TP]bool{}
	for i, g := range gs {
		commits, err := a.GroupCommits(ctx, g.ID)
		if err != nil {
			return nil, err
		}
		topics := groupTopics(byID[g.ID], commits)
		tps := partitionsOf(md, topics)
		states[i] = state{commits: commits, tps: tps, topics: topics}
		for _, tp := range tps {
			if !seen[tp] {
				seen[tp] = true
				all = append(all, tp)
			}
		}
	}
	ends, err := a.ListOffsets(ctx, all, cluster.Latest)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(gs))
	for i, g := range gs {
		d := byID[g.ID]
		s := Summary{Group: g.ID, State: g.State, Type: d.Type, Members: len(d.Members), Protocol: d.Protocol, Topics: states[i].topics}
		if d.State != "" {
			s.State = d.State
		}
		for _, tp := range states[i].tps {
			cm, ok := states[i].commits[tp]
			if !ok {
				s.Uncommitted++
				continue
			}
			s.Lag += max(ends[tp].Offset-cm.Offset, 0)
		}
		out[i] = s
	}
	return out, nil
}

// groupTopics are the topics a group reads: those it committed and those
// assigned to its members, sorted.
func groupTopics(d cluster.GroupDescription, commits map[cluster.TP]cluster.Commit) []string {
	set := map[string]bool{}
	for tp := range commits {
		set[tp.Topic] = true
	}
	for _, m := range d.Members {
		for _, tp := range m.Assigned {
			set[tp.Topic] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// partitionsOf lists every partition of topics that still exist.
func partitionsOf(md *cluster.Metadata, topics []string) []cluster.TP {
	var tps []cluster.TP
	for _, name := range topics {
		if t, ok := md.Topic(name); ok {
			tps = append(tps, cluster.Partitions([]cluster.TopicMeta{t})...)
		}
	}
	return tps
}

// Member is one member of a described group.
type Member struct {
	ID         string   `json:"member_id"`
	ClientID   string   `json:"client_id"`
	InstanceID string   `json:"instance_id,omitempty"`
	Host       string   `json:"host"`
	Assigned   []string `json:"assigned"` // topic/partition
}

// PartitionState is one partition a group reads.
type PartitionState struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is nil when the group has no commit for the partition.
	Committed *int64 `json:"committed"`
	End       int64  `json:"end"`
	Lag       *int64 `json:"lag"`
	// LagFromStart, for a partition without a commit (Lag nil), counts its
	// records from the log start to the end: its lag if the group starts at
	// the beginning (0 if it starts at the end, the default of librdkafka,
	// Java and kx tail --group).
	LagFromStart *int64 `json:"lag_from_start,omitempty"`
	Metadata     string `json:"metadata,omitempty"`
	// Member is the client id of the member assigned the partition.
	Member string `json:"member,omitempty"`
}

// Description is kx groups describe.
type Description struct {
	Group      string           `json:"group"`
	State      string           `json:"state"`
	Type       string           `json:"type"`
	Protocol   string           `json:"protocol"`
	Members    []Member         `json:"members"`
	Partitions []PartitionState `json:"partitions"`
	// Gone lists committed partitions whose topic no longer exists.
	Gone []PartitionState `json:"deleted_topics,omitempty"`
}

// Describe returns a group's members and, for every partition of every
// topic it reads, its commit and lag. A group with neither members nor
// commits is unknown.
func Describe(ctx context.Context, a Admin, group string) (*Description, error) {
	descs, err := a.DescribeGroups(ctx, []string{group})
	if err != nil {
		return nil, err
	}
	var d cluster.GroupDescription
	if len(descs) > 0 {
		d = descs[0]
	}
	commits, err := a.GroupCommits(ctx, group)
	if err != nil {
		return nil, err
	}
	if len(d.Members) == 0 && len(commits) == 0 && (d.State == "" || d.State == "Dead") {
		return nil, &cluster.UnknownGroupError{Group: group}
	}
	md, err := a.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	out := &Description{Group: group, State: d.State, Type: d.Type, Protocol: d.Protocol, Members: []Member{}, Partitions: []PartitionState{}}
	owner := map[cluster.TP]string{}
	for _, m := range d.Members {
		mm := Member{ID: m.ID, ClientID: m.ClientID, InstanceID: m.InstanceID, Host: m.Host, Assigned: []string{}}
		for _, tp := range m.Assigned {
			mm.Assigned = append(mm.Assigned, tp.String())
			owner[tp] = m.ClientID
		}
		out.Members = append(out.Members, mm)
	}
	tps := partitionsOf(md, groupTopics(d, commits))
	ends, err := a.ListOffsets(ctx, tps, cluster.Latest)
	if err != nil {
		return nil, err
	}
	var uncommitted []cluster.TP
	for _, tp := range tps {
		if _, ok := commits[tp]; !ok {
			uncommitted = append(uncommitted, tp)
		}
	}
	starts := map[cluster.TP]cluster.OffsetInfo{}
	if len(uncommitted) > 0 {
		if starts, err = a.ListOffsets(ctx, uncommitted, cluster.Earliest); err != nil {
			return nil, err
		}
	}
	for _, tp := range tps {
		ps := PartitionState{Topic: tp.Topic, Partition: tp.Partition, End: ends[tp].Offset, Member: owner[tp]}
		if cm, ok := commits[tp]; ok {
			off, lag := cm.Offset, max(ends[tp].Offset-cm.Offset, 0)
			ps.Committed, ps.Lag, ps.Metadata = &off, &lag, cm.Metadata
		} else {
			n := max(ends[tp].Offset-starts[tp].Offset, 0)
			ps.LagFromStart = &n
		}
		out.Partitions = append(out.Partitions, ps)
	}
	for tp, cm := range commits {
		if _, ok := md.Topic(tp.Topic); !ok {
			off := cm.Offset
			out.Gone = append(out.Gone, PartitionState{Topic: tp.Topic, Partition: tp.Partition, Committed: &off, End: -1, Metadata: cm.Metadata})
		}
	}
	sort.Slice(out.Gone, func(i, j int) bool { return lessPS(out.Gone[i], out.Gone[j]) })
	return out, nil
}

func lessPS(a, b PartitionState) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Partition < b.Partition
}

// ActiveMembersError refuses to change a group that has members: the broker
// would reject the commit, or the members would overwrite it.
type ActiveMembersError struct {
	Group   string
	Members []string // client id and host of each
}

func (e *ActiveMembersError) Error() string {
	return fmt.Sprintf("consumer group %q has %s: %s; stop them first", e.Group, output.Count(len(e.Members), "active member"), strings.Join(e.Members, ", "))
}

// CheckInactive returns an ActiveMembersError when group has members.
func CheckInactive(ctx context.Context, a Admin, group string) error {
	descs, err := a.DescribeGroups(ctx, []string{group})
	if err != nil {
		return err
	}
	for _, d := range descs {
		if len(d.Members) == 0 {
			continue
		}
		e := &ActiveMembersError{Group: group}
		for _, m := range d.Members {
			e.Members = append(e.Members, fmt.Sprintf("%s (%s)", m.ClientID, m.Host))
		}
		slices.Sort(e.Members)
		return e
	}
	return nil
}

// Delete deletes an inactive group.
func Delete(ctx context.Context, a Admin, group string) error {
	if err := CheckInactive(ctx, a, group); err != nil {
		return err
	}
	return a.DeleteGroup(ctx, group)
}

// DeleteOffsets removes the group's commits for topics. confluent-kafka-go
// has no OffsetDelete call, so for an inactive group it deletes the group
// and commits its other offsets again, metadata included. It returns the
// offsets it kept. When the second step fails, the error is a
// *RestoreError carrying them, so the caller can show how to restore.
func DeleteOffsets(ctx context.Context, a Admin, group string, topics []string) (kept map[cluster.TP]cluster.Commit, removed int, err error) {
	if err := CheckInactive(ctx, a, group); err != nil {
		return nil, 0, err
	}
	commits, err := a.GroupCommits(ctx, group)
	if err != nil {
		return nil, 0, err
	}
	drop := map[string]bool{}
	for _, t := range topics {
		drop[t] = true
	}
	kept = map[cluster.TP]cluster.Commit{}
	found := map[string]bool{}
	for tp, cm := range commits {
		if drop[tp.Topic] {
			found[tp.Topic] = true
			removed++
			continue
		}
		kept[tp] = cm
	}
	for _, t := range topics {
		if !found[t] {
			return nil, 0, &NoCommitsError{Group: group, Topic: t}
		}
	}
	if err := a.DeleteGroup(ctx, group); err != nil {
		return nil, 0, err
	}
	if err := a.CommitGroupOffsets(ctx, group, kept); err != nil {
		return nil, 0, &RestoreError{Group: group, Offsets: kept, Err: err}
	}
	return kept, removed, nil
}

// NoCommitsError says a group has no commit for a topic.
type NoCommitsError struct{ Group, Topic string }

func (e *NoCommitsError) Error() string {
	return fmt.Sprintf("consumer group %q has no committed offsets for topic %q", e.Group, e.Topic)
}

// RestoreError: the group was deleted but its other offsets could not be
// committed again.
type RestoreError struct {
	Group   string
	Offsets map[cluster.TP]cluster.Commit
	Err     error
}

func (e *RestoreError) Error() string {
	return fmt.Sprintf("consumer group %q was deleted but its %d other offset(s) could not be committed again: %v", e.Group, len(e.Offsets), e.Err)
}

func (e *RestoreError) Unwrap() error { return e.Err }
