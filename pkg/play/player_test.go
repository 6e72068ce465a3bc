package play

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/scenario"
)

// fakeCluster gives kafkafake the adapter's CreateTopic.
type fakeCluster struct{ *kafkafake.Cluster }

func (f fakeCluster) CreateTopic(ctx context.Context, spec cluster.TopicSpec) error {
	md, err := f.Metadata(ctx)
	if err != nil {
		return err
	}
	if _, ok := md.Topic(spec.Name); ok {
		return &cluster.TopicExistsError{Topic: spec.Name}
	}
	f.Cluster.CreateTopic(spec.Name, spec.Partitions)
	return nil
}

func testScenarioParsed(t *testing.T) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse("t.yaml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// player is a live run of the test scenario at speed 1000 (3 s of
// timeline in 3 ms) against c, and its stdout and stderr.
func player(t *testing.T, c *kafkafake.Cluster, mod func(*Options)) (*Options, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	opts := &Options{
		IO:       ios,
		Kafka:    func() (Cluster, error) { return Adapt(fakeCluster{c}, c.NewProducer), nil },
		Scenario: testScenarioParsed(t),
		Speed:    1000, RateScale: 1, Seed: 5, SeedSet: true,
		Output: OutputRecords,
	}
	if mod != nil {
		mod(opts)
	}
	return opts, out, errOut
}

func ndjson(t *testing.T, b *bytes.Buffer) []record.Record {
	t.Helper()
	var out []record.Record
	sc := bufio.NewScanner(b)
	for sc.Scan() {
		var m struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Offset    int64  `json:"offset"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		out = append(out, record.Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset})
	}
	return out
}

// A live run creates the missing topics, produces every event, prints one
// envelope per acknowledged record and verifies the logs grew by as much.
func TestLiveRunProducesAndVerifies(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("payments", 1)
	c.MustAdd(record.Record{Topic: "payments", Partition: 0, Value: []byte("before the run")})
	opts, out, errOut := player(t, c, nil)
	if err := Run(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	recs := ndjson(t, out)
	if len(recs) != 80 {
		t.Fatalf("%d records printed, want 80 (40 orders, 40 payments)", len(recs))
	}
	orders := len(c.Records(cluster.TP{Topic: "orders", Partition: 0})) + len(c.Records(cluster.TP{Topic: "orders", Partition: 1}))
	payments := len(c.Records(cluster.TP{Topic: "payments", Partition: 0}))
	if orders != 40 || payments != 41 {
		t.Errorf("cluster holds %d orders, %d payments; want 40 and 40 plus the one before", orders, payments)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Topic == "payments" && r.Offset == 0 {
			t.Error("a printed payment has the offset of the record written before the run")
		}
		seen[r.Topic] = true
	}
	if !seen["orders"] || !seen["payments"] {
		t.Errorf("topics printed: %v", seen)
	}
	e := errOut.String()
	for _, want := range []string{"kx play: scenario t (t.yaml, 0:03 of timeline), run ", "seed 5, speed 1000", "created topic orders (2 partitions, replication factor", "80 events, 80 acknowledged"} {
		if !strings.Contains(e, want) {
			t.Errorf("stderr lacks %q:\n%s", want, e)
		}
	}
	if strings.Contains(e, "created topic payments") {
		t.Error("an existing topic was created again")
	}
}

// -o json prints the report alone, verified, with the counts per topic.
func TestLiveRunReport(t *testing.T) {
	c := kafkafake.New()
	opts, out, _ := player(t, c, func(o *Options) { o.Output = OutputReport; o.Quiet = true; o.Until = "calm" })
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	// --until calm: 2 s at 10 flows/s, every payment of those flows too.
	if !r.Verified || r.Events != 40 || r.Acked != 40 || r.Until != "calm" || len(r.Phases) != 1 || r.Seed != 5 {
		t.Errorf("report: verified %v, events %d, acked %d, until %q, %d phases, seed %d", r.Verified, r.Events, r.Acked, r.Until, len(r.Phases), r.Seed)
	}
	for _, v := range r.Verification {
		if v.Status != VerifyOK {
			t.Errorf("verification %+v", v)
		}
	}
}

// Failed deliveries are printed once per distinct error, counted, and make
// the run a verification failure.
func TestLiveRunFailedDeliveries(t *testing.T) {
	c := kafkafake.New()
	c.Fail(kafkafake.OpProduce, errors.New("record too large"))
	opts, out, errOut := player(t, c, nil)
	err := Run(context.Background(), opts)
	var ve *VerificationError
	if !errors.As(err, &ve) || !strings.HasPrefix(ve.Msg, "play: verification failed: orders: sent 40, acknowledged 0, failed 40") {
		t.Fatalf("err %v, want a verification failure naming the shortfall", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q, want nothing (nothing acknowledged)", out)
	}
	e := errOut.String()
	if strings.Count(e, "kx play: record too large\n") != 1 || !strings.Contains(e, "kx play: record too large (80 records)") {
		t.Errorf("stderr:\n%s\nwant the error once and its count", e)
	}
}

// A topic with another partition count than the scenario's is used, with
// a warning.
func TestLiveRunPartitionMismatch(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("orders", 3)
	opts, _, errOut := player(t, c, func(o *Options) { o.Output = OutputNone })
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "kx play: warning: topic orders has 3 partitions, the scenario declares 2") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// The cluster's errors before anything is produced end the run with them;
// after Ctrl-C they end it quietly.
func TestLiveRunClusterErrors(t *testing.T) {
	for _, op := range []string{kafkafake.OpMetadata, kafkafake.OpListOffsets, kafkafake.OpNewProducer} {
		c := kafkafake.New()
		c.CreateTopic("orders", 2)
		c.CreateTopic("payments", 1)
		c.Fail(op, cluster.ErrUnreachable)
		opts, _, _ := player(t, c, nil)
		if err := Run(context.Background(), opts); !errors.Is(err, cluster.ErrUnreachable) {
			t.Errorf("%s fails: err %v, want ErrUnreachable", op, err)
		}
		if op == kafkafake.OpNewProducer {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Run(ctx, opts); err != nil {
			t.Errorf("%s fails after Ctrl-C: %v, want nil", op, err)
		}
	}
	opts, _, _ := player(t, kafkafake.New(), func(o *Options) {
		o.Kafka = func() (Cluster, error) { return nil, cluster.ErrAuth }
	})
	if err := Run(context.Background(), opts); !errors.Is(err, cluster.ErrAuth) {
		t.Errorf("no client: %v", err)
	}
}

// Ctrl-C before the first event: nothing is sent, the report says
// interrupted and verified (nothing lost), no flow is left half-sent.
func TestLiveRunInterrupted(t *testing.T) {
	c := kafkafake.New()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	opts, out, _ := player(t, c, func(o *Options) {
		o.Output = OutputReport
		o.Quiet = true
		o.NewView = func(*scenario.Scenario) View { once.Do(cancel); return QuietView{} }
	})
	if err := Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || !r.Verified || r.Events != 0 || r.Acked != 0 {
		t.Errorf("report: interrupted %v, verified %v, %d events, %d acked", r.Interrupted, r.Verified, r.Events, r.Acked)
	}
	if r.Flows.Started != r.Flows.Ended {
		t.Errorf("flows started %d, ended %d: a flow was left half-sent", r.Flows.Started, r.Flows.Ended)
	}
}

// A closed stdout (kx play | head) stops the run with EPIPE, quietly.
func TestLiveRunClosedStdout(t *testing.T) {
	c := kafkafake.New()
	opts, _, _ := player(t, c, nil)
	opts.IO.Out = epipeWriter{}
	if err := Run(context.Background(), opts); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("err %v, want EPIPE", err)
	}
}

type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// The dry run needs no cluster: every event as an envelope with the
// partition its key hashes to, no offset, and a verified report.
func TestDryRun(t *testing.T) {
	opts, out, errOut := player(t, nil, func(o *Options) {
		o.DryRun = true
		o.Kafka = func() (Cluster, error) { t.Fatal("a dry run asked for the cluster"); return nil, nil }
	})
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	recs := ndjson(t, out)
	if len(recs) != 80 {
		t.Fatalf("%d envelopes, want 80", len(recs))
	}
	for _, r := range recs {
		if r.Offset != -1 || (r.Topic == "payments" && r.Partition != 0) || r.Partition < 0 || r.Partition > 1 {
			t.Fatalf("envelope %+v: want offset -1 and a partition of its topic", r)
		}
	}
	if !strings.Contains(errOut.String(), ", dry run\n") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestNewPlayerUntilAndSeed(t *testing.T) {
	opts, _, _ := player(t, nil, func(o *Options) { o.Until = "nope" })
	_, err := NewPlayer(opts)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Msg, `--until "nope": scenario t has no such phase (phases: calm, storm)`) {
		t.Errorf("err %v", err)
	}
	opts, _, _ = player(t, nil, func(o *Options) { o.SeedSet = false; o.Name = "" })
	p, err := NewPlayer(opts)
	if err != nil || p.seed != 5 || opts.Name != "kx play" {
		t.Errorf("the scenario's seed 5 and the default name: %d, %q, %v", p.seed, opts.Name, err)
	}
	a, b := newRunID(), newRunID()
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Errorf("run ids %q, %q: want distinct UUID v4", a, b)
	}
}
