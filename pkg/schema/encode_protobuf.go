package schema

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// newProtobufEncoderFile compiles a .proto file; its imports are looked
// up next to it, then in the directories above it (import paths are
// relative to a root such as proto/ in proto/shop/order.proto importing
// "shop/money.proto"), google/protobuf/* built in.
func newProtobufEncoderFile(path, text, message string) (*Encoder, error) {
	dir, base := filepath.Split(path)
	found := map[string]string{base: path} // import path → file
	read := func(name string) (string, error) {
		if name == base {
			return text, nil
		}
		var first error
		for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
			b, err := os.ReadFile(filepath.Join(d, name))
			if err == nil {
				found[name] = filepath.Join(d, name)
				return string(b), nil
			}
			if first == nil {
				first = err
			}
			if !errors.Is(err, os.ErrNotExist) || filepath.Dir(d) == d {
				if errors.Is(err, os.ErrNotExist) {
					err = first // name the place next to the file
				}
				return "", err
			}
		}
	}
	display := func(name string) string {
		if p, ok := found[name]; ok {
			return p
		}
		return filepath.Join(dir, name)
	}
	return compileProto(base, read, message, display)
}

// newProtobufEncoderText compiles .proto text; its imports other than
// google/protobuf/* come from imports.
func newProtobufEncoderText(name, text, message string, imports []Import) (*Encoder, error) {
	read := func(file string) (string, error) {
		if file == name {
			return text, nil
		}
		for _, imp := range imports {
			if imp.Name == file {
				return imp.Text, nil
			}
		}
		return "", fmt.Errorf("import %s: %w (not among the schema's references)", file, os.ErrNotExist)
	}
	return compileProto(name, read, message, func(n string) string { return n })
}

func compileProto(file string, read func(string) (string, error), message string, display func(string) string) (*Encoder, error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: func(name string) (io.ReadCloser, error) {
				s, err := read(name)
				if err != nil {
					return nil, err
				}
				return io.NopCloser(strings.NewReader(s)), nil
			},
		}),
		MaxParallelism: 1,
	}
	files, err := c.Compile(context.Background(), file)
	if err != nil {
		var pe reporter.ErrorWithPos
		if errors.As(err, &pe) {
			pos := pe.GetPosition()
			return nil, &SchemaError{File: display(pos.Filename), Line: pos.Line, Col: pos.Col, Msg: pe.Unwrap().Error()}
		}
		return nil, &SchemaError{File: display(file), Msg: err.Error()}
	}
	fd := files[0]
	md, err := findMessage(fd, message)
	if err != nil {
		return nil, &SchemaError{File: display(file), Msg: err.Error()}
	}
	text, _ := read(file)
	e := &Encoder{Type: TypeProtobuf, Text: text, prefix: messageIndexes(md), message: md}
	seen := map[string]bool{}
	var addImports func(f protoreflect.FileDescriptor) ([]string, error)
	addImports = func(f protoreflect.FileDescriptor) ([]string, error) {
		var direct []string
		for i := range f.Imports().Len() {
			imp := f.Imports().Get(i)
			name := imp.Path()
			if strings.HasPrefix(name, "google/protobuf/") {
				continue
			}
			direct = append(direct, name)
			if seen[name] {
				continue
			}
			seen[name] = true
			deps, err := addImports(imp.FileDescriptor)
			if err != nil {
				return nil, err
			}
			t, err := read(name)
			if err != nil {
				return nil, err
			}
			e.Imports = append(e.Imports, Import{Name: name, Text: t, Imports: deps})
		}
		return direct, nil
	}
	if e.direct, err = addImports(fd); err != nil {
		return nil, &SchemaError{File: display(file), Msg: err.Error()}
	}
	p := &protoEncoder{md: md}
	e.payload = p.encode
	return e, nil
}

// findMessage picks a message type by full or simple name; an empty name
// is the file's first message, as Confluent's serializer takes it.
func findMessage(fd protoreflect.FileDescriptor, name string) (protoreflect.MessageDescriptor, error) {
	var all []protoreflect.MessageDescriptor
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			all = append(all, m)
			walk(m.Messages())
		}
	}
	walk(fd.Messages())
	if len(all) == 0 {
		return nil, errors.New("the file defines no message")
	}
	if name == "" {
		return all[0], nil
	}
	name = strings.TrimPrefix(name, ".")
	var found []protoreflect.MessageDescriptor
	for _, m := range all {
		if string(m.FullName()) == name {
			return m, nil
		}
		if string(m.Name()) == name {
			found = append(found, m)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	names := make([]string, len(all))
	for i, m := range all {
		names[i] = string(m.FullName())
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("message %q is ambiguous: give its full name (%s)", name, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("no message %q (the file defines %s)", name, strings.Join(names, ", "))
}

// messageIndexes is the Confluent wire format's path to the message in
// its file: a zigzag varint count then each index, [0] written as one 0.
func messageIndexes(md protoreflect.MessageDescriptor) []byte {
	var idx []int
	var d protoreflect.Descriptor = md
	for {
		idx = append([]int{d.Index()}, idx...)
		p := d.Parent()
		if _, ok := p.(protoreflect.MessageDescriptor); !ok {
			break
		}
		d = p
	}
	if len(idx) == 1 && idx[0] == 0 {
		return []byte{0}
	}
	b := binary.AppendVarint(nil, int64(len(idx)))
	for _, i := range idx {
		b = binary.AppendVarint(b, int64(i))
	}
	return b
}

type protoEncoder struct {
	md protoreflect.MessageDescriptor
}

func (p *protoEncoder) encode(dst, value []byte) ([]byte, error) {
	msg := dynamicpb.NewMessage(p.md)
	if err := protojson.Unmarshal(value, msg); err != nil {
		if fe := locateProtoError(p.md, value, ""); fe != nil {
			return nil, fe
		}
		return nil, &FieldError{Msg: cleanProtoError(err)}
	}
	return proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, msg)
}

var protoErrPrefix = regexp.MustCompile(`^proto:\s*(\(line \d+:\d+\):\s*)?`)

func cleanProtoError(err error) string {
	return protoErrPrefix.ReplaceAllString(err.Error(), "")
}

// locateProtoError finds the field path of a value protojson refuses: it
// descends into nested messages and tries each member on its own.
func locateProtoError(md protoreflect.MessageDescriptor, raw []byte, path string) *FieldError {
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		if err := protojson.Unmarshal(raw, dynamicpb.NewMessage(md)); err != nil {
			return &FieldError{Path: path, Msg: cleanProtoError(err)}
		}
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		v, _ := decodeJSON(raw)
		return fieldErrorf(path, "want an object (message %s), got %s", md.FullName(), describe(v))
	}
	fields := md.Fields()
	for _, k := range sortedRawKeys(obj) {
		fpath := pathField(path, k)
		fd := fields.ByJSONName(k)
		if fd == nil {
			fd = fields.ByTextName(k)
		}
		if fd == nil {
			return fieldErrorf(fpath, "no such field in message %s", md.FullName())
		}
		val := obj[k]
		if string(val) == "null" {
			continue
		}
		switch {
		case fd.IsMap() && fd.MapValue().Kind() == protoreflect.MessageKind:
			var m map[string]json.RawMessage
			if json.Unmarshal(val, &m) == nil {
				for _, mk := range sortedRawKeys(m) {
					if fe := locateProtoError(fd.MapValue().Message(), m[mk], pathField(fpath, mk)); fe != nil {
						return fe
					}
				}
			}
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			var items []json.RawMessage
			if json.Unmarshal(val, &items) == nil {
				for i, item := range items {
					if string(item) == "null" {
						continue
					}
					if fe := locateProtoError(fd.Message(), item, pathIndex(fpath, i)); fe != nil {
						return fe
					}
				}
			}
		case !fd.IsList() && !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
			if fe := locateProtoError(fd.Message(), val, fpath); fe != nil {
				return fe
			}
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: val})
		if err := protojson.Unmarshal(one, dynamicpb.NewMessage(md)); err != nil {
			return &FieldError{Path: fpath, Msg: cleanProtoError(err)}
		}
	}
	return nil
}

func sortedRawKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
