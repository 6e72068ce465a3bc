package tail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/record"
)

func fakeTopic(t *testing.T, n int) *kafkafake.Cluster {
	t.Helper()
	c := kafkafake.New()
	c.CreateTopic("jobs", 2)
	for i := range n {
		c.MustAdd(record.Record{Topic: "jobs", Partition: int32(i % 2), Timestamp: now, Value: []byte(`{"n":` + string(rune('0'+i)) + `}`)})
	}
	return c
}

type tailCase struct {
	from, to string
	untilEnd bool
	jq       string
	opts     Options
}

func runTail(t *testing.T, c *kafkafake.Cluster, tc tailCase) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	opts := tc.opts
	opts.IO, opts.Now, opts.Topics = ios, func() time.Time { return now }, []string{"jobs"}
	if opts.Output == "" {
		opts.Output = output.NDJSON
	}
	spec := consume.Spec{UntilEnd: tc.untilEnd, Follow: true}
	var err error
	if spec.From, err = position.Parse(tc.from, now); err != nil {
		t.Fatal(err)
	}
	if tc.to != "" {
		to, err := position.Parse(tc.to, now)
		if err != nil {
			t.Fatal(err)
		}
		spec.To = &to
	}
	var f *jqfilter.Filter
	if tc.jq != "" {
		f = jqfilter.MustCompile(tc.jq)
	}
	err = tail(context.Background(), c, consume.Readers(c.NewReader), &opts, f, spec)
	return out.String(), err
}

func TestTailBounded(t *testing.T) {
	c := fakeTopic(t, 6)
	out, err := runTail(t, c, tailCase{from: "beginning", untilEnd: true})
	if err != nil || strings.Count(out, "\n") != 6 || !strings.Contains(out, `"topic":"jobs","partition":1,"offset":2`) {
		t.Errorf("%v:\n%s", err, out)
	}
	out, err = runTail(t, c, tailCase{from: "-1", untilEnd: true, jq: ".n", opts: Options{Output: output.Raw}})
	if err != nil || out != "4\n5\n" && out != "5\n4\n" {
		t.Errorf("last 1 of each, raw jq: %v %q", err, out)
	}
	out, err = runTail(t, c, tailCase{from: "beginning", untilEnd: true, opts: Options{Max: 2}})
	if err != nil || strings.Count(out, "\n") != 2 {
		t.Errorf("-c 2: %v %q", err, out)
	}
	out, err = runTail(t, c, tailCase{from: "beginning", to: "1"})
	if err != nil || strings.Count(out, "\n") != 2 {
		t.Errorf("--to 1: %v %q", err, out)
	}
	_, err = runTail(t, c, tailCase{from: "end", untilEnd: true, opts: Options{ExitStatus: true}})
	if exitcode.Of(err) != exitcode.NoMatch {
		t.Errorf("--exit-status with nothing printed: %v", err)
	}
}

func TestTailFollowIdle(t *testing.T) {
	c := fakeTopic(t, 2)
	out, err := runTail(t, c, tailCase{from: "beginning", opts: Options{Idle: 30 * time.Millisecond}})
	if err != nil || strings.Count(out, "\n") != 2 {
		t.Errorf("%v %q", err, out)
	}
}

// A group read commits what it printed and resumes there; a group that
// never committed reads from --from.
func TestTailGroup(t *testing.T) {
	c := fakeTopic(t, 6)
	ctx := context.Background()
	out, err := runTail(t, c, tailCase{from: "beginning", untilEnd: true, opts: Options{Group: "g1", Max: 2}})
	if err != nil || strings.Count(out, "\n") != 2 {
		t.Fatalf("first read: %v %q", err, out)
	}
	offs, _ := c.GroupOffsets(ctx, "g1")
	if offs[kafka.TP{Topic: "jobs", Partition: 0}]+offs[kafka.TP{Topic: "jobs", Partition: 1}] != 2 {
		t.Errorf("committed %v after 2 records", offs)
	}
	out, err = runTail(t, c, tailCase{from: "beginning", untilEnd: true, opts: Options{Group: "g1"}})
	if err != nil || strings.Count(out, "\n") != 4 {
		t.Errorf("resumed read: %v %q", err, out)
	}
	out, err = runTail(t, c, tailCase{from: "beginning", untilEnd: true, opts: Options{Group: "g1"}})
	if err != nil || out != "" {
		t.Errorf("read at the end: %v %q", err, out)
	}
	out, err = runTail(t, c, tailCase{from: "end", to: "now", opts: Options{Group: "fresh"}})
	if err != nil || out != "" {
		t.Errorf("new group from the end: %v %q", err, out)
	}
}
