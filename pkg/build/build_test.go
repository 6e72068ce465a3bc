package build

import (
	"runtime/debug"
	"testing"
)

func vcs(version string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: "go1.99"}
	bi.Main.Version = version
	for i := 0; i < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestCurrent(t *testing.T) {
	setVars := func(v, c, d string) {
		old := [3]string{Version, Commit, Date}
		Version, Commit, Date = v, c, d
		t.Cleanup(func() { Version, Commit, Date = old[0], old[1], old[2] })
	}
	setVars("", "", "")
	for _, c := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want Info
	}{
		{"no build info", nil, false, Info{Version: "dev"}},
		{"go run", vcs("(devel)"), true, Info{Version: "dev", Go: "go1.99"}},
		{"go install @v1.2.3", vcs("v1.2.3"), true, Info{Version: "v1.2.3", Go: "go1.99"}},
		{"a clean checkout", vcs("(devel)", "vcs.revision", "abc", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "false"), true,
			Info{Version: "dev", Commit: "abc", Date: "2026-12-01T10:00:00Z", Go: "go1.99"}},
		{"local changes", vcs("", "vcs.revision", "abc", "vcs.modified", "true"), true, Info{Version: "dev", Commit: "abc-dirty", Go: "go1.99"}},
	} {
		if got := current(c.bi, c.ok); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// -ldflags win over the module's build info, and are never marked dirty.
	setVars("v2.0.0", "def", "2026-12-02")
	got := current(vcs("v1.2.3", "vcs.revision", "abc", "vcs.time", "t", "vcs.modified", "true"), true)
	if want := (Info{Version: "v2.0.0", Commit: "def", Date: "2026-12-02", Go: "go1.99"}); got != want {
		t.Errorf("ldflags: %+v, want %+v", got, want)
	}
	if Current().Go == "" {
		t.Errorf("Current: no Go version")
	}
}
