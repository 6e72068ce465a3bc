package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, err := Create(path, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the file is visible before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "half" || st.Mode().Perm() != 0o640 {
		t.Errorf("content %q mode %v", b, st.Mode().Perm())
	}
	// Overwriting keeps the existing mode; Abort leaves the old content.
	os.Chmod(path, 0o600)
	if err := WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ = os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
	}
	f, _ = Create(path, 0o644)
	f.Write([]byte("never"))
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("after Abort: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if _, err := Create(dir, 0o644); err == nil {
		t.Error("a directory: want an error")
	}
}

// TestDevicesAreWrittenInPlace: renaming over /dev/null would replace the
// device with a regular file; a FIFO stands in for it here.
func TestDevicesAreWrittenInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan string)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- ""
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- string(b)
	}()
	if err := WriteFile(fifo, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "a,b\n" {
		t.Errorf("read %q", s)
	}
	if st, err := os.Stat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}

// CommitAll: when the second file cannot be put in place, the first one,
// already renamed, is removed again: neither appears.
func TestCommitAll(t *testing.T) {
	dir, gone := t.TempDir(), filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := Create(filepath.Join(dir, "export.csv"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(filepath.Join(gone, "report.json"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("data"))
	b.Write([]byte("{}"))
	os.RemoveAll(gone) // the rename of b fails
	if err := CommitAll(a, nil, b); err == nil {
		t.Fatal("CommitAll succeeded without report.json's directory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v, want nothing", entries)
	}
	a, _ = Create(filepath.Join(dir, "export.csv"), 0o644)
	b, _ = Create(filepath.Join(dir, "report.json"), 0o644)
	if err := CommitAll(a, b); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left %v, want both files", entries)
	}
}
