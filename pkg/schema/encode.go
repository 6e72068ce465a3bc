package schema

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The registry's names of the three schema types (its "schemaType" member;
// an absent member means AVRO).
const (
	TypeAvro       = "AVRO"
	TypeProtobuf   = "PROTOBUF"
	TypeJSONSchema = "JSON"
)

// An Encoder turns JSON values, in the form kx prints decoded records, into
// record payloads of one schema in the Confluent wire format: magic byte 0,
// the schema id (4 bytes, big-endian), then for Protobuf the message
// indexes, then the encoded value. Once its ID is set, an Encoder is safe
// for concurrent use.
type Encoder struct {
	// Type is the registry's schema type: TypeAvro, TypeProtobuf or TypeJSONSchema.
	Type string
	// Text is the schema as it is registered.
	Text string
	// Imports are the files a .proto imports besides google/protobuf/*,
	// in dependency order: they are registered as references.
	Imports []Import
	// ID is the registry's id of the schema, written into every payload.
	ID int

	payload func(dst []byte, value []byte) ([]byte, error)
	direct  []string                       // the files it imports itself
	prefix  []byte                         // Protobuf message indexes
	message protoreflect.MessageDescriptor // Protobuf message type
}

// Import is a schema file another one imports, registered on its own under
// its import name.
type Import struct {
	Name string
	Text string
	// Imports names the files this one imports in turn (google/protobuf/*
	// left out): its own references.
	Imports []string
}

// DirectImports names the files the schema itself imports, each in Imports.
func (e *Encoder) DirectImports() []string { return e.direct }

// ParseFile reads a schema file and returns its encoder. The type follows
// the file's extension: .avsc is Avro, .proto is Protobuf (message names
// the message type, by full or simple name; empty means the first one), and
// .json is JSON Schema. Errors name file:line:col where the parser gives a
// position.
func ParseFile(path, message string) (*Encoder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var typ string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".avsc":
		typ = TypeAvro
	case ".proto":
		return newProtobufEncoderFile(path, string(data), message)
	case ".json":
		typ = TypeJSONSchema
	default:
		return nil, &SchemaError{File: path, Msg: "unknown schema type: want a .avsc (Avro), .proto (Protobuf) or .json (JSON Schema) file"}
	}
	if message != "" {
		return nil, &SchemaError{File: path, Msg: "a message name applies to .proto files only"}
	}
	return NewEncoder(typ, string(data), path, "")
}

// NewEncoder compiles schema text of the given registry type (an empty type
// means Avro, as in the registry). name stands for the text in errors.
// message selects a Protobuf message type, empty meaning the first.
// imports are the schemas the text refers to (the registry's references):
// Avro named types defined elsewhere, imported .proto files, JSON Schema
// $ref targets, each under the name the text uses.
func NewEncoder(typ, text, name, message string, imports ...Import) (*Encoder, error) {
	switch strings.ToUpper(typ) {
	case "", TypeAvro:
		return newAvroEncoder(text, name, imports)
	case TypeProtobuf:
		return newProtobufEncoderText(name, text, message, imports)
	case TypeJSONSchema:
		return newJSONSchemaEncoder(text, name, imports)
	}
	return nil, &SchemaError{File: name, Msg: fmt.Sprintf("unknown schema type %q", typ)}
}

// TypeName is the schema type as kx spells it in flags and output.
func TypeName(typ string) string {
	switch strings.ToUpper(typ) {
	case "", TypeAvro:
		return "avro"
	case TypeProtobuf:
		return "protobuf"
	case TypeJSONSchema:
		return "json-schema"
	}
	return strings.ToLower(typ)
}

// Encode appends to dst the wire-format payload of value, one JSON text.
// A value that does not fit the schema is a *FieldError naming where.
func (e *Encoder) Encode(dst []byte, value []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(e.ID))
	dst = append(dst, e.prefix...)
	out, err := e.payload(dst, value)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

// SchemaError is a schema that does not compile, with its position when
// the parser gives one.
type SchemaError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SchemaError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// FieldError is a value that does not fit its schema, at a jq-style path
// (".items[2].price"; "." for the whole value).
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	p := e.Path
	if p == "" {
		p = "."
	}
	return p + ": " + e.Msg
}

func fieldErrorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// pathField and pathIndex extend a jq-style path.
func pathField(path, name string) string {
	if isIdent(name) {
		return path + "." + name
	}
	return path + "[" + strconv.Quote(name) + "]"
}

func pathIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// jsonPosition turns a byte offset of data into a 1-based line and column.
func jsonPosition(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// jsonSyntaxError returns the positioned error of text that is not JSON,
// or nil.
func jsonSyntaxError(name string, text []byte) error {
	var v any
	err := json.Unmarshal(text, &v)
	if err == nil {
		return nil
	}
	if se, ok := err.(*json.SyntaxError); ok {
		off := se.Offset
		if off > 0 {
			off-- // the offset is just past the offending byte
		}
		line, col := jsonPosition(text, off)
		return &SchemaError{File: name, Line: line, Col: col, Msg: "invalid JSON: " + se.Error()}
	}
	return &SchemaError{File: name, Msg: "invalid JSON: " + err.Error()}
}

// describe names a decoded JSON value's kind for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + v.String()
	case string:
		if len(v) > 40 {
			v = v[:37] + "…"
		}
		return "the string " + strconv.Quote(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// ForWire returns the encoder that writes payloads like b, a record in the
// wire format of e's schema: for Protobuf, of the message type b's message
// indexes name (the schema may hold several); e itself otherwise.
func (e *Encoder) ForWire(b []byte) (*Encoder, error) {
	if e.Type != TypeProtobuf {
		return e, nil
	}
	_, payload, ok := splitWire(b)
	if !ok {
		return nil, errors.New("not in the Schema Registry wire format")
	}
	md, _, err := messageByIndexes(e.message.ParentFile(), payload)
	if err != nil {
		return nil, err
	}
	if md == e.message {
		return e, nil
	}
	c := *e
	c.message, c.prefix = md, messageIndexes(md)
	c.payload = (&protoEncoder{md: md}).encode
	return &c, nil
}

// WireID is the schema id a payload in the wire format names (ok false
// when it is not in that format).
func WireID(b []byte) (id int, ok bool) {
	id, _, ok = splitWire(b)
	return id, ok
}
