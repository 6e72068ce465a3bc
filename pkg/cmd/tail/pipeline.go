package tail

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/record"
)

// pipeline moves the encoding, filtering and writing of a bounded read to a
// goroutine of its own, so it overlaps with the per-record cgo cost of
// Poll. One writer keeps each partition's order. Records travel in batches
// to keep channel traffic off the per-record path; a follow read does not
// use it, as a half-full batch would hold records back.
type pipeline struct {
	w       *writer
	batches chan batch
	cur     []*record.Record
	stopped atomic.Bool
	err     error // set by the writer goroutine before stopped
	done    sync.WaitGroup
}

type batch struct {
	recs  []*record.Record
	flush bool
}

const batchSize = 256

func newPipeline(w *writer) *pipeline {
	p := &pipeline{w: w, batches: make(chan batch, 8), cur: make([]*record.Record, 0, batchSize)}
	p.done.Add(1)
	go p.run()
	return p
}

func (p *pipeline) run() {
	defer p.done.Done()
	for b := range p.batches {
		if p.stopped.Load() {
			continue // drain
		}
		for _, r := range b.recs {
			if err := p.w.write(r); err != nil {
				if !errors.Is(err, consume.ErrStop) {
					p.err = err
				}
				p.stopped.Store(true)
				break
			}
		}
		if b.flush && !p.stopped.Load() {
			if err := p.w.idle(); err != nil {
				p.err = err
				p.stopped.Store(true)
			}
		}
	}
}

// add is the read callback.
func (p *pipeline) add(r *record.Record) error {
	if p.stopped.Load() {
		return consume.ErrStop
	}
	p.cur = append(p.cur, r)
	if len(p.cur) == batchSize {
		p.send(false)
	}
	return nil
}

// idle hands over what is pending and asks for a flush.
func (p *pipeline) idle() error {
	if p.stopped.Load() {
		return consume.ErrStop
	}
	p.send(true)
	return nil
}

func (p *pipeline) send(flush bool) {
	if len(p.cur) == 0 && !flush {
		return
	}
	p.batches <- batch{recs: p.cur, flush: flush}
	p.cur = make([]*record.Record, 0, batchSize)
}

// close hands over the rest, waits for the writer and returns its error.
func (p *pipeline) close() error {
	p.send(false)
	close(p.batches)
	p.done.Wait()
	return p.err
}
