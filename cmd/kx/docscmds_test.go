package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmd/root"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/iostreams"
)

// docExample is one documented command line, where it is written and the
// part it belongs to (a README heading, or a command's path).
type docExample struct {
	where, part, line string
}

// docsLane is a part of the documentation run as a new user would follow
// it: on a cluster, registry, directory and config of its own, prepared
// by a fixture script (a file of docs.txtar), its commands in the order
// they are written. Lanes run in parallel.
type docsLane struct {
	name, fixture string
	nodes         int // brokers of its cluster
	// cluster, when set, is the lane whose cluster, directory and fixture
	// this one shares (their commands must not get in each other's way).
	cluster string
	takes   func(docExample) bool
}

// docsLanes: the first lane that takes an example runs it.
var docsLanes = []docsLane{
	// "After the incident" says its outputs come from the demo played up
	// to the incidents; the lines above it (install, the demo) go along.
	{name: "walk", fixture: "walk.sh", takes: func(ex docExample) bool {
		return strings.HasPrefix(ex.where, "README.md") && !readmeTour(ex.part)
	}},
	// The tour's outputs come from the whole demo (--seed 7); its second
	// half (trace, flow, export: the long reads) on a cluster of its own.
	{name: "tour2", fixture: "tour.sh", takes: func(ex docExample) bool {
		if !strings.HasPrefix(ex.where, "README.md") {
			return false
		}
		for _, p := range []string{"kx broker", "kx topics", "kx stats", "kx groups", "kx tail", "kx produce", "kx schemas", "kx replay", "The record envelope"} {
			if strings.HasPrefix(ex.part, p) {
				return false
			}
		}
		return true
	}},
	{name: "tour", fixture: "tour.sh", takes: func(ex docExample) bool {
		return strings.HasPrefix(ex.where, "README.md")
	}},
	// Creating and deleting topics changes what the other commands read:
	// a cluster of their own, of 3 brokers for --replication-factor 3.
	{name: "admin", fixture: "admin.sh", nodes: 3, takes: func(ex docExample) bool {
		return ex.part == "kx topics create" || ex.part == "kx topics delete"
	}},
	// kx play writes its scenario's records: on an empty cluster of its
	// own, away from the data the other lanes read.
	{name: "play", fixture: "play.sh", takes: func(ex docExample) bool {
		return ex.part == "kx play"
	}},
	// Every --help on the demo's data (a tenth of its orders), in two
	// lanes of about the same length on one cluster: what one lane
	// changes (groups billing, old-billing; orders.copy, created by
	// either) the other does not read.
	{name: "help1", fixture: "help.sh", takes: func(ex docExample) bool {
		return ex.part < "kx replay"
	}},
	{name: "help2", cluster: "help1", takes: func(docExample) bool { return true }},
}

// readmeTour: the README's parts from "A tour of the commands" on.
func readmeTour(part string) bool {
	for _, h := range []string{"A tour of the commands", "Configuration", "Exit codes", "Development"} {
		if part == h {
			return true
		}
	}
	return strings.HasPrefix(part, "kx ") // the tour's ### sections
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

// docsLong: commands that run until Ctrl-C (follows, watches, paced
// sends), by their whole line, and why. Each runs in the background of
// its lane for docsLongRun at least, then gets Ctrl-C (sent to its process
// group, as a terminal does) and must end with 0 (a follow's normal end)
// or 130 (a bounded read cut short, or jq behind it killed by the
// signal). Any other command still running after docsTimeout fails.
var docsLong = []struct{ line, why string }{
	{`kx tail orders.created`, "follows new records"},
	{`kx tail payment.transactions --jq '.status=="ERROR"'`, "follows new records"},
	{`kx trace --follow ORD-000123`, "follows new steps of the order"},
	{`kx topics --watch --interval 2s`, "refreshes until Ctrl-C"},
	{`kx stats --watch`, "the dashboard, until Ctrl-C"},
	{`kx stats --watch --alerts ecommerce             # live dashboard with alerts`, "the dashboard, until Ctrl-C"},
	{`kx stats --watch --interval 5s | jq -c '.totals'`, "one stats object per interval, until Ctrl-C"},
	{`kx stats --watch --topic payment.transactions --by .status --latency`, "the dashboard, until Ctrl-C"},
	{`kx stats --alerts ecommerce`, "watches the alert rules until Ctrl-C"},
	{`kx stats --alerts ecommerce --webhook http://127.0.0.1:9000/hook`, "watches the alert rules until Ctrl-C (the webhook's failures are retried, never fatal)"},
	{`kx stats --alerts ecommerce --fail-on error --idle 30s`, "watches until 30 s pass without a record"},
	{`kx play smoke -q & kx stats --alerts ecommerce --fail-on error --idle 30s`, "watches until 30 s pass without a record"},
	{`kx play smoke`, "plays the smoke scenario in real time (3 s)"},
	{`kx replay orders.created orders.created --group copy-to-staging --to-profile staging --rate 200/s`, "paced at 200 records/s: the demo's 3,370 orders take 17 s"},
	{`kx replay orders.created orders.created --group replay-to-staging --rate 200/s --to-profile staging`, "paced at 200 records/s: the demo's 340 orders take 2 s"},
}

// docsExit: commands that exit with another code than 0 on their lane's
// data, as their documentation says they do, by lane and whole line.
var docsExit = []struct {
	lane, line string
	code       int
	why        string
}{
	{"walk", `kx export orders.completed --reconcile orders.created --on .orderId --out /dev/null`, 5,
		"the demo stopped after the incidents: the held orders never completed, the integrity failure the walk shows"},
	{"tour", `kx produce orders --value-schema order.avsc < orders.ndjson`, 2,
		"the third line of orders.ndjson does not fit the schema: the error the README shows"},
	{"help2", `! kx tail payment.transactions --from -5m -e --jq '.status=="ERROR"' --exit-status -c 1 > /dev/null`, 1,
		"the demo's payments failed in the last 5 minutes: the CI check fails, as it should"},
}

const (
	docsLongRun = 2 * time.Second  // the least a docsLong command runs
	docsTimeout = 20 * time.Second // the most any other command runs
)

// docsRun: docs-run: run every shell example of the README (```sh blocks
// and "$ kx" lines) and every Example: line of every command's --help with
// bash, each in its lane (docsLanes); what is not run is listed in
// docsSkip, what runs until Ctrl-C in docsLong, what exits non-zero on
// purpose in docsExit, each with why.
func docsRun(ts *testscript.TestScript, neg bool, args []string) {
	examples := readmeExamples(ts, filepath.Join("..", "..", "README.md"))
	examples = append(examples, helpExamples()...)
	byLane := make([][]docExample, len(docsLanes))
	for _, ex := range examples {
		for i, l := range docsLanes {
			if l.takes(ex) {
				byLane[i] = append(byLane[i], ex)
				break
			}
		}
	}
	start := time.Now()
	clusters := map[string]*docsCluster{}
	for _, l := range docsLanes {
		if l.cluster == "" {
			c := &docsCluster{ready: make(chan struct{})}
			clusters[l.name] = c
			go c.setUp(ts, l)
		}
	}
	results := make([]laneResult, len(docsLanes))
	var wg sync.WaitGroup
	for i, l := range docsLanes {
		name := l.name
		if l.cluster != "" {
			name = l.cluster
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clusters[name]
			<-c.ready
			if c.err != "" {
				results[i] = laneResult{failed: []string{fmt.Sprintf("lane %s: %s", l.name, c.err)}}
				return
			}
			results[i] = runLane(l, c, byLane[i])
		}()
	}
	wg.Wait()
	for _, c := range clusters {
		for _, f := range c.closers {
			f()
		}
	}
	var failed []string
	ran, skipped := 0, 0
	for _, l := range docsLanes {
		if c := clusters[l.name]; c != nil && c.took > 0 {
			ts.Logf("%s: %6.2fs fixture %s", l.name, c.took.Seconds(), l.fixture)
		}
	}
	for i, r := range results {
		for _, l := range r.log {
			ts.Logf("%s: %s", docsLanes[i].name, l)
		}
		ran += r.ran
		skipped += r.skipped
		failed = append(failed, r.failed...)
	}
	ts.Logf("docs-run: %d examples run in %d lanes in %.1fs, %d skipped (docsSkip)", ran, len(docsLanes), time.Since(start).Seconds(), skipped)
	if len(failed) > 0 {
		ts.Fatalf("docs-run: %d of %d documented commands fail:\n%s", len(failed), ran, strings.Join(failed, "\n"))
	}
}

type laneResult struct {
	ran, skipped int
	failed, log  []string
}

// docsCluster is a lane's cluster, registry, staging cluster (the
// "staging" profile), directory and environment, its fixture run.
type docsCluster struct {
	ready   chan struct{}
	err     string
	dir     string
	env     []string
	took    time.Duration // the fixture's run
	closers []func()
}

func (c *docsCluster) setUp(ts *testscript.TestScript, lane docsLane) {
	defer close(c.ready)
	b, err := embedded.Start(embedded.Options{Nodes: lane.nodes})
	if err != nil {
		c.err = fmt.Sprintf("broker: %v", err)
		return
	}
	c.closers = append(c.closers, b.Close)
	staging, err := embedded.Start(embedded.Options{})
	if err != nil {
		c.err = fmt.Sprintf("staging broker: %v", err)
		return
	}
	c.closers = append(c.closers, staging.Close)
	reg, err := embedded.StartRegistry(embedded.RegistryOptions{})
	if err != nil {
		c.err = fmt.Sprintf("registry: %v", err)
		return
	}
	c.closers = append(c.closers, reg.Close)
	c.dir = ts.MkAbs(filepath.Join("docs", lane.name))
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.err = err.Error()
		return
	}
	c.env = append(os.Environ(),
		"PATH="+ts.Getenv("PATH"), "TMPDIR="+ts.Getenv("TMPDIR"), "WORK="+ts.Getenv("WORK"),
		"HOME="+c.dir, "XDG_CONFIG_HOME="+filepath.Join(c.dir, ".config"), "NO_COLOR=1",
		"KX_BROKERS="+strings.Join(b.Addrs(), ","), "KX_SCHEMA_REGISTRY="+reg.URL(),
		"STAGING_BROKERS="+strings.Join(staging.Addrs(), ","))
	t0 := time.Now()
	fx, err := startExample(docExample{line: "set -eu; . " + ts.MkAbs(lane.fixture)}, c.dir, c.env)
	if err != nil {
		c.err = fmt.Sprintf("fixture %s: %v", lane.fixture, err)
		return
	}
	select {
	case <-fx.done:
	case <-time.After(docsTimeout):
		fx.interrupt()
		c.err = fmt.Sprintf("fixture %s: still running after %s\n%s", lane.fixture, docsTimeout, fx.stderr.String())
		return
	}
	if fx.err != nil {
		c.err = fmt.Sprintf("fixture %s: %v\n%s", lane.fixture, fx.err, fx.stderr.String())
		return
	}
	c.took = time.Since(t0)
}

// runLane runs a lane's examples on its cluster, in order.
func runLane(lane docsLane, cl *docsCluster, examples []docExample) (r laneResult) {
	dir, env := cl.dir, cl.env
	type longCmd struct {
		c           *docsCmd
		interrupted bool
		stopped     chan bool // Ctrl-C ended it (false: it had to be killed)
	}
	var long []*longCmd
	for _, ex := range examples {
		if docsSkipReason(ex.line) != "" {
			r.skipped++
			continue
		}
		r.ran++
		c, err := startExample(ex, dir, env)
		if err != nil {
			r.failed = append(r.failed, fmt.Sprintf("%s: %s\n    %v", ex.where, ex.line, err))
			continue
		}
		if isLong(ex.line) {
			// It runs docsLongRun beside the lane's next commands.
			l := &longCmd{c: c, stopped: make(chan bool, 1)}
			long = append(long, l)
			go func() {
				select {
				case <-c.done:
					l.stopped <- true
				case <-time.After(docsLongRun):
					l.interrupted = true
					l.stopped <- c.interrupt()
				}
			}()
			continue
		}
		select {
		case <-c.done:
		case <-time.After(docsTimeout):
			c.interrupt()
			r.failed = append(r.failed, fmt.Sprintf("%s: %s\n    still running after %s: list it in docsLong if it runs until Ctrl-C", ex.where, ex.line, docsTimeout))
			continue
		}
		r.log = append(r.log, fmt.Sprintf("%6.2fs %s: %s", c.end.Sub(c.start).Seconds(), ex.where, ex.line))
		if msg := c.check(lane.name, false); msg != "" {
			r.failed = append(r.failed, fmt.Sprintf("%s: %s\n    %s", ex.where, ex.line, msg))
		}
	}
	for _, l := range long {
		c := l.c
		if !<-l.stopped {
			r.failed = append(r.failed, fmt.Sprintf("%s: %s\n    did not stop within 10 s of Ctrl-C", c.ex.where, c.ex.line))
			continue
		}
		r.log = append(r.log, fmt.Sprintf("%6.2fs %s: %s (docsLong)", c.end.Sub(c.start).Seconds(), c.ex.where, c.ex.line))
		if msg := c.check(lane.name, l.interrupted); msg != "" {
			r.failed = append(r.failed, fmt.Sprintf("%s: %s\n    %s", c.ex.where, c.ex.line, msg))
		}
	}
	return r
}

func isLong(line string) bool {
	return slices.ContainsFunc(docsLong, func(l struct{ line, why string }) bool { return l.line == line })
}

// docsCmd is one example running with bash in its own process group.
type docsCmd struct {
	ex     docExample
	cmd    *exec.Cmd
	start  time.Time
	end    time.Time
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

func startExample(ex docExample, dir string, env []string) (*docsCmd, error) {
	c := &docsCmd{ex: ex, done: make(chan struct{})}
	c.cmd = exec.Command("bash", "-o", "pipefail", "-c", ex.line)
	c.cmd.Dir, c.cmd.Env = dir, env
	c.cmd.Stdin = strings.NewReader("")
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { c.err = c.cmd.Wait(); c.end = time.Now(); close(c.done) }()
	return c, nil
}

// interrupt sends Ctrl-C and waits for the end (SIGKILL after 10 s:
// then it returns false).
func (c *docsCmd) interrupt() bool {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-c.done:
		return true
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
		return false
	}
}

// check says why the ended command failed, or "".
func (c *docsCmd) check(lane string, interrupted bool) string {
	code := 0
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		code = ee.ExitCode()
	} else if c.err != nil {
		return c.err.Error()
	}
	want := 0
	for _, e := range docsExit {
		if e.lane == lane && e.line == c.ex.line {
			want = e.code
		}
	}
	if code == want || interrupted && (code == 0 || code == 130) {
		return ""
	}
	last := strings.TrimSpace(c.stderr.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if want != 0 {
		return fmt.Sprintf("exit %d, want %d (docsExit): %s", code, want, last)
	}
	return fmt.Sprintf("exit %d: %s", code, last)
}

// readmeExamples reads the command lines of the README's ```sh blocks and
// its "$ kx" lines, joining lines continued with a backslash; their part
// is the heading they are under.
func readmeExamples(ts *testscript.TestScript, path string) []docExample {
	data, err := os.ReadFile(path)
	ts.Check(err)
	var out []docExample
	inSh, inBlock := false, false
	var cont strings.Builder
	contAt := 0
	part := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			inSh = inBlock && strings.TrimPrefix(l, "```") == "sh"
			continue
		}
		if !inBlock {
			if h, ok := strings.CutPrefix(l, "## "); ok {
				part = h
			} else if h, ok := strings.CutPrefix(l, "### "); ok {
				part = h
			}
			continue
		}
		if cont.Len() > 0 {
			cont.WriteString(strings.TrimSpace(strings.TrimSuffix(l, "\\")) + " ")
			if !strings.HasSuffix(l, "\\") {
				out = append(out, docExample{fmt.Sprintf("README.md:%d", contAt), part, strings.TrimSpace(cont.String())})
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
		out = append(out, docExample{fmt.Sprintf("README.md:%d", n), part, cmd})
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
			out = append(out, docExample{c.CommandPath() + " --help", c.CommandPath(), l})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root.NewCmdRoot(cmdutil.New(ios)))
	return out
}
