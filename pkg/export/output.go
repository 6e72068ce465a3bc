package export

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Output is where an export's bytes go: stdout, or a file written
// atomically. Everything written is hashed (SHA-256) on the way.
type Output struct {
	path   string
	tmp    *os.File
	direct *os.File // a device or FIFO named by --out, written in place
	buf  *bufio.Writer
	sum  hash.Hash
	n    int64
}

// bufferSize is the write buffer: large writes keep syscalls rare.
const bufferSize = 1 << 20

// Create opens the output: path "" or "-" is stdout; otherwise a temporary
// file next to path that only Commit renames into place, so no interrupted
// export (Ctrl-C, kill -9, a full disk) ever leaves a file at path.
func Create(path string, stdout io.Writer) (*Output, error) {
	o := &Output{sum: sha256.New()}
	w := stdout
	if st, err := os.Stat(path); err == nil && path != "-" && !st.Mode().IsRegular() {
		// /dev/null, /dev/stdout, a FIFO: a stream, never replaced by a
		// rename (which would turn /dev/null into a regular file).
		if st.IsDir() {
			return nil, fmt.Errorf("export to %s: is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("export to %s: %w", path, err)
		}
		o.path, o.direct, w = path, f, f
	} else if path != "" && path != "-" {
		tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
		if err != nil {
			return nil, fmt.Errorf("export to %s: %w", path, err)
		}
		o.path, o.tmp, w = path, tmp, tmp
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

// SHA256 is the hex digest of everything written (call after Commit).
func (o *Output) SHA256() string { return hex.EncodeToString(o.sum.Sum(nil)) }

// Commit flushes, syncs and renames the file into place (0644, as a
// shell redirection would create it).
func (o *Output) Commit() error {
	if err := o.buf.Flush(); err != nil {
		o.Abort()
		return o.wrap(err)
	}
	if o.direct != nil {
		err := o.direct.Close()
		o.direct = nil
		return o.wrap(err)
	}
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Chmod(0o644); err != nil {
		o.Abort()
		return o.wrap(err)
	}
	if err := o.tmp.Sync(); err != nil {
		o.Abort()
		return o.wrap(err)
	}
	if err := o.tmp.Close(); err != nil {
		o.Abort()
		return o.wrap(err)
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		os.Remove(o.tmp.Name())
		return o.wrap(err)
	}
	o.tmp = nil
	return nil
}

// Abort removes the temporary file; nothing appears at the path.
func (o *Output) Abort() {
	if o.direct != nil {
		o.direct.Close()
		o.direct = nil
	}
	if o.tmp != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
		o.tmp = nil
	}
}

func (o *Output) wrap(err error) error {
	if err == nil || o.path == "" {
		return err
	}
	return fmt.Errorf("export to %s: %w", o.path, err)
}

// WriteFileAtomic writes data to path through a temporary file (reports).
func WriteFileAtomic(path string, data []byte) error {
	o, err := Create(path, nil)
	if err != nil {
		return err
	}
	if _, err := o.Write(data); err != nil {
		o.Abort()
		return err
	}
	return o.Commit()
}
