package export

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/kx-cli/kx/internal/atomicfile"
)

// Output is where an export's bytes go: stdout, or a file written
// atomically. Everything written is hashed (SHA-256) on the way.
type Output struct {
	path string
	file *atomicfile.File // nil for stdout
	buf  *bufio.Writer
	sum  hash.Hash
	n    int64
}

// bufferSize is the write buffer: large writes keep syscalls rare.
const bufferSize = 1 << 20

// Create opens the output: path "" or "-" is stdout; otherwise a temporary
// file next to path that only Commit renames into place, so no interrupted
// export (Ctrl-C, kill -9, a full disk) ever leaves a file at path.
// Devices and FIFOs (/dev/null) are written in place.
func Create(path string, stdout io.Writer) (*Output, error) {
	o := &Output{sum: sha256.New()}
	w := stdout
	if path != "" && path != "-" {
		f, err := atomicfile.Create(path, 0o644)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		o.path, o.file, w = path, f, f
	}
	o.buf = bufio.NewWriterSize(io.MultiWriter(w, o.sum), bufferSize)
	return o, nil
}

// Write writes p.
func (o *Output) Write(p []byte) (int, error) {
	n, err := o.buf.Write(p)
	o.n += int64(n)
	return n, err
}

// Path is the final path, "" for stdout.
func (o *Output) Path() string { return o.path }

// Bytes is how much was written.
func (o *Output) Bytes() int64 { return o.n }

// SHA256 is the hex digest of everything written (call after Flush).
func (o *Output) SHA256() string { return hex.EncodeToString(o.sum.Sum(nil)) }

// Flush writes what is buffered; to stdout, the output is then complete. A
// file still has to be committed.
func (o *Output) Flush() error {
	if err := o.buf.Flush(); err != nil {
		o.Abort()
		if o.path == "" {
			return err
		}
		return fmt.Errorf("export to %s: %w", o.path, err)
	}
	return nil
}

// Commit flushes, syncs and renames the file into place, together with
// others (the report): either all of them appear or none
// (atomicfile.CommitAll).
func (o *Output) Commit(others ...*atomicfile.File) error {
	if err := o.Flush(); err != nil {
		for _, f := range others {
			f.Abort()
		}
		return err
	}
	file := o.file
	o.file = nil
	if err := atomicfile.CommitAll(append([]*atomicfile.File{file}, others...)...); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// Abort removes the temporary file; nothing appears at the path.
func (o *Output) Abort() {
	if o.file != nil {
		o.file.Abort()
		o.file = nil
	}
}

// WriteFileAtomic writes data to path through a temporary file (reports).
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o644)
}
