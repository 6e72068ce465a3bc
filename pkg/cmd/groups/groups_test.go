package groups

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/groups"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// admin is kafkafake's topics with groups held here: members, commits,
// and commits that fail on demand.
type admin struct {
	*kafkafake.Cluster
	members    map[string][]kafka.GroupMember
	commits    map[string]map[kafka.TP]kafka.Commit
	failCommit error
	listCalls  int
	onList     func(n int)
}

var (
	o0 = kafka.TP{Topic: "orders", Partition: 0}
	o1 = kafka.TP{Topic: "orders", Partition: 1}
	a0 = kafka.TP{Topic: "audit", Partition: 0}
)

// shop has orders (2 partitions, 10 and 4 records) and audit (3
// records); billing committed orders/0 at 6 and audit at 3 and is
// inactive, shipping has a member reading audit.
func shop() *admin {
	c := kafkafake.New()
	c.CreateTopic("orders", 2)
	c.CreateTopic("audit", 1)
	for i := range 10 {
		c.MustAdd(record.Record{Topic: "orders", Partition: 0, Timestamp: t0.Add(time.Duration(i) * time.Minute)})
	}
	for i := range 4 {
		c.MustAdd(record.Record{Topic: "orders", Partition: 1, Timestamp: t0.Add(time.Duration(i) * time.Minute)})
	}
	for range 3 {
		c.MustAdd(record.Record{Topic: "audit", Partition: 0, Timestamp: t0})
	}
	return &admin{Cluster: c,
		members: map[string][]kafka.GroupMember{"shipping": {{ID: "m-1", ClientID: "ship", Host: "/10.0.0.1", Assigned: []kafka.TP{a0}}}},
		commits: map[string]map[kafka.TP]kafka.Commit{"billing": {o0: {Offset: 6, Metadata: "v1"}, a0: {Offset: 3}}},
	}
}

func (a *admin) state(g string) string {
	switch {
	case len(a.members[g]) > 0:
		return "Stable"
	case a.commits[g] != nil:
		return "Empty"
	}
	return "Dead"
}

func (a *admin) ListGroups(context.Context) ([]kafka.Group, error) {
	a.listCalls++
	if a.onList != nil {
		a.onList(a.listCalls)
	}
	var out []kafka.Group
	for _, g := range []string{"billing", "shipping"} {
		if a.state(g) != "Dead" {
			out = append(out, kafka.Group{ID: g, State: a.state(g)})
		}
	}
	return out, nil
}

func (a *admin) DescribeGroups(_ context.Context, ids []string) ([]kafka.GroupDescription, error) {
	var out []kafka.GroupDescription
	for _, id := range ids {
		out = append(out, kafka.GroupDescription{ID: id, State: a.state(id), Type: "Classic", Protocol: "range", Members: a.members[id]})
	}
	return out, nil
}

func (a *admin) GroupCommits(_ context.Context, g string) (map[kafka.TP]kafka.Commit, error) {
	return maps.Clone(a.commits[g]), nil
}

func (a *admin) CommitGroupOffsets(_ context.Context, g string, offs map[kafka.TP]kafka.Commit) error {
	if a.failCommit != nil {
		return a.failCommit
	}
	if a.commits[g] == nil {
		a.commits[g] = map[kafka.TP]kafka.Commit{}
	}
	maps.Copy(a.commits[g], offs)
	return nil
}

func (a *admin) DeleteGroup(_ context.Context, g string) error {
	if a.state(g) == "Dead" {
		return &kafka.UnknownGroupError{Group: g}
	}
	delete(a.commits, g)
	return nil
}

func adminFunc(a *admin) func() (groups.Admin, error) {
	return func() (groups.Admin, error) { return a, nil }
}

func TestList(t *testing.T) {
	a := shop()
	ios, _, out, errOut := iostreams.Test()
	opts := &ListOptions{IO: ios, Admin: adminFunc(a), Output: output.Table}
	if err := runList(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	// billing: orders/0 lags 4, audit 0, orders/1 has no commit.
	want := "GROUP     STATE   MEMBERS  PROTOCOL  TOPICS        LAG  UNCOMMITTED\n" +
		"billing   Empty   0        range     audit,orders  4    1\n" +
		"shipping  Stable  1        range     audit         0    1\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	out.Reset()
	opts.Output = output.NDJSON
	if err := runList(context.Background(), opts); err != nil || strings.Count(out.String(), "\n") != 2 || !strings.HasPrefix(out.String(), `{"group":"billing","state":"Empty",`) {
		t.Errorf("ndjson: %v\n%s", err, out)
	}

	// No groups: said on stderr for a table, nothing for NDJSON.
	none := &admin{Cluster: kafkafake.New()}
	out.Reset()
	opts = &ListOptions{IO: ios, Admin: adminFunc(none), Output: output.Table}
	if err := runList(context.Background(), opts); err != nil || out.Len() != 0 || errOut.String() != "kx: no consumer groups\n" {
		t.Errorf("no groups: %v, %q, %q", err, out, errOut)
	}
	a.Fail(kafkafake.OpMetadata, kafka.ErrUnreachable)
	opts.Admin = adminFunc(a)
	if err := runList(context.Background(), opts); !errors.Is(err, kafka.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := shop()
	// The second sample sees billing's commit move; the third is Ctrl-C.
	a.onList = func(n int) {
		switch n {
		case 2:
			a.commits["billing"][o0] = kafka.Commit{Offset: 10}
		case 3:
			cancel()
		}
	}
	ios, _, out, _ := iostreams.Test()
	opts := &ListOptions{IO: ios, Admin: adminFunc(a), Output: output.NDJSON, Watch: true, Interval: time.Millisecond}
	if err := runList(ctx, opts); err != nil {
		t.Fatal(err)
	}
	var lags []float64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if m["time"] == "" {
			t.Errorf("no time in %s", line)
		}
		if m["group"] == "billing" {
			lags = append(lags, m["lag"].(float64))
		}
	}
	if len(lags) != 2 || lags[0] != 4 || lags[1] != 0 {
		t.Errorf("billing's lag per sample %v, want [4 0]\n%s", lags, out)
	}

	ctx, cancel = context.WithCancel(context.Background())
	a = shop()
	a.onList = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	ios, _, out, _ = iostreams.Test()
	ios.SetTerminalSize(100, 24)
	opts = &ListOptions{IO: ios, Admin: adminFunc(a), Output: output.Table, Watch: true, Interval: time.Millisecond}
	if err := runList(ctx, opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, output.EnterScreen) || !strings.HasSuffix(s, output.LeaveScreen) || !strings.Contains(s, "kx groups --watch  every 1ms") || !strings.Contains(s, "billing") {
		t.Errorf("terminal output %q", s)
	}
}

func TestDescribe(t *testing.T) {
	a := shop()
	ios, _, out, _ := iostreams.Test()
	opts := &DescribeOptions{IO: ios, Admin: adminFunc(a), Output: output.Table, Group: "billing"}
	if err := runDescribe(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "group billing  state Empty  type Classic  protocol range  members 0\n\nTOPIC") {
		t.Errorf("header:\n%s", s)
	}
	// orders/1 has no commit: shown, with its records from the start.
	for _, want := range []string{"orders  0          6          10   4", "orders  1          no commit  4    4 from start", "v1"} {
		if !strings.Contains(s, want) {
			t.Errorf("want %q in:\n%s", want, s)
		}
	}
	out.Reset()
	opts.Group = "shipping"
	if err := runDescribe(context.Background(), opts); err != nil || !strings.Contains(out.String(), "CLIENT ID  HOST       ASSIGNED  MEMBER ID\nship       /10.0.0.1  audit/0   m-1\n") {
		t.Errorf("members: %v\n%s", err, out)
	}
	out.Reset()
	opts.Output = output.NDJSON
	var d map[string]any
	if err := runDescribe(context.Background(), opts); err != nil || json.Unmarshal(out.Bytes(), &d) != nil || d["group"] != "shipping" {
		t.Errorf("ndjson: %v %s", err, out)
	}
	// A group the cluster does not know: a usage error, nothing printed.
	out.Reset()
	opts.Output, opts.Group = output.Table, "idle"
	err := runDescribe(context.Background(), opts)
	if !errors.As(err, new(*kafka.UnknownGroupError)) || cmdutil.ExitCode(err) != exitcode.Usage || out.Len() != 0 {
		t.Errorf("an unknown group: %v, %q", err, out)
	}
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	a := shop()
	ios, _, out, errOut := iostreams.Test()
	plan := filepath.Join(t.TempDir(), "plan.csv")
	opts := &ResetOptions{IO: ios, Admin: adminFunc(a), Now: func() time.Time { return t0.Add(time.Hour) }, Output: output.Table,
		Group: "billing", Topics: []string{"orders"}, To: "beginning", Export: plan}
	if err := runReset(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := "TOPIC   PARTITION  CURRENT  NEW  SKIPPED  REPLAYED  NOTE\norders  0          6        0    0        6\norders  1          none     0    -        -\n"
	if out.String() != want {
		t.Errorf("dry run:\n%s\nwant:\n%s", out, want)
	}
	if errOut.String() != "kx: plan written to "+plan+"\nkx: dry run: nothing changed; add --execute to commit 2 offsets for group billing\n" {
		t.Errorf("stderr %q", errOut)
	}
	if a.commits["billing"][o0].Offset != 6 {
		t.Errorf("a dry run committed")
	}

	// The exported plan, applied.
	out.Reset()
	errOut.Reset()
	opts = &ResetOptions{IO: ios, Admin: adminFunc(a), Now: opts.Now, Output: output.CSV, Group: "billing", FromFile: plan, Execute: true}
	if err := runReset(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if a.commits["billing"][o0].Offset != 0 || a.commits["billing"][o1].Offset != 0 || errOut.String() != "kx: committed 2 offsets for group billing\n" {
		t.Errorf("executed: %v, %q", a.commits["billing"], errOut)
	}
	if !strings.HasPrefix(out.String(), "topic,partition,") {
		t.Errorf("-o csv: %q", out)
	}

	// --shift-by moves committed partitions only; a time picks offsets.
	out.Reset()
	opts = &ResetOptions{IO: ios, Admin: adminFunc(a), Now: opts.Now, Output: output.NDJSON, Group: "billing", Topics: []string{"orders:0"}, Shift: true, ShiftBy: 3}
	if err := runReset(ctx, opts); err != nil || !strings.Contains(out.String(), `"new":3`) {
		t.Errorf("--shift-by 3: %v\n%s", err, out)
	}

	for _, c := range []struct {
		opts ResetOptions
		want string
	}{
		{ResetOptions{Group: "shipping", Topics: []string{"audit"}, To: "end"}, `consumer group "shipping" has 1 active member`},
		{ResetOptions{Group: "billing", Topics: []string{"orders"}, To: "soon"}, "--to: "},
		{ResetOptions{Group: "billing", Topics: []string{":1"}, To: "end"}, `--topic ":1"`},
		{ResetOptions{Group: "billing", FromFile: filepath.Join(t.TempDir(), "none.csv")}, "--from-file: "},
	} {
		o := c.opts
		o.IO, o.Admin, o.Now, o.Output = ios, adminFunc(a), opts.Now, output.Table
		if err := runReset(ctx, &o); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a usage error %q", c.opts, err, c.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("topic,partition,offset\norders,x,1\n"), 0o644)
	if err := runReset(ctx, &ResetOptions{IO: ios, Admin: adminFunc(a), Now: opts.Now, Group: "billing", FromFile: bad}); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("a bad plan file: %v", err)
	}
	a.failCommit = errors.New("coordinator gone")
	err := runReset(ctx, &ResetOptions{IO: ios, Admin: adminFunc(a), Now: opts.Now, Output: output.Table, Group: "billing", Topics: []string{"orders"}, To: "end", Execute: true})
	if err == nil || !strings.HasPrefix(err.Error(), "reset billing: ") {
		t.Errorf("a failed commit: %v", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	a := shop()
	ios, _, _, errOut := iostreams.Test()
	opts := &DeleteOptions{IO: ios, Admin: adminFunc(a), Group: "billing", Topics: []string{"orders"}, Yes: true}
	if err := runDeleteOffsets(ctx, opts); err != nil || errOut.String() != "kx: deleted 1 commit of group billing; kept 1\n" {
		t.Errorf("delete-offsets: %v, %q", err, errOut)
	}
	if _, ok := a.commits["billing"][o0]; ok || a.commits["billing"][a0].Offset != 3 {
		t.Errorf("commits now %v, want audit's only", a.commits["billing"])
	}
	// Deleting the group went through and committing the rest again did
	// not: the plan to restore them is printed.
	a = shop()
	a.failCommit = errors.New("coordinator gone")
	errOut.Reset()
	opts.Admin = adminFunc(a)
	err := runDeleteOffsets(ctx, opts)
	hint, planCSV, _ := strings.Cut(errOut.String(), "\n")
	if err == nil || !strings.Contains(hint, "kx groups reset billing --from-file PLAN.csv --execute") || a.commits["billing"] != nil {
		t.Fatalf("restore failed: %v\n%s", err, errOut)
	}
	// The plan printed puts audit's commit back.
	planFile := filepath.Join(t.TempDir(), "PLAN.csv")
	os.WriteFile(planFile, []byte(planCSV), 0o644)
	a.failCommit = nil
	if err := runReset(ctx, &ResetOptions{IO: ios, Admin: adminFunc(a), Now: time.Now, Output: output.Table, Group: "billing", FromFile: planFile, Execute: true}); err != nil ||
		len(a.commits["billing"]) != 1 || a.commits["billing"][a0].Offset != 3 {
		t.Errorf("the restore plan %q: %v, commits %v", planCSV, err, a.commits["billing"])
	}
	opts.Group = "shipping"
	if err := runDeleteOffsets(ctx, opts); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("an active group: %v", err)
	}
}

// parse runs a groups command up to run and returns its options.
func parse[O any](t *testing.T, build func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	var got *O
	cmd := build(f, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	l, err := parse(t, NewCmdGroups, "-w", "--interval", "5s", "-o", "csv")
	if err != nil || !l.Watch || l.Interval != 5*time.Second || l.Output != output.CSV {
		t.Errorf("groups: %+v, %v", l, err)
	}
	r, err := parse(t, newCmdReset, "billing", "-t", "orders:0,1", "--shift-by", "-5", "--export", "p.csv", "--execute")
	if err != nil || r.Group != "billing" || r.Topics[0] != "orders:0,1" || !r.Shift || r.ShiftBy != -5 || r.Export != "p.csv" || !r.Execute {
		t.Errorf("reset: %+v, %v", r, err)
	}
	// --shift-by 0 is given, not absent.
	if r, err := parse(t, newCmdReset, "billing", "-t", "orders", "--shift-by", "0"); err != nil || !r.Shift {
		t.Errorf("--shift-by 0: %+v, %v", r, err)
	}
	d, err := parse(t, newCmdDeleteOffsets, "billing", "-t", "orders", "-t", "audit", "-y")
	if err != nil || strings.Join(d.Topics, ",") != "orders,audit" || !d.Yes {
		t.Errorf("delete-offsets: %+v, %v", d, err)
	}
	for name, err := range map[string]error{
		"interval 0":             second(parse(t, NewCmdGroups, "--interval", "0s")),
		"reset two targets":      second(parse(t, newCmdReset, "g", "-t", "o", "--to", "end", "--shift-by", "1")),
		"reset no target":        second(parse(t, newCmdReset, "g", "-t", "o")),
		"reset file and topic":   second(parse(t, newCmdReset, "g", "-t", "o", "--from-file", "p.csv")),
		"reset no topic":         second(parse(t, newCmdReset, "g", "--to", "end")),
		"reset -o raw":           second(parse(t, newCmdReset, "g", "-t", "o", "--to", "end", "-o", "raw")),
		"describe no group":      second(parse(t, newCmdDescribe)),
		"delete without --yes":   second(parse(t, newCmdDelete, "g")),
		"delete-offsets no -t":   second(parse(t, newCmdDeleteOffsets, "g", "-y")),
		"delete-offsets no -yes": second(parse(t, newCmdDeleteOffsets, "g", "-t", "o")),
	} {
		if cmdutil.ExitCode(err) != exitcode.Usage {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}

func second[O any](_ O, err error) error { return err }

func TestDeleteGroup(t *testing.T) {
	a := shop()
	ios, _, _, errOut := iostreams.Test()
	opts := &DeleteOptions{IO: ios, Admin: adminFunc(a), Group: "billing", Yes: true}
	if err := runDelete(context.Background(), opts); err != nil || errOut.String() != "kx: deleted group billing\n" || a.commits["billing"] != nil {
		t.Errorf("delete: %v, %q, %v", err, errOut, a.commits)
	}
	// Again: the group is gone, a usage error naming it.
	if err := runDelete(context.Background(), opts); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "billing") {
		t.Errorf("again: %v", err)
	}
	opts.Group = "shipping"
	if err := runDelete(context.Background(), opts); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "ship (/10.0.0.1)") {
		t.Errorf("an active group: %v", err)
	}
}
