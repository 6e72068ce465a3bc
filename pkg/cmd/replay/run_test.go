package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/replay"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// parse runs kx replay ARGS up to run and returns its options.
func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdReplay(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "pay", "retry", "-n", "5", "--jq", ".a", "-g", "g1", "--rate", "10/s", "--dry-run",
		"--keep-partition", "--keep-timestamp", "--no-provenance", "--dedupe-on", ".id", "--to-brokers", "h:1", "--report", "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if o.Source != "pay" || o.Dest != "retry" || o.From != "-5" || o.JQ != ".a" || o.Group != "g1" || o.Rate != "10/s" || !o.DryRun ||
		!o.KeepPartition || !o.KeepTimestamp || !o.NoProvenance || o.DedupeOn != ".id" || o.ToBrokers != "h:1" || o.Report != "r.json" {
		t.Errorf("%+v", o)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pay"}, ""},
		{[]string{"pay", "retry", "x"}, ""},
		{[]string{"pay", "retry", "-n", "5", "--from", "-1h"}, "--last and --from exclude each other"},
		{[]string{"pay", "retry", "-n", "-1"}, "--last -1: must be 0 or more"},
		{[]string{"pay", "retry", "--to-profile", "p", "--to-brokers", "h:1"}, "--to-profile and --to-brokers exclude each other"},
	} {
		if _, err := parse(t, c.args...); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%v: %v, want a usage error %q", c.args, err, c.want)
		}
	}
}

func TestReplayOptions(t *testing.T) {
	ro, err := (&Options{}).replayOptions(t0)
	if err != nil || ro.Spec.From.Kind != position.Beginning || ro.Spec.To != nil || !ro.Spec.UntilEnd {
		t.Errorf("defaults: %+v, %v; want from the beginning to the end", ro.Spec, err)
	}
	ro, err = (&Options{From: "-1h", To: "now", Rate: "120/m"}).replayOptions(t0)
	if err != nil || ro.Spec.From.Kind != position.Time || !ro.Spec.From.Time.Equal(t0.Add(-time.Hour)) || ro.Spec.To == nil || ro.Rate != 2 {
		t.Errorf("--from -1h --to now --rate 120/m: %+v rate %v, %v", ro.Spec, ro.Rate, err)
	}
	if ro, err := (&Options{Group: "g", From: "end"}).replayOptions(t0); err != nil || ro.Group != "g" {
		t.Errorf("--group from the end: %v", err)
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{JQ: "select("}, "--jq: "},
		{Options{DedupeOn: ".a |"}, "--dedupe-on: "},
		{Options{Rate: "fast"}, `--rate "fast"`},
		{Options{From: "yesterday-ish"}, "--from: "},
		{Options{To: "soon"}, "--to: "},
		{Options{To: "-5"}, "--to -5: want an offset, a time or now"},
		{Options{Group: "g", From: "-1h"}, "--group: --from must be beginning or end"},
	} {
		if _, err := c.opts.replayOptions(t0); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%+v: %v, want a usage error %q", c.opts, err, c.want)
		}
	}
}

// payments has pay (2 partitions, 6 records each, every third an ERROR,
// the ERRORs of a partition of one order id), retry (2 partitions) and
// small (1 partition).
func payments() *kafkafake.Cluster {
	c := kafkafake.New()
	c.CreateTopic("pay", 2)
	c.CreateTopic("retry", 2)
	c.CreateTopic("small", 1)
	for p := range int32(2) {
		for i := range 6 {
			status := "OK"
			if i%3 == 0 {
				status = "ERROR"
			}
			c.MustAdd(record.Record{Topic: "pay", Partition: p, Key: fmt.Appendf(nil, "k%d", i), Timestamp: t0.Add(time.Duration(i) * time.Second),
				Value: fmt.Appendf(nil, `{"orderId":"o%d-%d","status":"%s"}`, p, i%3, status)})
		}
	}
	return c
}

// replayOn runs kx replay SRC DST within c as run would, with run id run-1.
func replayOn(ctx context.Context, t *testing.T, c *kafkafake.Cluster, opts *Options) error {
	t.Helper()
	ro, err := opts.replayOptions(opts.Now())
	if err != nil {
		t.Fatal(err)
	}
	ro.RunID = "run-1"
	dest := replay.Destination{
		Metadata:     c.Metadata,
		NewProducer:  func() (replay.Producer, error) { return c.NewProducer(kafka.ProducerOptions{}) },
		FlushTimeout: time.Second,
	}
	return replayTopics(ctx, opts, ro, opts.Now(), c, consume.Readers(c.NewReader), dest, func() {})
}

func newOptions(ios *iostreams.IOStreams) *Options {
	return &Options{IO: ios, Now: func() time.Time { return t0.Add(time.Hour) }, Source: "pay", Dest: "retry",
		CommandLine: []string{"kx", "replay", "pay", "retry", "-X", "sasl.password=s3cret"}}
}

func destCount(c *kafkafake.Cluster, topic string) int {
	n := 0
	for p := range int32(2) {
		n += len(c.Records(kafka.TP{Topic: topic, Partition: p}))
	}
	return n
}

func TestReplay(t *testing.T) {
	c := payments()
	ios, _, out, errOut := iostreams.Test()
	opts := newOptions(ios)
	opts.JQ, opts.DedupeOn = `select(.status=="ERROR") | .status="RETRY"`, ".orderId"
	opts.Report = filepath.Join(t.TempDir(), "replay.json")
	if err := replayOn(context.Background(), t, c, opts); err != nil {
		t.Fatal(err)
	}
	// ERRORs at 0 and 3 of each partition, of orders o0-0 and o1-0.
	want := "kx: replayed 2 records from pay to retry (read 12, selected 4, sent 2, acknowledged 2; skipped 8 not selected by --jq, 2 duplicate of --dedupe-on), run run-1\n"
	if errOut.String() != want || out.Len() != 0 {
		t.Errorf("stderr %q\nwant   %q\nstdout %q", errOut, want, out)
	}
	if n := destCount(c, "retry"); n != 2 {
		t.Errorf("%d records in retry, want 2", n)
	}
	r := append(c.Records(kafka.TP{Topic: "retry", Partition: 0}), c.Records(kafka.TP{Topic: "retry", Partition: 1})...)
	if len(r) == 0 || !strings.Contains(string(r[0].Value), `"status":"RETRY"`) {
		t.Errorf("retry records %v: want the rewritten values", r)
	}
	data, err := os.ReadFile(opts.Report)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep["ok"] != true || rep["run_id"] != "run-1" || rep["sent"] != 2.0 || rep["acknowledged"] != 2.0 ||
		rep["started_at"] != "2026-11-25T11:00:00.000Z" || rep["kx_version"] == "" {
		t.Errorf("report %s", data)
	}
	if cl := fmt.Sprint(rep["command_line"]); strings.Contains(cl, "s3cret") || !strings.Contains(cl, "sasl.password=") {
		t.Errorf("command line %s: want the password masked", cl)
	}
}

func TestReplayDryRun(t *testing.T) {
	c := payments()
	ios, _, out, errOut := iostreams.Test()
	opts := newOptions(ios)
	opts.DryRun, opts.DedupeOn, opts.JQ = true, ".orderId", `.status=="ERROR"`
	if err := replayOn(context.Background(), t, c, opts); err != nil {
		t.Fatal(err)
	}
	if n := destCount(c, "retry"); n != 0 {
		t.Errorf("a dry run sent %d records", n)
	}
	// Printed: the 2 it would send, deduplicated by order id.
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(out.String(), `"kx-replay-source"`) {
		t.Errorf("stdout (%d lines):\n%s", n, out)
	}
	if want := "kx: dry run: would replay 2 records from pay to retry (read 12, selected 4, sent 0, acknowledged 0; skipped 8 not selected by --jq, 2 duplicate of --dedupe-on), run run-1\n"; errOut.String() != want {
		t.Errorf("stderr %q\nwant   %q", errOut, want)
	}
}

func TestReplayFailures(t *testing.T) {
	ctx := context.Background()

	// Deliveries that fail: the integrity exit, with the first error. The
	// first failure stops the reading, so how many were sent varies.
	c := payments()
	c.Fail(kafkafake.OpProduce, errors.New("broker said no"))
	ios, _, _, errOut := iostreams.Test()
	err := replayOn(ctx, t, c, newOptions(ios))
	_, integrity, _ := strings.Cut(errOut.String(), "kx: integrity: ")
	var sent, acked, failed int
	n, _ := fmt.Sscanf(integrity, "%d sent, %d acknowledged, %d failed (first: ", &sent, &acked, &failed)
	if cmdutil.ExitCode(err) != exitcode.Integrity || n != 3 || sent == 0 || acked != 0 || failed != sent || !strings.Contains(integrity, "(first: pay/") {
		t.Errorf("failed deliveries: %v (exit %d)\n%s", err, cmdutil.ExitCode(err), errOut)
	}

	// --keep-partition into fewer partitions: a usage error, nothing sent.
	c = payments()
	ios, _, _, _ = iostreams.Test()
	opts := newOptions(ios)
	opts.Dest, opts.KeepPartition = "small", true
	if err := replayOn(ctx, t, c, opts); cmdutil.ExitCode(err) != exitcode.Usage || err.Error() != "--keep-partition: small has 1 partition, fewer than the 2 of pay" {
		t.Errorf("--keep-partition: %v", err)
	}

	// An unknown source names the replay; its class picks the exit.
	opts = newOptions(ios)
	opts.Source = "nope"
	if err := replayOn(ctx, t, c, opts); !errors.Is(err, kafka.ErrUnknownTopic) || !strings.HasPrefix(err.Error(), "replay nope → retry: ") {
		t.Errorf("unknown source: %v", err)
	}

	// A report that cannot be written fails the run after the replay.
	opts = newOptions(ios)
	opts.Report = filepath.Join(t.TempDir(), "no", "such", "dir", "r.json")
	if err := replayOn(ctx, t, c, opts); err == nil || !strings.HasPrefix(err.Error(), "--report: ") {
		t.Errorf("unwritable report: %v", err)
	}
}

// A replay cut short by SIGTERM exits 143 and says how far it read; with
// --group it says how to resume.
func TestReplayInterrupted(t *testing.T) {
	c := payments()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&cmdutil.SignalCause{Signal: syscall.SIGTERM})
	ios, _, _, errOut := iostreams.Test()
	opts := newOptions(ios)
	opts.Group = "g1"
	err := replayOn(ctx, t, c, opts)
	if cmdutil.ExitCode(err) != 143 || !strings.HasPrefix(err.Error(), "replay interrupted by SIGTERM after ") {
		t.Errorf("%v (exit %d)", err, cmdutil.ExitCode(err))
	}
	if !strings.Contains(errOut.String(), "kx: rerun the same command to resume group g1 from its committed offsets\n") {
		t.Errorf("stderr %q", errOut)
	}
}

// Ctrl-C while the replay still asks the cluster (librdkafka's calls end
// with the context's error) exits 130 like a cut-short read, not 7.
func TestReplayInterruptedBeforeReading(t *testing.T) {
	c := payments()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&cmdutil.SignalCause{Signal: syscall.SIGINT})
	c.Fail(kafkafake.OpMetadata, ctx.Err())
	ios, _, _, _ := iostreams.Test()
	err := replayOn(ctx, t, c, newOptions(ios))
	if cmdutil.ExitCode(err) != 130 || err.Error() != "replay interrupted by SIGINT before it read a record; nothing was sent" {
		t.Errorf("%v (exit %d)", err, cmdutil.ExitCode(err))
	}
	// The same failure without a signal is an error of its own.
	c.Fail(kafkafake.OpMetadata, errors.New("broker on fire"))
	if err := replayOn(context.Background(), t, c, newOptions(ios)); cmdutil.ExitCode(err) == 130 || !strings.Contains(err.Error(), "broker on fire") {
		t.Errorf("%v (exit %d)", err, cmdutil.ExitCode(err))
	}
}
