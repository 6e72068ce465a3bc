package export

import (
	"os"
	"path/filepath"
	"testing"
)

// --out and --report naming one file are caught through symlinks, also
// to a file not written yet, and through relative paths.
func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	dangling := filepath.Join(dir, "later.json")
	toLater := filepath.Join(dir, "to-later.json")
	for _, l := range [][2]string{{"out.csv", link}, {"later.json", toLater}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{out, out, true},
		{out, link, true},
		{"out.csv", out, true},
		{"./sub/../out.csv", link, true},
		{toLater, dangling, true},
		{out, dangling, false},
		{"other.csv", out, false},
	} {
		if got := sameFile(c.a, c.b); got != c.same {
			t.Errorf("sameFile(%s, %s) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
