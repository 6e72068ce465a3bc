package export

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
)

// lostAfterRead is a cluster that stops answering once the records were
// read: the watermarks after the read fail, as with a broker killed
// mid-export.
type lostAfterRead struct{ *kafkafake.Cluster }

func (c lostAfterRead) Watermarks(ctx context.Context, tps []kafka.TP) (map[kafka.TP]kafka.Watermark, error) {
	if c.Calls(kafkafake.OpPoll) > 0 {
		return nil, errors.New("cannot reach Kafka")
	}
	return c.Cluster.Watermarks(ctx, tps)
}

// --out appears only when the whole command succeeds, the report included.
func TestExportCommitsOnlyOnSuccess(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 1)
	for i := range 3 {
		add(c, "t", 0, time.Duration(i)*time.Second, `{"a":1}`)
	}
	export := func(cl cluster, out, report string) error {
		opts, _, _ := testOptions(t, "t", "--out", out)
		opts.Report = report
		job, spec, err := opts.job(opts.Now())
		if err != nil {
			t.Fatal(err)
		}
		return exportTopics(context.Background(), cl, consume.Readers(c.NewReader), opts, job, spec, opts.Now())
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "B2.csv")
	if err := export(lostAfterRead{c}, out, ""); err == nil {
		t.Fatal("export succeeded without the watermarks after the read")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed export left %v", entries)
	}

	// A report that cannot be written: a full disk, a missing directory.
	for _, report := range []string{"/dev/full", filepath.Join(dir, "nodir", "r.json")} {
		if _, err := os.Stat(report); report == "/dev/full" && err != nil {
			continue // no /dev/full here
		}
		if err := export(c, out, report); err == nil {
			t.Fatalf("--report %s: no error", report)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("--report %s failed, yet the export left %v", report, entries)
		}
	}

	report := filepath.Join(dir, "r.json")
	if err := export(c, out, report); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out, report} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}
