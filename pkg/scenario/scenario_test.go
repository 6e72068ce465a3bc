package scenario

import (
	"path/filepath"
	"testing"
)

func TestShippedScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("want the shipped scenarios, got %v %v", files, err)
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		g := NewGenerator(s, GeneratorOptions{Seed: 1, RunID: "r"})
		n := 0
		for {
			_, ok := g.Next()
			if !ok {
				break
			}
			n++
		}
		if g.Err() != nil {
			t.Errorf("%s: runtime error: %v", f, g.Err())
		}
		t.Logf("%s: %d events, %+v", f, n, g.Stats())
	}
}
