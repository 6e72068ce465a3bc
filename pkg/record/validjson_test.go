package record

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// embeddableReference is the definition embeddable must match, written with
// the standard library.
func embeddableReference(b []byte) bool {
	if len(b) == 0 || string(b) == "null" {
		return false
	}
	if isJSONSpace(b[0]) || isJSONSpace(b[len(b)-1]) || bytes.ContainsAny(b, "\r\n") {
		return false
	}
	return utf8.Valid(b) && json.Valid(b)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

var validatorCases = []string{
	``, `null`, `nul`, `nullx`, `true`, `false`, `tru`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-12.5e10`,
	`""`, `"a"`, `"\u0045"`, `"\u004"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`, "\"\x01\"", "\"\x7f\"", `"é"`, "\"\xff\"", "\"\xed\xa0\x80\"",
	`{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a" : 1 , "b" : [1, 2]}`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a"}`, `{1:2}`, `{"a":1 "b":2}`,
	" {}", "{} ", "{}\t", "\t{}", "{\n}", "[1,\r2]", "{\"a\":\"b\nc\"}", `[[[[]]]]`, `[[[[]]]`, `{"a":{"b":{"c":null}}}`,
	`"unterminated`, `"\`, `"\u`, `[true,false,null]`, `[truex]`, `{"status":"ERROR","amount":12.5}`, "\"\u2028\"",
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestEmbeddableMatchesStandardLibrary(t *testing.T) {
	for _, c := range validatorCases {
		if got, want := embeddable([]byte(c)), embeddableReference([]byte(c)); got != want {
			t.Errorf("embeddable(%.40q) = %v, want %v", c, got, want)
		}
	}
}

// TestEmbeddableRandom compares the validator with encoding/json on many
// generated inputs: valid documents, then the same with one byte changed,
// cut or inserted, so every branch sees near misses.
func TestEmbeddableRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}[]:,\"\\ \t\n\r-+.eE0123456789abcdefnrtulsux/\x00\x1f\x7f\xc3\xa9\xe2\x80\xa8\xff\xed\xa0")
	n := 200000
	if testing.Short() {
		n = 20000
	}
	valid := 0
	for i := range n {
		doc := genJSON(rng, 0)
		switch i % 4 {
		case 1:
			doc[rng.IntN(len(doc))] = alphabet[rng.IntN(len(alphabet))]
		case 2:
			doc = doc[:rng.IntN(len(doc)+1)]
		case 3:
			j := rng.IntN(len(doc) + 1)
			doc = append(doc[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, doc[j:]...)...)
		}
		got, want := embeddable(doc), embeddableReference(doc)
		if got != want {
			t.Fatalf("embeddable(%q) = %v, want %v", doc, got, want)
		}
		if want {
			valid++
		}
	}
	if valid < n/5 || valid > n*9/10 {
		t.Fatalf("generator is unbalanced: %d of %d inputs valid", valid, n)
	}
}

func genJSON(rng *rand.Rand, depth int) []byte {
	k := rng.IntN(9)
	if depth > 4 {
		k = rng.IntN(5)
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
			if rng.IntN(4) == 0 {
				b = append(b, ' ')
			}
			b = append(b, genJSON(rng, depth+1)...)
		}
		return append(b, ']')
	default:
		b := []byte{'{'}
		for i := range rng.IntN(4) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, genString(rng)...)
			b = append(b, ':')
			if rng.IntN(4) == 0 {
				b = append(b, '\t')
			}
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

func BenchmarkClassify(b *testing.B) {
	v := []byte(`{"transactionId":"tx-001000042","orderId":"ord-050042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","status":"APPROVED"}`)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !embeddable(v) {
				b.Fatal("not embeddable")
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !embeddableReference(v) {
				b.Fatal("not embeddable")
			}
		}
	})
}

// FuzzEmbeddable: the fast validator agrees with encoding/json and
// unicode/utf8 on any input.
func FuzzEmbeddable(f *testing.F) {
	for _, c := range validatorCases[:len(validatorCases)-3] {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := embeddable(b), embeddableReference(b); got != want {
			t.Fatalf("embeddable(%q) = %v, want %v", b, got, want)
		}
	})
}
