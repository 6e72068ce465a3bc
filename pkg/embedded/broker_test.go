package embedded

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestKcatSuite runs kcat's own tests (testdata/kcat-tests, unchanged from
// edenhill/kcat) against an embedded broker with Kafka's defaults and three
// partitions by default, as `kx broker --default-partitions 3` runs it. The
// scripts rely on topics being created on first produce. They run at once,
// each under a pseudo-terminal: kcat picks consumer mode only when stdin is
// a terminal, as the scripts expect.
func TestKcatSuite(t *testing.T) {
	tools := map[string]string{}
	for _, name := range []string{"kcat", "bash", "jq"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("kcat's test suite needs %s, which is not installed (apt-get install -y kcat jq)", name)
		}
		tools[name] = p
	}
	b, err := Start(Options{DefaultPartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// The scripts run `../kcat` from their own directory.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tools["kcat"], filepath.Join(dir, "kcat")); err != nil {
		t.Fatal(err)
	}
	// 0001 proves a consumer without -e keeps running by waiting out
	// `timeout 5` and `timeout 10`; kcat-timeout.sh stands in for timeout(1)
	// and ends such a consumer one second after it reached the end of every
	// partition instead (15 s less).
	shim, err := os.ReadFile(filepath.Join("testdata", "kcat-timeout.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "timeout"), shim, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "BROKERS="+b.Addrs()[0], "KCAT_PARTITIONS=3", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	entries, err := os.ReadDir(filepath.Join("testdata", "kcat-tests"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "kcat-tests", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tests", e.Name()), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	scripts := []string{"0001-exit_eof.sh", "0002-delim.sh", "0004-piped_producer.sh"}
	outs := make([]string, len(scripts))
	errs := make([]error, len(scripts))
	var wg sync.WaitGroup
	for i, script := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = runInPTY(tools["bash"], filepath.Join(dir, "tests"), env, script)
		}()
	}
	wg.Wait()
	for i, script := range scripts {
		t.Logf("%s:\n%s", script, outs[i])
		if errs[i] != nil {
			t.Errorf("%s: %v", script, errs[i])
		}
	}
	if !strings.Contains(outs[0], "TEST PASSED") {
		t.Errorf("0001-exit_eof.sh did not report TEST PASSED")
	}
}

// TestNoAutoCreate: with NoAutoCreate a producer's metadata request leaves
// the topic missing, and its records fail with Unknown topic or partition.
func TestNoAutoCreate(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("needs kcat, which is not installed (apt-get install -y kcat)")
	}
	for _, c := range []struct {
		opts   Options
		want   string // in kcat -L's output after producing
		failed bool
	}{
		{Options{DefaultPartitions: 2}, `topic "fresh" with 2 partitions`, false},
		{Options{NoAutoCreate: true}, `topic "fresh" with 0 partitions: Broker: Unknown topic or partition`, true},
	} {
		b, err := Start(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		produce := exec.Command(kcat, "-b", b.Addrs()[0], "-P", "-t", "fresh",
			"-X", "topic.metadata.propagation.max.ms=500", "-X", "message.timeout.ms=3000")
		produce.Stdin = strings.NewReader("one\n")
		out, err := produce.CombinedOutput()
		if (err != nil) != c.failed || c.failed && !bytes.Contains(out, []byte("Unknown topic or partition")) {
			t.Errorf("%+v: kcat -P: %v\n%s", c.opts, err, out)
		}
		list, _ := exec.Command(kcat, "-b", b.Addrs()[0], "-L", "-t", "fresh").CombinedOutput()
		if !bytes.Contains(list, []byte(c.want)) {
			t.Errorf("%+v: kcat -L -t fresh: want %q in\n%s", c.opts, c.want, list)
		}
		b.Close()
	}
}

// runInPTY runs bash SCRIPT in dir with env, stdin a terminal, and returns
// what it printed; it is killed after 90 s.
func runInPTY(bash, dir string, env []string, script string) (string, error) {
	cmd := exec.Command(bash, script)
	cmd.Dir = dir
	cmd.Env = env
	f, err := pty.Start(cmd)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, f) // ends with EIO when the script exits
		close(copied)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		err = <-done
	}
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	return out.String(), err
}
