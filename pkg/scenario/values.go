package scenario

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kx-cli/kx/pkg/output"
)

// evalCtx is what a field generator can see while an event is built.
type evalCtx struct {
	g     *Generator
	fl    *flowState
	at    time.Duration
	pi    int // phaseParams index
	item  any
	index int
}

func (e *evalCtx) vals() []paramVal { return e.g.s.phaseParams[e.pi] }

// value generates one value; cur is the object being built (jq's input).
func (e *evalCtx) value(gn *gen, cur map[string]any) any {
	g := e.g
	switch gn.kind {
	case gConst:
		return gn.val
	case gSequence:
		v := gn.seqStart + gn.seqBy*g.seqs[gn.seq]
		g.seqs[gn.seq]++
		if gn.intFmt.ok {
			return gn.intFmt.format(v)
		}
		if gn.format != "" {
			return fmt.Sprintf(gn.format, v)
		}
		return int(v)
	case gUUID:
		return g.uuid()
	case gChoice:
		return e.value(gn.choices[e.pickWeighted(gn)], cur)
	case gInt:
		lo, hi := int64(math.Ceil(resolve(gn.min, e.vals()))), int64(math.Floor(resolve(gn.max, e.vals())))
		v := lo
		if hi > lo {
			v += g.rng.Int64N(hi - lo + 1)
		}
		if gn.formatted != nil {
			return gn.formatted[v-lo]
		}
		if gn.intFmt.ok {
			return gn.intFmt.format(v)
		}
		if gn.format != "" {
			return fmt.Sprintf(gn.format, v)
		}
		return int(v)
	case gFloat:
		lo, hi := resolve(gn.min, e.vals()), resolve(gn.max, e.vals())
		v := round(lo+g.rng.Float64()*(hi-lo), gn.decimals)
		if gn.format != "" {
			return fmt.Sprintf(gn.format, v)
		}
		return v
	case gTimestamp:
		t := g.timeAt(e.at, g.sample(gn.offset, e.vals())).UTC()
		switch gn.tsFmt {
		case "rfc3339":
			return t.Format(time.RFC3339)
		case "unix_ms":
			return int(t.UnixMilli())
		case "unix":
			return int(t.Unix())
		case "date":
			return t.Format(time.DateOnly)
		}
		if ms := t.UnixMilli(); ms != g.lastMs || g.lastStamp == nil {
			g.lastMs, g.lastStamp = ms, formatMilli(t)
		}
		return g.lastStamp
	case gFrom:
		var v any
		switch gn.path[0] {
		case "item":
			v = e.item
		case "index":
			v = e.index
		default:
			v = e.fl.ctx[gn.slot]
		}
		rest := gn.rest
		if gn.path[0] == "item" || gn.path[0] == "index" {
			rest = gn.path[1:]
		}
		for _, seg := range rest {
			var ok bool
			if v, ok = member(v, seg); !ok {
				return nil
			}
		}
		return v
	case gArray:
		lo, hi := int(resolve(gn.lenRange[0], e.vals())), int(resolve(gn.lenRange[1], e.vals()))
		n := lo
		if hi > lo {
			n += g.rng.IntN(hi - lo + 1)
		}
		out := make([]any, n)
		for i := range out {
			out[i] = e.value(gn.elem, cur)
		}
		return out
	case gObject:
		if !gn.mapObj {
			f := &fieldList{names: gn.obj.names, vals: make([]any, len(gn.obj.names))}
			for i := range f.vals {
				f.vals[i] = e.value(gn.obj.gens[i], nil)
			}
			return f
		}
		m := make(map[string]any, len(gn.obj.names))
		for i, name := range gn.obj.names {
			m[name] = e.value(gn.obj.gens[i], m)
		}
		return m
	case gJQ:
		v := g.runJQ(gn.jq, cur, e.fl, e.pi, e.item, e.index)
		if f, ok := v.(float64); ok {
			v = round(f, gn.decimals)
		}
		return v
	case gParam:
		return e.vals()[gn.param].any()
	case gList:
		out := make([]any, len(gn.choices))
		for i, c := range gn.choices {
			out[i] = e.value(c, cur)
		}
		return out
	}
	return nil
}

func (e *evalCtx) pickWeighted(gn *gen) int {
	if len(gn.weights) == 0 {
		return e.g.rng.IntN(len(gn.choices))
	}
	ws := make([]float64, len(gn.weights))
	sum, rest := 0.0, -1
	for i, w := range gn.weights {
		if w.rest {
			rest = i
			continue
		}
		ws[i] = max(0, resolve(w, e.vals()))
		sum += ws[i]
	}
	if rest >= 0 {
		ws[rest] = max(0, 1-sum)
		sum += ws[rest]
	}
	if sum <= 0 {
		return e.g.rng.IntN(len(gn.choices))
	}
	r := e.g.rng.Float64() * sum
	for i, w := range ws {
		if r < w {
			return i
		}
		r -= w
	}
	return len(ws) - 1
}

// ctxInput as runJQ's input stands for the flow's context (foreach).
var ctxInput any = &struct{ ctx byte }{}

// runJQ evaluates code on input and returns its first output (nil if none);
// errors are recorded on the generator.
func (g *Generator) runJQ(e *jqExpr, input any, fl *flowState, pi int, item any, index int) any {
	if m, ok := input.(map[string]any); ok && m == nil {
		input = map[string]any{}
	}
	// One env for every run: a new one would escape to the heap.
	g.env = jqEnv{input: input, slots: fl.ctx, params: g.jqParams[pi], item: item, index: index}
	if v, ok := e.eval(&g.env); ok {
		return v
	}
	var ctx any
	if e.readsCtx || input == ctxInput {
		m := g.s.ctxMap(fl.ctx)
		if input == ctxInput {
			input = m
		}
		ctx = m
	}
	iter := e.code.Run(jqValue(input), ctx, g.jqParams[pi], jqValue(item), index)
	v, ok := iter.Next()
	if !ok {
		return nil
	}
	if err, isErr := v.(error); isErr {
		g.setErr(fmt.Errorf("flow %s: jq: %w", fl.fl.name, err))
		return nil
	}
	return v
}

// appendObject encodes m with the declared fields first, in order, then
// any other key sorted (from jq or const values).
func appendObject(b []byte, m map[string]any, names []string, gens []*gen) []byte {
	b = append(b, '{')
	first := true
	seen := 0
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
	}
	for i, k := range names {
		v, ok := m[k]
		if !ok {
			continue
		}
		seen++
		key(k)
		b = appendJSON(b, v, gens[i])
	}
	if seen < len(m) {
		rest := make([]string, 0, len(m)-seen)
		for k := range m {
			if !contains(names, k) {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		for _, k := range rest {
			key(k)
			b = appendJSON(b, m[k], nil)
		}
	}
	return append(b, '}')
}

// appendEvent encodes the event in builds: its fields (vals in the order
// of in.members, in.fields.gens giving the order of nested objects), then
// eventId, the UUID id, and scenarioRunId, the last of vals.
func appendEvent(b []byte, in *instr, vals []any, id *[36]byte) []byte {
	n := len(in.fields.names)
	b = append(b, '{')
	for i, m := range in.members[:n] {
		b = append(b, m...)
		b = appendJSON(b, vals[i], in.fields.gens[i])
		b = append(b, ',')
	}
	b = append(b, in.members[n]...)
	b = append(b, '"')
	b = append(b, id[:]...)
	b = append(b, '"', ',')
	b = append(b, in.members[n+1]...)
	b = appendJSON(b, vals[n+1], nil)
	return append(b, '}')
}

// appendJSON encodes v compactly; spec, when known, gives object field order.
func appendJSON(b []byte, v any, spec *gen) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
			return strconv.AppendFloat(b, x, 'e', -1, 64)
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case *big.Int:
		return x.Append(b, 10)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var es *gen
			if spec != nil && spec.kind == gArray {
				es = spec.elem
			} else if spec != nil && spec.kind == gList && i < len(spec.choices) {
				es = spec.choices[i]
			}
			b = appendJSON(b, e, es)
		}
		return append(b, ']')
	case map[string]any:
		if spec != nil && spec.kind == gObject {
			return appendObject(b, x, spec.obj.names, spec.obj.gens)
		}
		return appendObject(b, x, nil, nil)
	case *fieldList:
		var gens []*gen
		if spec != nil && spec.kind == gObject {
			gens = spec.obj.gens
		}
		b = append(b, '{')
		for i, k := range x.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var g *gen
			if gens != nil {
				g = gens[i]
			}
			b = appendJSON(b, x.vals[i], g)
		}
		return append(b, '}')
	}
	out, err := output.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

func appendString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	out, _ := output.Marshal(s)
	return append(b, out...)
}

// formatMilli is t.Format("2006-01-02T15:04:05.000Z07:00") for a UTC time
// (every event has one), written out: a sixth of the cost.
func formatMilli(t time.Time) string {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 || t.Location() != time.UTC {
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	ms := t.Nanosecond() / 1e6
	var b [24]byte
	put := func(i, v, n int) {
		for k := i + n - 1; k >= i; k-- {
			b[k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return string(b[:])
}
