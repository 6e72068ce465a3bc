package cluster

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/kx-cli/kx/pkg/record"
)

// Batch is records to hand to a producer in one call (ProduceBatch): the
// adapter queues them with one cgo call instead of one per record. Add
// copies a record's key, value and headers into the batch's one buffer, so
// the caller may reuse its own at once; Reset empties the batch and keeps
// its memory. A Batch is not safe for concurrent use.
type Batch struct {
	buf  []byte
	msgs []BatchMessage
}

// BatchMessage is one record of a Batch: where its bytes are in Bytes.
type BatchMessage struct {
	Topic     string
	Partition int32 // AnyPartition: the partitioner's choice
	// Timestamp in Unix milliseconds; NoTimestamp: none (the producer
	// stamps the time of sending).
	Timestamp int64
	// KeyOff and KeyLen locate the key in Bytes; KeyLen -1 is no key
	// (null), 0 an empty one. The same for the value.
	KeyOff, KeyLen     int
	ValueOff, ValueLen int
	// Headers are packed at HeadersOff in Bytes, NumHeaders of them, each
	// a little-endian uint32 name length, an int32 value length (-1:
	// null), the name and the value.
	HeadersOff, NumHeaders int
	// ID is the caller's number for the record (an input line, a
	// tracker's slot), not negative; its Delivery carries it back. An int,
	// not an opaque any: boxing one was an allocation per record on each
	// side.
	ID int
}

// NoTimestamp marks a BatchMessage without a timestamp.
const NoTimestamp int64 = math.MinInt64

// Add appends r (its topic, partition, timestamp, key, value and headers)
// with the ID its delivery will carry.
func (b *Batch) Add(r *record.Record, id int) {
	m := BatchMessage{Topic: r.Topic, Partition: r.Partition, Timestamp: NoTimestamp, ID: id}
	if m.Partition < 0 {
		m.Partition = AnyPartition
	}
	if !r.Timestamp.IsZero() {
		m.Timestamp = r.Timestamp.UnixMilli()
	}
	m.KeyOff, m.KeyLen = b.bytes(r.Key)
	m.ValueOff, m.ValueLen = b.bytes(r.Value)
	m.HeadersOff, m.NumHeaders = len(b.buf), len(r.Headers)
	for _, h := range r.Headers {
		vl := int32(len(h.Value))
		if h.Value == nil {
			vl = -1
		}
		b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(h.Key)))
		b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(vl))
		b.buf = append(b.buf, h.Key...)
		b.buf = append(b.buf, h.Value...)
	}
	b.msgs = append(b.msgs, m)
}

// bytes copies p into the buffer: its offset and length, -1 for nil.
func (b *Batch) bytes(p []byte) (off, n int) {
	if p == nil {
		return len(b.buf), -1
	}
	off = len(b.buf)
	b.buf = append(b.buf, p...)
	return off, len(p)
}

// Len is the number of records in the batch.
func (b *Batch) Len() int { return len(b.msgs) }

// Size is the number of bytes the batch holds (keys, values, headers).
func (b *Batch) Size() int { return len(b.buf) }

// Messages are the batch's records, in the order added.
func (b *Batch) Messages() []BatchMessage { return b.msgs }

// Bytes is the buffer the messages point into.
func (b *Batch) Bytes() []byte { return b.buf }

// Reset empties the batch, keeping its memory (opaques are dropped).
func (b *Batch) Reset() {
	clear(b.msgs)
	b.msgs = b.msgs[:0]
	b.buf = b.buf[:0]
}

// Record rebuilds message i as a record (its key, value and header values
// share the batch's buffer: valid until Reset).
func (b *Batch) Record(i int) *record.Record {
	m := &b.msgs[i]
	r := &record.Record{Topic: m.Topic, Partition: m.Partition}
	if m.Timestamp != NoTimestamp {
		r.Timestamp = time.UnixMilli(m.Timestamp)
	}
	span := func(off, n int) []byte {
		if n < 0 {
			return nil
		}
		return b.buf[off : off+n : off+n]
	}
	r.Key, r.Value = span(m.KeyOff, m.KeyLen), span(m.ValueOff, m.ValueLen)
	p := m.HeadersOff
	for range m.NumHeaders {
		nl := int(binary.LittleEndian.Uint32(b.buf[p:]))
		vl := int(int32(binary.LittleEndian.Uint32(b.buf[p+4:])))
		p += 8
		h := record.Header{Key: string(b.buf[p : p+nl])}
		p += nl
		if vl >= 0 {
			h.Value = b.buf[p : p+vl : p+vl]
			p += vl
		}
		r.Headers = append(r.Headers, h)
	}
	return r
}
