package stats

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cluster"
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/position"
)

// Cluster is what statistics need of Kafka: metadata, offsets and the
// groups' commits (*kafka.Client, *kafkafake.Cluster).
type Cluster interface {
	Metadata(ctx context.Context) (*cluster.Metadata, error)
	Watermarks(ctx context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error)
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
	ListGroups(ctx context.Context) ([]cluster.Group, error)
	GroupOffsets(ctx context.Context, group string) (map[cluster.TP]int64, error)
	Timeout() time.Duration
}

// Query says what to collect and read: the options of kx stats that are
// not about its output.
type Query struct {
	Patterns []string
	Interval time.Duration // between two samples of a watch
	Window   time.Duration // a snapshot's rate span

	By      *jqfilter.Filter // --by, on ByTopic
	ByTopic string
	Latency bool

	Rules   []*alert.Rule // from --alerts
	From    string        // where record reading starts
	Webhook string
	FailOn  *alert.Severity
	Idle    time.Duration
	Groups  bool

	// Title heads the dashboard ("kx stats", "kx demo").
	Title string
}

// Sample is what one round of offset requests returns.
type Sample struct {
	MD      *cluster.Metadata
	brokers int
	ngroups int
	Topics  []cluster.TopicMeta
	Offsets []TopicOffsets
	WM      map[cluster.TP]cluster.Watermark
	groups  []GroupLag
	// groupIDs are every group's id (the groups with no lag on the
	// selected topics too).
	groupIDs []string
}

// Names are the selected topics.
func (s *Sample) Names() []string {
	out := make([]string, len(s.Offsets))
	for i, t := range s.Offsets {
		out[i] = t.Topic
	}
	return out
}

// Collect fetches metadata, watermarks, last timestamps and group lag of
// the selected topics: offsets and metadata only, never records.
func Collect(ctx context.Context, client Cluster, opts *Query) (*Sample, error) {
	md, err := client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	topics, err := md.Resolve(opts.Patterns)
	if err != nil {
		return nil, err
	}
	tps := cluster.Partitions(topics)
	wm, err := client.Watermarks(ctx, tps)
	if err != nil {
		return nil, err
	}
	last, err := client.ListOffsets(ctx, tps, cluster.MaxTimestamp)
	if err != nil {
		return nil, err
	}
	s := &Sample{MD: md, brokers: len(md.Brokers), Topics: topics, WM: wm}
	for _, t := range topics {
		to := TopicOffsets{Topic: t.Name}
		for _, p := range t.Partitions {
			tp := cluster.TP{Topic: t.Name, Partition: p.ID}
			w := wm[tp]
			to.Partitions = append(to.Partitions, PartitionOffsets{Partition: p.ID, Low: w.Low, High: w.High})
			if ts := last[tp].Timestamp; w.Count() > 0 && ts.After(to.LastTimestamp) {
				to.LastTimestamp = ts
			}
		}
		s.Offsets = append(s.Offsets, to)
	}
	if opts.Groups {
		if s.groups, s.groupIDs, err = groupLag(ctx, client, wm); err != nil {
			return nil, err
		}
		s.ngroups = len(s.groupIDs)
	}
	return s, nil
}

// groupLag computes every group's lag on the selected partitions: one
// round per interval for the lag column and every lag rule. librdkafka
// takes one group per offsets request, so the requests of a round go out
// together (at most groupRequests at a time).
func groupLag(ctx context.Context, client Cluster, wm map[cluster.TP]cluster.Watermark) ([]GroupLag, []string, error) {
	groups, err := client.ListGroups(ctx)
	if err != nil {
		return nil, nil, err
	}
	offsets := make(map[PartitionKey]PartitionOffsets, len(wm))
	for tp, w := range wm {
		offsets[PartitionKey{Topic: tp.Topic, Partition: tp.Partition}] = PartitionOffsets{Partition: tp.Partition, Low: w.Low, High: w.High}
	}
	ids := make([]string, len(groups))
	lags := make([][]GroupLag, len(groups))
	errs := make([]error, len(groups))
	sem := make(chan struct{}, groupRequests)
	var wg sync.WaitGroup
	for i, g := range groups {
		ids[i] = g.ID
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			offs, err := client.GroupOffsets(ctx, g.ID)
			if err != nil {
				errs[i] = err
				return
			}
			committed := make(map[PartitionKey]int64, len(offs))
			for tp, o := range offs {
				committed[PartitionKey{Topic: tp.Topic, Partition: tp.Partition}] = o
			}
			lags[i] = Lag(g.ID, committed, offsets)
		}()
	}
	wg.Wait()
	out := []GroupLag{}
	for i := range groups {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		out = append(out, lags[i]...)
	}
	return out, ids, nil
}

// groupRequests bounds the group offset requests in flight.
const groupRequests = 8

// WindowRates computes each topic's messages per second over the last
// window from the offsets at now-window: a snapshot needs no second sample.
func WindowRates(ctx context.Context, client Cluster, s *Sample, window time.Duration, now time.Time) (map[string]float64, error) {
	tps := cluster.Partitions(s.Topics)
	at, err := client.ListOffsets(ctx, tps, cluster.AtTime(now.Add(-window)))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, tp := range tps {
		w := s.WM[tp]
		from := at[tp].Offset
		if from < 0 || from > w.High {
			from = w.High // no record since then
		}
		from = max(from, w.Low)
		out[tp.Topic] += float64(w.High-from) / window.Seconds()
	}
	return out, nil
}

// ReadRanges plans the read of tps: from --from (def when it is empty)
// up to the high watermarks wm, or without end when follow.
func ReadRanges(ctx context.Context, c consume.Offsets, opts *Query, wm map[cluster.TP]cluster.Watermark, tps []cluster.TP, def string, follow bool) ([]consume.Range, error) {
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

// RecordTopics are the topics whose records must be read: --by's topic,
// the alert rules' topics, and with --latency every selected topic.
func RecordTopics(opts *Query, selected []string) []string {
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

// ReaderProps keep a stats reader light: it needs throughput, not a deep
// prefetch queue.
var ReaderProps = map[string]any{
	"queued.max.messages.kbytes": 16384,
	"fetch.wait.max.ms":          50,
}

// Finish completes a snapshot with what the tracker does not know.
func Finish(snap *Snapshot, s *Sample) {
	snap.Brokers = s.brokers
	snap.Groups = s.groups
	if snap.Groups == nil {
		snap.Groups = []GroupLag{}
	}
	if snap.Topics == nil {
		snap.Topics = []TopicStats{}
	}
	snap.Totals.Groups = s.ngroups
	snap.Totals.Lag, snap.Totals.NoCommit, snap.Totals.NoCommitRecords = 0, 0, 0
	var sum float64
	for _, t := range snap.Topics {
		sum += t.MessagesPerSec
	}
	snap.Totals.MessagesPerSec = Round2(sum)
	for _, g := range snap.Groups {
		snap.Totals.Lag += g.Lag
		snap.Totals.NoCommit += g.NoCommit
		snap.Totals.NoCommitRecords += g.NoCommitRecords
	}
}

// Round2 rounds to two decimals.
func Round2(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}
