package export

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
)

func rec(off int64, value string) *record.Record {
	return &record.Record{Topic: "t", Partition: 0, Offset: off, Value: []byte(value), Timestamp: time.UnixMilli(1_700_000_000_000 + off)}
}

// The fast path must give exactly what jq gives, or defer to it.
func TestFastPathMatchesJQ(t *testing.T) {
	values := []string{
		`{"a":"x","b":{"c":1.50}}`,
		`{"a":"esc\"aped\u00e9","b":{"c":[1, 2]}}`,
		`{"a":null,"b":null}`,
		`{"b":{"c":{"d":true}}, "a": -3}`,
		`{"a":1,"a":2}`,
		`{"a\u0062":1,"b":2}`,
		`{"a":"=1+1"}`,
		`{"a":1,}`,
		`[1,2]`,
		`"a string"`,
		`not json`,
		`{"b":"not an object"}`,
		`  {"a" : "spaced" }  `,
		"\xff\xfe",
		``,
	}
	fast, err := ParseColumns(`a=.a,c=.b.c,bb=.b`)
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := ParseColumns(`a=.a,c=.b.c,bb=.b`)
	for i := range slow {
		if fast[i].kind != colPath {
			t.Fatalf("column %s: not on the fast path", fast[i].Name)
		}
		slow[i].kind = colJQ
	}
	fe, se := NewRowEncoder(fast, false), NewRowEncoder(slow, false)
	for i, v := range values {
		r := rec(int64(i), v)
		got := string(fe.AppendRow(nil, r))
		want := string(se.AppendRow(nil, r))
		if got != want {
			t.Errorf("value %q: fast path %q, jq %q", v, got, want)
		}
		if (fe.EvalErr == nil) != (se.EvalErr == nil) {
			t.Errorf("value %q: fast path error %v, jq error %v", v, fe.EvalErr, se.EvalErr)
		}
	}
}

func TestDiscoverColumns(t *testing.T) {
	cols := DiscoverColumns([]*record.Record{rec(0, `{"orderId":"o1","topic":"x"}`), rec(1, `{"orderId":"o2","status":"OK"}`)})
	if got := strings.Join(Header(cols), ","); got != "topic,partition,offset,timestamp,key,orderId,value.topic,status" {
		t.Fatalf("header %s", got)
	}
	e := NewRowEncoder(cols, true)
	row := string(e.AppendRow(nil, &record.Record{Topic: "t", Offset: 7, Key: []byte{0xff}, Value: []byte(`{"orderId":"o3","extra":1}`)}))
	if row != "t,0,7,,/w==,o3,,\n" || !e.Unknown {
		t.Fatalf("row %q unknown %v", row, e.Unknown)
	}
	if cols := DiscoverColumns([]*record.Record{rec(0, `{"a":1}`), rec(1, `text`)}); Header(cols)[5] != "value" || len(cols) != 6 {
		t.Fatalf("mixed values: %v", Header(cols))
	}
	e = NewRowEncoder(DiscoverColumns(nil), true)
	if row := string(e.AppendRow(nil, rec(3, `"quoted, text"`))); !strings.HasSuffix(row, `,"quoted, text"`+"\n") {
		t.Fatalf("row %q", row)
	}
}

func TestMultipleOutputsAreNotTruncated(t *testing.T) {
	cols, err := ParseColumns(`skus=.items[].sku`)
	if err != nil {
		t.Fatal(err)
	}
	row := string(NewRowEncoder(cols, false).AppendRow(nil, rec(0, `{"items":[{"sku":"a"},{"sku":"b"}]}`)))
	if row != `"[""a"",""b""]"`+"\n" {
		t.Fatalf("row %q", row)
	}
}

func tp(p int32) record.TopicPartition { return record.TopicPartition{Topic: "t", Partition: p} }

func TestCheckerGaps(t *testing.T) {
	c := NewChecker([]consume.Range{
		{TP: tp(0), Requested: 0, Start: 2, End: 10, Watermark: kafka.Watermark{Low: 2, High: 10}},
		{TP: tp(1), Requested: 0, Start: 0, End: 5, Watermark: kafka.Watermark{Low: 0, High: 5}},
	}, "")
	ts := time.UnixMilli(1_700_000_000_000)
	for _, off := range []int64{2, 3, 6, 7} { // 4-5 missing, 8-9 missing at the end
		c.Observe(tp(0), off, ts)
	}
	// Partition 1: retention moved the low watermark to 3 during the read.
	c.Observe(tp(1), 0, ts)
	c.Observe(tp(1), 3, ts.Add(-time.Second))
	c.Observe(tp(1), 4, ts)
	res := c.Finish(map[record.TopicPartition]int64{tp(0): 2, tp(1): 2}, true)
	p0, p1 := res.Partitions[0], res.Partitions[1]
	if p0.LostToRetention == nil || p0.LostToRetention.Count != 2 {
		t.Errorf("p0 lost: %+v", p0.LostToRetention)
	}
	if got := fmt.Sprint(p0.Gaps); got != "[{{4 6 2} no-record} {{8 10 2} no-record}]" {
		t.Errorf("p0 gaps %s", got)
	}
	if got := fmt.Sprint(p1.Gaps); got != "[{{1 2 1} deleted} {{2 3 1} no-record}]" {
		t.Errorf("p1 gaps %s", got)
	}
	if p1.Timestamps.Backwards != 1 || p1.Timestamps.BackwardsFirst[0].Offset != 3 {
		t.Errorf("p1 backwards %+v", p1.Timestamps)
	}
	if len(res.Failures) != 2 || res.Records != 7 {
		t.Errorf("failures %q records %d", res.Failures, res.Records)
	}
	// An interrupted read does not call its unread tail a gap.
	c = NewChecker([]consume.Range{{TP: tp(0), Start: 0, End: 10, Watermark: kafka.Watermark{High: 10}}}, "")
	c.Observe(tp(0), 0, ts)
	if res := c.Finish(nil, false); len(res.Partitions[0].Gaps) != 0 {
		t.Errorf("interrupted: gaps %v", res.Partitions[0].Gaps)
	}
}

func TestCheckerUnique(t *testing.T) {
	c := NewChecker(nil, ".id")
	c.ObserveKey("a", true, Location{Offset: 1})
	c.ObserveKey("b", true, Location{Offset: 2})
	c.ObserveKey("", false, Location{Offset: 3})
	c.ObserveKey("a", true, Location{Offset: 4})
	res := c.Finish(nil, true)
	u := res.Unique
	if u.Keys != 2 || u.DuplicatesTotal != 1 || u.Missing != 1 || u.Duplicates[0].First.Offset != 1 || u.Duplicates[0].Again.Offset != 4 {
		t.Fatalf("unique %+v", u)
	}
	if len(res.Failures) != 1 || len(res.Warnings) != 1 {
		t.Fatalf("failures %q warnings %q", res.Failures, res.Warnings)
	}
}

// Memory follows the open orders: a steady stream where each order
// completes three orders later keeps about three open at once.
func TestReconcileMemoryFollowsOpenOrders(t *testing.T) {
	const n = 20000
	created, completed := make(chan Event, 64), make(chan Event, 64)
	base := time.UnixMilli(1_700_000_000_000)
	go func() {
		for i := range n {
			created <- Event{Key: fmt.Sprint("o-", i), Time: base.Add(time.Duration(i) * time.Second)}
		}
		close(created)
	}()
	go func() {
		for i := range n {
			if i == 42 {
				continue // never completed
			}
			completed <- Event{Key: fmt.Sprint("o-", i), Time: base.Add(time.Duration(i+3) * time.Second)}
		}
		close(completed)
	}()
	r := NewReconciler("orders.created", ".orderId", 5*time.Second)
	Merge(context.Background(), r, created, completed)
	rep := r.Finish(base.Add(n * time.Second))
	if rep.Matched != n-1 || rep.MissingTotal != 1 || rep.Missing[0].Key != "o-42" || rep.LateTotal != 0 || rep.UnmatchedTotal != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.PeakOpen > 10 {
		t.Fatalf("peak open %d, want a handful", rep.PeakOpen)
	}
}

func TestReconcileClassification(t *testing.T) {
	base := time.UnixMilli(1_700_000_000_000)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Minute) }
	r := NewReconciler("c", ".id", 15*time.Minute)
	r.Completed(Event{Key: "early", Time: at(0)}) // completion read before its creation
	r.Created(Event{Key: "early", Time: at(0)})
	r.Created(Event{Key: "late", Time: at(0)})
	r.Completed(Event{Key: "late", Time: at(20)})
	r.Completed(Event{Key: "late", Time: at(21)}) // duplicate of a closed order
	r.Created(Event{Key: "dup", Time: at(1)})
	r.Created(Event{Key: "dup", Time: at(2)})
	r.Created(Event{Key: "recent", Time: at(25)})
	r.Completed(Event{Key: "ghost", Time: at(3)})
	rep := r.Finish(at(30))
	if rep.Matched != 2 || rep.LateTotal != 1 || rep.DuplicateCompletionsTotal != 1 || rep.DuplicateCreationsTotal != 1 ||
		rep.OpenTotal != 1 || rep.Open[0].Key != "recent" || rep.MissingTotal != 1 || rep.Missing[0].Key != "dup" ||
		rep.UnmatchedTotal != 1 || rep.Unmatched[0].Key != "ghost" {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Failures()) != 2 {
		t.Fatalf("failures %q", rep.Failures())
	}
}
