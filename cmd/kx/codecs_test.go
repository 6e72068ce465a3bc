package main

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kgo"
)

// batchCodecs: batch-codecs TOPIC N WANT: read TOPIC's first N records
// with franz-go (another client than kx's) and check the codecs of their
// batches, comma-separated and sorted, match the regular expression WANT
// (none, gzip, snappy, lz4, zstd): what the producer really sent.
func batchCodecs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: batch-codecs TOPIC N WANT")
	}
	var n int
	for _, c := range args[1] {
		n = n*10 + int(c-'0')
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(scriptBroker(ts).Addrs()...), kgo.ConsumeTopics(args[0]),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ts.Check(err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	seen := map[string]bool{}
	for got := 0; got < n; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			ts.Fatalf("batch-codecs: %d of %d records read: %v", got, n, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got++
			seen[names[r.Attrs.CompressionType()]] = true
		})
	}
	var list []string
	for c := range seen {
		list = append(list, c)
	}
	sort.Strings(list)
	if got := strings.Join(list, ","); !regexp.MustCompile("^(?:" + args[2] + ")$").MatchString(got) {
		ts.Fatalf("batch-codecs %s: batches compressed with %s, want %s", args[0], got, args[2])
	}
}
