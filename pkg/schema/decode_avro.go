package schema

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/kx-cli/kx/pkg/record"
)

// Avro binary to JSON, written by hand rather than through a generic
// decoder: fields keep their schema order, unions print as their plain
// value, logical types print readably (the same forms the encoder takes),
// and the JSON is appended straight to the output buffer.

// compileAvro parses an Avro schema and its references.
func (d *Decoder) compileAvro(ctx context.Context, s Registered) (func(dst, payload []byte) ([]byte, error), error) {
	cache := &avro.SchemaCache{}
	err := d.references(ctx, s.References, map[string]bool{}, func(ref Reference, rs Registered) error {
		if _, err := avro.ParseWithCache(rs.Text, "", cache); err != nil {
			return fmt.Errorf("reference %s: %w", ref.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sch, err := avro.ParseWithCache(s.Text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("avro schema: %w", err)
	}
	return NewAvroDecoder(sch), nil
}

// NewAvroDecoder returns a function that appends the JSON of one Avro
// binary value of schema sch to dst.
func NewAvroDecoder(sch avro.Schema) func(dst, payload []byte) ([]byte, error) {
	c := &avroCompiler{named: map[string]*avroDec{}}
	dec := c.compile(sch)
	return func(dst, payload []byte) ([]byte, error) {
		r := avroReader{b: payload}
		dst = (*dec)(dst, &r)
		if r.err != nil {
			return nil, r.err
		}
		if r.i != len(r.b) {
			return nil, fmt.Errorf("avro: %d bytes left after the value (wrong schema?)", len(r.b)-r.i)
		}
		return dst, nil
	}
}

type avroDec func(dst []byte, r *avroReader) []byte

type avroCompiler struct {
	named map[string]*avroDec // records, enums, fixed by full name (recursion)
}

// maxZeroSizeItems bounds arrays and maps of items that take no bytes (null,
// empty records), whose counts no payload length limits.
const maxZeroSizeItems = 1 << 20

func (c *avroCompiler) compile(s avro.Schema) *avroDec {
	if n, ok := s.(avro.NamedSchema); ok {
		if d, ok := c.named[n.FullName()]; ok {
			return d
		}
		d := new(avroDec)
		c.named[n.FullName()] = d
		*d = c.build(s)
		return d
	}
	d := c.build(s)
	return &d
}

func (c *avroCompiler) build(s avro.Schema) avroDec {
	switch s := s.(type) {
	case *avro.RefSchema:
		d := c.compile(s.Schema()) // named: already known, maybe still being built
		return func(dst []byte, r *avroReader) []byte { return (*d)(dst, r) }
	case *avro.NullSchema:
		return func(dst []byte, r *avroReader) []byte { return append(dst, "null"...) }
	case *avro.PrimitiveSchema:
		return primitiveDec(s)
	case *avro.RecordSchema:
		fields := s.Fields()
		names := make([][]byte, len(fields))
		decs := make([]*avroDec, len(fields))
		for i, f := range fields {
			sep := ","
			if i == 0 {
				sep = "{"
			}
			names[i] = append([]byte(sep), record.AppendString(nil, f.Name())...)
			names[i] = append(names[i], ':')
			decs[i] = c.compile(f.Type())
		}
		return func(dst []byte, r *avroReader) []byte {
			if len(names) == 0 {
				return append(dst, "{}"...)
			}
			for i, n := range names {
				dst = append(dst, n...)
				dst = (*decs[i])(dst, r)
			}
			return append(dst, '}')
		}
	case *avro.EnumSchema:
		symbols := make([][]byte, len(s.Symbols()))
		for i, sym := range s.Symbols() {
			symbols[i] = record.AppendString(nil, sym)
		}
		return func(dst []byte, r *avroReader) []byte {
			i := r.long()
			if i < 0 || i >= int64(len(symbols)) {
				r.fail(fmt.Errorf("avro: enum %s index %d out of range", s.FullName(), i))
				return append(dst, "null"...)
			}
			return append(dst, symbols[i]...)
		}
	case *avro.FixedSchema:
		size := s.Size()
		logical := s.Logical()
		return func(dst []byte, r *avroReader) []byte {
			b := r.next(size)
			if r.err != nil {
				return append(dst, "null"...)
			}
			if l, ok := logical.(*avro.DecimalLogicalSchema); ok {
				return appendDecimal(dst, b, l.Scale())
			}
			if logical != nil && logical.Type() == avro.Duration && size == 12 {
				return appendDuration(dst, b)
			}
			return appendBase64String(dst, b)
		}
	case *avro.ArraySchema:
		item := c.compile(s.Items())
		zero := minSize(s.Items(), map[string]bool{}) == 0
		return func(dst []byte, r *avroReader) []byte {
			dst = append(dst, '[')
			n := 0
			for r.err == nil {
				count := r.blockCount(zero, &n)
				if count == 0 {
					break
				}
				for range count {
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					dst = (*item)(dst, r)
					if r.err != nil {
						break
					}
				}
			}
			return append(dst, ']')
		}
	case *avro.MapSchema:
		val := c.compile(s.Values())
		return func(dst []byte, r *avroReader) []byte {
			dst = append(dst, '{')
			n := 0
			for r.err == nil {
				// Each entry has a key, at least one byte.
				count := r.blockCount(false, &n)
				if count == 0 {
					break
				}
				for range count {
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					dst = readAvroString(dst, r)
					dst = append(dst, ':')
					dst = (*val)(dst, r)
					if r.err != nil {
						break
					}
				}
			}
			return append(dst, '}')
		}
	case *avro.UnionSchema:
		types := s.Types()
		branches := make([]*avroDec, len(types))
		for i, t := range types {
			branches[i] = c.compile(t)
		}
		return func(dst []byte, r *avroReader) []byte {
			i := r.long()
			if r.err != nil {
				return append(dst, "null"...)
			}
			if i < 0 || i >= int64(len(branches)) {
				r.fail(fmt.Errorf("avro: union branch %d out of range (%d branches)", i, len(branches)))
				return append(dst, "null"...)
			}
			return (*branches[i])(dst, r)
		}
	}
	return func(dst []byte, r *avroReader) []byte {
		r.fail(fmt.Errorf("avro: schema type %s not supported", s.Type()))
		return dst
	}
}

// minSize is the fewest bytes a value of s takes (0 or 1 is all that
// matters: whether a block count can be checked against the payload).
func minSize(s avro.Schema, seen map[string]bool) int {
	switch s := s.(type) {
	case *avro.RefSchema:
		return minSize(s.Schema(), seen)
	case *avro.NullSchema:
		return 0
	case *avro.FixedSchema:
		return min(s.Size(), 1)
	case *avro.RecordSchema:
		if seen[s.FullName()] {
			return 1 // recursive: a value of it needs a union index somewhere
		}
		seen[s.FullName()] = true
		for _, f := range s.Fields() {
			if minSize(f.Type(), seen) > 0 {
				return 1
			}
		}
		return 0
	}
	return 1
}

func primitiveDec(s *avro.PrimitiveSchema) avroDec {
	var logical avro.LogicalType
	if l := s.Logical(); l != nil {
		logical = l.Type()
	}
	switch s.Type() {
	case avro.Null:
		return func(dst []byte, r *avroReader) []byte { return append(dst, "null"...) }
	case avro.Boolean:
		return func(dst []byte, r *avroReader) []byte {
			b := r.next(1)
			switch {
			case r.err != nil:
				return append(dst, "null"...)
			case b[0] == 0:
				return append(dst, "false"...)
			case b[0] == 1:
				return append(dst, "true"...)
			}
			r.fail(fmt.Errorf("avro: boolean byte 0x%02x", b[0]))
			return append(dst, "null"...)
		}
	case avro.Int:
		switch logical {
		case avro.Date:
			return func(dst []byte, r *avroReader) []byte {
				days := r.int32()
				return appendQuotedTime(dst, time.Unix(days*86400, 0).UTC(), time.DateOnly)
			}
		case avro.TimeMillis:
			return func(dst []byte, r *avroReader) []byte {
				ms := r.int32()
				return appendQuotedTime(dst, time.Unix(0, 0).UTC().Add(time.Duration(ms)*time.Millisecond), "15:04:05.000")
			}
		}
		return func(dst []byte, r *avroReader) []byte { return strconv.AppendInt(dst, r.int32(), 10) }
	case avro.Long:
		switch logical {
		case avro.TimestampMillis:
			return func(dst []byte, r *avroReader) []byte {
				return appendQuotedTime(dst, time.UnixMilli(r.long()).UTC(), "2006-01-02T15:04:05.000Z07:00")
			}
		case avro.TimestampMicros:
			return func(dst []byte, r *avroReader) []byte {
				return appendQuotedTime(dst, time.UnixMicro(r.long()).UTC(), "2006-01-02T15:04:05.000000Z07:00")
			}
		case avro.LocalTimestampMillis:
			return func(dst []byte, r *avroReader) []byte {
				return appendQuotedTime(dst, time.UnixMilli(r.long()).UTC(), "2006-01-02T15:04:05.000")
			}
		case avro.LocalTimestampMicros:
			return func(dst []byte, r *avroReader) []byte {
				return appendQuotedTime(dst, time.UnixMicro(r.long()).UTC(), "2006-01-02T15:04:05.000000")
			}
		case avro.TimeMicros:
			return func(dst []byte, r *avroReader) []byte {
				us := r.long()
				return appendQuotedTime(dst, time.Unix(0, 0).UTC().Add(time.Duration(us)*time.Microsecond), "15:04:05.000000")
			}
		}
		return func(dst []byte, r *avroReader) []byte { return strconv.AppendInt(dst, r.long(), 10) }
	case avro.Float:
		return func(dst []byte, r *avroReader) []byte {
			b := r.next(4)
			if r.err != nil {
				return append(dst, "null"...)
			}
			return appendFloat(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32)
		}
	case avro.Double:
		return func(dst []byte, r *avroReader) []byte {
			b := r.next(8)
			if r.err != nil {
				return append(dst, "null"...)
			}
			return appendFloat(dst, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64)
		}
	case avro.Bytes:
		if l, ok := s.Logical().(*avro.DecimalLogicalSchema); ok {
			scale := l.Scale()
			return func(dst []byte, r *avroReader) []byte {
				b := r.bytes()
				if r.err != nil {
					return append(dst, "null"...)
				}
				return appendDecimal(dst, b, scale)
			}
		}
		return func(dst []byte, r *avroReader) []byte {
			b := r.bytes()
			if r.err != nil {
				return append(dst, "null"...)
			}
			return appendBase64String(dst, b)
		}
	case avro.String:
		// uuid is a string already.
		return readAvroString
	}
	return func(dst []byte, r *avroReader) []byte {
		r.fail(fmt.Errorf("avro: type %s not supported", s.Type()))
		return dst
	}
}

func readAvroString(dst []byte, r *avroReader) []byte {
	b := r.bytes()
	if r.err != nil {
		return append(dst, "null"...)
	}
	return record.AppendStringBytes(dst, b)
}

func appendQuotedTime(dst []byte, t time.Time, layout string) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, layout)
	return append(dst, '"')
}

func appendBase64String(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendDecimal writes a big-endian two's-complement unscaled integer as
// the exact decimal string ("-12.50" for -1250 at scale 2).
func appendDecimal(dst, b []byte, scale int) []byte {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	neg := n.Sign() < 0
	digits := n.Abs(n).String()
	dst = append(dst, '"')
	if neg {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		return append(dst, '"')
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for range scale - len(digits) {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
		return append(dst, '"')
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	dst = append(dst, digits[len(digits)-scale:]...)
	return append(dst, '"')
}

// appendDuration writes Avro's duration (months, days, milliseconds as
// little-endian uint32s) as an object.
func appendDuration(dst, b []byte) []byte {
	dst = append(dst, `{"months":`...)
	dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[0:4])), 10)
	dst = append(dst, `,"days":`...)
	dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[4:8])), 10)
	dst = append(dst, `,"milliseconds":`...)
	dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8:12])), 10)
	return append(dst, '}')
}

// appendFloat writes f as encoding/json does; NaN and the infinities,
// which JSON lacks, as the strings "NaN", "Infinity", "-Infinity".
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 as encoding/json writes it: 1e-7.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// avroReader reads Avro's binary encoding; the first error sticks.
type avroReader struct {
	b   []byte
	i   int
	err error
}

var errTruncated = errors.New("avro: truncated value")

func (r *avroReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.i = len(r.b)
}

func (r *avroReader) long() int64 {
	if r.err != nil {
		return 0
	}
	u, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.fail(errTruncated)
		if n < 0 {
			r.err = errors.New("avro: varint overflows 64 bits")
		}
		return 0
	}
	r.i += n
	return int64(u>>1) ^ -int64(u&1)
}

func (r *avroReader) int32() int64 {
	v := r.long()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(fmt.Errorf("avro: int %d out of 32-bit range", v))
		return 0
	}
	return v
}

func (r *avroReader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.i {
		r.fail(errTruncated)
		return nil
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b
}

func (r *avroReader) bytes() []byte {
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.b)-r.i) {
		r.fail(errTruncated)
		return nil
	}
	return r.next(int(n))
}

// blockCount reads an array or map block's item count (a negative count
// is followed by the block's size in bytes). zero tells that items may take
// no bytes, so the count cannot be checked against what is left; total is
// the items read so far.
func (r *avroReader) blockCount(zero bool, total *int) int64 {
	count := r.long()
	if r.err != nil {
		return 0
	}
	if count < 0 {
		if count == math.MinInt64 {
			r.fail(errors.New("avro: bad block count"))
			return 0
		}
		count = -count
		r.long() // the block's size in bytes
	}
	left := int64(len(r.b) - r.i)
	if (!zero && count > left) || (zero && int64(*total)+count > maxZeroSizeItems) {
		r.fail(fmt.Errorf("avro: block of %d items in %d bytes", count, left))
		return 0
	}
	return count
}
