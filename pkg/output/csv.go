package output

import (
	"encoding/csv"
	"io"
	"unicode"
	"unicode/utf8"
)

// NeutralizeFormula defuses a cell a spreadsheet would run as a formula, as
// OWASP recommends for CSV injection: a cell starting with = + - @ tab or
// carriage return gets a leading single quote.
func NeutralizeFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSVWriter writes RFC 4180 CSV with formula neutralization.
type CSVWriter struct {
	w   *csv.Writer
	row []string
}

// NewCSVWriter returns a CSV writer on w (CRLF line ends are not used: most
// tools read LF, and encoding/csv reads both).
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w)}
}

// Write writes one row, neutralizing formula-like cells.
func (c *CSVWriter) Write(cells []string) error {
	c.row = c.row[:0]
	for _, s := range cells {
		c.row = append(c.row, NeutralizeFormula(s))
	}
	return c.w.Write(c.row)
}

// Flush flushes buffered rows and returns any write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// WriteCSV writes a header and rows.
func WriteCSV(w io.Writer, header []string, rows [][]string) error {
	cw := NewCSVWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// AppendCSVRow appends cells as one RFC 4180 row ending in "\n", with
// formula neutralization, quoting exactly where encoding/csv would. It is
// the allocation-free path of bulk exports; CSVWriter is the simple one.
func AppendCSVRow(dst []byte, cells [][]byte) []byte {
	for i, c := range cells {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendCSVField(dst, c)
	}
	if len(cells) == 1 && len(cells[0]) == 0 {
		// A lone empty field would be an empty line, which readers skip.
		dst = append(dst, `""`...)
	}
	return append(dst, '\n')
}

// AppendCSVField appends one neutralized, quoted-when-needed CSV field.
func AppendCSVField(dst []byte, cell []byte) []byte {
	neutral := false
	if len(cell) > 0 {
		switch cell[0] {
		case '=', '+', '-', '@', '\t', '\r':
			neutral = true
		}
	}
	if !fieldNeedsQuotes(cell, neutral) {
		if neutral {
			dst = append(dst, '\'')
		}
		return append(dst, cell...)
	}
	dst = append(dst, '"')
	if neutral {
		dst = append(dst, '\'')
	}
	start := 0
	for i, c := range cell {
		if c == '"' {
			dst = append(dst, cell[start:i+1]...)
			dst = append(dst, '"')
			start = i + 1
		}
	}
	dst = append(dst, cell[start:]...)
	return append(dst, '"')
}

// fieldNeedsQuotes mirrors encoding/csv: separators, quotes, line breaks,
// a leading space, or the field `\.` (which ends data in PostgreSQL).
func fieldNeedsQuotes(cell []byte, neutral bool) bool {
	if len(cell) == 0 {
		return false
	}
	if !neutral && (cell[0] == ' ' || string(cell) == `\.`) {
		return true
	}
	for _, c := range cell {
		switch c {
		case ',', '"', '\n', '\r':
			return true
		}
	}
	if !neutral {
		// encoding/csv also quotes a leading Unicode space.
		r, _ := utf8.DecodeRune(cell)
		return unicode.IsSpace(r)
	}
	return false
}
