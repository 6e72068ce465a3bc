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
// use both cores. The generator leaves most events' JSON to be encoded
// here, on the consumer's side (next): an unpaced run waited on the
// generator while the producer had time to spare. Once ctx ends (Ctrl-C)
// or interrupt is called it starts no new flow and drains the flows in
// flight, so no order chain is left half-sent.
type eventSource struct {
	g       *scenario.Generator
	batches chan *batch
	free    chan *batch
	quit    chan struct{}
	done    sync.WaitGroup
	stop    atomic.Bool

	cur *batch
	i   int
	// interrupted is the consumer's view: set by interrupt or a done ctx.
	interrupted bool
}

// batch is events generated ahead and the arenas holding their values:
// arena the values the generator encoded, vals the field values of those
// left to next, enc what next encodes them into. It is reused once the
// consumer has moved on, so an event's Value is valid only until the
// next call to next.
type batch struct {
	events []scenario.Event
	arena  []byte
	vals   []any
	enc    []byte
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
		batches: make(chan *batch, 2),
		free:    make(chan *batch, 4),
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
	var now time.Time // the clock, read again only for events past it
	for {
		var b *batch
		select {
		case b = <-s.free:
		default:
			b = &batch{events: make([]scenario.Event, 0, sourceBatch), arena: make([]byte, 0, 16<<10),
				vals: make([]any, 0, 8*sourceBatch), enc: make([]byte, 0, 64<<10)}
		}
		last := false
		for len(b.events) < sourceBatch {
			if !interrupted && (ctx.Err() != nil || s.stop.Load()) {
				interrupted = true
				s.g.StopStarting()
			}
			if interrupted && s.g.Stats().InFlight == 0 {
				last = true
				break
			}
			ev, arena, vals, ok := s.g.NextDeferred(b.arena, b.vals)
			b.arena, b.vals = arena, vals
			if !ok {
				last = true
				break
			}
			b.events = append(b.events, ev)
			if paced && ev.Time.After(now) {
				if now = time.Now(); ev.Time.After(now) {
					break
				}
			}
		}
		if len(b.events) > 0 {
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

// next returns the next event to send, false when there is none left. Its
// Key and Value are valid until the following call.
func (s *eventSource) next(ctx context.Context) (scenario.Event, bool) {
	if ctx.Err() != nil {
		s.interrupt()
	}
	for s.cur == nil || s.i >= len(s.cur.events) {
		if s.cur != nil {
			clear(s.cur.events)
			clear(s.cur.vals)
			s.cur.events, s.cur.arena = s.cur.events[:0], s.cur.arena[:0]
			s.cur.vals, s.cur.enc = s.cur.vals[:0], s.cur.enc[:0]
			select {
			case s.free <- s.cur:
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
	ev := &s.cur.events[s.i]
	s.i++
	s.cur.enc = ev.Encode(s.cur.enc)
	return *ev, true
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
