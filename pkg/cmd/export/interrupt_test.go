package export

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/record"
)

// signalAfter is a reader that ends the context with a signal once it has
// returned n records, as main does on SIGINT or SIGTERM mid-read.
type signalAfter struct {
	consume.Reader
	n      int
	cancel context.CancelCauseFunc
	sig    syscall.Signal
}

func (r *signalAfter) Poll(timeout time.Duration) (*record.Record, error) {
	if r.n == 0 {
		r.cancel(&cmdutil.SignalCause{Signal: r.sig})
		return nil, nil
	}
	rec, err := r.Reader.Poll(timeout)
	if rec != nil {
		r.n--
	}
	return rec, err
}

// An export to stdout stopped by a signal ends with a whole line, exits
// 130/143 and says how far it got; with --out nothing appears at the path.
func TestExportInterrupted(t *testing.T) {
	c := kafkafake.New()
	c.CreateTopic("t", 1)
	big := strings.Repeat("x", 700)
	for i := range 3000 {
		add(c, "t", 0, time.Duration(i)*time.Millisecond, fmt.Sprintf(`{"i":%d,"pad":%q}`, i, big))
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		out  string
	}{{syscall.SIGINT, exitcode.Interrupted, ""}, {syscall.SIGTERM, exitcode.Terminated, ""}, {syscall.SIGTERM, exitcode.Terminated, "out.ndjson"}} {
		opts, out, _ := testOptions(t, "t", "-o", "ndjson")
		dir := t.TempDir()
		if tc.out != "" {
			opts.Out = filepath.Join(dir, tc.out)
		}
		job, spec, err := opts.job(opts.Now())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		// 2000 records are about 1.5 MB: more than the write buffer, so
		// a part of the output went out before the signal.
		open := func(o kafka.ReaderOptions) (consume.Reader, error) {
			rd, err := c.NewReader(o)
			return &signalAfter{Reader: rd, n: 2000, cancel: cancel, sig: tc.sig}, err
		}
		err = exportTopics(ctx, c, open, opts, job, spec, opts.Now())
		if exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), "export interrupted by "+cmdutil.SignalName(tc.sig)+" after 2000 records") {
			t.Fatalf("%v: err %v (code %d), want %d", tc.sig, err, exitcode.Of(err), tc.code)
		}
		if tc.out != "" {
			if entries, _ := os.ReadDir(dir); len(entries) != 0 || !strings.Contains(err.Error(), "nothing written to "+opts.Out) {
				t.Errorf("--out left %v; err %v", entries, err)
			}
			continue
		}
		data := out.Bytes()
		if !bytes.HasSuffix(data, []byte("\n")) {
			t.Fatalf("%v: output ends mid-line: …%q", tc.sig, data[max(0, len(data)-40):])
		}
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(lines) != 2000 {
			t.Errorf("%v: %d lines, want the 2000 records read", tc.sig, len(lines))
		}
		for i, l := range lines {
			if !json.Valid(l) {
				t.Fatalf("%v: line %d is not JSON: %.60q", tc.sig, i+1, l)
			}
		}
	}
}
