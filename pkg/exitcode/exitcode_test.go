package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	wrapped := fmt.Errorf("tail orders: %w", Newf(Unreachable, "cannot reach"))
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, OK},
		{errors.New("plain"), Failure}, // 1 is "no match" only
		{fmt.Errorf("write stdout: %w", errors.New("no space left on device")), Failure},
		{New(Usage, errors.New("bad flag")), Usage},
		{wrapped, Unreachable},
		{Silent(NoMatch), NoMatch},
	} {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !IsSilent(Silent(NoMatch)) || IsSilent(wrapped) {
		t.Error("IsSilent")
	}
	if wrapped.Error() != "tail orders: cannot reach" {
		t.Errorf("message %q", wrapped.Error())
	}
}
