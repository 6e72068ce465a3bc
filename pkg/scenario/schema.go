package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kx-cli/kx/pkg/schema"
)

// Topic formats: how a topic's events are written.
const (
	FormatJSON       = "json"
	FormatAvro       = "avro"
	FormatProtobuf   = "protobuf"
	FormatJSONSchema = "json-schema"
)

var formatTypes = map[string]string{
	FormatAvro:       schema.TypeAvro,
	FormatProtobuf:   schema.TypeProtobuf,
	FormatJSONSchema: schema.TypeJSONSchema,
}

var formatExts = map[string]string{
	FormatAvro:       ".avsc",
	FormatProtobuf:   ".proto",
	FormatJSONSchema: ".json",
}

// SetSchema makes a topic's events encoded with enc (nil: plain JSON). The
// encoder's ID must be set before events are encoded.
func (s *Scenario) SetSchema(topic string, enc *schema.Encoder) error {
	i, ok := s.topicIdx[topic]
	if !ok {
		return fmt.Errorf("scenario %s has no topic %q", s.Name, topic)
	}
	s.Topics[i].Format = FormatJSON
	if enc != nil {
		s.Topics[i].Format = schema.TypeName(enc.Type)
	}
	s.Topics[i].Schema = enc
	return nil
}

// topicFormat reads a topic's format, schema and message keys.
func (l *loader) topicFormat(f *fields, t *Topic) {
	t.Format = FormatJSON
	fn, sn, mn := f.get("format"), f.get("schema"), f.get("message")
	if fn != nil {
		t.Format = l.str(fn, "topic.format")
		if _, ok := formatTypes[t.Format]; !ok && t.Format != FormatJSON && l.ok() {
			l.failf(fn, "topic.format: %q is not one of json, avro, protobuf, json-schema", t.Format)
		}
	}
	if !l.ok() {
		return
	}
	if t.Format == FormatJSON {
		if sn != nil {
			l.failf(sn, "topic.schema: needs format: avro, protobuf or json-schema")
		} else if mn != nil {
			l.failf(mn, "topic.message: applies to format: protobuf only")
		}
		return
	}
	if sn == nil {
		l.failf(fn, "topic %s: format %s needs a schema (a file or inline)", t.Name, t.Format)
		return
	}
	var message string
	if mn != nil {
		if t.Format != FormatProtobuf {
			l.failf(mn, "topic.message: applies to format: protobuf only")
			return
		}
		message = l.str(mn, "topic.message")
	}
	sn = l.deref(sn)
	if !l.ok() {
		return
	}
	typ := formatTypes[t.Format]
	var enc *schema.Encoder
	var err error
	switch {
	case sn.Kind == yaml.MappingNode || sn.Kind == yaml.SequenceNode:
		// A schema written as YAML: Avro or JSON Schema, turned to JSON.
		if t.Format == FormatProtobuf {
			l.failf(sn, "topic.schema: a Protobuf schema is .proto text (a file, or a | block)")
			return
		}
		var v any
		if derr := sn.Decode(&v); derr != nil {
			l.failf(sn, "topic.schema: %v", derr)
			return
		}
		text, merr := json.Marshal(v)
		if merr != nil {
			l.failf(sn, "topic.schema: %v", merr)
			return
		}
		enc, err = schema.NewEncoder(typ, string(text), l.file, message)
		var se *schema.SchemaError
		if errors.As(err, &se) {
			l.failf(sn, "topic %s: schema: %s", t.Name, se.Msg)
			return
		}
	case sn.Kind == yaml.ScalarNode && isSchemaPath(sn.Value):
		path := sn.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(l.file), path)
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext != formatExts[t.Format] {
			l.failf(sn, "topic.schema: %s is not a %s file (format %s)", sn.Value, formatExts[t.Format], t.Format)
			return
		}
		if _, serr := os.Stat(path); serr != nil {
			l.failf(sn, "topic.schema: %v", serr)
			return
		}
		enc, err = schema.ParseFile(path, message)
		var se *schema.SchemaError
		if errors.As(err, &se) {
			// The error is in the schema file: point there.
			if l.err == nil {
				l.err = &Error{File: se.File, Line: max(se.Line, 1), Col: max(se.Col, 1), Msg: se.Msg}
			}
			return
		}
	case sn.Kind == yaml.ScalarNode:
		enc, err = schema.NewEncoder(typ, sn.Value, l.file, message)
		var se *schema.SchemaError
		if errors.As(err, &se) {
			line, col := l.inlinePosition(sn, se.Line, se.Col)
			if l.err == nil {
				l.err = &Error{File: l.file, Line: line, Col: col, Msg: fmt.Sprintf("topic %s: schema: %s", t.Name, se.Msg)}
			}
			return
		}
	default:
		l.failf(sn, "topic.schema: expected a file name, schema text or a mapping, got %s", kindName(sn))
		return
	}
	if err != nil {
		l.failf(sn, "topic %s: schema: %v", t.Name, err)
		return
	}
	t.Schema = enc
}

// isSchemaPath tells a file name from inline schema text.
func isSchemaPath(s string) bool {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\n{}\"") || s == "" {
		return false
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".avsc", ".proto", ".json":
		return true
	}
	return false
}

// inlinePosition maps a position inside an inline schema (1-based line
// and column of the text) to the scenario file. A block scalar's text
// starts on the next line, indented; a flow scalar's where the node is.
func (l *loader) inlinePosition(n *yaml.Node, line, col int) (int, int) {
	if line <= 0 {
		return n.Line, n.Column
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		if line == 1 {
			off := 0
			if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
				off = 1
			}
			return n.Line, n.Column + off + col - 1
		}
		return n.Line + line - 1, col
	}
	// The block's indentation is that of its first non-empty line.
	lines := bytes.Split(l.data, []byte("\n"))
	indent := 0
	for i := n.Line; i < len(lines); i++ {
		if t := bytes.TrimLeft(lines[i], " "); len(t) > 0 {
			indent = len(lines[i]) - len(t)
			break
		}
	}
	return n.Line + line, indent + col
}
