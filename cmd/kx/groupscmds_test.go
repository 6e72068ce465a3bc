package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Consumers from another client library (franz-go's kgo), outside kx's own
// read path, to check what kx groups committed.
func init() {
	scriptCmds["group-consume"] = groupConsume
	scriptCmds["group-member"] = groupMember
	scriptCmds["count-lines"] = countLines
	scriptCmds["sort-lines"] = sortLines
	scriptCmds["report-field"] = reportField
}

// countLines: count-lines VAR FILE [-u] sets VAR to the number of lines of
// FILE (distinct lines with -u).
func countLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: count-lines VAR FILE [-u]")
	}
	ls := strings.Split(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"), "\n")
	if len(ls) == 1 && ls[0] == "" {
		ls = nil
	}
	if len(args) == 3 {
		slices.Sort(ls)
		ls = slices.Compact(ls)
	}
	ts.Setenv(args[0], strconv.Itoa(len(ls)))
	ts.Logf("count-lines: %s=%d", args[0], len(ls))
}

// sortLines: sort-lines IN OUT [-u] writes IN's lines sorted (and distinct
// with -u) to OUT.
func sortLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: sort-lines IN OUT [-u]")
	}
	ls := strings.Split(strings.TrimSuffix(ts.ReadFile(args[0]), "\n"), "\n")
	slices.Sort(ls)
	if len(args) == 3 {
		ls = slices.Compact(ls)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(ls, "\n")+"\n"), 0o644))
}

// reportField: report-field VAR REPORT.json FIELD sets VAR to a top-level
// field of a JSON report, as JSON text.
func reportField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: report-field VAR REPORT.json FIELD")
	}
	var rep map[string]json.RawMessage
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &rep))
	v, ok := rep[args[2]]
	if !ok {
		ts.Fatalf("report-field: no %s in %s", args[2], args[1])
	}
	ts.Setenv(args[0], string(v))
	ts.Logf("report-field: %s=%s", args[0], v)
}

// groupConsume: group-consume GROUP TOPIC N FILE joins GROUP as a kgo
// consumer, reads until it has the first record of N partitions of TOPIC,
// writes "topic/partition@offset" of each first record, sorted, to FILE,
// and leaves without committing. It fails after 20 seconds.
func groupConsume(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: group-consume GROUP TOPIC N FILE")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(ts.Getenv("KX_BROKERS")),
		kgo.ConsumerGroup(args[0]),
		kgo.ConsumeTopics(args[1]),
		kgo.DisableAutoCommit(),
		// A partition without a commit would start at the end: no record.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
	)
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := map[int32]int64{}
	for len(first) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			ts.Fatalf("group-consume: %d of %d partitions had a record within 20s: %v", len(first), n, first)
		}
		fetches.EachError(func(t string, p int32, err error) { ts.Fatalf("group-consume %s/%d: %v", t, p, err) })
		fetches.EachRecord(func(r *kgo.Record) {
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			}
		})
	}
	var lines []string
	for p, off := range first {
		lines = append(lines, fmt.Sprintf("%s/%d@%d", args[1], p, off))
	}
	slices.Sort(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// groupMember: group-member GROUP TOPIC joins GROUP as a kgo consumer with
// client id kx-test-member and stays a member until the script ends. It
// returns once the member has its assignment.
func groupMember(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: group-member GROUP TOPIC")
	}
	assigned := make(chan struct{}, 1)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(ts.Getenv("KX_BROKERS")),
		kgo.ClientID("kx-test-member"),
		kgo.ConsumerGroup(args[0]),
		kgo.ConsumeTopics(args[1]),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}),
	)
	ts.Check(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx)
		}
	}()
	ts.Defer(func() {
		cancel()
		<-done
		cl.Close()
	})
	select {
	case <-assigned:
	case <-time.After(20 * time.Second):
		ts.Fatalf("group-member: no assignment within 20s")
	}
}
