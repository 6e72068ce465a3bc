package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kx-cli/kx/internal/jsonscan"
)

// MaxDepth is how deep a key, value or header value may nest objects and
// arrays and still be embedded in the envelope as JSON (jsonscan.MaxDepth,
// the limit of every JSON reader in kx). It counts from the value itself,
// not from the envelope around it, on both sides: tail embeds a value up to
// this depth (a deeper one is a utf8 string), and an envelope line holding
// such a value reads back, so tail | produce round-trips every value.
const MaxDepth = jsonscan.MaxDepth

// envelopeRaw holds the raw JSON of an envelope's members (nil: missing).
type envelopeRaw struct {
	topic, partition, offset, timestamp, timestampType []byte
	key, keyEncoding, value, valueEncoding             []byte
	headers                                            []headerRaw
	// badHeaders: "headers" is neither an array of objects nor null.
	badHeaders bool
}

type headerRaw struct {
	key, value, valueEncoding []byte
}

// errNotEnvelope: valid JSON, but not an object with the envelope's members
// in their types.
var errNotEnvelope = errors.New("not an envelope")

// scan reads line's members. Each member value is checked as a JSON text of
// its own (nested up to MaxDepth below itself), so the envelope around a
// value takes nothing from its depth. It is false when line is not one
// valid JSON object.
func (e *envelopeRaw) scan(line []byte) bool {
	s := jsonscan.NewScanner(line)
	member := func() ([]byte, bool) {
		start := s.Pos()
		if !s.Value(0) {
			return nil, false
		}
		return line[start:s.Pos()], true
	}
	ok := s.Object(0, func(k []byte, escaped bool) bool {
		name := memberName(k, escaped)
		if name == "headers" && s.Peek() == '[' {
			e.headers, e.badHeaders = e.headers[:0], false
			return s.Array(0, func() bool {
				var h headerRaw
				if s.Peek() != '{' {
					e.badHeaders = true
					_, ok := member()
					return ok
				}
				ok := s.Object(0, func(k []byte, escaped bool) bool {
					v, ok := member()
					switch memberName(k, escaped) {
					case "key":
						h.key = v
					case "value":
						h.value = v
					case "value_encoding":
						h.valueEncoding = v
					}
					return ok
				})
				e.headers = append(e.headers, h)
				return ok
			})
		}
		v, ok := member()
		switch name {
		case "topic":
			e.topic = v
		case "partition":
			e.partition = v
		case "offset":
			e.offset = v
		case "timestamp":
			e.timestamp = v
		case "timestamp_type":
			e.timestampType = v
		case "key":
			e.key = v
		case "key_encoding":
			e.keyEncoding = v
		case "value":
			e.value = v
		case "value_encoding":
			e.valueEncoding = v
		case "headers":
			e.headers, e.badHeaders = nil, string(v) != "null"
		}
		return ok
	})
	return ok && s.End()
}

// memberName is a member's name; an escaped one is unescaped.
func memberName(k []byte, escaped bool) string {
	if !escaped {
		return string(k)
	}
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &s) != nil {
		return ""
	}
	return s
}

// IsEnvelope reports whether line looks like a kx envelope: a JSON object
// with "topic", "partition", "offset" and "value" members. It decodes the
// line, so callers that go on to Decode should call Decode directly.
func IsEnvelope(line []byte) bool {
	_, ok, _ := DecodeIfEnvelope(line)
	return ok
}

// DecodeIfEnvelope decodes line when it is an envelope. ok is false (and err
// nil) when line is valid JSON but not an envelope.
func DecodeIfEnvelope(line []byte) (r *Record, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, false, nil
	}
	var e envelopeRaw
	if !e.scan(line) || e.topic == nil || e.partition == nil || e.offset == nil || e.value == nil {
		return nil, false, nil
	}
	r, err = e.record()
	if errors.Is(err, errNotEnvelope) {
		return nil, false, nil
	}
	return r, err == nil, err
}

// Decode parses one envelope line back into a Record, restoring the exact
// key, value and header bytes.
func Decode(line []byte) (*Record, error) {
	var e envelopeRaw
	if !e.scan(bytes.TrimSpace(line)) {
		return nil, fmt.Errorf("envelope: not one JSON object")
	}
	if e.topic == nil {
		return nil, fmt.Errorf("envelope: missing \"topic\"")
	}
	r, err := e.record()
	if errors.Is(err, errNotEnvelope) {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return r, err
}

// field unmarshals a member of a plain type; null or missing leaves dst.
func field(raw []byte, name string, dst any) error {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: %q: %v", errNotEnvelope, name, err)
	}
	return nil
}

func (e *envelopeRaw) record() (*Record, error) {
	r := &Record{}
	var ts, keyEnc, valueEnc string
	for _, f := range []struct {
		raw  []byte
		name string
		dst  any
	}{
		{e.topic, "topic", &r.Topic}, {e.partition, "partition", &r.Partition}, {e.offset, "offset", &r.Offset},
		{e.timestamp, "timestamp", &ts}, {e.timestampType, "timestamp_type", &r.TimestampType},
		{e.keyEncoding, "key_encoding", &keyEnc}, {e.valueEncoding, "value_encoding", &valueEnc},
	} {
		if err := field(f.raw, f.name, f.dst); err != nil {
			return nil, err
		}
	}
	if e.badHeaders {
		return nil, fmt.Errorf("%w: \"headers\" is not an array of objects", errNotEnvelope)
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, fmt.Errorf("envelope: timestamp: %w", err)
		}
		r.Timestamp = t
	}
	var err error
	if r.Key, err = decodeBytes(e.key, keyEnc); err != nil {
		return nil, fmt.Errorf("envelope: key: %w", err)
	}
	if r.Value, err = decodeBytes(e.value, valueEnc); err != nil {
		return nil, fmt.Errorf("envelope: value: %w", err)
	}
	for i, h := range e.headers {
		var key, enc string
		if err := field(h.key, "headers.key", &key); err != nil {
			return nil, err
		}
		if err := field(h.valueEncoding, "headers.value_encoding", &enc); err != nil {
			return nil, err
		}
		v, err := decodeBytes(h.value, enc)
		if err != nil {
			return nil, fmt.Errorf("envelope: header %d (%q): %w", i, key, err)
		}
		r.Headers = append(r.Headers, Header{Key: key, Value: v})
	}
	return r, nil
}

func decodeBytes(raw []byte, encoding string) ([]byte, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	switch encoding {
	case "", EncodingJSON:
		return append([]byte{}, raw...), nil
	case EncodingUTF8:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("utf8 encoding needs a JSON string: %w", err)
		}
		return []byte(s), nil
	case EncodingBase64:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("base64 encoding needs a JSON string: %w", err)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("base64: %w", err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("unknown encoding %q", encoding)
	}
}
