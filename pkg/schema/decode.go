package schema

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kx-cli/kx/internal/jsonscan"
	"github.com/kx-cli/kx/pkg/record"
)

// Formats a key or value is read as (--key-format, --value-format).
const (
	// FormatAuto decodes payloads in the Confluent wire format when a
	// registry is configured, and leaves everything else as it is.
	FormatAuto       = "auto"
	FormatJSON       = "json"
	FormatAvro       = "avro"
	FormatProtobuf   = "protobuf"
	FormatJSONSchema = "json-schema"
	// FormatRaw never decodes.
	FormatRaw = "raw"
)

// Formats lists the formats in the order --help shows them.
var Formats = []string{FormatAuto, FormatJSON, FormatAvro, FormatProtobuf, FormatJSONSchema, FormatRaw}

// ParseFormat checks a --key-format/--value-format value ("" is auto).
func ParseFormat(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FormatAuto, nil
	}
	for _, f := range Formats {
		if s == f {
			return s, nil
		}
	}
	return "", fmt.Errorf("format %q: want one of %s", s, strings.Join(Formats, "|"))
}

// NeedsRegistry reports whether a format reads the wire format, which
// needs a registry.
func NeedsRegistry(format string) bool {
	return format == FormatAvro || format == FormatProtobuf || format == FormatJSONSchema
}

// Registered is a schema as a registry holds it.
type Registered struct {
	ID         int
	Type       string // TypeAvro, TypeProtobuf or TypeJSONSchema
	Text       string
	References []Reference
}

// Reference names a registered schema another imports: Name is how the
// importing schema refers to it (an Avro full name, a .proto import path,
// a JSON Schema $ref).
type Reference struct {
	Name    string
	Subject string
	Version int
}

// Registry is where a Decoder finds schemas. Errors wrapping ErrNotFound
// make the records that need the schema undecodable; any other error is
// fatal (the registry is unreachable or refuses kx).
type Registry interface {
	SchemaByID(ctx context.Context, id int) (Registered, error)
	SchemaByVersion(ctx context.Context, subject string, version int) (Registered, error)
}

// ErrNotFound is what a Registry's errors wrap for a schema it does not have.
var ErrNotFound = errors.New("schema not found")

// Decoder turns keys and values in the Confluent wire format into JSON, in
// place on a record.Record, so every reader (envelope, --jq, CSV, trace)
// sees them as JSON. Each schema id is fetched and compiled once. Safe for
// concurrent use.
type Decoder struct {
	reg               Registry
	keyFormat, format string

	mu     sync.Mutex
	byID   map[int]*compiled
	failed atomic.Int64
	first  atomic.Pointer[string]
}

// compiled is one schema id, ready to decode payloads; err when it cannot.
type compiled struct {
	once   sync.Once
	typ    string
	decode func(dst, payload []byte) ([]byte, error)
	err    error // per record: the schema is missing or does not compile
	fatal  error // for the run: the registry could not be asked
}

// NewDecoder returns a decoder for keys and values read as keyFormat and
// valueFormat (FormatAuto when empty). reg may be nil when no registry is
// configured: auto then decodes nothing, and the wire formats fail.
func NewDecoder(reg Registry, keyFormat, valueFormat string) *Decoder {
	if keyFormat == "" {
		keyFormat = FormatAuto
	}
	if valueFormat == "" {
		valueFormat = FormatAuto
	}
	return &Decoder{reg: reg, keyFormat: keyFormat, format: valueFormat, byID: map[int]*compiled{}}
}

// Active reports whether Decode can change a record; callers skip it
// otherwise.
func (d *Decoder) Active() bool {
	if d == nil {
		return false
	}
	active := func(f string) bool { return f != FormatRaw && (f != FormatAuto || d.reg != nil) }
	return active(d.keyFormat) || active(d.format)
}

// Failed is how many keys and values could not be decoded so far.
func (d *Decoder) Failed() int64 { return d.failed.Load() }

// FirstError describes the first key or value that could not be decoded
// (topic/partition@offset: why), "" when none.
func (d *Decoder) FirstError() string {
	if p := d.first.Load(); p != nil {
		return *p
	}
	return ""
}

// Decode decodes r's key and value in place. A payload that cannot be
// decoded is left as it was, with the reason in r.KeySchema/ValueSchema.Err;
// the error returned is fatal for the run (the registry is unreachable or
// refuses kx, or ctx ended).
func (d *Decoder) Decode(ctx context.Context, r *record.Record) error {
	return d.DecodeReusing(ctx, r, nil)
}

// Scratch is memory one goroutine lends DecodeReusing: the decoded bytes
// and their description live in it until the next call, so a reader that
// is done with each record before the next one decodes without
// allocating.
type Scratch struct {
	key, value fieldScratch
}

// fieldScratch is the memory of one field, and the schema it last used
// (most topics carry one schema id: no lock, no map lookup per record).
type fieldScratch struct {
	buf  []byte
	info record.Decoded
	id   int
	c    *compiled
}

// DecodeReusing is Decode with the decoded key and value written into s,
// valid until the next call with s; with a nil s it is Decode.
func (d *Decoder) DecodeReusing(ctx context.Context, r *record.Record, s *Scratch) error {
	if d == nil {
		return nil
	}
	var value, key *fieldScratch
	if s != nil {
		value, key = &s.value, &s.key
	}
	var err error
	if r.Value, r.ValueSchema, err = d.decodeField(ctx, d.format, r.Value, value); err != nil {
		return err
	}
	if r.ValueSchema != nil && r.ValueSchema.Err != "" {
		d.noteFailure(r, "value", r.ValueSchema.Err)
	}
	if r.Key, r.KeySchema, err = d.decodeField(ctx, d.keyFormat, r.Key, key); err != nil {
		return err
	}
	if r.KeySchema != nil && r.KeySchema.Err != "" {
		d.noteFailure(r, "key", r.KeySchema.Err)
	}
	return nil
}

func (d *Decoder) noteFailure(r *record.Record, what, why string) {
	if d.failed.Add(1) == 1 {
		s := fmt.Sprintf("%s@%d: %s: %s", r.TP(), r.Offset, what, why)
		d.first.Store(&s)
	}
}

// decodeField decodes one payload under format; it returns the bytes the
// record keeps (JSON, or the payload when undecodable) and what was done.
// With fs set, the JSON and its description are written into fs instead
// of new memory.
func (d *Decoder) decodeField(ctx context.Context, format string, b []byte, fs *fieldScratch) ([]byte, *record.Decoded, error) {
	if b == nil || format == FormatRaw {
		return b, nil, nil
	}
	id, payload, wire := splitWire(b)
	switch format {
	case FormatAuto:
		if !wire || d.reg == nil {
			return b, nil, nil
		}
	case FormatJSON:
		if !jsonscan.ValidLine(b) {
			if !json.Valid(b) {
				return b, &record.Decoded{Format: FormatJSON, Err: "not JSON", Raw: b}, nil
			}
			return compact(b), &record.Decoded{Format: FormatJSON, Raw: b}, nil
		}
		return b, nil, nil
	default:
		if !wire {
			return b, &record.Decoded{Format: format, Err: notWire(b), Raw: b}, nil
		}
		if d.reg == nil {
			return b, &record.Decoded{SchemaID: id, Format: format, Err: "no schema registry configured", Raw: b}, nil
		}
	}
	var c *compiled
	if fs != nil && fs.c != nil && fs.id == id {
		c = fs.c
	} else if c = d.schema(ctx, id); fs != nil {
		fs.id, fs.c = id, c
	}
	if c.fatal != nil {
		return b, nil, c.fatal
	}
	out := new(record.Decoded)
	if fs != nil {
		out = &fs.info
	}
	*out = record.Decoded{SchemaID: id, Format: formatOf(c.typ), Raw: b}
	if format != FormatAuto && c.err == nil && out.Format != format {
		out.Err = fmt.Sprintf("schema %d is %s, not %s", id, out.Format, format)
		return b, out, nil
	}
	if c.err != nil {
		out.Err = c.err.Error()
		return b, out, nil
	}
	var dst []byte
	if fs != nil {
		dst = fs.buf[:0]
	}
	js, err := c.decode(dst, payload)
	if err != nil {
		out.Err = err.Error()
		return b, out, nil
	}
	if fs != nil {
		fs.buf = js
	}
	return js, out, nil
}

// splitWire parses the Confluent wire format's header: magic byte 0 and a
// 4-byte big-endian schema id.
func splitWire(b []byte) (id int, payload []byte, ok bool) {
	if len(b) < 5 || b[0] != 0 {
		return 0, nil, false
	}
	id = int(binary.BigEndian.Uint32(b[1:5]))
	if id <= 0 || id > 1<<31-1 {
		return 0, nil, false
	}
	return id, b[5:], true
}

func notWire(b []byte) string {
	switch {
	case len(b) == 0:
		return "empty payload, not in the Schema Registry wire format"
	case b[0] != 0:
		return fmt.Sprintf("not in the Schema Registry wire format (first byte 0x%02x, want 0x00)", b[0])
	default:
		return "not in the Schema Registry wire format (shorter than its 5-byte header, or schema id 0)"
	}
}

func formatOf(typ string) string {
	switch typ {
	case TypeProtobuf:
		return FormatProtobuf
	case TypeJSONSchema:
		return FormatJSONSchema
	}
	return FormatAvro
}

// schema returns the compiled schema of id, fetching it on first use.
func (d *Decoder) schema(ctx context.Context, id int) *compiled {
	d.mu.Lock()
	c, ok := d.byID[id]
	if !ok {
		c = &compiled{}
		d.byID[id] = c
	}
	d.mu.Unlock()
	c.once.Do(func() { d.compile(ctx, id, c) })
	return c
}

func (d *Decoder) compile(ctx context.Context, id int, c *compiled) {
	s, err := d.reg.SchemaByID(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			c.err = fmt.Errorf("schema id %d not found in the registry", id)
		} else {
			c.fatal = err
		}
		return
	}
	c.typ = s.Type
	if c.typ == "" {
		c.typ = TypeAvro
	}
	switch c.typ {
	case TypeAvro:
		c.decode, err = d.compileAvro(ctx, s)
	case TypeProtobuf:
		c.decode, err = d.compileProtobuf(ctx, s)
	case TypeJSONSchema:
		c.decode = decodeJSONSchema
	default:
		err = fmt.Errorf("schema type %q is not one kx reads", s.Type)
	}
	if err != nil {
		var fatal *fatalError
		if errors.As(err, &fatal) {
			c.fatal = fatal.err
			return
		}
		c.err = fmt.Errorf("schema id %d: %w", id, err)
	}
}

// fatalError carries a registry failure out of schema compilation.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// references fetches the schemas s imports, depth first, each once:
// visit is called for every one before the schemas that import it.
func (d *Decoder) references(ctx context.Context, refs []Reference, seen map[string]bool, visit func(Reference, Registered) error) error {
	for _, ref := range refs {
		key := ref.Subject + "/" + fmt.Sprint(ref.Version)
		if seen[key] {
			continue
		}
		seen[key] = true
		s, err := d.reg.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("reference %s (subject %s version %d) not found in the registry", ref.Name, ref.Subject, ref.Version)
			}
			return &fatalError{err}
		}
		if err := d.references(ctx, s.References, seen, visit); err != nil {
			return err
		}
		if err := visit(ref, s); err != nil {
			return err
		}
	}
	return nil
}

// decodeJSONSchema passes a JSON Schema payload on as JSON, on one line.
func decodeJSONSchema(dst, payload []byte) ([]byte, error) {
	if jsonscan.ValidLine(payload) {
		return append(dst, payload...), nil
	}
	if !json.Valid(payload) {
		return nil, errors.New("JSON Schema payload is not JSON")
	}
	return append(dst, compact(payload)...), nil
}

// compact puts valid JSON on one line.
func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
