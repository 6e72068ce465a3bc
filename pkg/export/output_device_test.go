package export

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreateWritesDevicesInPlace: --out naming a FIFO or device (such as
// /dev/null) streams into it; the atomic rename must never replace it with
// a regular file.
func TestCreateWritesDevicesInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	o, err := Create(fifo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write([]byte("a,b\n")); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "a,b\n" {
		t.Errorf("read %q from the FIFO", b)
	}
	st, err := os.Stat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
	if _, err := Create(t.TempDir(), nil); err == nil {
		t.Error("a directory as --out: want an error")
	}
}
