package jqfilter

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"github.com/kx-cli/kx/pkg/record"
)

// envelope is $record: what decoding r's envelope (record.AppendJSON)
// gives, built directly instead of encoding the whole record and decoding
// it back. in and embed are r's value as `.` decoded it (see inputOf), so
// the value is decoded once. A topic or header key that is not valid UTF-8
// (the envelope writes each bad byte as U+FFFD) takes the round trip.
func (d *decoder) envelope(s *state, r *record.Record, in any, embed bool) any {
	if !utf8.ValidString(r.Topic) || !validHeaderKeys(r.Headers) {
		s.buf = record.AppendJSON(s.buf[:0], r)
		v, _ := d.decodeJSON(s.buf)
		return v
	}
	m := make(map[string]any, 10)
	m["topic"] = r.Topic
	m["partition"] = int(r.Partition)
	m["offset"] = int(r.Offset)
	if r.Timestamp.IsZero() {
		m["timestamp"] = nil
	} else {
		m["timestamp"] = record.FormatTimestamp(r.Timestamp)
	}
	if r.TimestampType == "" {
		m["timestamp_type"] = record.TimestampNotAvailable
	} else {
		m["timestamp_type"] = r.TimestampType
	}
	d.bytesMember(m, "key", "key_encoding", r.Key, nil, false)
	d.bytesMember(m, "value", "value_encoding", r.Value, in, embed)
	hs := make([]any, len(r.Headers))
	for i, h := range r.Headers {
		hm := make(map[string]any, 3)
		hm["key"] = h.Key
		d.bytesMember(hm, "value", "value_encoding", h.Value, nil, false)
		hs[i] = hm
	}
	m["headers"] = hs
	return m
}

// bytesMember sets m[name] (and m[encName]) as the envelope encodes b: null,
// embedded JSON, or a string with its encoding. decoded is b decoded
// already when known (known: b is embeddable JSON).
func (d *decoder) bytesMember(m map[string]any, name, encName string, b []byte, decoded any, known bool) {
	if b == nil {
		m[name] = nil
		return
	}
	if known {
		m[name] = decoded
		return
	}
	if !bytes.Equal(b, []byte("null")) {
		if x, ok := d.decodeJSON(b); ok && embeddable(b) {
			m[name] = x
			return
		}
	}
	if utf8.Valid(b) {
		m[name], m[encName] = string(b), record.EncodingUTF8
		return
	}
	m[name], m[encName] = base64.StdEncoding.EncodeToString(b), record.EncodingBase64
}

func validHeaderKeys(hs []record.Header) bool {
	for _, h := range hs {
		if !utf8.ValidString(h.Key) {
			return false
		}
	}
	return true
}
