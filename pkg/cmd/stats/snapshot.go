package stats

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
	st "github.com/kx-cli/kx/pkg/stats"
)

func runSnapshot(ctx context.Context, opts *Options) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	return snapshot(ctx, client, cmdutil.Readers(client, opts.Decoder), opts)
}

// snapshot prints one stats object: offsets, rates over --window, lag,
// and what the records of --window say (--by, --latency).
func snapshot(ctx context.Context, client st.Cluster, open consume.Opener, opts *Options) error {
	now := time.Now()
	s, err := st.Collect(ctx, client, &opts.Query)
	if err != nil {
		return err
	}
	rates, err := st.WindowRates(ctx, client, s, opts.Window, now)
	if err != nil {
		return err
	}
	tracker := st.NewTracker(0)
	tracker.Latency = opts.Latency
	if opts.By != nil {
		tracker.SetBy(st.NewByCounter(opts.By, opts.ByTopic))
	}
	tracker.ObserveOffsets(now, s.Offsets)
	if read := st.RecordTopics(&opts.Query, s.Names()); len(read) > 0 {
		metas, err := s.MD.Resolve(read)
		if err != nil {
			return err
		}
		tps := kafka.Partitions(metas)
		wm, err := client.Watermarks(ctx, tps)
		if err != nil {
			return err
		}
		rs, err := st.ReadRanges(ctx, client, &opts.Query, wm, tps, "-"+opts.Window.String(), false)
		if err != nil {
			return err
		}
		err = consume.Read(ctx, open, rs, consume.Options{Properties: st.ReaderProps}, func(r *record.Record) error {
			tracker.ObserveRecord(r, time.Now())
			return nil
		})
		if err != nil {
			return fmt.Errorf("stats: read %s: %w", strings.Join(read, ","), err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	snap := tracker.Snapshot(now, opts.Window, s.Names())
	snap.ByTotal = nil // one interval: By already holds every count
	for i := range snap.Topics {
		r := rates[snap.Topics[i].Topic]
		snap.Topics[i].MessagesPerSec, snap.Topics[i].PeakPerSec = st.Round2(r), st.Round2(r)
	}
	st.Finish(snap, s)
	snap.Totals.PeakPerSec = snap.Totals.MessagesPerSec
	if opts.Output == output.Table {
		return writeSnapshotTable(opts.IO.Out, snap)
	}
	return output.WriteJSONLine(opts.IO.Out, snap)
}

// writeSnapshotTable prints a snapshot for people: topics, lag, counts by
// value, then totals.
func writeSnapshotTable(w io.Writer, snap *st.Snapshot) error {
	header := []string{"topic", "partitions", "messages", "min", "max", "skew", "msg/s", "last timestamp"}
	rows := make([][]string, 0, len(snap.Topics))
	for _, t := range snap.Topics {
		last := t.LastTimestamp
		if last == "" {
			last = "-"
		}
		rows = append(rows, []string{t.Topic, strconv.Itoa(t.Partitions), strconv.FormatInt(t.Messages, 10),
			strconv.FormatInt(t.PartitionMin, 10), strconv.FormatInt(t.PartitionMax, 10),
			strconv.FormatFloat(t.Skew, 'f', 2, 64), strconv.FormatFloat(t.MessagesPerSec, 'f', 1, 64), last})
	}
	if err := st.WriteTable(w, header, rows); err != nil {
		return err
	}
	if lat := latencyRows(snap); len(lat) > 0 {
		fmt.Fprintln(w)
		if err := st.WriteTable(w, []string{"topic", "records", "p50", "p95", "max"}, lat); err != nil {
			return err
		}
	}
	if len(snap.Groups) > 0 {
		fmt.Fprintln(w)
		rows = rows[:0]
		for _, g := range snap.Groups {
			worst, its := strconv.Itoa(int(g.WorstPartition)), strconv.FormatInt(g.WorstLag, 10)
			if g.Partitions == 0 {
				worst, its = "-", "-"
			}
			rows = append(rows, []string{g.Group, g.Topic, strconv.FormatInt(g.Lag, 10), worst, its, noCommit(g.NoCommit, g.NoCommitRecords)})
		}
		if err := st.WriteTable(w, []string{"group", "topic", "lag", "worst partition", "its lag", "no commit"}, rows); err != nil {
			return err
		}
	}
	if b := snap.By; b != nil {
		fmt.Fprintf(w, "\ncounts of %s on %s (%s, %s)\n", b.Expr, b.Topic, output.Count(b.Records, "record"), output.Count(b.Errors, "error"))
		rows = rows[:0]
		for _, v := range b.Values {
			rows = append(rows, []string{v.Value, strconv.FormatInt(v.Count, 10), strconv.FormatFloat(v.Share, 'f', 2, 64) + "%"})
		}
		if err := st.WriteTable(w, []string{"value", "count", "share"}, rows); err != nil {
			return err
		}
	}
	lag := strconv.FormatInt(snap.Totals.Lag, 10)
	if snap.Totals.NoCommit > 0 {
		lag += fmt.Sprintf(" (over committed partitions; %s not counted)", noCommit(snap.Totals.NoCommit, snap.Totals.NoCommitRecords))
	}
	_, err := fmt.Fprintf(w, "\ntotal: %s in %s, %.1f msg/s, %s, %s, lag %s\n",
		output.Count(snap.Totals.Messages, "message"), output.Count(snap.Totals.Topics, "topic"), snap.Totals.MessagesPerSec,
		output.Count(snap.Brokers, "broker"), output.Count(snap.Totals.Groups, "consumer group"), lag)
	return err
}

// noCommit describes partitions without a commit: how many, and their
// records from the log start (their lag if the group starts there).
func noCommit(partitions int, records int64) string {
	if partitions == 0 {
		return "-"
	}
	return fmt.Sprintf("%s without commit (%s from their start)", output.Count(partitions, "partition"), output.Count(records, "record"))
}

func latencyRows(snap *st.Snapshot) [][]string {
	var rows [][]string
	for _, t := range snap.Topics {
		if l := t.Latency; l != nil {
			rows = append(rows, []string{t.Topic, strconv.Itoa(l.Samples), fmtMs(l.P50Ms), fmtMs(l.P95Ms), fmtMs(l.MaxMs)})
		}
	}
	return rows
}

func fmtMs(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "ms" }
