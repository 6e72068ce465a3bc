package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
)

func newAvroEncoder(text, name string, imports []Import) (*Encoder, error) {
	if err := jsonSyntaxError(name, []byte(text)); err != nil {
		return nil, err
	}
	// A cache of its own: the default one is global, and two schemas may
	// define the same record name differently. Referenced schemas define
	// their names in it first.
	cache := &avro.SchemaCache{}
	for _, imp := range imports {
		if _, err := avro.ParseWithCache(imp.Text, "", cache); err != nil {
			return nil, &SchemaError{File: name, Msg: fmt.Sprintf("reference %s: %s", imp.Name, strings.TrimPrefix(err.Error(), "avro: "))}
		}
	}
	s, err := avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, &SchemaError{File: name, Msg: strings.TrimPrefix(err.Error(), "avro: ")}
	}
	a := &avroEncoder{schema: s, defaults: map[*avro.Field][]byte{}}
	if err := a.encodeDefaults(s, map[avro.Schema]bool{}); err != nil {
		return nil, &SchemaError{File: name, Msg: err.Error()}
	}
	return &Encoder{Type: TypeAvro, Text: text, payload: a.encode}, nil
}

// encodeDefaults encodes every field default once, up front, so encoding
// only reads shared state.
func (a *avroEncoder) encodeDefaults(s avro.Schema, seen map[avro.Schema]bool) error {
	if seen[s] {
		return nil
	}
	seen[s] = true
	switch s := s.(type) {
	case *avro.RefSchema:
		return a.encodeDefaults(s.Schema(), seen)
	case *avro.RecordSchema:
		for _, f := range s.Fields() {
			if f.HasDefault() {
				// The default of a union is a value of its first branch.
				typ, prefix := f.Type(), []byte(nil)
				if u, ok := typ.(*avro.UnionSchema); ok {
					typ, prefix = u.Types()[0], []byte{0}
				}
				b, err := avro.Marshal(typ, f.Default())
				if err != nil {
					return fmt.Errorf("field %s of %s: default does not encode: %v", f.Name(), s.FullName(), err)
				}
				a.defaults[f] = append(prefix, b...)
			}
			if err := a.encodeDefaults(f.Type(), seen); err != nil {
				return err
			}
		}
	case *avro.ArraySchema:
		return a.encodeDefaults(s.Items(), seen)
	case *avro.MapSchema:
		return a.encodeDefaults(s.Values(), seen)
	case *avro.UnionSchema:
		for _, t := range s.Types() {
			if err := a.encodeDefaults(t, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// avroEncoder writes Avro binary from decoded JSON, walking the schema.
type avroEncoder struct {
	schema   avro.Schema
	defaults map[*avro.Field][]byte // encoded field defaults, read-only once built
}

func (a *avroEncoder) encode(dst, value []byte) ([]byte, error) {
	v, err := decodeJSON(value)
	if err != nil {
		return nil, err
	}
	return a.write(dst, a.schema, v, "")
}

// decodeJSON decodes one JSON text keeping numbers exact.
func decodeJSON(value []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(value))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &FieldError{Msg: "not JSON: " + err.Error()}
	}
	if _, err := d.Token(); err == nil {
		return nil, &FieldError{Msg: "not one JSON value"}
	}
	return v, nil
}

func (a *avroEncoder) write(dst []byte, s avro.Schema, v any, path string) ([]byte, error) {
	switch s := s.(type) {
	case *avro.RefSchema:
		return a.write(dst, s.Schema(), v, path)
	case *avro.NullSchema:
		if v != nil {
			return nil, fieldErrorf(path, "want null, got %s", describe(v))
		}
		return dst, nil
	case *avro.PrimitiveSchema:
		return writePrimitive(dst, s, v, path)
	case *avro.RecordSchema:
		return a.writeRecord(dst, s, v, path)
	case *avro.EnumSchema:
		str, ok := v.(string)
		if !ok {
			return nil, fieldErrorf(path, "want a symbol of enum %s, got %s", s.FullName(), describe(v))
		}
		for i, sym := range s.Symbols() {
			if sym == str {
				return binary.AppendVarint(dst, int64(i)), nil
			}
		}
		return nil, fieldErrorf(path, "%q is not a symbol of enum %s (%s)", str, s.FullName(), strings.Join(s.Symbols(), ", "))
	case *avro.ArraySchema:
		items, ok := v.([]any)
		if !ok {
			return nil, fieldErrorf(path, "want an array, got %s", describe(v))
		}
		if len(items) > 0 {
			dst = binary.AppendVarint(dst, int64(len(items)))
			for i, item := range items {
				var err error
				if dst, err = a.write(dst, s.Items(), item, pathIndex(path, i)); err != nil {
					return nil, err
				}
			}
		}
		return append(dst, 0), nil
	case *avro.MapSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fieldErrorf(path, "want an object (an Avro map), got %s", describe(v))
		}
		if len(m) > 0 {
			dst = binary.AppendVarint(dst, int64(len(m)))
			for _, k := range sortedKeys(m) {
				dst = appendAvroString(dst, k)
				var err error
				if dst, err = a.write(dst, s.Values(), m[k], pathField(path, k)); err != nil {
					return nil, err
				}
			}
		}
		return append(dst, 0), nil
	case *avro.UnionSchema:
		return a.writeUnion(dst, s, v, path)
	case *avro.FixedSchema:
		if l, ok := s.Logical().(*avro.DecimalLogicalSchema); ok {
			b, err := decimalBytes(v, l, path)
			if err != nil {
				return nil, err
			}
			if len(b) > s.Size() {
				return nil, fieldErrorf(path, "%s does not fit in fixed %s of %d bytes", describe(v), s.FullName(), s.Size())
			}
			pad := byte(0)
			if len(b) > 0 && b[0]&0x80 != 0 {
				pad = 0xff
			}
			for range s.Size() - len(b) {
				dst = append(dst, pad)
			}
			return append(dst, b...), nil
		}
		b, err := base64Value(v, path)
		if err != nil {
			return nil, err
		}
		if len(b) != s.Size() {
			return nil, fieldErrorf(path, "want %d bytes for fixed %s, got %d", s.Size(), s.FullName(), len(b))
		}
		return append(dst, b...), nil
	}
	return nil, fieldErrorf(path, "unsupported Avro schema %s", s.Type())
}

func (a *avroEncoder) writeRecord(dst []byte, s *avro.RecordSchema, v any, path string) ([]byte, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fieldErrorf(path, "want an object (record %s), got %s", s.FullName(), describe(v))
	}
	known := make(map[string]bool, len(s.Fields()))
	for _, f := range s.Fields() {
		known[f.Name()] = true
	}
	for _, k := range sortedKeys(obj) {
		if !known[k] {
			return nil, fieldErrorf(pathField(path, k), "no such field in record %s", s.FullName())
		}
	}
	for _, f := range s.Fields() {
		fv, present := obj[f.Name()]
		fpath := pathField(path, f.Name())
		if !present {
			def, ok := a.defaults[f]
			if !ok {
				return nil, fieldErrorf(fpath, "missing, and the field has no default")
			}
			dst = append(dst, def...)
			continue
		}
		var err error
		if dst, err = a.write(dst, f.Type(), fv, fpath); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// writeUnion writes the first branch the plain value fits, as kx prints
// unions. The Avro JSON encoding's {"type": value} is accepted too when
// no branch takes the object as it is.
func (a *avroEncoder) writeUnion(dst []byte, s *avro.UnionSchema, v any, path string) ([]byte, error) {
	errs := make([]*FieldError, len(s.Types()))
	start := len(dst)
	for i, t := range s.Types() {
		out := binary.AppendVarint(dst[:start], int64(i))
		out, err := a.write(out, t, v, path)
		if err == nil {
			return out, nil
		}
		if !errors.As(err, &errs[i]) {
			return nil, err
		}
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for i, t := range s.Types() {
			if inner, ok := m[unionBranchName(t)]; ok {
				out := binary.AppendVarint(dst[:start], int64(i))
				return a.write(out, t, inner, path)
			}
		}
	}
	// The most telling error is that of the one non-null branch, or the
	// one that got deepest into the value.
	var best *FieldError
	for i, t := range s.Types() {
		if t.Type() == avro.Null {
			continue
		}
		if best == nil || len(errs[i].Path) > len(best.Path) {
			best = errs[i]
		}
	}
	if best != nil && (len(s.Types()) == 2 && s.Nullable() || len(best.Path) > len(path)) {
		return nil, best
	}
	names := make([]string, len(s.Types()))
	for i, t := range s.Types() {
		names[i] = unionBranchName(t)
	}
	return nil, fieldErrorf(path, "%s fits none of the union's types (%s)", describe(v), strings.Join(names, ", "))
}

// unionBranchName is the name the Avro JSON encoding gives a union branch.
func unionBranchName(s avro.Schema) string {
	switch s := s.(type) {
	case *avro.RefSchema:
		return s.Schema().FullName()
	case avro.NamedSchema:
		return s.FullName()
	}
	return string(s.Type())
}

func writePrimitive(dst []byte, s *avro.PrimitiveSchema, v any, path string) ([]byte, error) {
	var logical avro.LogicalType
	if l := s.Logical(); l != nil {
		logical = l.Type()
	}
	switch s.Type() {
	case avro.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fieldErrorf(path, "want a boolean, got %s", describe(v))
		}
		if b {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case avro.Int:
		n, err := intValue(v, logical, path, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return binary.AppendVarint(dst, n), nil
	case avro.Long:
		n, err := intValue(v, logical, path, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		return binary.AppendVarint(dst, n), nil
	case avro.Float:
		f, err := floatValue(v, path, 32)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
	case avro.Double:
		f, err := floatValue(v, path, 64)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
	case avro.String:
		str, ok := v.(string)
		if !ok {
			return nil, fieldErrorf(path, "want a string, got %s", describe(v))
		}
		if logical == avro.UUID && !uuidRE.MatchString(str) {
			return nil, fieldErrorf(path, "%q is not a UUID", str)
		}
		return appendAvroString(dst, str), nil
	case avro.Bytes:
		if l, ok := s.Logical().(*avro.DecimalLogicalSchema); ok {
			b, err := decimalBytes(v, l, path)
			if err != nil {
				return nil, err
			}
			dst = binary.AppendVarint(dst, int64(len(b)))
			return append(dst, b...), nil
		}
		b, err := base64Value(v, path)
		if err != nil {
			return nil, err
		}
		dst = binary.AppendVarint(dst, int64(len(b)))
		return append(dst, b...), nil
	}
	return nil, fieldErrorf(path, "unsupported Avro type %s", s.Type())
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func appendAvroString(dst []byte, s string) []byte {
	dst = binary.AppendVarint(dst, int64(len(s)))
	return append(dst, s...)
}

// intValue reads an int or long: a JSON integer, or for the time logical
// types the string kx prints (RFC 3339 timestamps, dates, times of day).
func intValue(v any, logical avro.LogicalType, path string, lo, hi int64) (int64, error) {
	if str, ok := v.(string); ok && logical != "" {
		n, err := parseTimeLogical(str, logical)
		if err != nil {
			return 0, fieldErrorf(path, "%v", err)
		}
		if n < lo || n > hi {
			return 0, fieldErrorf(path, "%q is out of range for %s", str, logical)
		}
		return n, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		if logical != "" {
			return 0, fieldErrorf(path, "want %s, got %s", logicalWant(logical), describe(v))
		}
		return 0, fieldErrorf(path, "want an integer, got %s", describe(v))
	}
	n, err := num.Int64()
	if err != nil {
		// 1e3 or 12.0 are integers too; 1.5 is not.
		r, ok := new(big.Rat).SetString(num.String())
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return 0, fieldErrorf(path, "want an integer, got %s", describe(v))
		}
		n = r.Num().Int64()
	}
	if n < lo || n > hi {
		return 0, fieldErrorf(path, "%s is out of range (%d to %d)", num, lo, hi)
	}
	return n, nil
}

func logicalWant(l avro.LogicalType) string {
	switch l {
	case avro.Date:
		return "a date (2006-01-02)"
	case avro.TimeMillis, avro.TimeMicros:
		return "a time of day (15:04:05.000)"
	case avro.TimestampMillis, avro.TimestampMicros:
		return "an RFC 3339 timestamp"
	case avro.LocalTimestampMillis, avro.LocalTimestampMicros:
		return "a local timestamp (2006-01-02T15:04:05.000)"
	}
	return "an integer"
}

func parseTimeLogical(s string, l avro.LogicalType) (int64, error) {
	switch l {
	case avro.Date:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a date (2006-01-02)", s)
		}
		return t.Unix() / 86400, nil
	case avro.TimeMillis, avro.TimeMicros:
		t, err := time.Parse("15:04:05.999999999", s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a time of day (15:04:05.000)", s)
		}
		d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
		if l == avro.TimeMillis {
			return d.Milliseconds(), nil
		}
		return d.Microseconds(), nil
	case avro.TimestampMillis, avro.TimestampMicros, avro.LocalTimestampMillis, avro.LocalTimestampMicros:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			// A local timestamp has no zone.
			if t, err = time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
				return 0, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
			}
		}
		if l == avro.TimestampMillis || l == avro.LocalTimestampMillis {
			return t.UnixMilli(), nil
		}
		return t.UnixMicro(), nil
	}
	return 0, fmt.Errorf("want an integer, got the string %q", s)
}

func floatValue(v any, path string, bits int) (float64, error) {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil || bits == 32 && math.Abs(f) > math.MaxFloat32 {
			return 0, fieldErrorf(path, "%s is out of range for a %d-bit float", v, bits)
		}
		return f, nil
	case string:
		// JSON has no NaN or infinities; kx prints them as these strings.
		switch v {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, fieldErrorf(path, "want a number, got %s", describe(v))
}

func base64Value(v any, path string) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fieldErrorf(path, "want bytes as a base64 string, got %s", describe(v))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fieldErrorf(path, "%s is not base64", describe(v))
		}
	}
	return b, nil
}

// decimalBytes is the two's-complement big-endian unscaled value of an
// exact decimal, given as a string ("12.30") or a JSON number.
func decimalBytes(v any, l *avro.DecimalLogicalSchema, path string) ([]byte, error) {
	var text string
	switch v := v.(type) {
	case string:
		text = v
	case json.Number:
		text = v.String()
	default:
		return nil, fieldErrorf(path, "want a decimal as a string (\"12.34\"), got %s", describe(v))
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok || strings.ContainsAny(text, "/") {
		return nil, fieldErrorf(path, "%q is not a decimal number", text)
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(l.Scale())), nil)))
	if !scaled.IsInt() {
		return nil, fieldErrorf(path, "%s has more than %d decimal places", text, l.Scale())
	}
	n := scaled.Num()
	if p := l.Precision(); p > 0 && len(new(big.Int).Abs(n).String()) > p && n.Sign() != 0 {
		return nil, fieldErrorf(path, "%s has more than %d digits (decimal(%d,%d))", text, p, p, l.Scale())
	}
	return twosComplement(n), nil
}

// twosComplement is the shortest big-endian two's-complement form of n.
func twosComplement(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n-1 in bytes, inverted.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
