// Package jqfilter compiles and runs the jq expressions of kx (tail --jq,
// stats --by, alerts, trace, export --columns) on Kafka records.
//
// The input `.` is the record value decoded as JSON; the envelope and its
// parts are variables: $record, $topic, $partition, $offset, $key,
// $timestamp and $headers. An expression whose outputs are all booleans
// selects records (`.status=="ERROR"`); any other expression produces
// outputs that replace the envelope (`.orderId`).
//
// Filtering is on the hot path of every read, so:
//   - the expression is parsed and compiled once, and only the variables it
//     references are computed per record ($record in particular is built
//     only when used);
//   - values are decoded by a single-pass decoder that produces gojq values
//     directly and interns object keys;
//   - a sound byte-level prefilter (see prefilter.go) rejects records that
//     cannot match a string equality, such as `.status=="ERROR"`, without
//     decoding them at all.
//
// A Filter is safe for concurrent use.
package jqfilter

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/itchyny/gojq"
	"github.com/kx-cli/kx/pkg/record"
)

// Variables every expression can use.
var Variables = []string{"$record", "$topic", "$partition", "$offset", "$key", "$timestamp", "$headers"}

const (
	varRecord = iota
	varTopic
	varPartition
	varOffset
	varKey
	varTimestamp
	varHeaders
)

// Error is a compile-time error: a syntax error (with its position) or an
// unknown function or variable. Commands exit 2 on it.
type Error struct {
	Expr   string // the expression
	Line   int    // 1-based line of the error in Expr, 0 when unknown
	Column int    // 1-based column (in characters), 0 when unknown
	Msg    string // what went wrong, e.g. `unexpected token "=="`
	Err    error  // the underlying gojq error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("jq: %d:%d: %s", e.Line, e.Column, e.Msg)
	}
	return "jq: " + e.Msg
}

// Unwrap returns the gojq error.
func (e *Error) Unwrap() error { return e.Err }

// EvalError is a runtime error on one record (a non-JSON value indexed as
// an object, `error(...)`, …). Callers count and report them.
type EvalError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error // the gojq error
	noRecord  bool
}

func (e *EvalError) Error() string {
	if e.noRecord {
		return "jq: " + e.Err.Error()
	}
	return e.Topic + "/" + strconv.FormatInt(int64(e.Partition), 10) + "@" +
		strconv.FormatInt(e.Offset, 10) + ": jq: " + e.Err.Error()
}

// Unwrap returns the gojq error.
func (e *EvalError) Unwrap() error { return e.Err }

// Option configures Compile.
type Option func(*config)

type config struct {
	noPrefilter bool
}

// WithoutPrefilter disables the byte-level prefilter (every record is
// decoded and evaluated). For tests and benchmarks.
func WithoutPrefilter() Option { return func(c *config) { c.noPrefilter = true } }

// Filter is a compiled expression.
type Filter struct {
	expr   string
	code   *gojq.Code
	vars   []int // indexes into Variables, in the order given to gojq
	uses   [len7]bool
	pre    *prefilter
	states sync.Pool
}

const len7 = 7

// Result is the outcome of a filter on one record.
type Result struct {
	// Keep is true when the record produced something to print: in select
	// mode (Outputs nil) the envelope; otherwise the Outputs.
	Keep bool
	// Outputs are the JSON-encoded outputs, compact, one per output (jq -c),
	// or nil when every output was a boolean (select mode).
	Outputs [][]byte
	// ValueEmbeddable is true when Keep is and the filter found the value to be
	// JSON the envelope embeds as it is (record.Classify's EncodingJSON), so
	// the writer need not scan it again.
	ValueEmbeddable bool
	// Streamed is how many outputs were produced (0 in select mode).
	Streamed int
}

// Compile parses and compiles expr. Errors are *Error.
func Compile(expr string, opts ...Option) (*Filter, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, parseError(expr, err)
	}
	if _, err := gojq.Compile(q, gojq.WithVariables(Variables)); err != nil {
		return nil, compileError(expr, err)
	}
	f := &Filter{expr: expr}
	// A variable is referenced iff compiling without it fails.
	var names []string
	for i := range Variables {
		others := make([]string, 0, len(Variables)-1)
		others = append(others, Variables[:i]...)
		others = append(others, Variables[i+1:]...)
		if _, err := gojq.Compile(q, gojq.WithVariables(others)); err != nil {
			f.uses[i] = true
			f.vars = append(f.vars, i)
			names = append(names, Variables[i])
		}
	}
	if f.code, err = gojq.Compile(q, gojq.WithVariables(names)); err != nil {
		return nil, compileError(expr, err)
	}
	if !cfg.noPrefilter {
		f.pre = newPrefilter(q)
	}
	return f, nil
}

// MustCompile is Compile for expressions known to be valid; it panics.
func MustCompile(expr string, opts ...Option) *Filter {
	f, err := Compile(expr, opts...)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the expression.
func (f *Filter) String() string { return f.expr }

// Prefiltered reports whether the byte-level prefilter applies.
func (f *Filter) Prefiltered() bool { return f.pre != nil }

// UsesVariable reports whether the expression references name (e.g.
// "$record").
func (f *Filter) UsesVariable(name string) bool {
	for i, v := range Variables {
		if v == name {
			return f.uses[i]
		}
	}
	return false
}

func parseError(expr string, err error) error {
	var pe *gojq.ParseError
	if !errors.As(err, &pe) {
		return &Error{Expr: expr, Msg: err.Error(), Err: err}
	}
	off := pe.Offset - len(pe.Token)
	if off < 0 || off > len(expr) || (pe.Token != "" && !strings.HasPrefix(expr[off:], pe.Token)) {
		off = min(max(pe.Offset, 0), len(expr))
	}
	line, col := position(expr, off)
	return &Error{Expr: expr, Line: line, Column: col, Msg: pe.Error(), Err: err}
}

// compileError locates "function not defined: name/N" and "variable not
// defined: $x" in the expression when it can.
func compileError(expr string, err error) error {
	e := &Error{Expr: expr, Msg: err.Error(), Err: err}
	msg := err.Error()
	var name string
	if s, ok := strings.CutPrefix(msg, "function not defined: "); ok {
		name, _, _ = strings.Cut(s, "/")
	} else if s, ok := strings.CutPrefix(msg, "variable not defined: "); ok {
		name = s
	}
	if name != "" {
		if off := indexWord(expr, name); off >= 0 {
			e.Line, e.Column = position(expr, off)
		}
	}
	return e
}

func indexWord(s, w string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(w)
		before := i == 0 || !isIdentByte(s[i-1])
		after := end == len(s) || !isIdentByte(s[end])
		if before && after {
			return i
		}
		from = i + 1
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// position converts a byte offset into a 1-based line and column.
func position(s string, off int) (line, col int) {
	before := s[:off]
	line = strings.Count(before, "\n") + 1
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, utf8.RuneCountInString(before) + 1
}

type state struct {
	dec   decoder
	buf   []byte
	vals  [len7]any
	bools []bool
}

func (f *Filter) getState() *state {
	if s, ok := f.states.Get().(*state); ok {
		return s
	}
	return &state{}
}

func (f *Filter) putState(s *state) {
	s.vals = [len7]any{}
	if cap(s.buf) > 1<<20 {
		s.buf = nil
	}
	if cap(s.dec.buf) > 1<<20 {
		s.dec.buf = nil
	}
	f.states.Put(s)
}

// input decodes a value the way `.` sees it: JSON when it is JSON, the
// text when it is valid UTF-8, else null; a tombstone is null.
func (d *decoder) input(v []byte) any {
	if v == nil {
		return nil
	}
	if x, ok := d.decodeJSON(v); ok {
		return x
	}
	if utf8.Valid(v) {
		return string(v)
	}
	return nil
}

// bytesValue is how $key and header values are seen: a key is decoded JSON
// when it is JSON; otherwise (and always for headers) a string when it is
// valid UTF-8, else base64 (as in the envelope); nil is null.
func (d *decoder) bytesValue(b []byte, tryJSON bool) any {
	if b == nil {
		return nil
	}
	if tryJSON {
		if x, ok := d.decodeJSON(b); ok {
			return x
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// inputOf decodes r's value as `.` sees it and tells whether the envelope
// embeds it as it is (see embeddable).
func (d *decoder) inputOf(v []byte) (in any, embed bool) {
	if v == nil {
		return nil, false
	}
	if x, ok := d.decodeJSON(v); ok {
		return x, embeddable(v)
	}
	if utf8.Valid(v) {
		return string(v), false
	}
	return nil, false
}

// embeddable: b, already decoded as one JSON text, is what record.Classify
// calls EncodingJSON: no whitespace around it, no CR or LF (inside valid
// JSON they can only be whitespace), not the literal null.
func embeddable(b []byte) bool {
	if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) || string(b) == "null" {
		return false
	}
	return bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// values binds the variables the expression uses. in is r's value as
// decoded for `.`, reused by $record.
func (f *Filter) values(s *state, r *record.Record, in any, embed bool) []any {
	if len(f.vars) == 0 {
		return nil
	}
	vals := s.vals[:0]
	for _, i := range f.vars {
		var v any
		switch i {
		case varRecord:
			v = s.dec.envelope(s, r, in, embed)
		case varTopic:
			v = r.Topic
		case varPartition:
			v = int(r.Partition)
		case varOffset:
			v = int(r.Offset)
		case varKey:
			v = s.dec.bytesValue(r.Key, true)
		case varTimestamp:
			if !r.Timestamp.IsZero() {
				v = record.FormatTimestamp(r.Timestamp)
			}
		case varHeaders:
			hs := make([]any, len(r.Headers))
			for j, h := range r.Headers {
				hs[j] = map[string]any{"key": h.Key, "value": s.dec.bytesValue(h.Value, false)}
			}
			v = hs
		}
		vals = append(vals, v)
	}
	return vals
}

// MaxOutputs is the most outputs one record's evaluation may produce
// (range(1e9) would otherwise print, or hold, without end): past it the
// evaluation stops with an *EvalError wrapping ErrTooManyOutputs.
const MaxOutputs = 100_000

// ErrTooManyOutputs is the cause of an evaluation stopped at MaxOutputs.
var ErrTooManyOutputs = fmt.Errorf("more than %d outputs for one record (the most kx takes; wrap the expression in limit(N; …) or first(…))", MaxOutputs)

// Eval runs the filter on one record. In select mode (every output a
// boolean) Keep is true iff some output is true and Outputs is nil; otherwise
// Outputs holds every output, JSON-encoded, and Keep is true when there is
// at least one. A runtime error is an *EvalError naming the record; the
// Result then holds the outputs produced before the error.
func (f *Filter) Eval(r *record.Record) (Result, error) {
	var outputs [][]byte
	res, err := f.Each(context.Background(), r, func(o []byte) error {
		outputs = append(outputs, o)
		return nil
	})
	if res.Streamed > 0 {
		res.Outputs = outputs
	}
	return res, err
}

// Each runs the filter on one record like Eval, but hands each output to
// out as soon as it is produced (the slice is out's to keep), so a
// generator's outputs are written as they come and a reader that has had
// enough (-c) stops it mid-record by returning an error, which Each
// returns as it is. In select mode out is never called (Streamed is 0).
// The evaluation stops when ctx ends (an *EvalError wrapping ctx's error)
// and past MaxOutputs.
func (f *Filter) Each(ctx context.Context, r *record.Record, out func([]byte) error) (Result, error) {
	if f.pre != nil && f.pre.reject(r.Value) {
		return Result{}, nil
	}
	s := f.getState()
	defer f.putState(s)
	in, embed := s.dec.inputOf(r.Value)
	iter := f.code.RunWithContext(ctx, in, f.values(s, r, in, embed)...)
	var res Result
	anyTrue, outputMode := false, false
	s.bools = s.bools[:0]
	evalErr := func(err error) error {
		return &EvalError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
	}
	emit := func(b []byte) error {
		if res.Streamed == MaxOutputs {
			return evalErr(ErrTooManyOutputs)
		}
		res.Streamed++
		return out(b)
	}
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			res.Keep = res.Streamed > 0 || !outputMode && anyTrue
			return res, evalErr(err)
		}
		if b, ok := v.(bool); ok && !outputMode {
			if len(s.bools) == MaxOutputs {
				return res, evalErr(ErrTooManyOutputs)
			}
			anyTrue = anyTrue || b
			s.bools = append(s.bools, b)
			continue
		}
		if !outputMode {
			// Switch to output mode: the booleans seen so far are outputs too.
			outputMode = true
			for _, b := range s.bools {
				if err := emit([]byte(strconv.FormatBool(b))); err != nil {
					res.Keep = res.Streamed > 0
					return res, err
				}
			}
		}
		if err := emit(marshal(v)); err != nil {
			res.Keep = res.Streamed > 0
			return res, err
		}
	}
	if outputMode {
		res.Keep = res.Streamed > 0
	} else {
		res.Keep = anyTrue
	}
	res.ValueEmbeddable = embed && res.Keep
	return res, nil
}

func marshal(v any) []byte {
	b, err := gojq.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

// Values runs the filter on one record and returns its outputs as gojq
// values (nil, bool, int, float64, *big.Int, json.Number, string, []any,
// map[string]any), for callers that aggregate rather than print (stats
// --by, export columns). The prefilter does not apply.
func (f *Filter) Values(r *record.Record) ([]any, error) {
	s := f.getState()
	defer f.putState(s)
	in, embed := s.dec.inputOf(r.Value)
	out, err := collect(f.code.Run(in, f.values(s, r, in, embed)...))
	if err != nil {
		return out, &EvalError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
	}
	return out, nil
}

// EvalValue runs the filter on a bare value (decoded like a record value;
// nil is null). Variables are null.
func (f *Filter) EvalValue(v []byte) ([]any, error) {
	s := f.getState()
	defer f.putState(s)
	var vals []any
	if len(f.vars) > 0 {
		vals = make([]any, len(f.vars))
	}
	out, err := collect(f.code.Run(s.dec.input(v), vals...))
	if err != nil {
		return out, &EvalError{Err: err, noRecord: true}
	}
	return out, nil
}

func collect(iter gojq.Iter) ([]any, error) {
	var out []any
	for {
		v, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, ok := v.(error); ok {
			return out, err
		}
		if len(out) == MaxOutputs {
			return out, ErrTooManyOutputs
		}
		out = append(out, v)
	}
}

// AppendValue appends v (a value from Values or EvalValue) as compact JSON,
// the way jq -c prints it.
func AppendValue(dst []byte, v any) []byte {
	return append(dst, marshal(v)...)
}
