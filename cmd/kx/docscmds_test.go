package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmd/root"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
)

// docExample is one documented command line and where it is written.
type docExample struct {
	where, line string
}

// docsRun: docs-run: run every shell example of the README (```sh blocks
// and "$ kx" lines) and every Example: line of every command's --help,
// with bash, in $WORK/docs, against the script's broker and registry. An
// example passes when it exits 0; one still running after a few seconds
// (a follow, a watch) is sent Ctrl-C and passes when it then exits 0 or
// 130. docsSkip lists what is not run, each with why.
func docsRun(ts *testscript.TestScript, neg bool, args []string) {
	examples := readmeExamples(ts, filepath.Join("..", "..", "README.md"))
	examples = append(examples, helpExamples()...)
	dir := ts.MkAbs("docs")
	ts.Check(os.MkdirAll(dir, 0o755))
	env := scriptEnv(ts)
	env = append(env, "KX_SCHEMA_REGISTRY="+ts.Getenv("SCHEMA_REGISTRY"), "NO_COLOR=1")
	var failed []string
	ran, skipped := 0, 0
	for _, ex := range examples {
		if why := docsSkipReason(ex.line); why != "" {
			skipped++
			continue
		}
		ran++
		if msg := runExample(ex.line, dir, env); msg != "" {
			failed = append(failed, fmt.Sprintf("%s: %s\n    %s", ex.where, ex.line, msg))
		}
	}
	ts.Logf("docs-run: %d examples run, %d skipped (docsSkip)", ran, skipped)
	if len(failed) > 0 {
		ts.Fatalf("docs-run: %d of %d documented commands fail:\n%s", len(failed), ran, strings.Join(failed, "\n"))
	}
}

// docsSkip: documented commands that are not run here, by the start of
// their line, and why.
var docsSkip = []struct{ prefix, why string }{
	{"go ", "builds or installs kx from source: the toolchain, not kx"},
	{"docker ", "needs Docker; the test has the embedded broker"},
	{"source <(kx completion", "changes the interactive shell; completion_bash checks it"},
	{"kx completion zsh >", "writes into the user's zsh fpath; completion_zsh checks it"},
	{"kx completion fish >", "writes into the user's fish config; completion_fish checks it"},
	{"kx completion powershell", "needs PowerShell"},
	{"kx broker", "a server that runs until Ctrl-C on fixed ports (9092, 19092); broker script checks it"},
	{"kx demo", "runs a whole scenario (30 s and more); demo scripts check it"},
	{"kx play black-friday", "plays minutes of scenario time; play scripts check it"},
	{"kx play ecommerce-demo", "plays minutes of scenario time; play scripts check it"},
	{"kx play incidents --speed", "plays minutes of scenario time; play scripts check it"},
}

func docsSkipReason(line string) string {
	for _, s := range docsSkip {
		if strings.HasPrefix(line, s.prefix) {
			return s.why
		}
	}
	return ""
}

// runExample runs line with bash and returns why it failed, or "".
func runExample(line, dir string, env []string) string {
	cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	cmd.Stdout = nil
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err.Error()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	interrupted := false
	var err error
	select {
	case err = <-done:
	case <-time.After(4 * time.Second):
		interrupted = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			return "did not stop within 10 s of Ctrl-C"
		}
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return err.Error()
	}
	if code == 0 || interrupted && code == 130 {
		return ""
	}
	last := strings.TrimSpace(stderr.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	return fmt.Sprintf("exit %d: %s", code, last)
}

// readmeExamples reads the command lines of the README's ```sh blocks and
// its "$ kx" lines, joining lines continued with a backslash.
func readmeExamples(ts *testscript.TestScript, path string) []docExample {
	data, err := os.ReadFile(path)
	ts.Check(err)
	var out []docExample
	inSh, inBlock := false, false
	var cont strings.Builder
	contAt := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			inSh = inBlock && strings.TrimPrefix(l, "```") == "sh"
			continue
		}
		if !inBlock {
			continue
		}
		if cont.Len() > 0 {
			cont.WriteString(strings.TrimSpace(strings.TrimSuffix(l, "\\")) + " ")
			if !strings.HasSuffix(l, "\\") {
				out = append(out, docExample{fmt.Sprintf("README.md:%d", contAt), strings.TrimSpace(cont.String())})
				cont.Reset()
			}
			continue
		}
		cmd := strings.TrimSpace(l)
		if !inSh {
			if !strings.HasPrefix(cmd, "$ kx ") {
				continue
			}
			cmd = strings.TrimPrefix(cmd, "$ ")
		}
		if cmd == "" || strings.HasPrefix(cmd, "#") {
			continue
		}
		if strings.HasSuffix(cmd, "\\") {
			contAt = n
			cont.WriteString(strings.TrimSuffix(cmd, "\\"))
			continue
		}
		out = append(out, docExample{fmt.Sprintf("README.md:%d", n), cmd})
	}
	return out
}

// helpExamples are the Example: lines of every command's --help.
func helpExamples() []docExample {
	ios, _, _, _ := iostreams.Test()
	var out []docExample
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		var cont string
		for _, l := range strings.Split(c.Example, "\n") {
			l = strings.TrimSpace(l)
			if cont != "" {
				l = cont + " " + l
				cont = ""
			}
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			if strings.HasSuffix(l, "\\") {
				cont = strings.TrimSuffix(l, "\\")
				continue
			}
			out = append(out, docExample{c.CommandPath() + " --help", l})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root.NewCmdRoot(cmdutil.New(ios)))
	return out
}
