package main

// Script commands of the kx stats scripts (stats*.txtar).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

// produceRate: produce-rate TOPIC RATE DURATION: produce JSON records
// {"n":i} to TOPIC at RATE records per second for DURATION, paced against
// the clock, and wait for their deliveries.
func produceRate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: produce-rate TOPIC RATE DURATION")
	}
	rate, err := strconv.ParseFloat(args[1], 64)
	ts.Check(err)
	dur, err := time.ParseDuration(args[2])
	ts.Check(err)
	client := kafka.New(kafka.Options{Brokers: []string{ts.Getenv("KX_BROKERS")}, Timeout: 10 * time.Second})
	defer client.Close()
	p, err := client.NewProducer(kafka.ProducerOptions{Properties: map[string]any{"linger.ms": 1}})
	ts.Check(err)
	defer p.Close()
	n := int(rate * dur.Seconds())
	var failed error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if d := <-p.Deliveries(); d.Err != nil && failed == nil {
				failed = d.Err
			}
		}
	}()
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		r := &record.Record{Topic: args[0], Partition: -1, Key: []byte(strconv.Itoa(i)), Value: []byte(`{"n":` + strconv.Itoa(i) + `}`)}
		ts.Check(p.Produce(ctx, r, nil))
	}
	wg.Wait()
	ts.Check(failed)
}

// httpRecorder: httprecorder URLVAR FILE [FAILFIRST]: serve HTTP on
// 127.0.0.1 until the script ends, append each POST body as a line to
// FILE, and answer the first FAILFIRST requests with 500; URLVAR is set to
// the server's URL.
func httpRecorder(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: httprecorder URLVAR FILE [FAILFIRST]")
	}
	failFirst := 0
	if len(args) == 3 {
		var err error
		failFirst, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	path := ts.MkAbs(args[1])
	ts.Check(os.WriteFile(path, nil, 0o644))
	var mu sync.Mutex
	seen := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen <= failFirst {
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "%s %s\n", r.Header.Get("Content-Type"), bytes.TrimSpace(body))
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}

// ratesWithin: rates-within FILE TOPIC RATE PCT: the mean messages_per_sec
// of TOPIC over the --watch intervals of FILE that lie fully inside the
// production (the non-zero ones but the first and last, which are
// partial) is within PCT percent of RATE.
func ratesWithin(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: rates-within FILE TOPIC RATE PCT")
	}
	want, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	pct, err := strconv.ParseFloat(args[3], 64)
	ts.Check(err)
	var rates []float64
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(args[0])))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var obj struct {
			Kind   string `json:"kind"`
			Topics []struct {
				Topic string  `json:"topic"`
				Rate  float64 `json:"messages_per_sec"`
			} `json:"topics"`
		}
		ts.Check(json.Unmarshal(sc.Bytes(), &obj))
		if obj.Kind != "stats" {
			continue
		}
		for _, t := range obj.Topics {
			if t.Topic == args[1] && t.Rate > 0 {
				rates = append(rates, t.Rate)
			}
		}
	}
	if len(rates) < 4 {
		ts.Fatalf("only %d intervals with records: %v", len(rates), rates)
	}
	inner := rates[1 : len(rates)-1]
	sum := 0.0
	for _, r := range inner {
		sum += r
	}
	mean := sum / float64(len(inner))
	ts.Logf("interval rates %v, mean of inner %.1f", rates, mean)
	if diff := 100 * (mean - want) / want; diff > pct || diff < -pct {
		ts.Fatalf("mean rate %.1f msg/s is %.1f%% off %v", mean, diff, want)
	}
}

// ptyRun: pty-run OUT DURATION PROG ARGS...: run PROG (from the script's
// PATH, with the script's environment) on an 80x24 pseudo-terminal, send
// it Ctrl-C (SIGINT) after DURATION, and save everything it drew to OUT.
// It fails unless PROG exits 0 within 10 s of the interrupt. DURATION
// "exit" waits for PROG to end by itself instead (a bound of 3 minutes
// only catches a hang).
func ptyRun(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: pty-run OUT DURATION|exit [-size COLSxROWS] PROG ARGS...")
	}
	var dur time.Duration
	untilExit := args[1] == "exit"
	if !untilExit {
		var err error
		dur, err = time.ParseDuration(args[1])
		ts.Check(err)
	}
	cols, rows := 80, 24
	if args[2] == "-size" && len(args) > 4 {
		cols, rows = parseSize(ts, args[3])
		args = append(args[:2:2], args[4:]...)
	}
	prog := lookPath(ts, args[2])
	cmd := exec.Command(prog, args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = scriptEnv(ts)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)})
	ts.Check(err)
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, f) // ends with EIO when the program exits
		close(copied)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if untilExit {
		select {
		case err = <-done:
		case <-time.After(3 * time.Minute):
			_ = cmd.Process.Kill()
			ts.Fatalf("%s did not end within 3 minutes", args[2])
		}
	} else {
		time.Sleep(dur)
		ts.Check(cmd.Process.Signal(syscall.SIGINT))
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			ts.Fatalf("%s did not exit within 10s of Ctrl-C", args[2])
		}
	}
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	f.Close()
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644))
	if err != nil {
		ts.Fatalf("%s under a pty: %v\n%s", args[2], err, out.String())
	}
}

// parseSize reads COLSxROWS.
func parseSize(ts *testscript.TestScript, s string) (cols, rows int) {
	if _, err := fmt.Sscanf(s, "%dx%d", &cols, &rows); err != nil || cols <= 0 || rows <= 0 {
		ts.Fatalf("size %q: want COLSxROWS, e.g. 60x20", s)
	}
	return cols, rows
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s not found in PATH", name)
	return ""
}

// scriptEnv is the process environment with the script's variables on top.
func scriptEnv(ts *testscript.TestScript) []string {
	env := os.Environ()
	for _, k := range []string{"PATH", "HOME", "XDG_CONFIG_HOME", "KX_BROKERS", "NO_COLOR", "TMPDIR", "WORK"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	if ts.Getenv("NO_COLOR") == "" {
		env = append(env, "TERM=xterm-256color")
	}
	return env
}

var (
	escRE   = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	colorRE = regexp.MustCompile(`\x1b\[[0-9;]*m`)
)

// screenCheck: screen-check FILE [color|nocolor]: FILE (from pty-run) is a
// dashboard that redraws in place: it switches to the alternate screen,
// draws at least two frames each from the cursor home, no frame line is
// wider than 80 columns nor a frame taller than 24 rows (so nothing
// scrolls), it restores the screen at the end, and it has (color) or has
// not (nocolor) color sequences.
func screenCheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: screen-check FILE color|nocolor [COLSxROWS]")
	}
	cols, rows := 80, 24
	if len(args) == 3 {
		cols, rows = parseSize(ts, args[2])
	}
	s := ts.ReadFile(args[0])
	enter, leave := strings.Index(s, "\x1b[?1049h"), strings.LastIndex(s, "\x1b[?1049l")
	if enter < 0 || leave < enter {
		ts.Fatalf("no alternate screen enter/leave in %q", abbreviate(s))
	}
	frames := strings.Split(s[enter:leave], "\x1b[H")[1:]
	if len(frames) < 2 {
		ts.Fatalf("%d frame(s), want at least 2", len(frames))
	}
	for i, fr := range frames {
		lines := strings.Split(strings.ReplaceAll(fr, "\r\n", "\n"), "\n")
		if len(lines) > rows {
			ts.Fatalf("frame %d has %d lines, more than the %d rows", i, len(lines), rows)
		}
		for _, l := range lines {
			if w := runewidth.StringWidth(escRE.ReplaceAllString(l, "")); w > cols {
				ts.Fatalf("frame %d: line of %d columns: %q", i, w, l)
			}
		}
	}
	hasColor := colorRE.MatchString(s)
	switch args[1] {
	case "color":
		if !hasColor {
			ts.Fatalf("no color sequences")
		}
	case "nocolor":
		if hasColor {
			ts.Fatalf("color sequence %q with NO_COLOR", colorRE.FindString(s))
		}
	default:
		ts.Fatalf("screen-check: want color or nocolor, got %q", args[1])
	}
	// The summary is printed on the normal screen, after leaving.
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".last"), []byte(escRE.ReplaceAllString(frames[len(frames)-1], "")), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".after"), []byte(s[leave:]), 0o644))
}

func abbreviate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
