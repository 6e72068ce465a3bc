// Package layout checks the rules the source tree keeps (docs/architecture.md):
// commands never import each other, only the adapter imports
// confluent-kafka-go, domain packages do not import the adapter (they use
// pkg/cluster's plain types), only the command layer knows exit codes, and
// every package is named after its folder.
package layout

import (
	"bufio"
	"bytes"
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/kx-cli/kx"

type pkg struct {
	Path    string
	Name    string
	Imports []string // every import, test files' included
	// CodeImports are the imports of the package's non-test files.
	CodeImports []string
}

// violations lists every broken rule in pkgs.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.Path, module+"/")
		if p.Name != "main" && p.Name != path.Base(rel) && !(rel == module && p.Name == path.Base(module)) {
			out = append(out, p.Path+": package "+p.Name+" in folder "+path.Base(rel))
		}
		cmd := commandOf(p.Path)
		for _, imp := range p.Imports {
			if other := commandOf(imp); cmd != "" && cmd != "root" && other != "" && other != cmd {
				out = append(out, p.Path+": command "+cmd+" imports command "+other+" ("+imp+")")
			}
			if strings.HasPrefix(imp, "github.com/confluentinc/confluent-kafka-go") && p.Path != module+"/pkg/kafka" {
				out = append(out, p.Path+": imports "+imp+"; only pkg/kafka may")
			}
			if imp == module+"/pkg/exitcode" && !commandLayer(p.Path) {
				out = append(out, p.Path+": imports pkg/exitcode; only the command layer knows exit codes")
			}
		}
		// Tests may drive the adapter against the embedded broker; the
		// domain's own code must build without cgo.
		for _, imp := range p.CodeImports {
			if imp == module+"/pkg/kafka" && domain(p.Path) {
				out = append(out, p.Path+": imports pkg/kafka; domain packages use pkg/cluster's types and their own interfaces")
			}
		}
	}
	return out
}

// domain reports whether a package is on the domain floor: under pkg/,
// neither the command floor nor the adapter.
func domain(importPath string) bool {
	rel := strings.TrimPrefix(importPath, module+"/")
	return strings.HasPrefix(rel, "pkg/") && !commandLayer(importPath) && rel != "pkg/kafka"
}

// commandLayer reports whether a package belongs to the command floor:
// main, the commands and what they share (pkg/cmdutil), or is pkg/exitcode.
func commandLayer(importPath string) bool {
	rel := strings.TrimPrefix(importPath, module+"/")
	return strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "pkg/cmd/") ||
		rel == "pkg/cmdutil" || rel == "pkg/exitcode"
}

// commandOf is the command a package belongs to: X for pkg/cmd/X and
// anything under it, "" for any other package.
func commandOf(importPath string) string {
	rest, ok := strings.CutPrefix(importPath, module+"/pkg/cmd/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}} {{.Name}} {{join .Imports \",\"}},{{join .TestImports \",\"}},{{join .XTestImports \",\"}} {{join .Imports \",\"}},", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		p := pkg{Path: f[0], Name: f[1]}
		if len(f) > 2 {
			p.Imports = splitList(f[2])
		}
		if len(f) > 3 {
			p.CodeImports = splitList(f[3])
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func TestTreeKeepsItsRules(t *testing.T) {
	for _, v := range violations(list(t)) {
		t.Error(v)
	}
}

// The checker itself catches each kind of violation.
func TestViolationsAreFound(t *testing.T) {
	bad := []pkg{
		{Path: module + "/pkg/cmd/demo", Name: "demo", Imports: []string{module + "/pkg/cmd/play", module + "/pkg/play"}},
		{Path: module + "/pkg/cmd/flow", Name: "flow", Imports: []string{module + "/pkg/cmd/trace/shared"}},
		{Path: module + "/pkg/broker", Name: "embedded"},
		{Path: module + "/pkg/schema", Name: "schema", Imports: []string{"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"}},
		{Path: module + "/pkg/kafka", Name: "kafka", Imports: []string{module + "/pkg/exitcode"}},
		{Path: module + "/pkg/config", Name: "config", Imports: []string{module + "/pkg/exitcode"}},
		{Path: module + "/pkg/consume", Name: "consume", CodeImports: []string{module + "/pkg/kafka"}},
		// Allowed: the command tree, a command's own subpackage, the adapter, main.
		{Path: module + "/pkg/cmd/root", Name: "root", Imports: []string{module + "/pkg/cmd/play"}},
		{Path: module + "/pkg/cmd/play/internal/x", Name: "x", Imports: []string{module + "/pkg/cmd/play"}},
		{Path: module + "/pkg/kafka", Name: "kafka", Imports: []string{"github.com/confluentinc/confluent-kafka-go/v2/kafka"}},
		{Path: module + "/cmd/kx", Name: "main", Imports: []string{module + "/pkg/exitcode"}},
		{Path: module + "/pkg/cmdutil", Name: "cmdutil", Imports: []string{module + "/pkg/exitcode"}},
		{Path: module + "/pkg/cmd/tail", Name: "tail", Imports: []string{module + "/pkg/exitcode"}},
		{Path: module + "/pkg/play", Name: "play", Imports: []string{module + "/pkg/kafka"}}, // in a test
		{Path: module + "/pkg/cmd/tail", Name: "tail", CodeImports: []string{module + "/pkg/kafka"}},
		{Path: module + "/pkg/cmdutil", Name: "cmdutil", CodeImports: []string{module + "/pkg/kafka"}},
	}
	got := violations(bad)
	want := []string{"command demo imports command play", "command flow imports command trace", "package embedded in folder broker", "pkg/schema: imports github.com/confluentinc", "pkg/kafka: imports pkg/exitcode", "pkg/config: imports pkg/exitcode", "pkg/consume: imports pkg/kafka"}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("violation %d: %q, want one about %q", i, got[i], w)
		}
	}
}
