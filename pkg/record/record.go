// Package record defines the envelope every kx command uses to print and
// read Kafka records: one JSON object per record, documented in
// docs/envelope.md. The encoding is hand-written because it sits on the hot
// path of every read: values that are already JSON are copied byte for byte.
package record

import (
	"strconv"
	"time"
)

// Timestamp types as Kafka names them.
const (
	TimestampCreateTime    = "CreateTime"
	TimestampLogAppendTime = "LogAppendTime"
	TimestampNotAvailable  = "NotAvailable"
)

// Encodings of keys, values and header values in the envelope. A field that
// holds JSON carries no encoding marker.
const (
	EncodingJSON   = "json"
	EncodingUTF8   = "utf8"
	EncodingBase64 = "base64"
)

// Record is one Kafka record. A nil Key or Value is Kafka's null (a nil Value
// is a tombstone); an empty, non-nil slice is an empty value.
type Record struct {
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     time.Time
	TimestampType string
	Key           []byte
	Value         []byte
	Headers       []Header
	// KeySchema and ValueSchema tell how a key or value written in a
	// Schema Registry format was decoded (Key or Value then holds its
	// JSON); nil when it was not.
	KeySchema   *Decoded
	ValueSchema *Decoded
}

// Decoded describes a key or value decoded from a Schema Registry format.
type Decoded struct {
	// SchemaID is the registry's schema id the payload names; 0 when it
	// names none (a payload not in the wire format).
	SchemaID int
	// Format is what the payload was read as: avro, protobuf, json-schema
	// or json.
	Format string
	// Err, when set, says why the payload could not be decoded; the key or
	// value then holds the payload as it was (printed in base64).
	Err string
	// Raw is the payload as it was on the wire (-o raw prints it).
	Raw []byte
}

// RawValue is the value as it was on the wire, decoded or not.
func (r *Record) RawValue() []byte {
	if r.ValueSchema != nil {
		return r.ValueSchema.Raw
	}
	return r.Value
}

// RawKey is the key as it was on the wire, decoded or not.
func (r *Record) RawKey() []byte {
	if r.KeySchema != nil {
		return r.KeySchema.Raw
	}
	return r.Key
}

// Clone returns a copy of r that shares no memory with it (a reader that
// reuses its buffers overwrites r's bytes at its next poll). Nil stays nil
// and empty stays empty.
func (r *Record) Clone() *Record {
	c := *r
	c.Key, c.Value = cloneBytes(r.Key), cloneBytes(r.Value)
	if r.Headers != nil {
		c.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			c.Headers[i] = Header{Key: h.Key, Value: cloneBytes(h.Value)}
		}
	}
	c.KeySchema, c.ValueSchema = r.KeySchema.clone(), r.ValueSchema.clone()
	return &c
}

func (d *Decoded) clone() *Decoded {
	if d == nil {
		return nil
	}
	c := *d
	c.Raw = cloneBytes(d.Raw)
	return &c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Header is one record header. Order and duplicates are kept.
type Header struct {
	Key   string
	Value []byte
}

// TP names the record's topic partition.
func (r *Record) TP() TopicPartition { return TopicPartition{Topic: r.Topic, Partition: r.Partition} }

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return tp.Topic + "/" + strconv.Itoa(int(tp.Partition)) }
