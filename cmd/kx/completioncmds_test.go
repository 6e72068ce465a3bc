package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// shellComplete: shell-complete SHELL OUT KEYS WANT: start an interactive
// SHELL (bash, zsh or fish) on a 100x24 pseudo-terminal with nothing but
// `kx completion SHELL` loaded the way its --help says (bash without the
// bash-completion package), type KEYS (<TAB> is the Tab key), and wait
// until what the terminal shows matches the regexp WANT. The screen output,
// without escape sequences, is saved to OUT for further greps. The wait is
// for a condition: it fails only if WANT never shows (30 s, for a loaded
// machine).
func shellComplete(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: shell-complete SHELL OUT KEYS WANT")
	}
	shell, out, keys := args[0], args[1], strings.ReplaceAll(args[2], "<TAB>", "\t")
	want, err := regexp.Compile(args[3])
	ts.Check(err)
	if want.MatchString(keys) {
		ts.Fatalf("shell-complete: WANT %q already matches the typed keys", args[3])
	}
	dir := ts.MkAbs(".shell-" + shell)
	ts.Check(os.MkdirAll(dir, 0o755))
	script, err := exec.Command(lookPath(ts, "kx"), "completion", shell).Output()
	ts.Check(err)
	env := []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + dir, "TERM=xterm", "LANG=C.UTF-8",
		"KX_BROKERS=" + ts.Getenv("KX_BROKERS"), "XDG_CONFIG_HOME=" + ts.Getenv("XDG_CONFIG_HOME")}
	var cmd *exec.Cmd
	switch shell {
	case "bash":
		// As in a plain bash: _get_comp_words_by_ref and _filedir, which
		// the bash-completion package would define, are not there.
		rc := "PS1='READY$ '\nunset -f _get_comp_words_by_ref _init_completion _filedir 2>/dev/null\nsource " + filepath.Join(dir, "kx.bash") + "\n"
		ts.Check(os.WriteFile(filepath.Join(dir, "kx.bash"), script, 0o644))
		ts.Check(os.WriteFile(filepath.Join(dir, "rc"), []byte(rc), 0o644))
		cmd = exec.Command(lookPath(ts, "bash"), "--noprofile", "--rcfile", filepath.Join(dir, "rc"), "-i")
	case "zsh":
		// kx completion zsh > "${fpath[1]}/_kx", then compinit. The
		// fpath is cut to zsh's own completion system (a full compinit
		// takes seconds on a loaded machine) and the global zshrc's
		// compinit is skipped (-d).
		ts.Check(os.MkdirAll(filepath.Join(dir, "functions"), 0o755))
		ts.Check(os.WriteFile(filepath.Join(dir, "functions", "_kx"), script, 0o644))
		rc := "PS1='READY$ '\nfpath=(" + filepath.Join(dir, "functions") + " ${(M)fpath:#*/Completion(|/Base|/Zsh|/Unix)})\nautoload -U compinit && compinit -C -D\n"
		ts.Check(os.WriteFile(filepath.Join(dir, ".zshrc"), []byte(rc), 0o644))
		env = append(env, "ZDOTDIR="+dir)
		cmd = exec.Command(lookPath(ts, "zsh"), "-d", "-i")
	case "fish":
		// kx completion fish > ~/.config/fish/completions/kx.fish
		comp := filepath.Join(dir, ".config", "fish", "completions")
		ts.Check(os.MkdirAll(comp, 0o755))
		ts.Check(os.WriteFile(filepath.Join(comp, "kx.fish"), script, 0o644))
		env = append(env, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "XDG_DATA_HOME="+filepath.Join(dir, ".local"))
		cmd = exec.Command(lookPath(ts, "fish"), "-i", "-C", "function fish_prompt; echo -n 'READY$ '; end; function fish_greeting; end")
	default:
		ts.Fatalf("shell-complete: unknown shell %q (bash, zsh, fish)", shell)
	}
	cmd.Dir = dir
	cmd.Env = env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	ts.Check(err)
	var mu sync.Mutex
	var raw bytes.Buffer
	copied := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			mu.Lock()
			raw.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				close(copied)
				return
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return terminalText(raw.String())
	}
	// waitFor polls the output for re after offset from; it is a wait on a
	// condition, the deadline only ends a hung shell.
	waitFor := func(re *regexp.Regexp, from int) (int, bool) {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			s := screen()
			if loc := re.FindStringIndex(s[min(from, len(s)):]); loc != nil {
				return from + loc[1], true
			}
		}
		return 0, false
	}
	finish := func() string {
		// The shell has shown what it had to; it need not exit cleanly.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		select {
		case <-copied:
		case <-time.After(2 * time.Second):
		}
		f.Close()
		s := screen()
		ts.Check(os.WriteFile(ts.MkAbs(out), []byte(s), 0o644))
		return s
	}
	ready, ok := waitFor(regexp.MustCompile(`READY\$ `), 0)
	if !ok {
		ts.Fatalf("%s: no prompt:\n%s", shell, finish())
	}
	_, err = io.WriteString(f, keys)
	ts.Check(err)
	// What the keys echo is not what completion added: look after it.
	_, ok = waitFor(want, ready)
	s := finish()
	if !ok {
		ts.Fatalf("%s: after %q the terminal never showed %q:\n%s", shell, args[2], args[3], s[min(ready, len(s)):])
	}
	ts.Logf("%s: %q completed to %s", shell, args[2], strings.TrimSpace(fmt.Sprint(want.FindString(s[ready:]))))
}

var oscRE = regexp.MustCompile(`\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]`)

// terminalText is what a terminal shows of s, roughly: text without escape
// sequences, bells and carriage returns.
func terminalText(s string) string {
	s = oscRE.ReplaceAllString(s, "")
	s = escRE.ReplaceAllString(s, "")
	return strings.NewReplacer("\r", "", "\a", "", "\b", "").Replace(s)
}
