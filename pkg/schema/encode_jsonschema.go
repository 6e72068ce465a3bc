package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

func newJSONSchemaEncoder(text, name string, imports []Import) (*Encoder, error) {
	if err := jsonSyntaxError(name, []byte(text)); err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, &SchemaError{File: name, Msg: err.Error()}
	}
	const url = "kx:///schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, &SchemaError{File: name, Msg: err.Error()}
	}
	for _, imp := range imports {
		idoc, err := jsonschema.UnmarshalJSON(strings.NewReader(imp.Text))
		if err == nil {
			// A $ref names its target relative to the schema's own URL.
			err = c.AddResource("kx:///"+strings.TrimPrefix(imp.Name, "/"), idoc)
		}
		if err != nil {
			return nil, &SchemaError{File: name, Msg: fmt.Sprintf("reference %s: %v", imp.Name, err)}
		}
	}
	sch, err := c.Compile(url)
	if err != nil {
		se := &SchemaError{File: name, Msg: strings.ReplaceAll(err.Error(), url, name)}
		var sve *jsonschema.SchemaValidationError
		var ve *jsonschema.ValidationError
		if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
			leaf := firstLeaf(ve)
			se.Msg = "not a valid JSON Schema: " + leaf.ErrorKind.LocalizedString(printer)
			if off, ok := jsonPointerOffset([]byte(text), leaf.InstanceLocation); ok {
				se.Line, se.Col = jsonPosition([]byte(text), off)
			}
		}
		return nil, se
	}
	j := &jsonSchemaEncoder{schema: sch}
	return &Encoder{Type: TypeJSONSchema, Text: text, payload: j.encode}, nil
}

type jsonSchemaEncoder struct {
	schema *jsonschema.Schema
}

// encode validates the value and writes it as it is.
func (j *jsonSchemaEncoder) encode(dst, value []byte) ([]byte, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(value))
	if err != nil {
		return nil, &FieldError{Msg: "not JSON: " + err.Error()}
	}
	if err := j.schema.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, &FieldError{Msg: err.Error()}
		}
		leaf := firstLeaf(ve)
		return nil, &FieldError{Path: pointerPath(leaf.InstanceLocation), Msg: leaf.ErrorKind.LocalizedString(printer)}
	}
	return append(dst, value...), nil
}

// firstLeaf is the first innermost cause: the specific failure under
// "allOf failed" and the like.
func firstLeaf(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) > 0 {
		e = e.Causes[0]
	}
	return e
}

// pointerPath turns JSON pointer tokens into a jq-style path.
func pointerPath(tokens []string) string {
	var p string
	for _, t := range tokens {
		if n, err := strconv.Atoi(t); err == nil && n >= 0 && strconv.Itoa(n) == t {
			// An object member named "3" prints as an index too; rare.
			p = pathIndex(p, n)
			continue
		}
		p = pathField(p, t)
	}
	return p
}

// jsonPointerOffset is the byte offset of the value at ptr in data.
func jsonPointerOffset(data []byte, ptr []string) (int64, bool) {
	d := json.NewDecoder(bytes.NewReader(data))
	var seek func(depth int) (int64, bool)
	// seek reads one value; at depth len(ptr) it has found it.
	seek = func(depth int) (int64, bool) {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return 0, false
		}
		if depth == len(ptr) {
			return skipSpace(data, start), true
		}
		delim, ok := tok.(json.Delim)
		if !ok {
			return 0, false
		}
		switch delim {
		case '{':
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return 0, false
				}
				if k, _ := kt.(string); k == ptr[depth] {
					return seek(depth + 1)
				}
				if err := skipValue(d); err != nil {
					return 0, false
				}
			}
		case '[':
			want, err := strconv.Atoi(ptr[depth])
			if err != nil {
				return 0, false
			}
			for i := 0; d.More(); i++ {
				if i == want {
					return seek(depth + 1)
				}
				if err := skipValue(d); err != nil {
					return 0, false
				}
			}
		}
		return 0, false
	}
	return seek(0)
}

func skipValue(d *json.Decoder) error {
	var v json.RawMessage
	err := d.Decode(&v)
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// skipSpace moves an offset past whitespace and the ':' or ',' the
// decoder's offset may stand before.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	return off
}
