package scenario

import (
	"errors"
	"strings"
	"testing"
)

// minimal is a valid scenario that the error cases below break one line at a time.
const minimal = `name: t
params:
  p_err: 0.1
topics:
  - name: a
    key: id
templates:
  ev:
    topic: a
    fields:
      id: {sequence: "ID-%03d"}
      n: {int: [1, 5]}
      total: {jq: ".n * 2"}
flows:
  f:
    steps:
      - emit: ev
      - name: b
        branch:
          - probability: p_err
            steps:
              - {name: again, emit: ev, set: {ref: {from: ev.id}}}
            then: end
          - steps: []
phases:
  - name: one
    duration: 10s
    rate: 2
`

func TestParseMinimal(t *testing.T) {
	s, err := Parse("ok.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration().Seconds() != 10 || s.Topics[0].KeyField != "id" || s.Phases[0].ExpectedFlows(1) != 20 {
		t.Fatalf("unexpected scenario: %+v", s)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           string // file:line:col: prefix
		msg            string // substring of the message
	}{
		{"unknown key", "    rate: 2", "    rate: 2\n    speed: 3", "bad.yaml:29:5:", `unknown key "speed"`},
		{"wrong type", "    duration: 10s", "    duration: [10]", "bad.yaml:27:15:", "expected a string"},
		{"wrong type rate", "    rate: 2", "    rate: fast", "bad.yaml:28:11:", "expected a number"},
		{"negative rate", "    rate: 2", "    rate: -5", "bad.yaml:28:11:", "must not be negative"},
		{"rate over the maximum", "    rate: 2", "    rate: 1e12", "bad.yaml:28:11:", "more than the maximum of 1e+06"},
		{"flows over the maximum", "    duration: 10s\n    rate: 2", "    duration: 2h\n    rate: 1e6", "bad.yaml:28:11:", "more than the maximum of 1e+09"},
		{"negative duration", "    duration: 10s", "    duration: -3s", "bad.yaml:27:15:", "negative duration"},
		{"negative delay", "      - emit: ev\n", "      - emit: ev\n        after: -1s\n", "bad.yaml:18:16:", "negative duration"},
		{"undefined topic", "    topic: a\n", "    topic: nope\n", "bad.yaml:9:12:", `undefined topic "nope"`},
		{"undefined template", "      - emit: ev\n", "      - emit: evx\n", "bad.yaml:17:15:", `undefined template "evx"`},
		{"undefined flow", "    rate: 2", "    rate: 2\n    flow: g", "bad.yaml:29:11:", `undefined flow "g"`},
		{"undefined step in from", "{from: ev.id}", "{from: nope.id}", "bad.yaml:22:59:", `undefined step "nope"`},
		{"undefined param", "probability: p_err", "probability: p_missing", "bad.yaml:20:26:", `undefined param "p_missing"`},
		{"bad probability", "  p_err: 0.1", "  p_err: 1.5", "bad.yaml:3:10:", "probability must be between 0 and 1"},
		{"bad jq", `{jq: ".n * 2"}`, `{jq: ".n * "}`, "bad.yaml:13:19:", "bad jq expression"},
		{"yaml syntax", "      n: {int: [1, 5]}", "      n: {int: [1, 5]", "bad.yaml:13:7:", "YAML syntax error"},
		{"tab syntax", "    topic: a\n", "    topic: a\n\tx: 1\n", "bad.yaml:10:1:", "YAML syntax error"},
		{"key field missing", "    key: id", "    key: customer", "bad.yaml:17:15:", `keyed by "customer"`},
		{"two generators", `{int: [1, 5]}`, `{int: [1, 5], uuid: true}`, "bad.yaml:12:24:", "exactly one generator"},
		{"duplicate key", "    rate: 2", "    rate: 2\n    rate: 3", "bad.yaml:29:5:", "duplicate key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(minimal, tc.old) {
				t.Fatalf("test setup: %q not in minimal", tc.old)
			}
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			_, err := Parse("bad.yaml", []byte(src))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *Error, got %v", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("got  %q\nwant %s ...%s...", err, tc.want, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse("s.yaml", []byte("name: x\ntopics: [a, b\n"))
	var se *Error
	if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 || !strings.HasPrefix(err.Error(), "s.yaml:") {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "f.yaml", Line: 3, Col: 7, Msg: "boom"}
	if e.Error() != "f.yaml:3:7: boom" {
		t.Fatal(e.Error())
	}
}

func TestAliasBomb(t *testing.T) {
	_, err := Parse("bomb.yaml", []byte(billionLaughs))
	if err == nil || !strings.Contains(err.Error(), "too complex") {
		t.Fatalf("want a complexity error, got %v", err)
	}
}

const billionLaughs = `x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: x
topics: [{name: t}]
templates: {e: {topic: t, fields: {v: {const: *i}}}}
`

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(billionLaughs))
	f.Add([]byte("x-anchors:" + strings.TrimPrefix(billionLaughsAnchors, "\nanchors:") + strings.Replace(minimal, `{jq: ".n * 2"}`, `{const: *l9}`, 1)))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("{{{{{{{{{{"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is not *Error: %v", err)
			}
			return
		}
		// A valid scenario must also generate without panicking.
		g := NewGenerator(s, GeneratorOptions{Seed: 1})
		for i := 0; i < 200; i++ {
			if _, ok := g.Next(); !ok {
				break
			}
		}
	})
}

const billionLaughsAnchors = `
anchors:
  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  l1: &l1 [*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0]
  l2: &l2 [*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1]
  l3: &l3 [*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2]
  l4: &l4 [*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3]
  l5: &l5 [*l4,*l4,*l4,*l4,*l4,*l4,*l4,*l4,*l4,*l4]
  l6: &l6 [*l5,*l5,*l5,*l5,*l5,*l5,*l5,*l5,*l5,*l5]
  l7: &l7 [*l6,*l6,*l6,*l6,*l6,*l6,*l6,*l6,*l6,*l6]
  l8: &l8 [*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7,*l7]
  l9: &l9 [*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8,*l8]
`

// The anchors must be defined before use, so the bomb goes first in the file.
func TestConstAliasBomb(t *testing.T) {
	src := "x-anchors:" + strings.TrimPrefix(billionLaughsAnchors, "\nanchors:") + strings.Replace(minimal, `{jq: ".n * 2"}`, `{const: *l9}`, 1)
	_, err := Parse("bomb.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "too complex") {
		t.Fatalf("want a complexity error, got %v", err)
	}
}
