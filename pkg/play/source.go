package play

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kx-cli/kx/pkg/scenario"
)

// eventSource runs the generator in a goroutine of its own, a batch ahead
// of the producer, so generating an event and queueing the one before it
// use both cores. Once ctx ends (Ctrl-C) or interrupt is called it starts
// no new flow and drains the flows in flight, so no order chain is left
// half-sent.
type eventSource struct {
	g       *scenario.Generator
	batches chan []scenario.Event
	free    chan []scenario.Event
	quit    chan struct{}
	done    sync.WaitGroup
	stop    atomic.Bool

	cur []scenario.Event
	i   int
	// interrupted is the consumer's view: set by interrupt or a done ctx.
	interrupted bool
}

// sourceBatch is the most events generated ahead in one batch; two
// batches may wait while the consumer works on a third.
const sourceBatch = 256

// newEventSource starts the generator. paced: the run waits for each
// event's time, so a batch ends at the first event still in the future
// and the generator never runs more than a few events ahead of the clock
// (Ctrl-C then sends only those at once).
func newEventSource(ctx context.Context, g *scenario.Generator, paced bool) *eventSource {
	s := &eventSource{
		g:       g,
		batches: make(chan []scenario.Event, 2),
		free:    make(chan []scenario.Event, 4),
		quit:    make(chan struct{}),
	}
	s.done.Add(1)
	go s.run(ctx, paced)
	return s
}

func (s *eventSource) run(ctx context.Context, paced bool) {
	defer s.done.Done()
	defer close(s.batches)
	interrupted := false
	for {
		var b []scenario.Event
		select {
		case b = <-s.free:
		default:
			b = make([]scenario.Event, 0, sourceBatch)
		}
		last := false
		for len(b) < sourceBatch {
			if !interrupted && (ctx.Err() != nil || s.stop.Load()) {
				interrupted = true
				s.g.StopStarting()
			}
			if interrupted && s.g.Stats().InFlight == 0 {
				last = true
				break
			}
			ev, ok := s.g.Next()
			if !ok {
				last = true
				break
			}
			b = append(b, ev)
			if paced && ev.Time.After(time.Now()) {
				break
			}
		}
		if len(b) > 0 {
			select {
			case s.batches <- b:
			case <-s.quit:
				return
			}
		}
		if last {
			return
		}
	}
}

// interrupt stops new flows; the flows in flight still come.
func (s *eventSource) interrupt() {
	if !s.interrupted {
		s.interrupted = true
		s.stop.Store(true)
	}
}

// next returns the next event to send, false when there is none left.
func (s *eventSource) next(ctx context.Context) (scenario.Event, bool) {
	if ctx.Err() != nil {
		s.interrupt()
	}
	for s.i >= len(s.cur) {
		if s.cur != nil {
			clear(s.cur) // no event's bytes stay reachable from the pool
			select {
			case s.free <- s.cur[:0]:
			default:
			}
		}
		b, ok := <-s.batches
		if !ok {
			s.cur = nil
			return scenario.Event{}, false
		}
		s.cur, s.i = b, 0
	}
	ev := s.cur[s.i]
	s.i++
	return ev, true
}

// close stops the generator's goroutine and waits for it: after close the
// generator is the caller's again (Stats, Err).
func (s *eventSource) close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	s.done.Wait()
}
