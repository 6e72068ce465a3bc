// Package atomicfile writes files so that readers see either the old
// content or the complete new one, never a half-written file: the data goes
// to a temporary file in the same directory, synced, then renamed into
// place. Devices and FIFOs (/dev/null, /dev/stdout, a named pipe) are
// written in place: renaming over them would replace them.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// File is a file being written; Commit makes it appear at its path, Abort
// (or a crash, or kill -9) leaves nothing there.
type File struct {
	path   string
	mode   os.FileMode
	tmp    *os.File
	direct *os.File
	// renamed is set once Commit has put the temporary file in place.
	renamed bool
}

// Create starts writing path. A new file gets mode; an existing one keeps
// its permissions, as a shell redirection would.
func Create(path string, mode os.FileMode) (*File, error) {
	f := &File{path: path, mode: mode}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("write %s: is a directory", path)
		}
		if !st.Mode().IsRegular() {
			d, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			f.direct = d
			return f, nil
		}
		f.mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	f.tmp = tmp
	return f, nil
}

// Write writes p.
func (f *File) Write(p []byte) (int, error) {
	if f.direct != nil {
		return f.direct.Write(p)
	}
	return f.tmp.Write(p)
}

// Commit syncs the data and renames it into place.
func (f *File) Commit() error {
	if f.direct != nil {
		err := f.direct.Close()
		f.direct = nil
		return f.wrap(err)
	}
	if f.tmp == nil {
		return nil
	}
	tmp := f.tmp
	f.tmp = nil
	err := tmp.Chmod(f.mode)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
		f.renamed = err == nil
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return f.wrap(err)
}

// Abort drops what was written; nothing appears at the path.
func (f *File) Abort() {
	if f.direct != nil {
		f.direct.Close()
		f.direct = nil
	}
	if f.tmp != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
		f.tmp = nil
	}
}

func (f *File) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("write %s: %w", f.path, err)
}

// WriteFile writes data to path atomically (mode for a new file).
func WriteFile(path string, data []byte, mode os.FileMode) error {
	f, err := Create(path, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// CommitAll commits files in order, so that either all of them appear or
// none: when one fails, the ones already renamed into place are removed
// again and the rest aborted. (A device written in place cannot be taken
// back.) Nil files are skipped.
func CommitAll(files ...*File) error {
	for i, f := range files {
		if f == nil {
			continue
		}
		if err := f.Commit(); err != nil {
			for _, done := range files[:i] {
				if done != nil && done.renamed {
					os.Remove(done.path)
				}
			}
			for _, rest := range files[i+1:] {
				if rest != nil {
					rest.Abort()
				}
			}
			return err
		}
	}
	return nil
}
