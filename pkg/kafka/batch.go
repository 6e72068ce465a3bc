package kafka

/*
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

// The few declarations of librdkafka's public API (rdkafka.h, as bundled
// and linked by confluent-kafka-go) that the batch read needs.
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_queue_s rd_kafka_queue_t;
typedef struct rd_kafka_headers_s rd_kafka_headers_t;
typedef struct rd_kafka_message_s {
	int err;
	rd_kafka_topic_t *rkt;
	int32_t partition;
	void *payload;
	size_t len;
	void *key;
	size_t key_len;
	int64_t offset;
	void *_private;
} rd_kafka_message_t;
ssize_t rd_kafka_consume_batch_queue(rd_kafka_queue_t *rkqu, int timeout_ms, rd_kafka_message_t **rkmessages, size_t rkmessages_size);
void rd_kafka_message_destroy(rd_kafka_message_t *rkmessage);
int64_t rd_kafka_message_timestamp(const rd_kafka_message_t *rkmessage, int *tstype);
int rd_kafka_message_headers(const rd_kafka_message_t *rkmessage, rd_kafka_headers_t **hdrsp);
size_t rd_kafka_header_cnt(const rd_kafka_headers_t *hdrs);
int rd_kafka_header_get_all(const rd_kafka_headers_t *hdrs, size_t idx, const char **namep, const void **valuep, size_t *sizep);
const char *rd_kafka_topic_name(const rd_kafka_topic_t *rkt);

// kx_msg is what Go reads of one message: plain fields, no calls.
typedef struct {
	int32_t err;
	int32_t partition;
	int64_t offset;
	int64_t ts;
	int32_t tstype;
	int32_t nhdrs;
	const char *topic;
	const void *key;
	size_t key_len;
	const void *value;
	size_t value_len;
	rd_kafka_headers_t *hdrs;
} kx_msg;

// kx_consume takes up to n messages from q in one call and describes them
// in out; the messages stay alive until kx_release.
static int kx_consume(rd_kafka_queue_t *q, int timeout_ms, rd_kafka_message_t **msgs, kx_msg *out, int n) {
	ssize_t cnt = rd_kafka_consume_batch_queue(q, timeout_ms, msgs, (size_t)n);
	for (ssize_t i = 0; i < cnt; i++) {
		rd_kafka_message_t *m = msgs[i];
		kx_msg *o = &out[i];
		int tstype = 0;
		o->err = m->err;
		o->partition = m->partition;
		o->offset = m->offset;
		o->topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
		o->key = m->key;
		o->key_len = m->key_len;
		o->value = m->payload;
		o->value_len = m->len;
		o->ts = rd_kafka_message_timestamp(m, &tstype);
		o->tstype = tstype;
		o->hdrs = NULL;
		o->nhdrs = 0;
		if (m->err == 0 && rd_kafka_message_headers(m, &o->hdrs) == 0) {
			o->nhdrs = (int32_t)rd_kafka_header_cnt(o->hdrs);
		}
	}
	return (int)cnt;
}

static void kx_release(rd_kafka_message_t **msgs, int n) {
	for (int i = 0; i < n; i++) rd_kafka_message_destroy(msgs[i]);
}

static int kx_header(rd_kafka_headers_t *hdrs, size_t idx, const char **name, const void **value, size_t *size) {
	return rd_kafka_header_get_all(hdrs, idx, name, value, size);
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/pkg/record"
)

// batchSize is how many messages one cgo call takes from librdkafka.
const batchSize = 512

// batchReader reads an assign-only consumer's queue many messages per cgo
// call: confluent-kafka-go's Poll makes several cgo calls and about seven
// allocations per message, the largest share of kx's CPU on long reads.
// The records of a batch share one allocation for their structs and one
// for their keys and values.
type batchReader struct {
	q      *C.rd_kafka_queue_t
	msgs   **C.rd_kafka_message_t // C array of batchSize
	out    *C.kx_msg              // C array of batchSize
	topics map[*C.char]string
	recs   []record.Record
	next   int
	// reuse: the arena and the record slab are kept from batch to batch
	// (see ReaderOptions.Reuse).
	reuse bool
	arena []byte
	slab  []record.Record
}

// newBatchReader reaches the consumer queue of c (the queue its Poll
// serves); it returns nil when confluent-kafka-go's layout is not the one
// this was written for, and the reader keeps to Poll.
func newBatchReader(c *ck.Consumer) *batchReader {
	h := reflect.ValueOf(c).Elem().FieldByName("handle")
	if !h.IsValid() {
		return nil
	}
	rkq := h.FieldByName("rkq")
	if !rkq.IsValid() || rkq.Kind() != reflect.Pointer || rkq.Pointer() == 0 {
		return nil
	}
	return &batchReader{
		q:      (*C.rd_kafka_queue_t)(unsafe.Pointer(rkq.Pointer())),
		msgs:   (**C.rd_kafka_message_t)(C.malloc(C.size_t(batchSize) * C.size_t(unsafe.Sizeof(uintptr(0))))),
		out:    (*C.kx_msg)(C.malloc(C.size_t(batchSize) * C.size_t(unsafe.Sizeof(C.kx_msg{})))),
		topics: map[*C.char]string{},
	}
}

func (b *batchReader) free() {
	C.free(unsafe.Pointer(b.msgs))
	C.free(unsafe.Pointer(b.out))
	b.msgs, b.out = nil, nil
}

// poll returns the next record, fetching a batch when the last is used up.
// A message carrying an error comes back as err (with rec nil).
func (b *batchReader) poll(r *Reader, timeout time.Duration) (*record.Record, error) {
	if b.next < len(b.recs) {
		rec := &b.recs[b.next]
		b.next++
		return rec, nil
	}
	b.recs, b.next = nil, 0
	n := int(C.kx_consume(b.q, C.int(timeout.Milliseconds()), b.msgs, b.out, C.int(batchSize)))
	if n <= 0 {
		return nil, nil
	}
	msgs := unsafe.Slice(b.msgs, n)
	out := unsafe.Slice(b.out, n)
	size := 0
	for i := range out {
		if out[i].err == 0 {
			size += int(out[i].key_len) + int(out[i].value_len)
		}
	}
	var arena []byte
	var recs []record.Record
	if b.reuse && cap(b.arena) >= size && cap(b.slab) >= n {
		arena, recs = b.arena[:0], b.slab[:0]
	} else {
		arena, recs = make([]byte, 0, size), make([]record.Record, 0, n)
		if b.reuse {
			// Room for a larger batch next time.
			arena = make([]byte, 0, max(size, 2*cap(b.arena)))
			recs = make([]record.Record, 0, batchSize)
			b.arena, b.slab = arena, recs
		}
	}
	var firstErr error
	for i := range out {
		m := &out[i]
		if m.err != 0 {
			if firstErr == nil {
				firstErr = r.messageError(m)
			}
			continue
		}
		rec := record.Record{
			Topic:     b.topicName(m.topic),
			Partition: int32(m.partition),
			Offset:    int64(m.offset),
		}
		if m.key != nil {
			arena = append(arena, unsafe.Slice((*byte)(m.key), int(m.key_len))...)
			rec.Key = arena[len(arena)-int(m.key_len) : len(arena) : len(arena)]
		}
		if m.value != nil {
			arena = append(arena, unsafe.Slice((*byte)(m.value), int(m.value_len))...)
			rec.Value = arena[len(arena)-int(m.value_len) : len(arena) : len(arena)]
		}
		switch m.tstype {
		case 1: // RD_KAFKA_TIMESTAMP_CREATE_TIME
			rec.Timestamp, rec.TimestampType = time.UnixMilli(int64(m.ts)), record.TimestampCreateTime
		case 2: // RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME
			rec.Timestamp, rec.TimestampType = time.UnixMilli(int64(m.ts)), record.TimestampLogAppendTime
		default:
			rec.TimestampType = record.TimestampNotAvailable
		}
		if m.nhdrs > 0 {
			rec.Headers = make([]record.Header, 0, int(m.nhdrs))
			for j := 0; j < int(m.nhdrs); j++ {
				var name *C.char
				var val unsafe.Pointer
				var vlen C.size_t
				if C.kx_header(m.hdrs, C.size_t(j), &name, &val, &vlen) != 0 {
					break
				}
				h := record.Header{Key: C.GoString(name)}
				if val != nil {
					h.Value = C.GoBytes(val, C.int(vlen))
				}
				rec.Headers = append(rec.Headers, h)
			}
		}
		recs = append(recs, rec)
	}
	C.kx_release(&msgs[0], C.int(n))
	b.recs = recs
	if firstErr != nil {
		// Records before and after an error are kept; the error is
		// reported first, as Poll would have met it in between.
		return nil, firstErr
	}
	return b.poll(r, 0)
}

// drop forgets the records of tps not yet returned: librdkafka purges a
// paused partition's queued messages, and a batch must not outlive that.
func (b *batchReader) drop(tps []TP) {
	rest := b.recs[b.next:]
	kept := rest[:0]
	for _, rec := range rest {
		paused := false
		for _, tp := range tps {
			if rec.Partition == tp.Partition && rec.Topic == tp.Topic {
				paused = true
				break
			}
		}
		if !paused {
			kept = append(kept, rec)
		}
	}
	b.recs, b.next = kept, 0
}

func (b *batchReader) topicName(p *C.char) string {
	if p == nil {
		return ""
	}
	if t, ok := b.topics[p]; ok {
		return t
	}
	t := C.GoString(p)
	b.topics[p] = t
	return t
}

// messageError treats a message carrying an error as Poll treats the
// matching event: partition errors and fatal, topic and authentication
// errors end the read; transient cluster errors are noted and skipped.
func (r *Reader) messageError(m *C.kx_msg) error {
	code := ck.ErrorCode(m.err)
	text := ""
	if m.value != nil {
		text = C.GoStringN((*C.char)(m.value), C.int(m.value_len))
	}
	// In Poll's event API these arrive as error events (no topic): the
	// same rules apply.
	e := ck.NewError(code, text, code == ck.ErrFatal)
	r.owner.noteError(e)
	if e.IsFatal() || code == ck.ErrUnknownTopicOrPart || code == ck.ErrTopicAuthorizationFailed || isAuthError(e) {
		return r.owner.classify("read", e)
	}
	if r.owner.opts.Verbose && r.owner.opts.Log != nil {
		fmt.Fprintf(r.owner.opts.Log, "kafka: %v\n", e)
	}
	return nil
}
