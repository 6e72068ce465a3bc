package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/record"
)

// The writer encodes on every core but writes in read order, and hands
// every record with its keys to after, in the same order.
func TestWriterNDJSONKeepsOrder(t *testing.T) {
	const n = 3*batchSize + 7
	var out bytes.Buffer
	var seen []int64
	var keys []string
	job := Job{Format: FormatNDJSON, Unique: jqfilter.MustCompile(".id"), On: jqfilter.MustCompile(".n")}
	w := NewWriter(job, &out, func(d *Done) {
		seen = append(seen, d.Record.Offset)
		if d.Unique.OK {
			keys = append(keys, d.Unique.Key+"/"+d.On.Key)
		}
	})
	var want []byte
	for i := range n {
		v := fmt.Sprintf(`{"id":"k%d","n":%d}`, i%5, i)
		if i == 3 {
			v = `{"n":3}` // no id: no key
		}
		r := rec(int64(i), v)
		want = append(record.AppendJSON(want, r), '\n')
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Error("the output is not the envelopes in read order")
	}
	if len(seen) != n {
		t.Fatalf("after saw %d records, want %d", len(seen), n)
	}
	for i, o := range seen {
		if o != int64(i) {
			t.Fatalf("after saw offset %d at %d", o, i)
		}
	}
	if len(keys) != n-1 || keys[0] != "k0/0" || keys[3] != "k4/4" {
		t.Errorf("keys %v…, want one per record with an id, --on as JSON text", keys[:5])
	}
}

// CSV without --columns: the columns come from the first records; a later
// record with members no column shows is flagged, a jq error is reported.
func TestWriterCSVDiscoversColumns(t *testing.T) {
	var out bytes.Buffer
	var unknown []int64
	var evalErr error
	w := NewWriter(Job{Format: FormatCSV, On: jqfilter.MustCompile(".a.b")}, &out, func(d *Done) {
		if d.Unknown {
			unknown = append(unknown, d.Record.Offset)
		}
		if d.EvalErr != nil && evalErr == nil {
			evalErr = d.EvalErr
		}
	})
	for i := range discoverCount + 2 {
		v := fmt.Sprintf(`{"a":{"b":%d},"s":"x"}`, i)
		if i == discoverCount+1 {
			v = `{"a":"str","extra":true}`
		}
		if err := w.Add(rec(int64(i), v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if lines[0] != "topic,partition,offset,timestamp,key,a,s" {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != discoverCount+3 {
		t.Errorf("%d lines, want a header and %d rows", len(lines), discoverCount+2)
	}
	if !strings.HasPrefix(lines[1], "t,0,0,") || !strings.HasSuffix(lines[1], `,"{""b"":0}",x`) {
		t.Errorf("first row %q", lines[1])
	}
	if cols := w.Columns(); len(cols) != 7 {
		t.Errorf("columns %v", cols)
	}
	if len(unknown) != 1 || unknown[0] != discoverCount+1 {
		t.Errorf("unknown members flagged at %v, want only the last record", unknown)
	}
	if evalErr == nil {
		t.Error("--on .a.b on a string: no error reported")
	}
}

// Nothing read: CSV is the header of the metadata columns; NDJSON is empty.
func TestWriterEmpty(t *testing.T) {
	var out bytes.Buffer
	if err := NewWriter(Job{Format: FormatCSV}, &out, nil).Close(); err != nil || out.String() != "topic,partition,offset,timestamp,key\n" {
		t.Errorf("empty CSV %q, %v", out.String(), err)
	}
	out.Reset()
	if err := NewWriter(Job{Format: FormatNDJSON}, &out, nil).Close(); err != nil || out.Len() != 0 {
		t.Errorf("empty NDJSON %q, %v", out.String(), err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// The first write error stops the writer: Add returns it, Close too.
func TestWriterWriteError(t *testing.T) {
	full := errors.New("no space left on device")
	w := NewWriter(Job{Format: FormatNDJSON}, failingWriter{full}, nil)
	var addErr error
	for i := 0; i < 100*batchSize && addErr == nil; i++ {
		addErr = w.Add(rec(int64(i), `{}`))
	}
	if !errors.Is(addErr, full) {
		t.Errorf("Add: %v, want the write error", addErr)
	}
	if err := w.Close(); !errors.Is(err, full) {
		t.Errorf("Close: %v", err)
	}
}

// A file output appears at its path only when committed, with what was
// written and its SHA-256; an aborted one never appears.
func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.ndjson")
	o, err := Create(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("{\"a\":1}\n{\"a\":2}\n")
	if _, err := o.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file is at its path before Commit: %v", err)
	}
	report := filepath.Join(dir, "report.json")
	if err := WriteFileAtomic(report, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	if !bytes.Equal(got, data) || o.Bytes() != int64(len(data)) || o.SHA256() != hex.EncodeToString(sum[:]) || o.Path() != path {
		t.Errorf("file %q, %d bytes, sha %s, path %q", got, o.Bytes(), o.SHA256(), o.Path())
	}

	aborted := filepath.Join(dir, "aborted.csv")
	o, err = Create(aborted, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("x\n"))
	o.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries after an abort, want out.ndjson and report.json only", len(entries))
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir.csv"), nil); err == nil || !strings.HasPrefix(err.Error(), "export: ") {
		t.Errorf("a missing directory: %v", err)
	}
}

func TestOutputStdout(t *testing.T) {
	var stdout bytes.Buffer
	o, err := Create("-", &stdout)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("row\n"))
	if stdout.Len() != 0 {
		t.Error("written before Flush: the output is not buffered")
	}
	if err := o.Flush(); err != nil || stdout.String() != "row\n" || o.Path() != "" {
		t.Errorf("stdout %q, %v", stdout.String(), err)
	}
	closed := errors.New("broken pipe")
	o, _ = Create("", failingWriter{closed})
	o.Write([]byte("row\n"))
	if err := o.Flush(); !errors.Is(err, closed) {
		t.Errorf("Flush to a closed stdout: %v", err)
	}
}

func TestKeyOf(t *testing.T) {
	for _, c := range []struct {
		expr, value, key string
		ok               bool
	}{
		{".id", `{"id":"a"}`, "a", true},
		{".id", `{"id":7.50}`, "7.50", true},
		{".id", `{"id":{"x":[1]}}`, `{"x":[1]}`, true},
		{".id", `{"id":null}`, "", false},
		{".id", `{}`, "", false},
		{"empty", `{}`, "", false},
	} {
		key, ok, err := KeyOf(jqfilter.MustCompile(c.expr), rec(0, c.value))
		if err != nil || key != c.key || ok != c.ok {
			t.Errorf("%s on %s: %q, %v, %v; want %q, %v", c.expr, c.value, key, ok, err, c.key, c.ok)
		}
	}
	if _, _, err := KeyOf(jqfilter.MustCompile(".a.b"), rec(0, `{"a":"s"}`)); err == nil {
		t.Error("a jq error is not returned")
	}
}
