package jqfilter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/record"
)

// gen produces raw JSON-ish values that stress the prefilter: the literal in
// other keys, in keys themselves, escaped spellings, numbers vs strings,
// nesting, wrong types on path prefixes, and broken or non-JSON bytes.
type gen struct{ r *rand.Rand }

var (
	genKeys    = []string{"status", "a", "b", "c", "ERROR", "x", "d"}
	genStrings = []string{"ERROR", "error", "ERR", "ERRORS", " ERROR", "x", "y", "d", "", "é", "ERROR\"", "WARN"}
)

func (g gen) str(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case g.r.IntN(12) == 0:
			fmt.Fprintf(&b, `\u%04x`, c) // an escaped spelling: "\u0045RROR"
		case g.r.IntN(40) == 0 && c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (g gen) value(depth int) string {
	n := 9
	if depth > 3 {
		n = 6
	}
	switch g.r.IntN(n) {
	case 0:
		return "null"
	case 1:
		return []string{"true", "false"}[g.r.IntN(2)]
	case 2:
		return []string{"0", "-1", "500", "1.5e3", "12345678901234567890123", "-0"}[g.r.IntN(6)]
	case 3, 4, 5:
		return g.str(genStrings[g.r.IntN(len(genStrings))])
	case 6, 7:
		return g.object(depth + 1)
	default:
		var parts []string
		for range g.r.IntN(4) {
			parts = append(parts, g.value(depth+1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
}

func (g gen) object(depth int) string {
	var parts []string
	for range g.r.IntN(5) {
		ws := []string{"", " ", "\n\t"}[g.r.IntN(3)]
		parts = append(parts, g.str(genKeys[g.r.IntN(len(genKeys))])+ws+":"+ws+g.value(depth))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g gen) raw() []byte {
	var v string
	if g.r.IntN(5) == 0 {
		v = g.value(0)
	} else {
		v = g.object(0)
	}
	switch g.r.IntN(20) {
	case 0:
		v = v[:g.r.IntN(len(v)+1)] // truncated: not JSON
	case 1:
		v = " " + v + "\n"
	case 2:
		return append([]byte(v), 0xff) // not UTF-8
	case 3:
		return nil // tombstone
	case 4:
		v = "text ERROR " + v
	case 5:
		v = v + v // two values: not one JSON text
	case 6, 7:
		// Values shaped like the expressions, so conjunctions match too.
		pick := func(xs ...string) string { return g.str(xs[g.r.IntN(len(xs))]) }
		b := pick("x", "ERROR", "y")
		if g.r.IntN(4) == 0 {
			b = `{"c":` + pick("x", "y") + `}`
		}
		v = `{"a":{"b":` + b + `,"d":` + pick("ERROR\"", "ERROR") +
			`,"c":` + g.value(1) + `},"status":` + pick("ERROR", "WARN", "é", "") + `,"d":` + pick("d", "x") + `}`
	}
	return []byte(v)
}

var prefilterExprs = []string{
	`.status == "ERROR"`,
	`"ERROR" == .status`,
	`.a.b == "ERROR"`,
	`.a.b.c == "x"`,
	`.["ERROR"] == "ERROR"`,
	`select(.a.b == "x" and .status == "ERROR")`,
	`select(.status == "ERROR") | .a`,
	`.status == "" and (.d == "d")`,
	`.status == "é"`,
	`.a.d == "ERROR\""`,
}

func TestPrefilterSound(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	n := 100000
	if testing.Short() {
		n = 10000
	}
	values := make([][]byte, n)
	for i := range values {
		values[i] = g.raw()
	}
	for _, expr := range prefilterExprs {
		fast := MustCompile(expr)
		slow := MustCompile(expr, WithoutPrefilter())
		if !fast.Prefiltered() {
			t.Fatalf("%s: no prefilter", expr)
		}
		rejected, kept, errs := 0, 0, 0
		for _, v := range values {
			r := &record.Record{Topic: "t", Value: v}
			if fast.pre.reject(v) {
				rejected++
			}
			fr, ferr := fast.Eval(r)
			sr, serr := slow.Eval(r)
			if fmt.Sprint(ferr) != fmt.Sprint(serr) || !reflect.DeepEqual(fr, sr) {
				t.Fatalf("%s on %q:\nprefiltered %+v %v\nfull        %+v %v", expr, v, fr, ferr, sr, serr)
			}
			if sr.Keep {
				kept++
			}
			if serr != nil {
				errs++
			}
		}
		t.Logf("%-45s rejected %6d kept %5d errors %5d of %d", expr, rejected, kept, errs, n)
		if rejected < n/20 || kept == 0 {
			t.Errorf("%s: weak test: rejected %d, kept %d", expr, rejected, kept)
		}
	}
}

// TestDecoderMatchesEncodingJSON checks the hand-written decoder against
// encoding/json (UseNumber) on generated values: same verdict on validity,
// same value.
func TestDecoderMatchesEncodingJSON(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	var d decoder
	extra := []string{`1.`, `01`, `-`, `1e`, `.5`, `"\x"`, `"\ud800"`, `"\ud83d\ude00"`, "\"a\tb\"", `[1,]`, `{"a":1,}`,
		`{"a" 1}`, `tru`, `nul`, `[]`, `{}`, `  `, ``, `"\u00"`, `1E+5`, `-0.0e-0`}
	for i := range 100000 {
		var raw []byte
		if i < len(extra) {
			raw = []byte(extra[i])
		} else {
			raw = g.raw()
		}
		got, ok := d.decodeJSON(raw)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var want any
		err := dec.Decode(&want)
		wantOK := err == nil && !dec.More() && json.Valid(raw)
		if ok != wantOK {
			t.Fatalf("%q: decoder ok=%v, encoding/json ok=%v", raw, ok, wantOK)
		}
		if !ok {
			continue
		}
		if a, b := string(AppendValue(nil, got)), string(AppendValue(nil, normalize(want))); a != b {
			t.Fatalf("%q: decoded %s, want %s", raw, a, b)
		}
		if bytes.IndexByte(raw, '\\') < 0 && !validate(raw, nil) {
			t.Fatalf("%q: validate disagrees with decoder", raw)
		}
	}
}

// normalize turns encoding/json's json.Number integers into int as the
// decoder does, so encodings compare equal.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
	}
	return v
}
