package scenario

import (
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/itchyny/gojq"
)

// TestJQExprMatchesJQ evaluates each direct form on many values and
// checks it gives what jq gives, or hands the value to jq.
func TestJQExprMatchesJQ(t *testing.T) {
	direct := []string{
		`.`, `.a`, `.a.b`, `$ctx.o.x`, `$ctx.o`, `$item.p`, `$item`, `$index`, `$params.k`,
		`"x \(.a) y \($ctx.o.x)"`, `"\(.a)"`, `"\(.a.b)-\($index)-\($item.p)"`, `"é \"q\" \(.a)"`,
		`if .a == 0 then "OUT_OF_STOCK" elif .a < 20 then "LOW" else "OK" end`,
		`if .a then 1 else 2.5 end`, `if .a != "s" then .a else null end`, `if 1e3 <= .a then true elif .a >= 0 then $ctx.o.x end`,
		`if .a + 1 > 2 then 1 else 0 end`, `.a * 2`, `.a + .a`, `.a - 1.5`, `3 * .a.b`, `[.a[] | .b * 2] | add`, `[.a[] | .] | add`, `[$ctx.o.x[] | . + 1] | add`,
		`.a > 84`, `(.a == null)`, `.a < 0.5`, `.a <= 0.5`, `.a > 0.5`, `.a >= 0.5`, `.a != 0.5`, `.a == "s"`, `.a < "s"`, `if .a.b == "deep" then "x\(.a.b)" else false end`,
	}
	indirect := []string{`.a / 2`, `if (.a | length) > 2 then 1 else 0 end`, `[.a[]] | add`, `[.a[] | .b] | add(.)`, `.a[] | .b`, `if .a then 1 elif .a | not then 2 else 3 end`, `.a and .b`, `.a?`, `.["a"]`, `.a[]`, `.a | .b`, `"\(.a + 1)"`, `@base64 "\(.a)"`, `$ctx | keys`, `"plain"`, `.a[0]`}
	values := []any{
		nil, true, false, 0, -3, 1 << 40, 0.5, 84.0, -0.0, 123.456, 1e-7, 1e-6, 1e20, 1e21, -2.5e-9,
		math.Inf(1), math.NaN(), "", "s", `quote " and \ and é`, []any{1, "a"}, map[string]any{"b": 2.5},
		map[string]any{"b": "deep"}, big.NewInt(7), map[string]any{"b": nil},
		[]any{map[string]any{"b": 2.5}, map[string]any{"b": 3}}, []any{1, 2.5, nil}, []any{}, []any{math.MaxInt, 1},
		[]any{map[string]any{"b": math.MaxInt}}, []any{0.1, 0.2, 0.3}, math.MinInt, math.MaxInt, -1, []any{nil},
	}
	run := func(src string, e *jqExpr, v any) {
		input := map[string]any{"a": v}
		ctx := map[string]any{"o": map[string]any{"x": v}}
		params := map[string]any{"k": v}
		item := map[string]any{"p": v}
		// $ctx.o is the context's slot 0, the whole event aliased o.
		got, ok := e.eval(&jqEnv{input: input, slots: []any{ctx["o"]}, params: params, item: item, index: 3})
		want, werr := func() (any, error) {
			out, more := e.code.Run(input, ctx, params, item, 3).Next()
			if !more {
				return nil, nil
			}
			if err, isErr := out.(error); isErr {
				return nil, err
			}
			return out, nil
		}()
		if !ok {
			return
		}
		if werr != nil {
			t.Errorf("%s on %#v: direct %#v, jq fails: %v", src, v, got, werr)
			return
		}
		if f, isF := want.(float64); isF && math.IsNaN(f) {
			if g, isG := got.(float64); isG && math.IsNaN(g) {
				return
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s on %#v: direct %#v, jq %#v", src, v, got, want)
		}
	}
	for _, src := range append(direct, indirect...) {
		q, err := gojq.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		code, err := gojq.Compile(q, gojq.WithVariables(jqVars))
		if err != nil {
			t.Fatal(err)
		}
		e := newJQExpr(q, code)
		ctxOne.resolveJQ(e)
		isDirect := e.direct != nil
		if isDirect != (indexOf(direct, src) >= 0) {
			t.Errorf("%s: direct form %v", src, isDirect)
		}
		for _, v := range values {
			run(src, e, v)
		}
	}
}

// ctxOne is a scenario whose flows keep one event, aliased o, whole.
var ctxOne = &Scenario{slots: []ctxSlot{{"o", ""}}, slotIdx: map[ctxSlot]int{{"o", ""}: 0}}

// BenchmarkJQExpr is a notification message: the direct form and jq.
func BenchmarkJQExpr(b *testing.B) {
	src := `"Order \($ctx.order.orderId) confirmed: \($ctx.order.totalAmount) \($ctx.order.currency)"`
	q, _ := gojq.Parse(src)
	code, _ := gojq.Compile(q, gojq.WithVariables(jqVars))
	e := newJQExpr(q, code)
	order := map[string]any{"orderId": "ORD-000042", "totalAmount": 219.96, "currency": "EUR"}
	ctx := map[string]any{"order": order}
	(&Scenario{slots: []ctxSlot{{"order", ""}}, slotIdx: map[ctxSlot]int{{"order", ""}: 0}}).resolveJQ(e)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := e.eval(&jqEnv{input: map[string]any{}, slots: []any{order}}); !ok {
				b.Fatal("not direct")
			}
		}
	})
	b.Run("jq", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.code.Run(map[string]any{}, ctx, nil, nil, 0).Next()
		}
	})
}
