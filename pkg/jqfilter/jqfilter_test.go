package jqfilter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

func rec(value string) *record.Record {
	return &record.Record{
		Topic: "payment.transactions", Partition: 2, Offset: 1534,
		Timestamp:     time.Date(2024, 5, 1, 12, 0, 0, 123e6, time.UTC),
		TimestampType: record.TimestampCreateTime,
		Key:           []byte("k-1"),
		Value:         []byte(value),
		Headers:       []record.Header{{Key: "trace", Value: []byte("abc")}, {Key: "trace", Value: []byte("def")}},
	}
}

func eval(t *testing.T, expr string, r *record.Record) (Result, error) {
	t.Helper()
	f, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	return f.Eval(r)
}

func outputs(res Result) string {
	var s []string
	for _, o := range res.Outputs {
		s = append(s, string(o))
	}
	return strings.Join(s, " ")
}

func TestSelectMode(t *testing.T) {
	for _, tc := range []struct {
		expr, value string
		keep        bool
	}{
		{`.status=="ERROR"`, `{"status":"ERROR","id":1}`, true},
		{`.status=="ERROR"`, `{"status":"OK","id":1}`, false},
		{`.status=="ERROR"`, `{"status":"\u0045RROR"}`, true},
		{`.status=="ERROR"`, `{"msg":"ERROR"}`, false},
		{`.amount > 100`, `{"amount":100.5}`, true},
		{`.amount > 100`, `{"amount":99}`, false},
		{`.items[] | .sku == "B"`, `{"items":[{"sku":"A"},{"sku":"B"}]}`, true},
		{`.items[] | .sku == "C"`, `{"items":[{"sku":"A"},{"sku":"B"}]}`, false},
		{`.status=="ERROR" or .status=="WARN"`, `{"status":"WARN"}`, true},
		{`empty`, `{}`, false},
	} {
		res, err := eval(t, tc.expr, rec(tc.value))
		if err != nil {
			t.Fatalf("%s on %s: %v", tc.expr, tc.value, err)
		}
		if res.Keep != tc.keep || res.Outputs != nil {
			t.Errorf("%s on %s: got %+v, want keep=%v in select mode", tc.expr, tc.value, res, tc.keep)
		}
	}
}

func TestOutputMode(t *testing.T) {
	for _, tc := range []struct{ expr, value, want string }{
		{`.orderId`, `{"orderId":"o-1","n":2}`, `"o-1"`},
		{`.n`, `{"orderId":"o-1","n":2}`, `2`},
		{`.big`, `{"big":123456789012345678901234567890}`, `123456789012345678901234567890`},
		{`.f`, `{"f":1.50}`, `1.50`},
		{`.f + 1`, `{"f":1.5}`, `2.5`},
		{`.a[]`, `{"a":[1,"x",null,{"b":[]}]}`, `1 "x" null {"b":[]}`},
		{`{id: .id}`, `{"id":7}`, `{"id":7}`},
		{`select(.status=="ERROR") | .id`, `{"status":"ERROR","id":7}`, `7`},
		{`.s`, `{"s":"a\"b\u00e9\n"}`, `"a\"bé\n"`},
	} {
		res, err := eval(t, tc.expr, rec(tc.value))
		if err != nil {
			t.Fatalf("%s on %s: %v", tc.expr, tc.value, err)
		}
		if !res.Keep || outputs(res) != tc.want {
			t.Errorf("%s on %s: got keep=%v %s, want %s", tc.expr, tc.value, res.Keep, outputs(res), tc.want)
		}
	}
	res, err := eval(t, `select(.status=="ERROR") | .id`, rec(`{"status":"OK","id":7}`))
	if err != nil || res.Keep || len(res.Outputs) != 0 {
		t.Errorf("select with no output: %+v %v", res, err)
	}
}

func TestMixedMode(t *testing.T) {
	res, err := eval(t, `.a, .b, .c`, rec(`{"a":true,"b":"x","c":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Keep || outputs(res) != `true "x" false` {
		t.Errorf("mixed: got %+v (%s)", res, outputs(res))
	}
	// A boolean-only record of a sometimes-boolean expression selects.
	res, err = eval(t, `.a, .c`, rec(`{"a":false,"c":true}`))
	if err != nil || !res.Keep || res.Outputs != nil {
		t.Errorf("all booleans: got %+v %v", res, err)
	}
}

func TestVariables(t *testing.T) {
	r := rec(`{"id":1}`)
	for _, tc := range []struct{ expr, want string }{
		{`$topic`, `"payment.transactions"`},
		{`$partition`, `2`},
		{`$offset`, `1534`},
		{`$key`, `"k-1"`},
		{`$timestamp`, `"2024-05-01T12:00:00.123Z"`},
		{`$headers`, `[{"key":"trace","value":"abc"},{"key":"trace","value":"def"}]`},
		{`$record.value.id`, `1`},
		{`$record.offset`, `1534`},
		{`$record.headers[1].value`, `"def"`},
		{`[$topic, $partition, $offset] | map(tostring) | join("/")`, `"payment.transactions/2/1534"`},
		{`. as $record | $record.id`, `1`},
	} {
		res, err := eval(t, tc.expr, r)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := outputs(res); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.expr, got, tc.want)
		}
	}
	// $record is exactly record.AppendJSON, decoded.
	res, err := eval(t, `$record`, r)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := MustCompile(`.`).EvalValue(record.AppendJSON(nil, r))
	if string(res.Outputs[0]) != string(AppendValue(nil, want[0])) {
		t.Errorf("$record: got %s want %s", res.Outputs[0], AppendValue(nil, want[0]))
	}
	// JSON key, no key, binary key.
	r.Key = []byte(`{"user":5}`)
	if res, _ := eval(t, `$key.user`, r); outputs(res) != `5` {
		t.Errorf("JSON key: %s", outputs(res))
	}
	r.Key = nil
	if res, _ := eval(t, `$key`, r); outputs(res) != `null` {
		t.Errorf("nil key: %s", outputs(res))
	}
	r.Key = []byte{0xff, 0x00}
	if res, _ := eval(t, `$key`, r); outputs(res) != `"/wA="` {
		t.Errorf("binary key: %s", outputs(res))
	}
	f := MustCompile(`$topic == "x" and .a`)
	if !f.UsesVariable("$topic") || f.UsesVariable("$record") {
		t.Errorf("variable detection wrong: %v", f.vars)
	}
}

func TestNonJSONValues(t *testing.T) {
	for _, tc := range []struct {
		value []byte
		want  string
	}{
		{[]byte("hello foo bar"), `"hello foo bar"`},
		{[]byte(`{"a":1`), `"{\"a\":1"`},
		{[]byte{}, `""`},
		{[]byte{0xff, 0xfe}, `null`},
		{nil, `null`},
		{[]byte(" 42 "), `42`},
		{[]byte("null"), `null`},
		{[]byte(`"str"`), `"str"`},
	} {
		r := rec("")
		r.Value = tc.value
		res, err := eval(t, `.`, r)
		if err != nil {
			t.Fatalf("%q: %v", tc.value, err)
		}
		if got := outputs(res); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.value, got, tc.want)
		}
	}
	res, err := eval(t, `test("foo")`, rec("hello foo bar"))
	if err != nil || !res.Keep {
		t.Errorf("test on text: %+v %v", res, err)
	}
}

func TestRuntimeError(t *testing.T) {
	_, err := eval(t, `.x.y`, rec(`{"x":"abc"}`))
	var ee *EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("want *EvalError, got %T %v", err, err)
	}
	want := `payment.transactions/2@1534: jq: expected an object but got: string ("abc")`
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
	// Non-JSON text indexed as an object.
	_, err = eval(t, `.status=="ERROR"`, rec(`not json`))
	if err == nil || !strings.HasPrefix(err.Error(), "payment.transactions/2@1534: jq: expected an object") {
		t.Errorf("text value: %v", err)
	}
	// Outputs before the error are kept.
	res, err := eval(t, `.a, error("boom")`, rec(`{"a":1}`))
	if err == nil || outputs(res) != "1" || err.Error() != "payment.transactions/2@1534: jq: error: boom" {
		t.Errorf("partial: %+v %v", res, err)
	}
}

func TestSyntaxError(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`.status ==== "x"`, `jq: 1:11: unexpected token "=="`},
		{`.a |`, `jq: 1:5: unexpected EOF`},
		{".a |\n  .b ]", `jq: 2:6: unexpected token "]"`},
		{`.a | foo`, `jq: 1:6: function not defined: foo/0`},
		{`.a == $nope`, `jq: 1:7: variable not defined: $nope`},
		{`"abc`, `jq: 1:5: unterminated string literal`},
	} {
		_, err := Compile(tc.expr)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: want *Error, got %T %v", tc.expr, err, err)
		}
		if err.Error() != tc.want {
			t.Errorf("%q: got %q, want %q", tc.expr, err.Error(), tc.want)
		}
	}
}

func TestEvalValue(t *testing.T) {
	f := MustCompile(`.customer.country`)
	out, err := f.EvalValue([]byte(`{"customer":{"country":"FR"}}`))
	if err != nil || len(out) != 1 || out[0] != "FR" {
		t.Errorf("got %v %v", out, err)
	}
	_, err = f.EvalValue([]byte(`{"customer":3}`))
	if err == nil || err.Error() != "jq: expected an object but got: number (3)" {
		t.Errorf("error: %v", err)
	}
	vals, err := MustCompile(`.n, $offset`).Values(rec(`{"n":1}`))
	if err != nil || len(vals) != 2 || vals[0] != 1 || vals[1] != 1534 {
		t.Errorf("Values: %v %v", vals, err)
	}
}

func TestCompileColumns(t *testing.T) {
	cols, err := CompileColumns(`id=.orderId, amount=.amount.value, tag=.tags["a,b"], s="x,\(.a, .b)y", .user.id, n=(.a, .b)|length, eq=.a==1`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name+"="+c.Filter.String())
	}
	want := []string{"id=.orderId", "amount=.amount.value", `tag=.tags["a,b"]`, `s="x,\(.a, .b)y"`,
		"user.id= .user.id", "n=(.a, .b)|length", "eq=.a==1"}
	if strings.Join(names, ";") != strings.Join(want, ";") {
		t.Errorf("got  %q\nwant %q", names, want)
	}
	_, err = CompileColumns(`id=.orderId,bad=.a ==== 1`)
	if err == nil || err.Error() != `jq: 1:22: column "bad": unexpected token "=="` {
		t.Errorf("column error: %v", err)
	}
	if _, err := CompileColumns(`a=.x,a=.y`); err == nil {
		t.Errorf("duplicate names accepted")
	}
}

func TestPrefilterApplies(t *testing.T) {
	for expr, want := range map[string]bool{
		`.status=="ERROR"`:                             true,
		`"ERROR" == .status`:                           true,
		`.a.b == "x" and .c == "y"`:                    true,
		`select(.status == "ERROR")`:                   true,
		`select(.status == "ERROR") | .id`:             true,
		`(.status == "ERROR")`:                         true,
		`.["status"] == "ERROR"`:                       true,
		`."status" == "ERROR"`:                         true,
		`.status == "ERROR" or .status == "WARN"`:      false,
		`.status == "ERROR" | not`:                     false,
		`.status != "ERROR"`:                           false,
		`.status == 500`:                               false,
		`.a? == "x"`:                                   false,
		`.a[] == "x"`:                                  false,
		`.a == "x" and .b`:                             false,
		`def f: .; .a == "x"`:                          false,
		`.status == "ERROR", .id`:                      false,
		`.id | select(.status == "ERROR")`:             false,
		`.status == "x\(.a)"`:                          false,
		`.status == $topic`:                            false,
		`select(.status == "ERROR") | .id, .x == "y"`:  true,
		`select(.status == "ERROR" and .a.b.c == "d")`: true,
	} {
		if got := MustCompile(expr).Prefiltered(); got != want {
			t.Errorf("%s: prefiltered=%v, want %v", expr, got, want)
		}
	}
}

func TestConcurrentEval(t *testing.T) {
	f := MustCompile(`select(.status=="ERROR") | [$offset, .id, $record.partition]`)
	done := make(chan string)
	for g := range 4 {
		go func() {
			var got []string
			for i := range 200 {
				st := "OK"
				if i%10 == g {
					st = "ERROR"
				}
				r := rec(fmt.Sprintf(`{"status":%q,"id":%d}`, st, i))
				r.Offset = int64(i)
				res, err := f.Eval(r)
				if err != nil {
					done <- err.Error()
					return
				}
				got = append(got, outputs(res))
			}
			done <- strings.Join(strings.Fields(strings.Join(got, " ")), " ")
		}()
	}
	for range 4 {
		if s := <-done; strings.Count(s, "[") != 20 {
			t.Errorf("unexpected outputs: %s", s)
		}
	}
}
