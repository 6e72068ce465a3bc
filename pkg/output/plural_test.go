package output

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "record", "0 records"},
		{1, "record", "1 record"},
		{2, "record", "2 records"},
		{1, "entry", "1 entry"},
		{3, "entry", "3 entries"},
		{2, "key", "2 keys"},
		{2, "match", "2 matches"},
		{2, "status", "2 statuses"},
		{-1, "problem", "-1 problems"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestCountHave(t *testing.T) {
	if got := CountHave(1, "record"); got != "1 record has" {
		t.Errorf("CountHave(1) = %q", got)
	}
	if got := CountHave(0, "record"); got != "0 records have" {
		t.Errorf("CountHave(0) = %q", got)
	}
}
