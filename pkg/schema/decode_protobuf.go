package schema

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// compileProtobuf compiles a registered .proto and the files it imports
// (its references; google/protobuf/* are built in).
func (d *Decoder) compileProtobuf(ctx context.Context, s Registered) (func(dst, payload []byte) ([]byte, error), error) {
	files := map[string]string{}
	err := d.references(ctx, s.References, map[string]bool{}, func(ref Reference, rs Registered) error {
		files[ref.Name] = rs.Text
		return nil
	})
	if err != nil {
		return nil, err
	}
	main := fmt.Sprintf("schema-%d.proto", s.ID)
	files[main] = s.Text
	return NewProtobufDecoder(main, files)
}

// NewProtobufDecoder compiles the .proto file main (files holds it and
// every file it imports, by import path) and returns a function that
// appends the JSON of one payload (message indexes, then the message) to
// dst, in the standard Protobuf JSON mapping with every field shown.
func NewProtobufDecoder(main string, files map[string]string) (func(dst, payload []byte) ([]byte, error), error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: func(name string) (io.ReadCloser, error) {
				text, ok := files[name]
				if !ok {
					return nil, fmt.Errorf("%s: %w (not among the schema's references)", name, os.ErrNotExist)
				}
				return io.NopCloser(strings.NewReader(text)), nil
			},
		}),
		MaxParallelism: 1,
	}
	compiled, err := c.Compile(context.Background(), main)
	if err != nil {
		return nil, fmt.Errorf("protobuf schema: %w", err)
	}
	fd := compiled[0]
	reg := new(protoregistry.Files)
	var register func(f protoreflect.FileDescriptor)
	register = func(f protoreflect.FileDescriptor) {
		if _, err := reg.FindFileByPath(f.Path()); err == nil {
			return
		}
		for i := range f.Imports().Len() {
			register(f.Imports().Get(i).FileDescriptor)
		}
		_ = reg.RegisterFile(f) // a clash leaves the first; Any then resolves to it
	}
	register(fd)
	opts := protojson.MarshalOptions{EmitUnpopulated: true, Resolver: dynamicpb.NewTypes(reg)}
	return func(dst, payload []byte) ([]byte, error) {
		md, rest, err := messageByIndexes(fd, payload)
		if err != nil {
			return nil, err
		}
		msg := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(rest, msg); err != nil {
			return nil, fmt.Errorf("protobuf %s: %w", md.FullName(), err)
		}
		js, err := opts.Marshal(msg)
		if err != nil {
			return nil, fmt.Errorf("protobuf %s: %w", md.FullName(), err)
		}
		// protojson varies its spacing on purpose; the envelope wants
		// one stable line.
		buf := bytes.NewBuffer(dst)
		if err := json.Compact(buf, js); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}, nil
}

// messageByIndexes reads the wire format's message indexes (a zigzag varint
// count, then each index; a lone 0 means the first message) and finds the
// message type they name.
func messageByIndexes(fd protoreflect.FileDescriptor, b []byte) (protoreflect.MessageDescriptor, []byte, error) {
	count, n := binary.Varint(b)
	if n <= 0 {
		return nil, nil, errors.New("protobuf: truncated message indexes")
	}
	b = b[n:]
	idx := []int64{0}
	if count != 0 {
		if count < 0 || count > int64(len(b)) {
			return nil, nil, fmt.Errorf("protobuf: bad message index count %d", count)
		}
		idx = idx[:0]
		for range count {
			i, n := binary.Varint(b)
			if n <= 0 {
				return nil, nil, errors.New("protobuf: truncated message indexes")
			}
			b = b[n:]
			idx = append(idx, i)
		}
	}
	msgs := fd.Messages()
	var md protoreflect.MessageDescriptor
	for depth, i := range idx {
		if i < 0 || i >= int64(msgs.Len()) {
			return nil, nil, fmt.Errorf("protobuf: message index %v not in the schema (%d message types at depth %d)", idx, msgs.Len(), depth)
		}
		md = msgs.Get(int(i))
		msgs = md.Messages()
	}
	return md, b, nil
}
