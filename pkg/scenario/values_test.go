package scenario

import (
	"testing"
	"time"
)

func TestFormatMilli(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(999, 7, 4, 9, 5, 3, 7_000_000, time.UTC),
		time.Date(2026, 3, 3, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := formatMilli(tm), tm.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
			t.Errorf("formatMilli(%v) = %s, want %s", tm, got, want)
		}
	}
}
