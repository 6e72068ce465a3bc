// Package output renders what commands produce: NDJSON for pipes and
// scripts, tables (tablewriter) for people, CSV for spreadsheets. A command
// builds plain view values; this package prints them in the chosen format.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is an output format name as given to -o.
type Format string

// The formats; each command accepts a subset.
const (
	Auto   Format = "auto"
	NDJSON Format = "ndjson"
	JSON   Format = "json"
	Table  Format = "table"
	CSV    Format = "csv"
	Raw    Format = "raw"
)

// Resolve turns the -o value into a concrete format: auto is a table on a
// terminal, NDJSON otherwise. "json" is accepted as a synonym of ndjson
// where only ndjson is offered.
func Resolve(value string, stdoutTTY bool, allowed ...Format) (Format, error) {
	f := Format(strings.ToLower(value))
	if f == "" || f == Auto {
		if stdoutTTY && slices.Contains(allowed, Table) {
			return Table, nil
		}
		return NDJSON, nil
	}
	if f == JSON && !slices.Contains(allowed, JSON) && slices.Contains(allowed, NDJSON) {
		return NDJSON, nil
	}
	if !slices.Contains(allowed, f) {
		names := make([]string, 0, len(allowed)+1)
		names = append(names, string(Auto))
		for _, a := range allowed {
			names = append(names, string(a))
		}
		return "", fmt.Errorf("--output %q: must be one of %s", value, strings.Join(names, "|"))
	}
	return f, nil
}

// Column is one column of a list: its header and how to get a cell.
type Column[T any] struct {
	Header string
	Value  func(T) string
}

// Print renders items as NDJSON (each item marshalled as it is), a table or
// CSV (through cols).
func Print[T any](w io.Writer, f Format, items []T, cols []Column[T]) error {
	switch f {
	case Table, CSV:
		header, rows := Cells(items, cols)
		if f == CSV {
			return WriteCSV(w, header, rows)
		}
		return WriteTable(w, header, rows)
	default:
		for _, it := range items {
			if err := WriteJSONLine(w, it); err != nil {
				return err
			}
		}
		return nil
	}
}

// Cells are the header and the rows of items through cols.
func Cells[T any](items []T, cols []Column[T]) (header []string, rows [][]string) {
	header = make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Header
	}
	rows = make([][]string, len(items))
	for i, it := range items {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = c.Value(it)
		}
		rows[i] = row
	}
	return header, rows
}

// Marshal is kx's one JSON writer (NDJSON lines, reports, webhook bodies,
// scenario values): compact like json.Marshal, but without HTML escaping, so
// a threshold reads "> 5 in 10s" everywhere, as in the record envelope.
func Marshal(v any) ([]byte, error) {
	b, err := encode(v, "")
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// MarshalIndent is Marshal with each element on its own line, indented.
func MarshalIndent(v any, indent string) ([]byte, error) {
	b, err := encode(v, indent)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// encode returns v's JSON followed by a newline.
func encode(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSONLine writes v as one compact JSON line (see Marshal).
func WriteJSONLine(w io.Writer, v any) error {
	b, err := encode(v, "")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteTable renders a borderless, left-aligned table in the style of
// kubectl and rpk: easy to read and to grep.
// Cells go through Text: names and values from the cluster (a group id,
// a config value) may hold control characters.
func WriteTable(w io.Writer, header []string, rows [][]string) error {
	return writeTable(w, header, textRows(rows))
}

// textRows is a copy of rows with every cell through Text.
func textRows(rows [][]string) [][]string {
	safe := make([][]string, len(rows))
	for i, row := range rows {
		safe[i] = make([]string, len(row))
		for j, c := range row {
			safe[i][j] = Text(c)
		}
	}
	return safe
}

// writeTable renders rows whose cells are safe already; a newline in a
// cell is a line break of that cell.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := NewTable(&buf)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(TrimTrailingSpaces(buf.Bytes()))
	return err
}

// TrimTrailingSpaces removes the padding tablewriter leaves at line ends.
func TrimTrailingSpaces(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		l = bytes.TrimRight(l, " \n")
		out = append(out, l...)
		if nl {
			out = append(out, '\n')
		}
	}
	return out
}

// NewTable returns a tablewriter table in kx's style, for callers that need
// more than WriteTable (footers, colors).
func NewTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.On),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
}
