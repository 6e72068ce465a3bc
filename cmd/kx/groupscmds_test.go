package main

import (
	"context"
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
