// Package build knows which kx this is: set by -ldflags at release time,
// read from the module's build info otherwise.
package build

import (
	"runtime/debug"
)

// Set with -ldflags "-X github.com/kx-cli/kx/pkg/build.Version=…".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes this build.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
}

// Current returns the build info, filling gaps from debug.ReadBuildInfo.
func Current() Info {
	bi, ok := debug.ReadBuildInfo()
	return current(bi, ok)
}

// current fills the -ldflags values' gaps from bi (ok: there is one).
func current(bi *debug.BuildInfo, ok bool) Info {
	info := Info{Version: Version, Commit: Commit, Date: Date}
	if ok {
		info.Go = bi.GoVersion
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && info.Commit != "" && Commit == "" {
					info.Commit += "-dirty"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
