package produce

import (
	"testing"

	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/record"
)

// BenchmarkConvert is produce's line encoder: a plain JSON line (bench/run.sh's
// payments), the same keyed by --key-jq .orderId, and an envelope line (kx
// tail -e A | kx produce B).
func BenchmarkConvert(b *testing.B) {
	line := []byte(`{"transactionId":"tx-000000042","orderId":"ord-1000042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","channel":"web","status":"APPROVED"}`)
	env := record.AppendJSON(nil, &record.Record{Topic: "a", Partition: 1, Offset: 7, Key: []byte("ord-1000042"), Value: line,
		Headers: []record.Header{{Key: "source", Value: []byte("bench")}}})
	run := func(name string, c *converter, in []byte) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.convert(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	opts := &Options{Partition: -1}
	run("plain", &converter{topic: "t", opts: opts, parted: 6, reuse: true}, line)
	run("key-jq-field", &converter{topic: "t", opts: opts, parted: 6, reuse: true, keyJQ: jqfilter.MustCompile(".orderId"), keyField: simpleField(".orderId")}, line)
	run("key-jq-general", &converter{topic: "t", opts: opts, parted: 6, keyJQ: jqfilter.MustCompile(`.orderId // "none"`)}, line)
	run("envelope", &converter{topic: "t", opts: opts, parted: 6}, env)
}

// TestFieldKeyMatchesJQ: the .NAME fast path gives the key jq gives, and
// leaves to jq what it cannot decide.
func TestFieldKeyMatchesJQ(t *testing.T) {
	if simpleField(" .orderId ") != "orderId" || simpleField(".a.b") != "" || simpleField(".1a") != "" || simpleField(".") != "" || simpleField(`."a"`) != "" {
		t.Fatal("simpleField")
	}
	lines := []string{
		`{"orderId":"ord-1","x":1}`, `{"x":1}`, `{"orderId":null}`, `{"orderId":"a\"b"}`, `{"orderId":"caf\u00e9"}`,
		`{"orderId":"café"}`, `{"orderId":12.50}`, `{"orderId":{"b":1,"a":2}}`, `{"orderId":"x","orderId":"y"}`,
		`{"o\u0072derId":"esc"}`, `{"nested":{"orderId":"in"}}`, `["orderId"]`, `"orderId"`, `{"orderId":""}`,
		`{"orderId":true}`, `{"orderId":[1,"a"]}`,
	}
	jq := jqfilter.MustCompile(".orderId")
	fast := &converter{keyJQ: jq, keyField: "orderId"}
	slow := &converter{keyJQ: jq}
	for _, l := range lines {
		a, errA := fast.key([]byte(l))
		b, errB := slow.key([]byte(l))
		if string(a) != string(b) || (a == nil) != (b == nil) || (errA == nil) != (errB == nil) {
			t.Errorf("%s: fast path %q, %v; jq %q, %v", l, a, errA, b, errB)
		}
	}
}
