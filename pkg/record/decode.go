package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

type envelopeJSON struct {
	Topic         *string         `json:"topic"`
	Partition     *int32          `json:"partition"`
	Offset        *int64          `json:"offset"`
	Timestamp     *string         `json:"timestamp"`
	TimestampType string          `json:"timestamp_type"`
	Key           json.RawMessage `json:"key"`
	KeyEncoding   string          `json:"key_encoding"`
	Value         json.RawMessage `json:"value"`
	ValueEncoding string          `json:"value_encoding"`
	Headers       []headerJSON    `json:"headers"`
}

type headerJSON struct {
	Key           string          `json:"key"`
	Value         json.RawMessage `json:"value"`
	ValueEncoding string          `json:"value_encoding"`
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
	var e envelopeJSON
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, false, nil
	}
	if e.Topic == nil || e.Partition == nil || e.Offset == nil || e.Value == nil {
		return nil, false, nil
	}
	r, err = e.record()
	return r, err == nil, err
}

// Decode parses one envelope line back into a Record, restoring the exact
// key, value and header bytes.
func Decode(line []byte) (*Record, error) {
	var e envelopeJSON
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if e.Topic == nil {
		return nil, fmt.Errorf("envelope: missing \"topic\"")
	}
	return e.record()
}

func (e *envelopeJSON) record() (*Record, error) {
	r := &Record{TimestampType: e.TimestampType}
	if e.Topic != nil {
		r.Topic = *e.Topic
	}
	if e.Partition != nil {
		r.Partition = *e.Partition
	}
	if e.Offset != nil {
		r.Offset = *e.Offset
	}
	if e.Timestamp != nil && *e.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, *e.Timestamp)
		if err != nil {
			return nil, fmt.Errorf("envelope: timestamp: %w", err)
		}
		r.Timestamp = t
	}
	var err error
	if r.Key, err = decodeBytes(e.Key, e.KeyEncoding); err != nil {
		return nil, fmt.Errorf("envelope: key: %w", err)
	}
	if r.Value, err = decodeBytes(e.Value, e.ValueEncoding); err != nil {
		return nil, fmt.Errorf("envelope: value: %w", err)
	}
	for i, h := range e.Headers {
		v, err := decodeBytes(h.Value, h.ValueEncoding)
		if err != nil {
			return nil, fmt.Errorf("envelope: header %d (%q): %w", i, h.Key, err)
		}
		r.Headers = append(r.Headers, Header{Key: h.Key, Value: v})
	}
	return r, nil
}

func decodeBytes(raw json.RawMessage, encoding string) ([]byte, error) {
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
