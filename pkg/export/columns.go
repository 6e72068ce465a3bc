package export

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kx-cli/kx/internal/jsonscan"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

type columnKind int

const (
	colTopic columnKind = iota
	colPartition
	colOffset
	colTimestamp
	colKey
	colValue // the whole value
	colPath  // a path of object members: fast path, jq as fallback
	colJQ    // any other jq expression
)

// Column is one CSV column.
type Column struct {
	Name   string
	kind   columnKind
	path   []string
	filter *jqfilter.Filter // colPath fallback and colJQ
}

// metaColumns are the default leading columns.
var metaColumns = []Column{
	{Name: "topic", kind: colTopic},
	{Name: "partition", kind: colPartition},
	{Name: "offset", kind: colOffset},
	{Name: "timestamp", kind: colTimestamp},
	{Name: "key", kind: colKey},
}

var simplePath = regexp.MustCompile(`^\s*((\.[A-Za-z_][A-Za-z0-9_]*)+)\s*$`)

// ParseColumns compiles a --columns spec ("orderId=.orderId,at=$timestamp").
// Simple member paths and the envelope variables take a fast path that
// never decodes the value; everything else runs through jq.
func ParseColumns(spec string) ([]Column, error) {
	jcols, err := jqfilter.CompileColumns(spec)
	if err != nil {
		return nil, err
	}
	cols := make([]Column, 0, len(jcols))
	for _, jc := range jcols {
		c := Column{Name: jc.Name, kind: colJQ, filter: jc.Filter}
		expr := strings.TrimSpace(jc.Filter.String())
		switch expr {
		case "$topic":
			c.kind = colTopic
		case "$partition":
			c.kind = colPartition
		case "$offset":
			c.kind = colOffset
		case "$timestamp":
			c.kind = colTimestamp
		default:
			if m := simplePath.FindStringSubmatch(expr); m != nil {
				c.kind = colPath
				c.path = strings.Split(m[1][1:], ".")
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// DiscoverColumns picks the default columns from sample values: topic,
// partition, offset, timestamp, key, then the top-level members of the
// values in order of first appearance when every sampled value is a JSON
// object, else the whole value.
func DiscoverColumns(samples []*record.Record) []Column {
	cols := append([]Column(nil), metaColumns...)
	var names []string
	seen := map[string]bool{}
	objects := len(samples) > 0
	for _, r := range samples {
		ok := jsonscan.ObjectMembers(r.Value, func(k, _ []byte) {
			if !seen[string(k)] {
				seen[string(k)] = true
				names = append(names, string(k))
			}
		})
		if !ok {
			objects = false
			break
		}
	}
	if !objects {
		return append(cols, Column{Name: "value", kind: colValue})
	}
	for _, n := range names {
		header := n
		for _, m := range metaColumns {
			if m.Name == n {
				header = "value." + n
			}
		}
		q := strconv.Quote(n) // a JSON string for the plain names jsonscan.ObjectMembers accepts
		cols = append(cols, Column{Name: header, kind: colPath, path: []string{n},
			filter: jqfilter.MustCompile(".[" + q + "]")})
	}
	return cols
}

// Header returns the column names.
func Header(cols []Column) []string {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.Name
	}
	return h
}

// RowEncoder turns records into CSV rows. It is not safe for concurrent
// use; each worker has its own.
type RowEncoder struct {
	cols []Column
	// heads are the distinct first path segments; slots hold their raw
	// values for the record being encoded.
	heads    []string
	headOf   []int // column → index in heads, -1 when not a path
	slots    [][]byte
	cell     []byte
	cells    [][]byte
	cellBufs [][]byte
	// Unknown is set when the record's value has members no column shows,
	// or is not an object while member columns are exported (defaults only).
	checkUnknown bool
	Unknown      bool
	EvalErr      error
}

// NewRowEncoder prepares an encoder for cols. checkUnknown reports values
// whose members the columns do not cover (for discovered columns).
func NewRowEncoder(cols []Column, checkUnknown bool) *RowEncoder {
	e := &RowEncoder{cols: cols, headOf: make([]int, len(cols)), checkUnknown: checkUnknown}
	for i, c := range cols {
		e.headOf[i] = -1
		if c.kind != colPath {
			continue
		}
		idx := -1
		for j, h := range e.heads {
			if h == c.path[0] {
				idx = j
			}
		}
		if idx < 0 {
			idx = len(e.heads)
			e.heads = append(e.heads, c.path[0])
		}
		e.headOf[i] = idx
	}
	e.slots = make([][]byte, len(e.heads))
	e.cells = make([][]byte, len(cols))
	e.cellBufs = make([][]byte, len(cols))
	return e
}

// AppendRow appends r's CSV row to dst. After it, Unknown and EvalErr
// describe problems with this record (the row is written regardless).
func (e *RowEncoder) AppendRow(dst []byte, r *record.Record) []byte {
	e.Unknown, e.EvalErr = false, nil
	fastOK := true
	if len(e.heads) > 0 {
		for i := range e.slots {
			e.slots[i] = nil
		}
		fastOK = jsonscan.ObjectMembers(r.Value, func(k, v []byte) {
			for i, h := range e.heads {
				if h == string(k) {
					e.slots[i] = v
					return
				}
			}
			if e.checkUnknown {
				e.Unknown = true
			}
		})
		if !fastOK && e.checkUnknown && r.Value != nil {
			e.Unknown = true // not an object: its content is in no column
		}
	}
	for i, c := range e.cols {
		b := e.cellBufs[i][:0]
		switch c.kind {
		case colTopic:
			b = append(b, r.Topic...)
		case colPartition:
			b = strconv.AppendInt(b, int64(r.Partition), 10)
		case colOffset:
			b = strconv.AppendInt(b, r.Offset, 10)
		case colTimestamp:
			if !r.Timestamp.IsZero() {
				b = r.Timestamp.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
			}
		case colKey:
			b = appendBytesCell(b, r.Key)
		case colValue:
			b = appendValueCell(b, r.Value)
		case colPath:
			if fastOK {
				var ok bool
				if b, ok = appendPath(b, e.slots[e.headOf[i]], c.path[1:]); ok {
					break
				}
				b = b[:0]
			}
			if !fastOK && e.checkUnknown {
				break // reported as Unknown; jq would only fail on it
			}
			b = e.jqCell(b, c.filter, r)
		case colJQ:
			b = e.jqCell(b, c.filter, r)
		}
		e.cellBufs[i] = b
		e.cells[i] = b
	}
	return output.AppendCSVRow(dst, e.cells)
}

// appendPath follows rest through raw (a member value, nil when absent).
// ok is false when jq must decide (a non-object where a member is asked).
func appendPath(dst, raw []byte, rest []string) ([]byte, bool) {
	for _, name := range rest {
		if raw == nil || string(raw) == "null" {
			return dst, true
		}
		var next []byte
		if !jsonscan.ObjectMembers(raw, func(k, v []byte) {
			if string(k) == name {
				next = v
			}
		}) {
			return dst, false
		}
		raw = next
	}
	if raw == nil {
		return dst, true
	}
	return appendRawCell(dst, raw), true
}

func (e *RowEncoder) jqCell(dst []byte, f *jqfilter.Filter, r *record.Record) []byte {
	vals, err := f.Values(r)
	if err != nil && e.EvalErr == nil {
		e.EvalErr = err
	}
	switch len(vals) {
	case 0:
		return dst
	case 1:
		return appendJQCell(dst, vals[0])
	}
	// Several outputs: all of them, as a JSON array, never just the first.
	return jqfilter.AppendValue(dst, vals)
}

func appendJQCell(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return dst
	case string:
		return append(dst, x...)
	default:
		return jqfilter.AppendValue(dst, v)
	}
}

// appendBytesCell: UTF-8 bytes as they are, anything else base64.
func appendBytesCell(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	return base64.StdEncoding.AppendEncode(dst, b)
}

// appendValueCell: a JSON string unquoted, other JSON compact, text as it
// is, binary as base64, a tombstone empty.
func appendValueCell(dst, v []byte) []byte {
	switch record.Classify(v) {
	case "":
		return dst
	case record.EncodingJSON:
		return appendRawCell(dst, trimSpace(v))
	default:
		return appendBytesCell(dst, v)
	}
}

// trimSpace drops the JSON whitespace around b.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// KeyOf evaluates a business-key expression (--unique, --on) on r: the
// first output as text (strings as they are, other values as JSON). ok is
// false when there is no output or it is null.
func KeyOf(f *jqfilter.Filter, r *record.Record) (key string, ok bool, err error) {
	vals, err := f.Values(r)
	if err != nil {
		return "", false, err
	}
	if len(vals) == 0 || vals[0] == nil {
		return "", false, nil
	}
	if s, isStr := vals[0].(string); isStr {
		return s, true, nil
	}
	return string(jqfilter.AppendValue(nil, vals[0])), true, nil
}

// appendRawCell appends the CSV cell text of one valid raw JSON value:
// strings unquoted, null empty, numbers as written (never rounded), objects
// and arrays as compact JSON.
func appendRawCell(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return dst
	}
	switch raw[0] {
	case '"':
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return append(dst, inner...)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return append(dst, inner...)
		}
		return append(dst, s...)
	case 'n':
		return dst
	case '{', '[':
		if bytes.ContainsAny(raw, " \t\r\n") {
			var b bytes.Buffer
			if json.Compact(&b, raw) == nil {
				return append(dst, b.Bytes()...)
			}
		}
		return append(dst, raw...)
	default:
		return append(dst, raw...)
	}
}
