package root

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCompletionsUpToDate fails when completions/ drifts from the command
// tree. Fix: go generate ./pkg/cmd/root
func TestCompletionsUpToDate(t *testing.T) {
	files, err := Completions()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", "..", "completions", name))
		if err != nil {
			t.Fatalf("%s: %v (run: go generate ./pkg/cmd/root)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("completions/%s is out of date; run: go generate ./pkg/cmd/root", name)
		}
	}
}
