package stats

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/scan"
	st "github.com/kx-cli/kx/pkg/stats"
)

// sample is what one round of offset requests returns.
type sample struct {
	md      *kafka.Metadata
	brokers int
	ngroups int
	topics  []kafka.TopicMeta
	offsets []st.TopicOffsets
	wm      map[kafka.TP]kafka.Watermark
	groups  []st.GroupLag
}

func (s *sample) names() []string {
	out := make([]string, len(s.offsets))
	for i, t := range s.offsets {
		out[i] = t.Topic
	}
	return out
}

// collect fetches metadata, watermarks, last timestamps and group lag of
// the selected topics: offsets and metadata only, never records.
func collect(ctx context.Context, client *kafka.Client, opts *Options) (*sample, error) {
	md, err := client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	topics, err := md.Resolve(opts.Patterns)
	if err != nil {
		return nil, err
	}
	tps := kafka.Partitions(topics)
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return nil, err
	}
	last, err := client.ListOffsets(ctx, tps, kafka.MaxTimestamp)
	if err != nil {
		return nil, err
	}
	s := &sample{md: md, brokers: len(md.Brokers), topics: topics, wm: wm}
	for _, t := range topics {
		to := st.TopicOffsets{Topic: t.Name}
		for _, p := range t.Partitions {
			tp := kafka.TP{Topic: t.Name, Partition: p.ID}
			w := wm[tp]
			to.Partitions = append(to.Partitions, st.PartitionOffsets{Partition: p.ID, Low: w.Low, High: w.High})
			if ts := last[tp].Timestamp; w.Count() > 0 && ts.After(to.LastTimestamp) {
				to.LastTimestamp = ts
			}
		}
		s.offsets = append(s.offsets, to)
	}
	if opts.Groups {
		if s.groups, s.ngroups, err = groupLag(ctx, client, wm); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// groupLag computes every group's lag on the selected partitions.
func groupLag(ctx context.Context, client *kafka.Client, wm map[kafka.TP]kafka.Watermark) ([]st.GroupLag, int, error) {
	groups, err := client.ListGroups(ctx)
	if err != nil {
		return nil, 0, err
	}
	highs := make(map[st.PartitionKey]int64, len(wm))
	for tp, w := range wm {
		highs[st.PartitionKey{Topic: tp.Topic, Partition: tp.Partition}] = w.High
	}
	out := []st.GroupLag{}
	for _, g := range groups {
		offs, err := client.GroupOffsets(ctx, g.ID)
		if err != nil {
			return nil, 0, err
		}
		committed := make(map[st.PartitionKey]int64, len(offs))
		for tp, o := range offs {
			committed[st.PartitionKey{Topic: tp.Topic, Partition: tp.Partition}] = o
		}
		out = append(out, st.Lag(g.ID, committed, highs)...)
	}
	return out, len(groups), nil
}

// windowRates computes each topic's messages per second over the last
// window from the offsets at now-window: a snapshot needs no second sample.
func windowRates(ctx context.Context, client *kafka.Client, s *sample, window time.Duration, now time.Time) (map[string]float64, error) {
	tps := kafka.Partitions(s.topics)
	at, err := client.ListOffsets(ctx, tps, kafka.AtTime(now.Add(-window)))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, tp := range tps {
		w := s.wm[tp]
		from := at[tp].Offset
		if from < 0 || from > w.High {
			from = w.High // no record since then
		}
		from = max(from, w.Low)
		out[tp.Topic] += float64(w.High-from) / window.Seconds()
	}
	return out, nil
}

// readStart resolves --from for tps (def when --from is empty).
func readStart(ctx context.Context, client *kafka.Client, opts *Options, wm map[kafka.TP]kafka.Watermark, tps []kafka.TP, def string) (map[kafka.TP]int64, error) {
	from := opts.From
	if from == "" {
		from = def
	}
	spec, err := position.Parse(from, time.Now())
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return position.Resolve(ctx, client, wm, tps, spec)
}

// readRanges plans the read of tps: from --from (def when it is empty)
// up to the high watermarks wm, or without end when follow.
func readRanges(ctx context.Context, c consume.Offsets, opts *Options, wm map[kafka.TP]kafka.Watermark, tps []kafka.TP, def string, follow bool) ([]consume.Range, error) {
	from := opts.From
	if from == "" {
		from = def
	}
	spec, err := position.Parse(from, time.Now())
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return consume.Plan(ctx, c, tps, wm, consume.Spec{From: spec, Follow: follow})
}

// recordTopics are the topics whose records must be read: --by's topic,
// the alert rules' topics, and with --latency every selected topic.
func recordTopics(opts *Options, selected []string) []string {
	set := map[string]bool{}
	if opts.By != nil {
		set[opts.ByTopic] = true
	}
	for _, r := range opts.Rules {
		if r.ReadsRecords() {
			set[r.Topic] = true
		}
	}
	if opts.Latency {
		for _, t := range selected {
			set[t] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// readerProps keep a stats reader light: it needs throughput, not a deep
// prefetch queue.
var readerProps = map[string]any{
	"queued.max.messages.kbytes": 16384,
	"fetch.wait.max.ms":          50,
}

// ranges builds scan ranges from start offsets, up to end (or following
// when end is nil).
func ranges(tps []kafka.TP, start map[kafka.TP]int64, end map[kafka.TP]kafka.Watermark) []scan.Range {
	out := make([]scan.Range, 0, len(tps))
	for _, tp := range tps {
		r := scan.Range{TP: tp, Start: start[tp], End: -1}
		if end != nil {
			r.End = end[tp].High
		}
		out = append(out, r)
	}
	return out
}
