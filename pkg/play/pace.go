package play

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Pacer waits until each event's scheduled wall-clock time.
type Pacer struct {
	// Now and After default to the real clock; tests replace them.
	Now   func() time.Time
	timer *time.Timer
}

// minSleep: events due sooner than this are sent at once; sleeping for
// less costs more in timer overhead than it gains in precision.
const minSleep = 500 * time.Microsecond

// Wait blocks until at (or ctx ends) and returns how late the caller is
// compared with at (0 when on time).
func (p *Pacer) Wait(ctx context.Context, at time.Time) (time.Duration, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	d := at.Sub(now())
	if d < -minSleep {
		return -d, nil
	}
	if d < minSleep {
		return 0, nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return 0, ctx.Err()
	case <-p.timer.C:
		return 0, nil
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func formatAny(v any) string { return fmt.Sprint(v) }
