// Package position parses and resolves where a read starts or stops:
// --from and --to of tail, trace, export and flow.
package position

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
)

// Kind of a position.
type Kind int

// The kinds of positions.
const (
	Beginning Kind = iota // the low watermark
	End                   // the high watermark (at resolve time)
	Offset                // an absolute offset in every partition
	FromEnd               // N records before the high watermark
	Time                  // the first record at or after a time
)

// Spec is a parsed position.
type Spec struct {
	Kind   Kind
	Offset int64     // Offset, FromEnd
	Time   time.Time // Time
}

// Help describes the syntax, for flag usage strings.
const Help = "beginning|end|OFFSET|-N|TIMESTAMP|-DURATION (RFC 3339, epoch ms, or relative like -10m)"

// epochMillisMin separates offsets from epoch-millisecond timestamps:
// 13-digit numbers (2001 onwards) are times, shorter ones offsets.
const epochMillisMin = 1_000_000_000_000

// Parse reads a position. now anchors relative durations.
//
//	beginning, earliest, start    the low watermark
//	end, latest, now              the high watermark
//	1234                          offset 1234 in every partition
//	-100                          100 records before the end of each partition
//	1732500000000                 epoch milliseconds
//	2026-11-25T10:00:00Z          RFC 3339 (date only also accepted)
//	-10m, -1h30m, -2d             that long before now
func Parse(s string, now time.Time) (Spec, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "beginning", "earliest", "start", "oldest":
		return Spec{Kind: Beginning}, nil
	case "end", "latest", "now", "newest":
		return Spec{Kind: End}, nil
	case "":
		return Spec{}, fmt.Errorf("empty position; want %s", Help)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return Spec{Kind: FromEnd, Offset: -n}, nil
		case n >= epochMillisMin:
			return Spec{Kind: Time, Time: time.UnixMilli(n)}, nil
		default:
			return Spec{Kind: Offset, Offset: n}, nil
		}
	}
	if strings.HasPrefix(s, "-") {
		d, err := parseDuration(s[1:])
		if err != nil {
			return Spec{}, fmt.Errorf("position %q: %v; want %s", s, err, Help)
		}
		return Spec{Kind: Time, Time: now.Add(-d)}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Spec{Kind: Time, Time: t}, nil
		}
	}
	return Spec{}, fmt.Errorf("position %q: not understood; want %s", s, Help)
}

// parseDuration accepts Go durations plus a "d" (24h) unit.
func parseDuration(s string) (time.Duration, error) {
	if i := strings.Index(s, "d"); i > 0 {
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, err
		}
		rest := time.Duration(0)
		if i+1 < len(s) {
			if rest, err = time.ParseDuration(s[i+1:]); err != nil {
				return 0, err
			}
		}
		return time.Duration(days*24*float64(time.Hour)) + rest, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration")
	}
	return d, nil
}

// OffsetLister is the part of the Kafka client resolution needs.
type OffsetLister interface {
	ListOffsets(ctx context.Context, tps []cluster.TP, spec cluster.OffsetSpec) (map[cluster.TP]cluster.OffsetInfo, error)
	Watermarks(ctx context.Context, tps []cluster.TP) (map[cluster.TP]cluster.Watermark, error)
}

// Resolve turns a spec into an absolute offset per partition, clamped to
// the watermarks wm (as fetched by the caller). A time after the last
// record resolves to the high watermark.
func Resolve(ctx context.Context, c OffsetLister, wm map[cluster.TP]cluster.Watermark, tps []cluster.TP, spec Spec) (map[cluster.TP]int64, error) {
	out := make(map[cluster.TP]int64, len(tps))
	var byTime map[cluster.TP]cluster.OffsetInfo
	if spec.Kind == Time {
		var err error
		if byTime, err = c.ListOffsets(ctx, tps, cluster.AtTime(spec.Time)); err != nil {
			return nil, err
		}
	}
	for _, tp := range tps {
		w := wm[tp]
		var off int64
		switch spec.Kind {
		case Beginning:
			off = w.Low
		case End:
			off = w.High
		case Offset:
			off = spec.Offset
		case FromEnd:
			off = w.High - spec.Offset
		case Time:
			off = byTime[tp].Offset
			if off < 0 {
				off = w.High
			}
		}
		out[tp] = min(max(off, w.Low), w.High)
	}
	return out, nil
}

// CheckRange refuses a from that comes after to when the two can be
// compared without the cluster: two offsets, two times, or two counts
// before the end. (Such a range reads nothing; the caller names the flags.)
func CheckRange(from, to Spec) error {
	after := false
	switch {
	case from.Kind == Offset && to.Kind == Offset:
		after = from.Offset > to.Offset
	case from.Kind == Time && to.Kind == Time:
		after = from.Time.After(to.Time)
	case from.Kind == FromEnd && to.Kind == FromEnd:
		after = from.Offset < to.Offset
	case from.Kind == End && to.Kind == Beginning:
		after = true
	}
	if after {
		return fmt.Errorf("the start is after the end, so nothing would be read")
	}
	return nil
}
