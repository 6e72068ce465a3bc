package export

import (
	"io"
	"runtime"
	"sync"

	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// Format of an export.
const (
	FormatCSV    = "csv"
	FormatNDJSON = "ndjson"
)

// Job is the per-record work of an export.
type Job struct {
	Format  string
	Columns []Column // CSV; nil discovers them from the first records
	Unique  *jqfilter.Filter
	On      *jqfilter.Filter
}

// KeyResult is a business key computed for one record.
type KeyResult struct {
	Key string
	OK  bool
}

// Done describes one record after it was written, in output order.
type Done struct {
	Record  *record.Record
	Unique  KeyResult
	On      KeyResult
	Unknown bool  // CSV default columns: members not exported
	EvalErr error // a jq error in a column or key
}

const (
	batchSize     = 512
	discoverCount = 100
)

type batch struct {
	recs  []*record.Record
	out   []byte
	done  []Done
	ready chan struct{}
}

// Writer encodes records on every core and writes them in read order.
// Memory is bounded by a few batches per worker.
type Writer struct {
	job     Job
	out     io.Writer
	after   func(*Done)
	workers int

	cur     *batch
	pending []*record.Record // held back until the columns are discovered
	started bool

	work  chan *batch
	order chan *batch
	wg    sync.WaitGroup
	done  chan struct{}

	mu  sync.Mutex
	err error
}

// NewWriter returns a writer to out; after is called for every record once
// written, in order, from a single goroutine.
func NewWriter(job Job, out io.Writer, after func(*Done)) *Writer {
	w := &Writer{job: job, out: out, after: after, workers: runtime.GOMAXPROCS(0), done: make(chan struct{})}
	return w
}

// Columns are the CSV columns in use (known after the first records).
func (w *Writer) Columns() []Column { return w.job.Columns }

func (w *Writer) start() {
	w.started = true
	w.work = make(chan *batch, 2*w.workers)
	w.order = make(chan *batch, 2*w.workers)
	checkUnknown := false
	if w.job.Format == FormatCSV {
		if w.job.Columns == nil {
			w.job.Columns = DiscoverColumns(w.pending)
			checkUnknown = true
		}
		header := make([][]byte, len(w.job.Columns))
		for i, c := range w.job.Columns {
			header[i] = []byte(c.Name)
		}
		w.write(appendHeader(nil, header))
	}
	for range w.workers {
		w.wg.Add(1)
		go w.encode(checkUnknown)
	}
	go w.drain()
}

func appendHeader(dst []byte, cells [][]byte) []byte {
	return output.AppendCSVRow(dst, cells)
}

// Add queues r. It returns the first write error, after which the caller
// should stop.
func (w *Writer) Add(r *record.Record) error {
	if err := w.Err(); err != nil {
		return err
	}
	if !w.started {
		if w.job.Format == FormatCSV && w.job.Columns == nil && len(w.pending) < discoverCount {
			w.pending = append(w.pending, r)
			return nil
		}
		w.start()
		for _, p := range w.pending {
			w.push(p)
		}
		w.pending = nil
	}
	w.push(r)
	return nil
}

func (w *Writer) push(r *record.Record) {
	if w.cur == nil {
		w.cur = &batch{recs: make([]*record.Record, 0, batchSize), ready: make(chan struct{})}
	}
	w.cur.recs = append(w.cur.recs, r)
	if len(w.cur.recs) == batchSize {
		w.flushBatch()
	}
}

func (w *Writer) flushBatch() {
	if w.cur == nil {
		return
	}
	b := w.cur
	w.cur = nil
	w.order <- b
	w.work <- b
}

// Close writes what is queued and waits; it returns the first write error.
func (w *Writer) Close() error {
	if !w.started {
		if w.job.Format == FormatCSV && w.job.Columns == nil && len(w.pending) == 0 {
			// Nothing read: a header of the metadata columns alone.
			w.job.Columns = append([]Column(nil), metaColumns...)
		}
		w.start()
		for _, p := range w.pending {
			w.push(p)
		}
		w.pending = nil
	}
	w.flushBatch()
	close(w.work)
	close(w.order)
	w.wg.Wait()
	<-w.done
	return w.Err()
}

// Err is the first write error.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) write(b []byte) {
	if w.Err() != nil {
		return
	}
	if _, err := w.out.Write(b); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}
}

func (w *Writer) encode(checkUnknown bool) {
	defer w.wg.Done()
	var rows *RowEncoder
	if w.job.Format == FormatCSV {
		rows = NewRowEncoder(w.job.Columns, checkUnknown)
	}
	for b := range w.work {
		b.done = make([]Done, len(b.recs))
		out := make([]byte, 0, 256*len(b.recs))
		for i, r := range b.recs {
			d := &b.done[i]
			d.Record = r
			if rows != nil {
				out = rows.AppendRow(out, r)
				d.Unknown, d.EvalErr = rows.Unknown, rows.EvalErr
			} else {
				out = record.AppendJSON(out, r)
				out = append(out, '\n')
			}
			if w.job.Unique != nil {
				k, ok, err := KeyOf(w.job.Unique, r)
				d.Unique = KeyResult{k, ok}
				if err != nil && d.EvalErr == nil {
					d.EvalErr = err
				}
			}
			if w.job.On != nil {
				k, ok, err := KeyOf(w.job.On, r)
				d.On = KeyResult{k, ok}
				if err != nil && d.EvalErr == nil {
					d.EvalErr = err
				}
			}
		}
		b.out = out
		close(b.ready)
	}
}

func (w *Writer) drain() {
	defer close(w.done)
	for b := range w.order {
		<-b.ready
		w.write(b.out)
		for i := range b.done {
			if w.after != nil {
				w.after(&b.done[i])
			}
		}
		b.out, b.done, b.recs = nil, nil, nil
	}
}
