package jqfilter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// A generator is read output by output: the caller stops it mid-record,
// an endless one stops at MaxOutputs, and cancellation stops an
// evaluation that produces nothing.
func TestGeneratorBounds(t *testing.T) {
	r := &record.Record{Topic: "t", Offset: 7, Value: []byte(`{"a":1}`)}
	f := MustCompile(`range(1e9)`)

	enough := errors.New("enough")
	var got []string
	res, err := f.Each(context.Background(), r, func(o []byte) error {
		got = append(got, string(o))
		if len(got) == 3 {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) || res.Streamed != 3 || len(got) != 3 || got[2] != "2" {
		t.Fatalf("stopped mid-record: err %v, streamed %d, got %v", err, res.Streamed, got)
	}

	n := 0
	res, err = f.Each(context.Background(), r, func([]byte) error { n++; return nil })
	var ee *EvalError
	if !errors.As(err, &ee) || !errors.Is(err, ErrTooManyOutputs) || n != MaxOutputs || !res.Keep {
		t.Fatalf("endless generator: err %v, %d outputs", err, n)
	}
	if _, err := f.Values(r); !errors.Is(err, ErrTooManyOutputs) {
		t.Errorf("Values: %v", err)
	}
	if _, err := MustCompile(`range(1e9) > 5`).Eval(r); !errors.Is(err, ErrTooManyOutputs) {
		t.Errorf("booleans: %v", err)
	}

	// No output at all for a very long time: only cancellation ends it.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = MustCompile(`reduce range(1e15) as $i (0; . + $i)`).Each(ctx, r, func([]byte) error { return nil })
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ee) {
		t.Fatalf("cancelled evaluation: %v", err)
	}
}
