package jsonscan

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// validReference is the definition Valid must match, written with the
// standard library.
func validReference(b []byte) bool {
	return utf8.Valid(b) && json.Valid(b)
}

// validLineReference is the definition ValidLine must match.
func validLineReference(b []byte) bool {
	if len(b) == 0 || isJSONSpace(b[0]) || isJSONSpace(b[len(b)-1]) || bytes.ContainsAny(b, "\r\n") {
		return false
	}
	return validReference(b)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// member is one top-level member as ObjectMembers reports it.
type member struct{ Key, Val string }

// objectMembersReference is what ObjectMembers must report, found with
// encoding/json's tokenizer: the members of a valid object whose keys have
// no escapes.
func objectMembersReference(b []byte) ([]member, bool) {
	if !validReference(b) || b[SkipSpace(b, 0)] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	var ms []member
	for dec.More() {
		before := dec.InputOffset()
		if _, err := dec.Token(); err != nil {
			return nil, false
		}
		// The key's raw bytes, from the end of the previous member.
		raw := bytes.TrimLeft(b[before:dec.InputOffset()], " \t\r\n,")
		if bytes.IndexByte(raw, '\\') >= 0 {
			return nil, false
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, false
		}
		ms = append(ms, member{string(raw[1 : len(raw)-1]), string(val)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return ms, true
}

func objectMembers(b []byte) ([]member, bool) {
	var ms []member
	ok := ObjectMembers(b, func(k, v []byte) { ms = append(ms, member{string(k), string(v)}) })
	if !ok {
		return nil, false
	}
	return ms, true
}

// check compares every entry point with its reference on b.
func check(t *testing.T, b []byte) (valid, object bool) {
	t.Helper()
	if got, want := Valid(b), validReference(b); got != want {
		t.Fatalf("Valid(%.60q) = %v, want %v", b, got, want)
	}
	if got, want := ValidLine(b), validLineReference(b); got != want {
		t.Fatalf("ValidLine(%.60q) = %v, want %v", b, got, want)
	}
	got, gotOK := objectMembers(b)
	want, wantOK := objectMembersReference(b)
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("ObjectMembers(%.60q) = %q %v, want %q %v", b, got, gotOK, want, wantOK)
	}
	return validReference(b), wantOK
}

var cases = []string{
	``, `null`, `nul`, `nullx`, `true`, `false`, `tru`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-12.5e10`,
	`""`, `"a"`, `"\u0045"`, `"\u004"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`, "\"\x01\"", "\"\x7f\"", `"é"`, "\"\xff\"", "\"\xed\xa0\x80\"",
	`{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a" : 1 , "b" : [1, 2]}`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a"}`, `{1:2}`, `{"a":1 "b":2}`,
	" {}", "{} ", "{}\t", "\t{}", "{\n}", "[1,\r2]", "{\"a\":\"b\nc\"}", `[[[[]]]]`, `[[[[]]]`, `{"a":{"b":{"c":null}}}`,
	`"unterminated`, `"\`, `"\u`, `[true,false,null]`, `[truex]`, `{"status":"ERROR","amount":12.5}`, "\"\u2028\"",
	`{"a\"b":1}`, `{"\u0061":1}`, `{"a":"\u0061"}`, " \n{\"a\" :\r\n[1, {\"b\":2}] ,\"c\":\"d\"}\t", `{"a":1}{}`, "{\"a\":1}\xff",
	`{"é":"€","😀":[]}`, `{"a":{"b":1,}}`, `[{"a":1}]`, `{"a":-}`, `{"":0}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
}

func TestMatchesStandardLibrary(t *testing.T) {
	for _, c := range cases {
		check(t, []byte(c))
	}
}

// TestRandom compares the scanner with encoding/json on many generated
// inputs: valid documents, then the same with one byte changed, cut or
// inserted, or whitespace around, so every branch sees near misses.
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}[]:,\"\\ \t\n\r-+.eE0123456789abcdefnrtulsux/\x00\x1f\x7f\xc3\xa9\xe2\x80\xa8\xff\xed\xa0")
	n := 200000
	if testing.Short() {
		n = 20000
	}
	valid, objects := 0, 0
	for i := range n {
		doc := genJSON(rng, 0)
		switch i % 5 {
		case 1:
			doc[rng.IntN(len(doc))] = alphabet[rng.IntN(len(alphabet))]
		case 2:
			doc = doc[:rng.IntN(len(doc)+1)]
		case 3:
			j := rng.IntN(len(doc) + 1)
			doc = append(doc[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, doc[j:]...)...)
		case 4:
			ws := []string{"", " ", "\t", "\n", "\r\n"}
			doc = append(append([]byte(ws[rng.IntN(len(ws))]), doc...), ws[rng.IntN(len(ws))]...)
		}
		v, o := check(t, doc)
		if v {
			valid++
		}
		if o {
			objects++
		}
	}
	if valid < n/5 || valid > n*9/10 || objects < n/50 {
		t.Fatalf("generator is unbalanced: %d of %d inputs valid, %d objects", valid, n, objects)
	}
	t.Logf("%d of %d inputs valid, %d objects", valid, n, objects)
}

func genJSON(rng *rand.Rand, depth int) []byte {
	k := rng.IntN(9)
	if depth > 4 {
		k = rng.IntN(5)
	}
	space := func(b []byte) []byte {
		if rng.IntN(4) == 0 {
			b = append(b, " \t\n\r"[rng.IntN(4)])
		}
		return b
	}
	switch k {
	case 0:
		return []byte([]string{"true", "false", "null"}[rng.IntN(3)])
	case 1:
		return []byte([]string{"0", "-1", "12.5", "1e9", "-0.25E-3", "123456789"}[rng.IntN(6)])
	case 2, 3, 4:
		return genString(rng)
	case 5, 6:
		b := []byte{'['}
		for i := range rng.IntN(4) {
			if i > 0 {
				b = append(b, ',')
			}
			b = space(b)
			b = append(b, genJSON(rng, depth+1)...)
		}
		return append(b, ']')
	default:
		b := []byte{'{'}
		for i := range rng.IntN(4) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(space(b), genString(rng)...)
			b = append(space(b), ':')
			b = space(b)
			b = append(b, genJSON(rng, depth+1)...)
		}
		return append(b, '}')
	}
}

func genString(rng *rand.Rand) []byte {
	parts := []string{"a", "status", "ERROR", `\"`, `\\`, `\n`, `\u0045`, `\u00e9`, `\/`, "é", "€", "😀", " ", "\u2028"}
	b := []byte{'"'}
	for range rng.IntN(6) {
		b = append(b, parts[rng.IntN(len(parts))]...)
	}
	return append(b, '"')
}

func TestScanNumber(t *testing.T) {
	for _, c := range []struct {
		in        string
		end       int
		isInt, ok bool
	}{
		{"0", 1, true, true}, {"-12,", 3, true, true}, {"1.5]", 3, false, true}, {"1e9", 3, false, true},
		{"-0.25E-3}", 8, false, true}, {"01", 1, true, true}, {"-", 0, false, false}, {"1.", 0, false, false},
		{"1e+", 0, false, false}, {"x", 0, false, false},
	} {
		end, isInt, ok := ScanNumber([]byte(c.in), 0)
		if ok != c.ok || ok && (end != c.end || isInt != c.isInt) {
			t.Errorf("ScanNumber(%q) = %d %v %v, want %d %v %v", c.in, end, isInt, ok, c.end, c.isInt, c.ok)
		}
	}
}

func BenchmarkValidLine(b *testing.B) {
	v := []byte(`{"transactionId":"tx-001000042","orderId":"ord-050042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","status":"APPROVED"}`)
	b.Run("jsonscan", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !ValidLine(v) {
				b.Fatal("not valid")
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !validLineReference(v) {
				b.Fatal("not valid")
			}
		}
	})
}

// FuzzScan: every entry point agrees with encoding/json and unicode/utf8
// on any input.
func FuzzScan(f *testing.F) {
	for _, c := range cases[:len(cases)-4] {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
	})
}
