package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// numberedLines: numbered-lines FILE N writes N JSON lines {"id":I}.
func numberedLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: numbered-lines FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"id\":%d}\n", i)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}

// replayCheck: replay-check DST.ndjson N REPORT.json... checks what a
// resumed kx replay left in its destination (envelopes of kx tail -e):
// every one of the N source records arrived (their kx-replay-source
// headers are distinct), and the duplicates are no more than the reports
// of the earlier runs allow: a run may send again what an earlier run had
// acknowledged past the offset it committed (all it acknowledged when its
// report names no committed offset).
func replayCheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: replay-check DST.ndjson N REPORT.json...")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	seen := map[string]int{}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Headers []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"headers"`
		}
		ts.Check(json.Unmarshal(sc.Bytes(), &env))
		for _, h := range env.Headers {
			if h.Key == "kx-replay-source" {
				seen[h.Value]++
				total++
			}
		}
	}
	ts.Check(sc.Err())
	allowed := int64(0)
	for _, name := range args[2:] {
		var rep struct {
			Partitions []struct {
				Requested struct {
					From int64 `json:"from"`
				} `json:"requested"`
				Acknowledged int64  `json:"acknowledged"`
				Committed    *int64 `json:"committed"`
			} `json:"partitions"`
		}
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(name)), &rep))
		for _, p := range rep.Partitions {
			again := p.Acknowledged
			if p.Committed != nil {
				again -= *p.Committed - p.Requested.From
			}
			allowed += max(again, 0)
		}
	}
	dups := total - len(seen)
	ts.Logf("replay-check: %d records, %d distinct sources, %d duplicates, at most %d allowed by the reports", total, len(seen), dups, allowed)
	if len(seen) != want {
		ts.Fatalf("replay-check: %d distinct source records in the destination, want %d", len(seen), want)
	}
	if int64(dups) > allowed {
		ts.Fatalf("replay-check: %d duplicates, the reports allow %d", dups, allowed)
	}
}
