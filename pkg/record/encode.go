package record

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kx-cli/kx/internal/jsonscan"
)

const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// AppendJSON appends r as one envelope object (no trailing newline) to dst.
func AppendJSON(dst []byte, r *Record) []byte { return appendJSON(dst, r, false) }

// AppendJSONEmbedded is AppendJSON for a record whose value the caller
// already found to be embeddable JSON (Classify's EncodingJSON, e.g. a jq
// filter that decoded it): the value is copied without scanning it again.
func AppendJSONEmbedded(dst []byte, r *Record) []byte { return appendJSON(dst, r, true) }

func appendJSON(dst []byte, r *Record, valueEmbeddable bool) []byte {
	dst = append(dst, `{"topic":`...)
	dst = AppendString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = AppendTimestamp(dst, r.Timestamp)
	dst = append(dst, `,"timestamp_type":`...)
	if r.TimestampType == "" {
		dst = append(dst, `"`+TimestampNotAvailable+`"`...)
	} else {
		dst = AppendString(dst, r.TimestampType)
	}
	if r.KeySchema == nil {
		dst = appendBytesField(dst, `,"key":`, `,"key_encoding":"`, r.Key)
	} else {
		dst = appendDecodedField(dst, `,"key":`, `,"key_`, r.Key, r.KeySchema)
	}
	switch {
	case r.ValueSchema != nil:
		dst = appendDecodedField(dst, `,"value":`, `,"value_`, r.Value, r.ValueSchema)
	case valueEmbeddable:
		dst = append(append(dst, `,"value":`...), r.Value...)
	default:
		dst = appendBytesField(dst, `,"value":`, `,"value_encoding":"`, r.Value)
	}
	dst = append(dst, `,"headers":[`...)
	for i, h := range r.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = AppendString(dst, h.Key)
		dst = appendBytesField(dst, `,"value":`, `,"value_encoding":"`, h.Value)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// AppendTimestamp appends t as a quoted RFC 3339 UTC time with milliseconds,
// or null for the zero time.
func AppendTimestamp(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, "null"...)
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, timestampLayout)
		return append(dst, '"')
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	// The layout by hand: AppendFormat is a third of the envelope's cost.
	return append(dst, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

// FormatTimestamp formats t the way the envelope does, without quotes.
func FormatTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timestampLayout)
}

// appendDecodedField writes a key or value decoded from a Schema Registry
// format: its JSON as it is, then _schema_id and _format; or, when it could
// not be decoded, the payload in base64 and _error.
func appendDecodedField(dst []byte, field, prefix string, b []byte, d *Decoded) []byte {
	dst = append(dst, field...)
	if d.Err != "" {
		dst = appendBase64(dst, b)
		dst = append(dst, prefix...)
		dst = append(dst, `encoding":"`+EncodingBase64+`"`...)
	} else if b == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, b...)
	}
	if d.SchemaID != 0 {
		dst = append(dst, prefix...)
		dst = append(dst, `schema_id":`...)
		dst = strconv.AppendInt(dst, int64(d.SchemaID), 10)
	}
	if d.Format != "" {
		dst = append(dst, prefix...)
		dst = append(dst, `format":`...)
		dst = AppendString(dst, d.Format)
	}
	if d.Err != "" {
		dst = append(dst, prefix...)
		dst = append(dst, `error":`...)
		dst = AppendString(dst, d.Err)
	}
	return dst
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	n := base64.StdEncoding.EncodedLen(len(b))
	dst = grow(dst, n)
	base64.StdEncoding.Encode(dst[len(dst):len(dst)+n], b)
	dst = dst[:len(dst)+n]
	return append(dst, '"')
}

func appendBytesField(dst []byte, field, encField string, b []byte) []byte {
	dst = append(dst, field...)
	switch Classify(b) {
	case "":
		return append(dst, "null"...)
	case EncodingJSON:
		return append(dst, b...)
	case EncodingUTF8:
		dst = appendStringBytes(dst, b)
		dst = append(dst, encField...)
		return append(dst, EncodingUTF8+`"`...)
	default:
		dst = appendBase64(dst, b)
		dst = append(dst, encField...)
		return append(dst, EncodingBase64+`"`...)
	}
}

// Classify tells how the envelope encodes b: "" for null (nil), EncodingJSON
// when b is JSON that can be embedded as it is, EncodingUTF8 or EncodingBase64.
//
// JSON is embedded only when the bytes survive the round trip exactly: one
// line (NDJSON), no surrounding whitespace (a JSON decoder would drop it),
// valid UTF-8, and not the literal null (that is the tombstone).
func Classify(b []byte) string {
	if b == nil {
		return ""
	}
	if embeddable(b) {
		return EncodingJSON
	}
	if utf8.Valid(b) {
		return EncodingUTF8
	}
	return EncodingBase64
}

// embeddable reports whether b is JSON the envelope embeds as it is: one
// value on one line without surrounding whitespace, in valid UTF-8 (see
// jsonscan.ValidLine), and not the literal null.
func embeddable(b []byte) bool {
	return !(len(b) == 4 && string(b) == "null") && jsonscan.ValidLine(b)
}

// IsJSON reports whether b is one JSON value on one line, valid UTF-8,
// without surrounding whitespace: what kx produce takes as a record value.
// Unlike Classify it accepts the literal null.
func IsJSON(b []byte) bool {
	return jsonscan.ValidLine(b)
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		return nb
	}
	return b
}

// AppendString appends s as a JSON string.
func AppendString(dst []byte, s string) []byte {
	return appendStringBytes(dst, []byte(s))
}

// AppendStringBytes is AppendString of b's bytes, without converting them
// to a string first.
func AppendStringBytes(dst, b []byte) []byte { return appendStringBytes(dst, b) }

const hexDigits = "0123456789abcdef"

// appendStringBytes appends valid UTF-8 b as a JSON string. Invalid bytes are
// replaced by U+FFFD; callers that need exactness check utf8.Valid first.
func appendStringBytes(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, b[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, b[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript consumers.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, b[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, b[start:]...)
	return append(dst, '"')
}
