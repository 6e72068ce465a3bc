package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// matchEnv: match-env VAR FILE REGEXP sets VAR to the first group of
// REGEXP's first match in FILE (stdout and stderr name the last command's
// output), so a later assertion can reuse a number a command printed.
func matchEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: match-env VAR FILE REGEXP")
	}
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[1]))
	if neg {
		if m != nil {
			ts.Fatalf("match-env: %q matches %q", args[1], m[0])
		}
		return
	}
	if len(m) < 2 {
		ts.Fatalf("match-env: no match of %s (with a group) in %s", args[2], args[1])
	}
	ts.Setenv(args[0], m[1])
	ts.Logf("match-env: %s=%s", args[0], m[1])
}

// openOrders: open-orders PLAY.ndjson OUT writes, sorted one a line, the
// orderIds kx play created (orders.created) and never closed
// (orders.completed) according to its own acknowledged records. Each open
// order must have a failed last payment: the orders a hold phase parked.
func openOrders(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: open-orders PLAY.ndjson OUT")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	created, closed := map[string]bool{}, map[string]bool{}
	lastPayment := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var env struct {
			Topic string `json:"topic"`
			Value struct {
				OrderID string `json:"orderId"`
				Status  string `json:"status"`
			} `json:"value"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			ts.Fatalf("open-orders: %s: %v", args[0], err)
		}
		switch id := env.Value.OrderID; env.Topic {
		case "orders.created":
			created[id] = true
		case "orders.completed":
			closed[id] = true
		case "payment.transactions":
			lastPayment[id] = env.Value.Status
		}
	}
	ts.Check(sc.Err())
	var open []string
	for id := range created {
		if closed[id] {
			continue
		}
		if lastPayment[id] != "ERROR" {
			ts.Fatalf("open-orders: order %s is open without a failed payment (last payment %q)", id, lastPayment[id])
		}
		open = append(open, id)
	}
	slices.Sort(open)
	ts.Logf("open-orders: %d created, %d open", len(created), len(open))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(lines(open)), 0o644))
}

// reportKeys: report-keys REPORT.json FIELD OUT writes, sorted one a line,
// the keys listed under FIELD (missing, late…) of a kx export --report.
func reportKeys(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: report-keys REPORT.json FIELD OUT")
	}
	var rep struct {
		Reconcile map[string]json.RawMessage `json:"reconcile"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep))
	raw, ok := rep.Reconcile[args[1]]
	if !ok {
		ts.Fatalf("report-keys: no reconcile.%s in %s", args[1], args[0])
	}
	var items []struct {
		Key string `json:"key"`
	}
	ts.Check(json.Unmarshal(raw, &items))
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	slices.Sort(keys)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(lines(keys)), 0o644))
}

func lines(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return fmt.Sprintln(strings.Join(xs, "\n"))
}
