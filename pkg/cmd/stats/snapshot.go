package stats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

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
	now := time.Now()
	s, err := collect(ctx, client, opts)
	if err != nil {
		return err
	}
	rates, err := windowRates(ctx, client, s, opts.Window, now)
	if err != nil {
		return err
	}
	tracker := st.NewTracker(0)
	if opts.By != nil {
		tracker.SetBy(st.NewByCounter(opts.By, opts.ByTopic))
	}
	tracker.ObserveOffsets(now, s.offsets)
	if read := recordTopics(opts, s.names()); len(read) > 0 {
		metas, err := s.md.Resolve(read)
		if err != nil {
			return err
		}
		tps := kafka.Partitions(metas)
		wm, err := client.Watermarks(ctx, tps)
		if err != nil {
			return err
		}
		rs, err := readRanges(ctx, client, opts, wm, tps, "-"+opts.Window.String(), false)
		if err != nil {
			return err
		}
		err = consume.Read(ctx, consume.Readers(client.NewReader), rs, consume.Options{Properties: readerProps}, func(r *record.Record) error {
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
	snap := tracker.Snapshot(now, opts.Window, s.names())
	snap.ByTotal = nil // one interval: By already holds every count
	for i := range snap.Topics {
		r := rates[snap.Topics[i].Topic]
		snap.Topics[i].MessagesPerSec, snap.Topics[i].PeakPerSec = round2(r), round2(r)
	}
	finish(snap, s)
	snap.Totals.PeakPerSec = snap.Totals.MessagesPerSec
	if opts.Output == output.Table {
		return writeSnapshotTable(opts.IO.Out, snap)
	}
	return output.WriteJSONLine(opts.IO.Out, snap)
}

// finish completes a snapshot with what the tracker does not know.
func finish(snap *st.Snapshot, s *sample) {
	snap.Brokers = s.brokers
	snap.Groups = s.groups
	if snap.Groups == nil {
		snap.Groups = []st.GroupLag{}
	}
	if snap.Topics == nil {
		snap.Topics = []st.TopicStats{}
	}
	snap.Totals.Groups = s.ngroups
	snap.Totals.Lag = 0
	var sum float64
	for _, t := range snap.Topics {
		sum += t.MessagesPerSec
	}
	snap.Totals.MessagesPerSec = round2(sum)
	for _, g := range snap.Groups {
		snap.Totals.Lag += g.Lag
	}
}

func round2(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
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
	if err := writeTable(w, header, rows); err != nil {
		return err
	}
	if lat := latencyRows(snap); len(lat) > 0 {
		fmt.Fprintln(w)
		if err := writeTable(w, []string{"topic", "records", "p50", "p95", "max"}, lat); err != nil {
			return err
		}
	}
	if len(snap.Groups) > 0 {
		fmt.Fprintln(w)
		rows = rows[:0]
		for _, g := range snap.Groups {
			rows = append(rows, []string{g.Group, g.Topic, strconv.FormatInt(g.Lag, 10),
				strconv.Itoa(int(g.WorstPartition)), strconv.FormatInt(g.WorstLag, 10)})
		}
		if err := writeTable(w, []string{"group", "topic", "lag", "worst partition", "its lag"}, rows); err != nil {
			return err
		}
	}
	if b := snap.By; b != nil {
		fmt.Fprintf(w, "\ncounts of %s on %s (%d records, %d errors)\n", b.Expr, b.Topic, b.Records, b.Errors)
		rows = rows[:0]
		for _, v := range b.Values {
			rows = append(rows, []string{v.Value, strconv.FormatInt(v.Count, 10), strconv.FormatFloat(v.Share, 'f', 2, 64) + "%"})
		}
		if err := writeTable(w, []string{"value", "count", "share"}, rows); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\ntotal: %d messages in %d topics, %.1f msg/s, %d broker(s), %d consumer group(s), lag %d\n",
		snap.Totals.Messages, snap.Totals.Topics, snap.Totals.MessagesPerSec, snap.Brokers, snap.Totals.Groups, snap.Totals.Lag)
	return err
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

// writeTable is output.WriteTable with headers kept as written (upper
// case), so "MSG/S" and "P95" are not respaced by the auto-formatter.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := output.NewTable(&buf).Options(tablewriter.WithHeaderAutoFormat(tw.Off))
	up := make([]string, len(header))
	for i, h := range header {
		up[i] = strings.ToUpper(h)
	}
	t.Header(up)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(output.TrimTrailingSpaces(buf.Bytes()))
	return err
}
