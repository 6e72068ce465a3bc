package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

// TestMain lets testscript run this test binary as the real `kx` command.
func TestMain(m *testing.M) {
	scriptParallelism()
	testscript.Main(m, map[string]func(){
		"kx": func() { os.Exit(run()) },
	})
}

// scriptParallelism runs up to 4 scripts at a time unless -test.parallel
// is given: most of a script's time is spent waiting (on a broker's
// answer, a follow's idle end, a rule's window), not computing, so the
// default of one script per CPU leaves the CPUs half idle.
func scriptParallelism() {
	if filepath.Base(os.Args[0]) == "kx" {
		return // this process is a script's kx, not the test
	}
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < 4 {
		_ = flag.Set("test.parallel", "4")
	}
}

// TestScripts runs the end-to-end scripts in testdata/script. Each script
// gets its own embedded broker on a free port (KX_BROKERS) and its own
// empty HOME and XDG_CONFIG_HOME.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("KX_UPDATE_SCRIPTS") != "",
		Setup:               setupScript,
		Cmds:                scriptCmds,
	})
}

const brokerKey = "broker"

func setupScript(env *testscript.Env) error {
	// Topics are auto-created like on a default Apache Kafka (and kx broker),
	// so the scripts also check that kx itself never creates one by asking.
	b, err := embedded.Start(embedded.Options{})
	if err != nil {
		return err
	}
	env.Defer(b.Close)
	env.Values[brokerKey] = b
	env.Setenv("KX_BROKERS", b.Addrs()[0])
	// An embedded Schema Registry, used by the scripts that set
	// KX_SCHEMA_REGISTRY=$SCHEMA_REGISTRY (schemacmds_test.go).
	reg, err := embedded.StartRegistry(embedded.RegistryOptions{})
	if err != nil {
		return err
	}
	env.Defer(reg.Close)
	env.Values[registryKey] = reg
	env.Setenv("SCHEMA_REGISTRY", reg.URL())
	// Wire bytes made by other implementations (testdata/independent).
	independent, err := filepath.Abs(filepath.Join("testdata", "independent"))
	if err != nil {
		return err
	}
	env.Setenv("INDEPENDENT", independent)
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
	env.Setenv("NO_COLOR", "")
	// The shipped scenarios, for scripts that play them as they are.
	scenarios, err := filepath.Abs(filepath.Join("..", "..", "scenarios"))
	if err != nil {
		return err
	}
	env.Setenv("SCENARIOS", scenarios)
	return nil
}

// scriptBroker returns the script's embedded broker.
func scriptBroker(ts *testscript.TestScript) *embedded.Broker {
	return ts.Value(brokerKey).(*embedded.Broker)
}

// scriptCmds are the test-only commands scripts may use besides exec.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// gen-envelopes, timed-records, envcmp: see records_script_test.go.
	"gen-envelopes": genEnvelopes,
	"timed-records": timedRecords,
	"envcmp":        envcmp,
	// Commands of the kx stats scripts (statscmds_test.go).
	"produce-rate": produceRate,
	"httprecorder": httpRecorder,
	"rates-within": ratesWithin,
	"pty-run":      ptyRun,
	"screen-check": screenCheck,
	// shell-complete: see completioncmds_test.go.
	"shell-complete": shellComplete,
	// docs-run: see docscmds_test.go.
	"docs-run": docsRun,
	// Commands of the Schema Registry scripts (schemacmds_test.go).
	"sr-seed": srSeed,
	"sr-auth": srAuth,
	// Commands of the reconciliation scripts (reconcilecmds_test.go).
	"match-env":   matchEnv,
	"open-orders": openOrders,
	"report-keys": reportKeys,
	// Commands of the replay scripts (replaycmds_test.go).
	"numbered-lines": numberedLines,
	"replay-check":   replayCheck,
	// freeport VAR [N]: set VAR to a free TCP port on 127.0.0.1, the
	// first of N consecutive free ports (kx broker --nodes N uses N).
	"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 1 || len(args) > 2 {
			ts.Fatalf("usage: freeport VAR [N]")
		}
		n := 1
		if len(args) == 2 {
			var err error
			n, err = strconv.Atoi(args[1])
			ts.Check(err)
		}
		ts.Setenv(args[0], strconv.Itoa(freePorts(ts, n)))
	},
	// waitport PORT [TIMEOUT]: wait until 127.0.0.1:PORT accepts connections.
	"waitport": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 1 {
			ts.Fatalf("usage: waitport PORT [TIMEOUT]")
		}
		timeout := 10 * time.Second
		if len(args) > 1 {
			d, err := time.ParseDuration(args[1])
			ts.Check(err)
			timeout = d
		}
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			c, err := net.Dial("tcp", "127.0.0.1:"+args[0])
			if err == nil {
				c.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		ts.Fatalf("port %s not open after %s", args[0], timeout)
	},
	// exits CODE [-within DURATION] PROG ARGS...: run PROG like exec and
	// check its exact exit code (and that it ended within DURATION).
	"exits": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: exits CODE [-within DURATION] PROG ARGS...")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		args = args[1:]
		var within time.Duration
		if args[0] == "-within" && len(args) > 2 {
			within, err = time.ParseDuration(args[1])
			ts.Check(err)
			args = args[2:]
		}
		start := time.Now()
		err = ts.Exec(args[0], args[1:]...)
		elapsed := time.Since(start)
		got := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("%s: %v", args[0], err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("%s exited %d, want %d", args[0], got, want)
		}
		if within > 0 && elapsed > within {
			ts.Fatalf("%s took %s, want at most %s", args[0], elapsed.Round(time.Millisecond), within)
		}
	},
	// sasl-broker VAR MECHANISM USER PASSWORD: start a second embedded
	// broker that requires SASL and set VAR to its address.
	"sasl-broker": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 4 {
			ts.Fatalf("usage: sasl-broker VAR MECHANISM USER PASSWORD")
		}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(args[1], args[2], args[3]))
		ts.Check(err)
		ts.Defer(c.Close)
		ts.Setenv(args[0], c.ListenAddrs()[0])
	},
	"tls-broker": tlsBroker,
	// batch-codecs TOPIC N WANT: see codecs_test.go.
	"batch-codecs": batchCodecs,
	// chmod MODE FILE: set a file's permissions (octal).
	"chmod": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: chmod MODE FILE")
		}
		mode, err := strconv.ParseUint(args[0], 8, 32)
		ts.Check(err)
		ts.Check(os.Chmod(ts.MkAbs(args[1]), os.FileMode(mode)))
	},
	// seed-topic TOPIC FILE: produce the records of FILE, one JSON object a
	// line: {"partition":0,"key":"k","value":{...},"timestamp":"RFC 3339"}.
	// A JSON string key or value is produced as its text, anything else as
	// its JSON; "partition" and "timestamp" may be left out. Binary keys
	// and values: "key_base64", "value_base64".
	"seed-topic": seedTopic,
	// stall-fetch: from now on the broker holds every fetch until the
	// script ends, so a read blocks mid-way (interruption tests).
	"stall-fetch": func(ts *testscript.TestScript, neg bool, args []string) {
		c := scriptBroker(ts).Cluster()
		release := make(chan struct{})
		ts.Defer(func() { close(release) })
		c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			c.SleepControl(func() { <-release })
			return nil, nil, false
		})
	},
	// wait-file GLOB [TIMEOUT]: wait until a file matches GLOB.
	"wait-file": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 1 {
			ts.Fatalf("usage: wait-file GLOB [TIMEOUT]")
		}
		timeout := 10 * time.Second
		if len(args) > 1 {
			d, err := time.ParseDuration(args[1])
			ts.Check(err)
			timeout = d
		}
		for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m, _ := filepath.Glob(ts.MkAbs(args[0])); len(m) > 0 {
				return
			}
		}
		ts.Fatalf("no file matches %s after %s", args[0], timeout)
	},
	// delete-records TOPIC PARTITION OFFSET: move the low watermark, as
	// retention would.
	"delete-records": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: delete-records TOPIC PARTITION OFFSET")
		}
		p, err := strconv.Atoi(args[1])
		ts.Check(err)
		off, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		ts.Check(scriptBroker(ts).Cluster().DeleteRecords(args[0], int32(p), off))
	},
	// broker-fail-produce N CODE: answer the next N produce requests with
	// Kafka error CODE on every partition, without writing anything.
	// broker-fail-produce served: check that all N were served.
	"broker-fail-produce": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) == 1 && args[0] == "served" {
			if left := failProduceLeft(scriptBroker(ts)); left != 0 {
				ts.Fatalf("broker-fail-produce: %d injected errors not served", left)
			}
			return
		}
		if len(args) != 2 {
			ts.Fatalf("usage: broker-fail-produce N CODE | broker-fail-produce served")
		}
		n, err := strconv.Atoi(args[0])
		ts.Check(err)
		code, err := strconv.Atoi(args[1])
		ts.Check(err)
		failProduce(scriptBroker(ts), n, int16(code))
	},
	// wait-records TOPIC N [TIMEOUT]: wait until TOPIC holds at least N records.
	"wait-records": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: wait-records TOPIC N [TIMEOUT]")
		}
		n, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		timeout := 20 * time.Second
		if len(args) > 2 {
			timeout, err = time.ParseDuration(args[2])
			ts.Check(err)
		}
		ts.Check(waitRecords(scriptBroker(ts), args[0], n, timeout))
	},
	// check-ndjson FILE: every envelope line of FILE is read back from the
	// broker at the topic, partition and offset it names, with the same key
	// and value; lines must name distinct offsets.
	"check-ndjson": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: check-ndjson FILE")
		}
		n, err := checkNDJSON(scriptBroker(ts), ts.MkAbs(args[0]))
		if neg {
			if err == nil {
				ts.Fatalf("check-ndjson: %d records all match", n)
			}
			return
		}
		ts.Check(err)
		ts.Logf("check-ndjson: %d records read back", n)
	},
	// same-count TOPIC TOPIC: both topics hold as many records.
	"same-count": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: same-count TOPIC TOPIC")
		}
		a, b, err := topicCounts(scriptBroker(ts), args[0], args[1])
		ts.Check(err)
		if a != b {
			ts.Fatalf("same-count: %s holds %d records, %s %d", args[0], a, args[1], b)
		}
		ts.Logf("same-count: %d records each", a)
	},
	// ndjson-rate FILE TOPIC MIN MAX: count TOPIC's records per second of
	// record timestamp, in whole one-second windows from its first record;
	// every window must hold between MIN and MAX records.
	"ndjson-rate": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 4 {
			ts.Fatalf("usage: ndjson-rate FILE TOPIC MIN MAX")
		}
		lo, err := strconv.ParseFloat(args[2], 64)
		ts.Check(err)
		hi, err := strconv.ParseFloat(args[3], 64)
		ts.Check(err)
		counts, err := rateWindows(ts.MkAbs(args[0]), args[1])
		ts.Check(err)
		if len(counts) == 0 {
			ts.Fatalf("ndjson-rate: no whole second of %s records", args[1])
		}
		ts.Logf("ndjson-rate: %s per second: %v", args[1], counts)
		for i, c := range counts {
			if float64(c) < lo || float64(c) > hi {
				ts.Fatalf("ndjson-rate: second %d holds %d %s records, want %v..%v (all: %v)", i, c, args[1], lo, hi, counts)
			}
		}
	},
}

func seedTopic(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: seed-topic TOPIC FILE")
	}
	client := kafka.New(kafka.Options{Brokers: scriptBroker(ts).Addrs(), Timeout: 10 * time.Second})
	defer client.Close()
	p, err := client.NewProducer(kafka.ProducerOptions{})
	ts.Check(err)
	text := ts.ReadFile(args[1])
	var n atomic.Int64
	var deliveryErr error
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for d := range p.Deliveries() {
			if d.Err != nil && deliveryErr == nil {
				deliveryErr = d.Err
			}
		}
	}()
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var in struct {
			Partition *int32          `json:"partition"`
			Key       json.RawMessage `json:"key"`
			Value     json.RawMessage `json:"value"`
			Timestamp string          `json:"timestamp"`
			KeyB64    []byte          `json:"key_base64"`
			ValueB64  []byte          `json:"value_base64"`
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			ts.Fatalf("%s:%d: %v", args[1], i+1, err)
		}
		r := &record.Record{Topic: args[0], Partition: kafka.AnyPartition, Key: seedBytes(in.Key), Value: seedBytes(in.Value)}
		if in.KeyB64 != nil {
			r.Key = in.KeyB64
		}
		if in.ValueB64 != nil {
			r.Value = in.ValueB64
		}
		if in.Partition != nil {
			r.Partition = *in.Partition
		}
		if in.Timestamp != "" {
			t, err := time.Parse(time.RFC3339Nano, in.Timestamp)
			ts.Check(err)
			r.Timestamp = t
		}
		ts.Check(p.Produce(context.Background(), r, nil))
		n.Add(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if left := p.Flush(ctx); left > 0 {
		ts.Fatalf("seed-topic: %d of %d records not delivered", left, n.Load())
	}
	p.Close()
	<-drained
	if deliveryErr != nil {
		ts.Fatalf("seed-topic: %v", deliveryErr)
	}
}

func seedBytes(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s)
	}
	return []byte(raw)
}

// tlsBroker: tls-broker VAR DIR: start a second embedded broker that speaks
// TLS only, with a fresh self-signed CA whose certificate it writes to
// DIR/ca.pem (and an unrelated CA to DIR/other-ca.pem), and set VAR to its
// address.
func tlsBroker(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: tls-broker VAR DIR")
	}
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o755))
	caCert, caKey, caPEM := newCA(ts, "kx test CA")
	_, _, otherPEM := newCA(ts, "some other CA")
	ts.Check(os.WriteFile(filepath.Join(dir, "ca.pem"), caPEM, 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "other-ca.pem"), otherPEM, 0o644))

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	ts.Check(err)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(cfg))
	ts.Check(err)
	ts.Defer(c.Close)
	ts.Setenv(args[0], c.ListenAddrs()[0])
}

func newCA(ts *testscript.TestScript, name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	cert, err := x509.ParseCertificate(der)
	ts.Check(err)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// freePorts finds n consecutive free ports and returns the first. The
// ports are held while searching so parallel scripts cannot take them in
// between (they can after: scripts use them at once).
func freePorts(ts *testscript.TestScript, n int) int {
	for attempt := 0; attempt < 50; attempt++ {
		first, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		base := first.Addr().(*net.TCPAddr).Port
		held := []net.Listener{first}
		for i := 1; i < n; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if len(held) == n {
			return base
		}
	}
	ts.Fatalf("no %d consecutive free ports", n)
	return 0
}
