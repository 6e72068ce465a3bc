package output

import (
	"encoding/csv"
	"io"
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
