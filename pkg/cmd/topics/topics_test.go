package topics

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// shop has orders (2 partitions, 3 records, the first one deleted by
// retention), payments (1 partition, empty) and audit.
func shop(t *testing.T) *kafkafake.Cluster {
	t.Helper()
	c := kafkafake.New()
	c.CreateTopic("orders", 2)
	c.CreateTopic("payments", 1)
	c.CreateTopic("audit", 1)
	for i, p := range []int32{0, 0, 1, 1} {
		c.MustAdd(record.Record{Topic: "orders", Partition: p, Timestamp: t0.Add(time.Duration(i) * time.Minute)})
	}
	c.DeleteRecords(context.Background(), kafka.TP{Topic: "orders", Partition: 0}, 1)
	c.MustAdd(record.Record{Topic: "audit", Partition: 0, Timestamp: t0})
	return c
}

func lines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestList(t *testing.T) {
	c := shop(t)
	ios, _, out, _ := iostreams.Test()
	opts := &ListOptions{IO: ios, Kafka: func() (Offsets, error) { return c, nil }, Output: output.NDJSON, Patterns: []string{"orders", "pay.*"}, Wide: true}
	if err := runList(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	got := lines(t, out.String())
	if len(got) != 2 {
		t.Fatalf("rows %v, want orders and payments", got)
	}
	o, p := got[0], got[1]
	// After retention the first timestamp is the second record's.
	if o["topic"] != "orders" || o["partitions"] != 2.0 || o["replication_factor"] != 1.0 || o["messages"] != 3.0 ||
		o["first_timestamp"] != "2026-12-01T10:01:00.000Z" || o["last_timestamp"] != "2026-12-01T10:03:00.000Z" {
		t.Errorf("orders %v", o)
	}
	if p["topic"] != "payments" || p["messages"] != 0.0 || p["first_timestamp"] != "" {
		t.Errorf("payments %v", p)
	}

	out.Reset()
	opts.Output, opts.Wide, opts.Patterns = output.Table, false, nil
	if err := runList(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := "TOPIC     PARTITIONS  REPLICAS  MESSAGES\naudit     1           1         1\norders    2           1         3\npayments  1           1         0\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}

	opts.Patterns = []string{"nope"}
	if err := runList(context.Background(), opts); !errors.Is(err, kafka.ErrUnknownTopic) {
		t.Errorf("unknown topic: %v", err)
	}
	c.Fail(kafkafake.OpWatermarks, kafka.ErrUnreachable)
	opts.Patterns = nil
	if err := runList(context.Background(), opts); !errors.Is(err, kafka.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
}

// described gives the fake the adapter's TopicConfigs.
type described struct {
	*kafkafake.Cluster
	configs []kafka.ConfigEntry
}

func (d described) TopicConfigs(context.Context, string) ([]kafka.ConfigEntry, error) {
	return d.configs, nil
}

func TestDescribe(t *testing.T) {
	d := described{Cluster: shop(t), configs: []kafka.ConfigEntry{
		{Name: "cleanup.policy", Value: "compact", Source: "DYNAMIC_TOPIC_CONFIG"},
		{Name: "retention.ms", Value: "604800000", Source: "DEFAULT_CONFIG", IsDefault: true},
	}}
	ios, _, out, _ := iostreams.Test()
	opts := &DescribeOptions{IO: ios, Kafka: func() (Describer, error) { return d, nil }, Output: output.NDJSON, Topic: "orders"}
	if err := runDescribe(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	got := lines(t, out.String())
	if len(got) != 3 {
		t.Fatalf("%d objects, want 2 partitions and 1 non-default config:\n%s", len(got), out)
	}
	if p := got[0]; p["kind"] != "partition" || p["low"] != 1.0 || p["high"] != 2.0 || p["messages"] != 1.0 || p["leader"] != 1.0 {
		t.Errorf("partition 0: %v", p)
	}
	if c := got[2]; c["kind"] != "config" || c["name"] != "cleanup.policy" || c["value"] != "compact" {
		t.Errorf("config: %v", c)
	}

	out.Reset()
	opts.Output, opts.Topic = output.Table, "payments"
	d.configs = nil
	if err := runDescribe(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "TOPIC payments  partitions=1  replication-factor=1\n") || !strings.HasSuffix(s, "\nCONFIGS (non-default): none\n") {
		t.Errorf("table:\n%s", s)
	}
	opts.Topic = "nope"
	if err := runDescribe(context.Background(), opts); !errors.Is(err, kafka.ErrUnknownTopic) {
		t.Errorf("unknown topic: %v", err)
	}
}

func TestWatchRows(t *testing.T) {
	topics := []kafka.TopicMeta{{Name: "orders", Partitions: []kafka.PartitionMeta{{ID: 0}, {ID: 1}}}}
	tp0, tp1 := kafka.TP{Topic: "orders", Partition: 0}, kafka.TP{Topic: "orders", Partition: 1}
	prev := map[kafka.TP]kafka.Watermark{tp0: {High: 10}, tp1: {High: 5}}
	now := map[kafka.TP]kafka.Watermark{tp0: {Low: 2, High: 30}, tp1: {High: 5}}
	rows := watchRows(topics, now, prev, 2*time.Second, t0)
	r := rows[0]
	if r.Messages != 33 || r.MessagesPerSec != 10 || r.Partitions[0].MessagesPerSec != 10 || r.Partitions[1].MessagesPerSec != 0 || r.Time != "2026-12-01T10:00:00.000Z" {
		t.Errorf("rows %+v", r)
	}
	// The first sample has no rate; a watermark that went back (a topic
	// deleted and created again) none either.
	if rows := watchRows(topics, now, nil, 0, t0); rows[0].MessagesPerSec != 0 {
		t.Errorf("first sample %+v", rows[0])
	}
	if rows := watchRows(topics, prev, now, time.Second, t0); rows[0].MessagesPerSec != 0 {
		t.Errorf("watermark back %+v", rows[0])
	}
}

// counted stops a watch at its third sample, after records arrived.
type counted struct {
	*kafkafake.Cluster
	n      int
	cancel func()
}

func (c *counted) ResolveTopics(ctx context.Context, patterns []string) ([]kafka.TopicMeta, error) {
	c.n++
	switch c.n {
	case 2:
		for range 4 {
			c.MustAdd(record.Record{Topic: "payments", Partition: 0})
		}
	case 3:
		c.cancel()
	}
	return c.Cluster.ResolveTopics(ctx, patterns)
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &counted{Cluster: shop(t), cancel: cancel}
	ios, _, out, _ := iostreams.Test()
	opts := &ListOptions{IO: ios, Kafka: func() (Offsets, error) { return c, nil }, Output: output.NDJSON, Patterns: []string{"payments"}, Interval: time.Millisecond}
	if err := runWatch(ctx, opts); err != nil {
		t.Fatal(err)
	}
	got := lines(t, out.String())
	if len(got) != 2 {
		t.Fatalf("%d rows, want one per sample before Ctrl-C:\n%s", len(got), out)
	}
	if got[0]["messages"] != 0.0 || got[0]["messages_per_sec"] != 0.0 || got[1]["messages"] != 4.0 || !(got[1]["messages_per_sec"].(float64) > 0) {
		t.Errorf("rows %v", got)
	}

	// On a terminal: the alternate screen, left at the end.
	ctx, cancel = context.WithCancel(context.Background())
	c = &counted{Cluster: shop(t), cancel: cancel}
	ios, _, out, _ = iostreams.Test()
	ios.SetTerminalSize(80, 24)
	opts.IO, opts.Output = ios, output.Table
	if err := runWatch(ctx, opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, output.EnterScreen) || !strings.HasSuffix(s, output.LeaveScreen) || !strings.Contains(s, "kx topics --watch  every 1ms") {
		t.Errorf("terminal output %q", s)
	}
}

// admin gives the fake the adapter's CreateTopic and DeleteTopics.
type admin struct {
	*kafkafake.Cluster
	deleted []string
}

func (a *admin) CreateTopic(ctx context.Context, spec kafka.TopicSpec) error {
	md, _ := a.Metadata(ctx)
	if _, ok := md.Topic(spec.Name); ok {
		return &kafka.TopicExistsError{Topic: spec.Name}
	}
	a.Cluster.CreateTopic(spec.Name, spec.Partitions)
	return nil
}

func (a *admin) DeleteTopics(_ context.Context, names []string) error {
	a.deleted = append(a.deleted, names...)
	return nil
}

// parseSub runs a topics subcommand up to run and returns its options.
func parseSub[O any](t *testing.T, build func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	var got *O
	cmd := build(f, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return got, cmd.Execute()
}

func TestCreate(t *testing.T) {
	o, err := parseSub(t, newCmdCreate, "audit", "--partitions", "3", "-r", "2", "--topic-config", "cleanup.policy=compact", "--topic-config", "x=a=b")
	if err != nil || o.Spec.Name != "audit" || o.Spec.Partitions != 3 || o.Spec.ReplicationFactor != 2 || o.Spec.Configs["cleanup.policy"] != "compact" || o.Spec.Configs["x"] != "a=b" {
		t.Fatalf("%+v, %v", o, err)
	}
	for _, bad := range [][]string{{"a", "--partitions", "0"}, {"a", "-r", "0"}, {"a", "--topic-config", "novalue"}, {}, {"a", "b"}} {
		if _, err := parseSub(t, newCmdCreate, bad...); cmdutil.ExitCode(err) != exitcode.Usage {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
	a := &admin{Cluster: shop(t)}
	ios, _, _, errOut := iostreams.Test()
	opts := &CreateOptions{IO: ios, Kafka: func() (Creator, error) { return a, nil }, Spec: kafka.TopicSpec{Name: "new", Partitions: 2, ReplicationFactor: 1}}
	if err := runCreate(context.Background(), opts); err != nil || errOut.String() != "kx: created topic \"new\" (2 partitions, replication factor 1)\n" {
		t.Errorf("create: %v, %q", err, errOut)
	}
	if err := runCreate(context.Background(), opts); !errors.As(err, new(*kafka.TopicExistsError)) {
		t.Errorf("again: %v, want the topic exists", err)
	}
	errOut.Reset()
	opts.IfNotExists = true
	if err := runCreate(context.Background(), opts); err != nil || !strings.Contains(errOut.String(), `topic "new" already exists`) {
		t.Errorf("--if-not-exists: %v, %q", err, errOut)
	}
}

func TestDelete(t *testing.T) {
	if _, err := parseSub(t, newCmdDelete, "orders"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "refusing to delete orders without --yes") {
		t.Errorf("without --yes: %v", err)
	}
	a := &admin{Cluster: shop(t)}
	ios, _, _, errOut := iostreams.Test()
	opts := &DeleteOptions{IO: ios, Kafka: func() (Deleter, error) { return a, nil }, Topics: []string{"orders", "typo"}, Yes: true}
	if err := runDelete(context.Background(), opts); !errors.Is(err, kafka.ErrUnknownTopic) || len(a.deleted) != 0 {
		t.Errorf("a typo: %v, deleted %v; want nothing deleted", err, a.deleted)
	}
	opts.Topics = []string{"orders", "audit"}
	if err := runDelete(context.Background(), opts); err != nil || strings.Join(a.deleted, ",") != "orders,audit" || errOut.String() != "kx: deleted orders, audit\n" {
		t.Errorf("delete: %v, %v, %q", err, a.deleted, errOut)
	}
}

func TestListFlags(t *testing.T) {
	// Under a root, as in kx: arguments of a command with subcommands.
	underRoot := func(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
		root := &cobra.Command{Use: "kx"}
		root.AddCommand(NewCmdTopics(f, runF))
		return root
	}
	o, err := parseSub(t, underRoot, "topics", "orders", "--wide", "-w", "--interval", "2s", "-o", "csv")
	if err != nil || !o.Wide || !o.Watch || o.Interval != 2*time.Second || o.Output != output.CSV || o.Patterns[0] != "orders" {
		t.Errorf("%+v, %v", o, err)
	}
	if _, err := parseSub(t, underRoot, "topics", "--interval", "0s"); cmdutil.ExitCode(err) != exitcode.Usage {
		t.Errorf("--interval 0s: %v", err)
	}
	d, err := parseSub(t, newCmdDescribe, "orders", "-o", "ndjson")
	if err != nil || d.Topic != "orders" || d.Output != output.NDJSON {
		t.Errorf("describe: %+v, %v", d, err)
	}
}
