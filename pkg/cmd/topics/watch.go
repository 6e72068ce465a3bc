package topics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// WatchRow is one topic in one --watch interval.
type WatchRow struct {
	Time           string          `json:"time"`
	Topic          string          `json:"topic"`
	Messages       int64           `json:"messages"`
	MessagesPerSec float64         `json:"messages_per_sec"`
	Partitions     []WatchPartRate `json:"partitions"`
}

// WatchPartRate is one partition in one --watch interval.
type WatchPartRate struct {
	Partition      int32   `json:"partition"`
	Low            int64   `json:"low"`
	High           int64   `json:"high"`
	MessagesPerSec float64 `json:"messages_per_sec"`
}

func runWatch(ctx context.Context, opts *ListOptions) error {
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	var prev map[kafka.TP]kafka.Watermark
	var prevAt time.Time
	if opts.Output == output.Table {
		// The alternate screen: the view refreshes in place and the user's
		// terminal is as it was after Ctrl-C.
		fmt.Fprint(opts.IO.Out, output.EnterScreen)
		defer fmt.Fprint(opts.IO.Out, output.LeaveScreen)
	}
	ticker := time.NewTicker(opts.Interval)
	defer ticker.Stop()
	for {
		topics, err := client.ResolveTopics(ctx, opts.Patterns)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		wm, err := client.Watermarks(ctx, kafka.Partitions(topics))
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		now := time.Now()
		rows := watchRows(topics, wm, prev, now.Sub(prevAt), now)
		if err := printWatch(opts, rows, now); err != nil {
			return err
		}
		prev, prevAt = wm, now
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// watchRows computes per-topic and per-partition rates from two samples of
// high watermarks; the first sample has no rate yet.
func watchRows(topics []kafka.TopicMeta, wm, prev map[kafka.TP]kafka.Watermark, dt time.Duration, now time.Time) []WatchRow {
	rows := make([]WatchRow, 0, len(topics))
	for _, t := range topics {
		row := WatchRow{Time: record.FormatTimestamp(now), Topic: t.Name}
		for _, p := range t.Partitions {
			tp := kafka.TP{Topic: t.Name, Partition: p.ID}
			w := wm[tp]
			pr := WatchPartRate{Partition: p.ID, Low: w.Low, High: w.High}
			if old, ok := prev[tp]; ok && dt > 0 && w.High >= old.High {
				pr.MessagesPerSec = float64(w.High-old.High) / dt.Seconds()
			}
			row.Messages += w.Count()
			row.MessagesPerSec += pr.MessagesPerSec
			row.Partitions = append(row.Partitions, pr)
		}
		rows = append(rows, row)
	}
	return rows
}

func printWatch(opts *ListOptions, rows []WatchRow, now time.Time) error {
	if opts.Output != output.Table {
		for _, r := range rows {
			if err := output.WriteJSONLine(opts.IO.Out, r); err != nil {
				return err
			}
		}
		return nil
	}
	header := []string{"topic", "partition", "low", "high", "messages", "msg/s"}
	var table [][]string
	for _, r := range rows {
		table = append(table, []string{r.Topic, "*", "", "", strconv.FormatInt(r.Messages, 10), rate(r.MessagesPerSec)})
		for _, p := range r.Partitions {
			table = append(table, []string{"", strconv.Itoa(int(p.Partition)), strconv.FormatInt(p.Low, 10), strconv.FormatInt(p.High, 10), strconv.FormatInt(p.High-p.Low, 10), rate(p.MessagesPerSec)})
		}
	}
	width, height := opts.IO.TerminalSize()
	lines, err := output.FitTable(header, table, width, "low", "high", "messages")
	if err != nil {
		return err
	}
	title := fmt.Sprintf("kx topics --watch  every %s  %s  (Ctrl-C to stop)", opts.Interval, now.Format("15:04:05"))
	return output.Frame(opts.IO.Out, append([]string{title, ""}, lines...), width, height)
}

func rate(r float64) string {
	return strconv.FormatFloat(r, 'f', 1, 64)
}
