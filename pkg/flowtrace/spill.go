package flowtrace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// keySpill keeps the keys of a log too large for memory in temporary
// files, the way sort(1) does. Every row of the key table and every later
// record is appended as (hash, ms, topic) to one of spillBuckets files,
// chosen by the top bits of the hash, so that all of a key's records land
// in one bucket. finish then builds one bucket's rows at a time in memory
// and writes them to a rows file that Graph's walks read in order. Memory
// is then one bucket's rows whatever the number of keys; the disk holds
// spillEntry bytes per record and 8 bytes per key and topic, until close
// or kx's exit.
type keySpill struct {
	dir     string
	width   int
	buckets []spillFile
	rows    *os.File // written by finish
	built   bool
	keys    int
	err     error // the first write error
}

type spillFile struct {
	f *os.File
	w *bufio.Writer
}

const (
	spillBucketBits = 6
	spillBuckets    = 1 << spillBucketBits
	// spillEntry is a hash, a unix ms and a topic index (uint16).
	spillEntry = 18
	// spillMaxWidth: a topic index must fit the entry.
	spillMaxWidth = 1 << 16
)

// newKeySpill creates the bucket files and the rows file in a new
// directory under dir (the system's temporary directory when empty), then
// unlinks them.
func newKeySpill(dir string, width int) (*keySpill, error) {
	d, err := os.MkdirTemp(dir, "kx-flow-")
	if err != nil {
		return nil, spillError(err)
	}
	s := &keySpill{dir: d, width: width, buckets: make([]spillFile, spillBuckets)}
	for i := range s.buckets {
		f, err := os.Create(filepath.Join(d, fmt.Sprintf("bucket-%02d", i)))
		if err != nil {
			s.close()
			return nil, spillError(err)
		}
		s.buckets[i] = spillFile{f: f, w: bufio.NewWriterSize(f, 16<<10)}
	}
	if s.rows, err = os.Create(filepath.Join(d, "rows")); err != nil {
		s.close()
		return nil, spillError(err)
	}
	s.unlink()
	return s, nil
}

// unlink removes the names of the open files and the directory where the
// system allows it (not Windows): the files then go when kx exits,
// however it exits (a second Ctrl-C does not run close).
func (s *keySpill) unlink() {
	for _, b := range s.buckets {
		os.Remove(b.f.Name())
	}
	os.Remove(s.rows.Name())
	os.Remove(s.dir)
}

// spillError says what failed and what to do about it.
func spillError(err error) error {
	return fmt.Errorf("keeping keys in temporary files (set TMPDIR to a directory with room): %w", err)
}

// add appends that the key of hash h has a record in topic ti at ms.
func (s *keySpill) add(h uint64, ti int, ms int64) {
	if s.err != nil {
		return
	}
	var e [spillEntry]byte
	binary.LittleEndian.PutUint64(e[0:], h)
	binary.LittleEndian.PutUint64(e[8:], uint64(ms))
	binary.LittleEndian.PutUint16(e[16:], uint16(ti))
	if _, err := s.buckets[h>>(64-spillBucketBits)].w.Write(e[:]); err != nil {
		s.err = spillError(err)
	}
}

// moveIn appends every row of t: its key's first time in each topic.
func (s *keySpill) moveIn(t *keyTable) {
	row := make([]int64, 0, s.width)
	for i := range int32(t.len()) {
		h := t.firsts.hash(i)
		row = t.firsts.row(i, row)
		for ti, ms := range row {
			if ms != notReached {
				s.add(h, ti, ms)
			}
		}
	}
}

// finish builds each bucket's rows, writes them to the rows file and
// closes the bucket (its space is freed); once.
func (s *keySpill) finish() error {
	if s.err == nil && !s.built {
		s.built = true
		s.err = s.build()
	}
	return s.err
}

func (s *keySpill) build() error {
	w := bufio.NewWriterSize(s.rows, 256<<10)
	row := make([]int64, 0, s.width)
	out := make([]byte, 8*s.width)
	for i := range s.buckets {
		t, err := s.bucketTable(i)
		if err != nil {
			return err
		}
		for r := range int32(t.len()) {
			row = t.firsts.row(r, row)
			for ti, ms := range row {
				binary.LittleEndian.PutUint64(out[8*ti:], uint64(ms))
			}
			if _, err := w.Write(out); err != nil {
				return spillError(err)
			}
		}
		s.keys += t.len()
	}
	if err := w.Flush(); err != nil {
		return spillError(err)
	}
	return nil
}

// bucketTable reads bucket i back into a key table and closes its file.
func (s *keySpill) bucketTable(i int) (*keyTable, error) {
	b := &s.buckets[i]
	if err := b.w.Flush(); err != nil {
		return nil, spillError(err)
	}
	if _, err := b.f.Seek(0, io.SeekStart); err != nil {
		return nil, spillError(err)
	}
	t := newKeyTable(s.width)
	r := bufio.NewReaderSize(b.f, 64<<10)
	var e [spillEntry]byte
	for {
		if _, err := io.ReadFull(r, e[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, spillError(err)
		}
		h := binary.LittleEndian.Uint64(e[0:])
		ms := int64(binary.LittleEndian.Uint64(e[8:]))
		t.reached(h, int(binary.LittleEndian.Uint16(e[16:])), ms)
	}
	b.f.Close()
	b.f = nil
	return &t, nil
}

// eachRow calls fn with each key's first times in each topic (notReached
// where none), reading the rows file; row is reused.
func (s *keySpill) eachRow(fn func(row []int64)) error {
	if _, err := s.rows.Seek(0, io.SeekStart); err != nil {
		return spillError(err)
	}
	r := bufio.NewReaderSize(s.rows, 256<<10)
	in := make([]byte, 8*s.width)
	row := make([]int64, s.width)
	for range s.keys {
		if _, err := io.ReadFull(r, in); err != nil {
			return spillError(err)
		}
		for ti := range row {
			row[ti] = int64(binary.LittleEndian.Uint64(in[8*ti:]))
		}
		fn(row)
	}
	return nil
}

// close closes the files, which frees them, and removes what still has a
// name (where unlink could not remove it).
func (s *keySpill) close() {
	for _, b := range s.buckets {
		if b.f != nil {
			b.f.Close()
		}
	}
	if s.rows != nil {
		s.rows.Close()
	}
	os.RemoveAll(s.dir)
}
