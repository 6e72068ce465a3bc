package kafka

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

// The declarations of librdkafka's public API (rdkafka.h, as bundled and
// linked by confluent-kafka-go) that kx's own producer handle needs.
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_topic_conf_s rd_kafka_topic_conf_t;
typedef struct rd_kafka_queue_s rd_kafka_queue_t;
typedef struct rd_kafka_headers_s rd_kafka_headers_t;
typedef struct rd_kafka_op_s rd_kafka_event_t;
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
rd_kafka_conf_t *rd_kafka_conf_new(void);
int rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errstr_size);
void rd_kafka_conf_set_events(rd_kafka_conf_t *conf, int events);
void rd_kafka_conf_destroy(rd_kafka_conf_t *conf);
rd_kafka_t *rd_kafka_new(int type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size);
void rd_kafka_destroy(rd_kafka_t *rk);
rd_kafka_queue_t *rd_kafka_queue_get_main(rd_kafka_t *rk);
rd_kafka_queue_t *rd_kafka_queue_new(rd_kafka_t *rk);
void rd_kafka_queue_destroy(rd_kafka_queue_t *rkqu);
void rd_kafka_queue_yield(rd_kafka_queue_t *rkqu);
void rd_kafka_queue_io_event_enable(rd_kafka_queue_t *rkqu, int fd, const void *payload, size_t size);
int rd_kafka_set_log_queue(rd_kafka_t *rk, rd_kafka_queue_t *rkqu);
rd_kafka_event_t *rd_kafka_queue_poll(rd_kafka_queue_t *rkqu, int timeout_ms);
int rd_kafka_event_type(const rd_kafka_event_t *rkev);
void rd_kafka_event_destroy(rd_kafka_event_t *rkev);
size_t rd_kafka_event_message_array(rd_kafka_event_t *rkev, const rd_kafka_message_t **rkmessages, size_t size);
int rd_kafka_event_error(rd_kafka_event_t *rkev);
const char *rd_kafka_event_error_string(rd_kafka_event_t *rkev);
int rd_kafka_event_error_is_fatal(rd_kafka_event_t *rkev);
int rd_kafka_event_log(rd_kafka_event_t *rkev, const char **fac, const char **str, int *level);
int rd_kafka_fatal_error(rd_kafka_t *rk, char *errstr, size_t errstr_size);
rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *rk, const char *topic, rd_kafka_topic_conf_t *conf);
void rd_kafka_topic_destroy(rd_kafka_topic_t *rkt);
const char *rd_kafka_topic_name(const rd_kafka_topic_t *rkt);
int rd_kafka_producev(rd_kafka_t *rk, ...);
int rd_kafka_produce_batch(rd_kafka_topic_t *rkt, int32_t partition, int msgflags, rd_kafka_message_t *rkmessages, int message_cnt);
int rd_kafka_flush(rd_kafka_t *rk, int timeout_ms);
int rd_kafka_outq_len(rd_kafka_t *rk);
int64_t rd_kafka_message_timestamp(const rd_kafka_message_t *rkmessage, int *tstype);
rd_kafka_headers_t *rd_kafka_headers_new(size_t initial_count);
void rd_kafka_headers_destroy(rd_kafka_headers_t *hdrs);
int rd_kafka_header_add(rd_kafka_headers_t *hdrs, const char *name, ssize_t name_size, const void *value, ssize_t value_size);

// rd_kafka_vtype_t, rd_kafka_type_t, event types and message flags.
enum { KX_V_END, KX_V_TOPIC, KX_V_RKT, KX_V_PARTITION, KX_V_VALUE, KX_V_KEY, KX_V_OPAQUE, KX_V_MSGFLAGS, KX_V_TIMESTAMP, KX_V_HEADER, KX_V_HEADERS };
#define KX_PRODUCER 0
#define KX_EVENT_DR 0x1
#define KX_EVENT_LOG 0x4
#define KX_EVENT_ERROR 0x8
#define KX_MSG_F_COPY 0x2
#define KX_MSG_F_PARTITION 0x8
#define KX_PARTITION_UA (-1)
#define KX_ERR_QUEUE_FULL (-184)

static const char kx_empty[1];

// kx_wake makes librdkafka write a byte to fd when q turns non-empty.
static void kx_wake(rd_kafka_queue_t *q, int fd) {
	rd_kafka_queue_io_event_enable(q, fd, "1", 1);
}

// kx_produce queues one message (librdkafka copies key, value and
// headers). hdrs packs the headers: per header a uint32 name length, an
// int32 value length (-1: null), the name, the value.
static int kx_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
		const void *value, size_t value_len, int value_null,
		const void *key, size_t key_len, int key_null,
		int64_t ts, const unsigned char *hdrs, int nhdrs, uintptr_t opaque) {
	rd_kafka_headers_t *h = NULL;
	if (!value_null && value_len == 0) value = kx_empty;
	if (value_null) value = NULL;
	if (!key_null && key_len == 0) key = kx_empty;
	if (key_null) key = NULL;
	if (nhdrs > 0) {
		h = rd_kafka_headers_new((size_t)nhdrs);
		const unsigned char *p = hdrs;
		for (int i = 0; i < nhdrs; i++) {
			uint32_t nl; int32_t vl;
			memcpy(&nl, p, 4); memcpy(&vl, p + 4, 4); p += 8;
			const char *name = (const char *)p; p += nl;
			const void *v = NULL;
			if (vl >= 0) { v = vl == 0 ? (const void *)kx_empty : (const void *)p; p += vl; }
			rd_kafka_header_add(h, name, (ssize_t)nl, v, vl < 0 ? 0 : (ssize_t)vl);
		}
	}
	int err = rd_kafka_producev(rk,
		KX_V_RKT, rkt,
		KX_V_PARTITION, partition,
		KX_V_MSGFLAGS, KX_MSG_F_COPY,
		KX_V_VALUE, (void *)value, value_len,
		KX_V_KEY, key, key_len,
		KX_V_TIMESTAMP, ts,
		KX_V_HEADERS, h,
		KX_V_OPAQUE, (void *)opaque,
		KX_V_END);
	if (err && h) rd_kafka_headers_destroy(h);
	return err;
}

// kx_rec is one record of a batch: its bytes at offsets of the batch's
// buffer (a length of -1: null). rkt is a rd_kafka_topic_t *, held as an
// integer so the array holds no pointer for cgo to check.
typedef struct {
	uintptr_t rkt;
	uintptr_t opaque;
	int64_t ts;
	int64_t key_off, key_len;
	int64_t value_off, value_len;
	int64_t hdr_off;
	int32_t partition;
	int32_t nhdrs;
} kx_rec;

// kx_produce_batch queues msgs[0..n) in order; codes[i] gets each
// record's code (0: queued, others: refused, the next go on). It stops at
// the first record refused for a full queue and returns its index (n when
// all were handled). A run of records to one topic with neither headers nor
// a timestamp of their own goes in one rd_kafka_produce_batch call: one
// topic lock and one clock read for the run instead of two per record.
// After a full queue that call refuses every later record of the run too,
// so nothing is queued out of order.
static int kx_produce_batch(rd_kafka_t *rk, const kx_rec *msgs, int n, const unsigned char *base, int32_t *codes) {
	if (!base) base = (const unsigned char *)kx_empty;
	rd_kafka_message_t *tmp = NULL;
	for (int i = 0; i < n;) {
		const kx_rec *m = &msgs[i];
		int j = i;
		while (j < n && msgs[j].rkt == m->rkt && msgs[j].nhdrs == 0 && msgs[j].ts == 0) j++;
		if (j - i >= 2) {
			if (!tmp && !(tmp = malloc(sizeof(*tmp) * (size_t)n))) return i;
			for (int k = i; k < j; k++) {
				const kx_rec *r = &msgs[k];
				rd_kafka_message_t *t = &tmp[k - i];
				memset(t, 0, sizeof(*t));
				t->partition = r->partition;
				t->payload = r->value_len < 0 ? NULL : (void *)(r->value_len == 0 ? (const unsigned char *)kx_empty : base + r->value_off);
				t->len = r->value_len < 0 ? 0 : (size_t)r->value_len;
				t->key = r->key_len < 0 ? NULL : (void *)(r->key_len == 0 ? (const unsigned char *)kx_empty : base + r->key_off);
				t->key_len = r->key_len < 0 ? 0 : (size_t)r->key_len;
				t->_private = (void *)r->opaque;
			}
			rd_kafka_produce_batch((rd_kafka_topic_t *)m->rkt, KX_PARTITION_UA,
				KX_MSG_F_COPY | KX_MSG_F_PARTITION, tmp, j - i);
			for (int k = i; k < j; k++) {
				codes[k] = tmp[k - i].err;
				if (codes[k] == KX_ERR_QUEUE_FULL) {
					free(tmp);
					return k;
				}
			}
			i = j;
			continue;
		}
		codes[i] = kx_produce(rk, (rd_kafka_topic_t *)m->rkt, m->partition,
			base + m->value_off, m->value_len < 0 ? 0 : (size_t)m->value_len, m->value_len < 0,
			base + m->key_off, m->key_len < 0 ? 0 : (size_t)m->key_len, m->key_len < 0,
			m->ts, base + m->hdr_off, m->nhdrs, m->opaque);
		if (codes[i] == KX_ERR_QUEUE_FULL) {
			free(tmp);
			return i;
		}
		i++;
	}
	free(tmp);
	return n;
}

// kx_dr is what Go reads of one delivery report.
typedef struct {
	int32_t err;
	int32_t partition;
	int64_t offset;
	int64_t ts;
	int32_t tstype;
	int32_t pad;
	uintptr_t opaque;
	const char *topic;
	const void *key;
	size_t key_len;
	const void *value;
	size_t value_len;
} kx_dr;

// kx_event is one event of the main queue, described for Go.
typedef struct {
	rd_kafka_event_t *ev;
	int type;
	int err;
	int fatal;
	const char *str;
} kx_event;

static void kx_poll(rd_kafka_queue_t *q, int timeout_ms, kx_event *out) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
	out->ev = ev;
	out->type = ev ? rd_kafka_event_type(ev) : 0;
	out->err = 0; out->fatal = 0; out->str = NULL;
	if (ev && out->type == KX_EVENT_ERROR) {
		out->err = rd_kafka_event_error(ev);
		out->fatal = rd_kafka_event_error_is_fatal(ev);
		out->str = rd_kafka_event_error_string(ev);
	}
}

// kx_reports describes up to n more delivery reports of a DR event.
static int kx_reports(rd_kafka_event_t *ev, const rd_kafka_message_t **tmp, kx_dr *out, int n) {
	size_t cnt = rd_kafka_event_message_array(ev, tmp, (size_t)n);
	for (size_t i = 0; i < cnt; i++) {
		const rd_kafka_message_t *m = tmp[i];
		kx_dr *o = &out[i];
		int tstype = 0;
		o->err = m->err;
		o->partition = m->partition;
		o->offset = m->offset;
		o->ts = rd_kafka_message_timestamp(m, &tstype);
		o->tstype = tstype;
		o->opaque = (uintptr_t)m->_private;
		o->topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
		o->key = m->key;
		o->key_len = m->key_len;
		o->value = m->payload;
		o->value_len = m->len;
	}
	return (int)cnt;
}

static int kx_log(rd_kafka_event_t *ev, const char **fac, const char **str, int *level) {
	if (rd_kafka_event_type(ev) != KX_EVENT_LOG) return -1;
	return rd_kafka_event_log(ev, fac, str, level);
}
*/
import "C"

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/internal/slab"
	"github.com/kx-cli/kx/pkg/record"
)

// Producer sends records and reports each delivery.
//
// It drives its own librdkafka handle through cgo rather than
// confluent-kafka-go's Producer: that one makes a Go object, a map entry
// for the opaque and a channel send per delivery report, and its poller
// takes the reports one event at a time; here a delivery-report event's
// messages are read many per cgo call into one slab of records.
type Producer struct {
	rk     *C.rd_kafka_t
	q      *C.rd_kafka_queue_t // main queue: delivery reports and errors
	logq   *C.rd_kafka_queue_t
	owner  *Client
	name   string
	report bool // copy keys and values into the delivery records
	// onDeliveries receives the reports a batch at a time (instead of
	// deliveries); recs and batch are its reused memory.
	onDeliveries func([]Delivery)
	recs         []record.Record
	batch        []Delivery

	mu     sync.Mutex   // Produce's topics and header buffer
	life   sync.RWMutex // Flush and Len against Close
	topics map[string]*C.rd_kafka_topic_t
	hdrBuf []byte
	// batchMsgs is ProduceBatch's array of C records, reused.
	batchMsgs []C.kx_rec
	// batchCodes are the codes kx_produce_batch gives each record.
	batchCodes []C.int32_t
	// inline is set while a caller produces in batches with InlineReports:
	// ProduceBatch then reads the delivery reports itself (drainInline)
	// with inlineReports;
	// Flush hands them back to serve. deliverMu keeps deliveries one batch
	// at a time.
	inlineOpt     bool // ProducerOptions.InlineReports
	inline        atomic.Bool
	inlineReports *reports
	deliverMu     sync.Mutex

	// opaques holds the callers' opaques by id (the message's opaque in
	// librdkafka); id 0 is none.
	omu     sync.Mutex
	opaques slab.Slab[any]

	// wake and logWake are pipes librdkafka writes to when the main or the
	// log queue turns non-empty: the goroutines serving them wait in Go's
	// poller, not in a blocking cgo call (each of which hands the thread's
	// P over to another thread).
	wake, logWake waker

	deliveries chan Delivery
	// room is signalled when delivery reports freed part of the local
	// queue: a producer waiting for room goes on at once.
	room     chan struct{}
	done     chan struct{}
	logsDone chan struct{}
	stopping atomic.Bool
	closed   atomic.Bool
	logs     *logRoute
}

// producerDefaults: idempotent and acks=all so nothing is lost or doubled;
// murmur2 like the Java client so every tool agrees where a key lives; no
// compression, like librdkafka and the Java client, because not every
// client reads every codec (kafkajs has no lz4 without a plugin).
var producerDefaults = map[string]any{
	"enable.idempotence": true,
	"acks":               "all",
	"partitioner":        "murmur2_random",
	"compression.type":   "none",
	"linger.ms":          5,
	// librdkafka's default: an unpaced play or a large produce keeps the
	// queue full, and 500,000 queued records took 150 MB.
	"queue.buffering.max.messages": 100000,
}

// NewProducer creates a producer. Deliveries must be drained.
func (c *Client) NewProducer(opts ProducerOptions) (*Producer, error) {
	overrides := map[string]any{}
	for k, v := range opts.Properties {
		overrides[k] = v
	}
	if _, ok := overrides["message.timeout.ms"]; !ok {
		if _, user := c.opts.Properties["message.timeout.ms"]; !user {
			// librdkafka retries for 5 minutes by default; bound it.
			overrides["message.timeout.ms"] = int(3 * c.opts.Timeout.Milliseconds())
		}
	}
	if opts.Compression != "" {
		overrides["compression.type"] = opts.Compression
	}
	defaults := producerDefaults
	if c.opts.Compression != "" {
		defaults = maps.Clone(producerDefaults)
		defaults["compression.type"] = c.opts.Compression
	}
	cfg, logs := c.configMap(defaults, overrides)
	rk, err := newHandle(*cfg)
	if err != nil {
		logs.close()
		return nil, c.classify("producer", err)
	}
	p := &Producer{
		rk:           rk,
		q:            C.rd_kafka_queue_get_main(rk),
		logq:         C.rd_kafka_queue_new(rk),
		owner:        c,
		report:       !opts.NoReportContents,
		onDeliveries: opts.OnDeliveries,
		inlineOpt:    opts.InlineReports,
		topics:       map[string]*C.rd_kafka_topic_t{},
		deliveries:   make(chan Delivery, 4096),
		room:         make(chan struct{}, 1),
		done:         make(chan struct{}),
		logsDone:     make(chan struct{}),
		logs:         logs,
	}
	p.opaques.Put(nil) // id 0 is no opaque: never given out
	if s, ok := (*cfg)["client.id"].(string); ok {
		p.name = s
	}
	C.rd_kafka_set_log_queue(rk, p.logq)
	if err := p.wake.open(p.q); err != nil {
		p.destroy()
		logs.close()
		return nil, err
	}
	if err := p.logWake.open(p.logq); err != nil {
		p.destroy()
		p.wake.close()
		logs.close()
		return nil, err
	}
	go p.serve()
	go p.serveLogs()
	return p, nil
}

// newHandle creates a librdkafka producer from cfg; confluent-kafka-go's
// own keys (go.*) are left out, and logs go to a queue (log.queue).
func newHandle(cfg ck.ConfigMap) (*C.rd_kafka_t, error) {
	errstr := (*C.char)(C.malloc(512))
	defer C.free(unsafe.Pointer(errstr))
	conf := C.rd_kafka_conf_new()
	set := func(k, v string) error {
		ck, cv := C.CString(k), C.CString(v)
		defer C.free(unsafe.Pointer(ck))
		defer C.free(unsafe.Pointer(cv))
		if C.rd_kafka_conf_set(conf, ck, cv, errstr, 512) != 0 {
			return fmt.Errorf("%s", C.GoString(errstr))
		}
		return nil
	}
	for k, v := range cfg {
		if len(k) > 3 && k[:3] == "go." {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool:
			s = fmt.Sprint(x)
		case int:
			s = fmt.Sprint(x)
		default:
			s = fmt.Sprint(x)
		}
		if err := set(k, s); err != nil {
			C.rd_kafka_conf_destroy(conf)
			return nil, ck.NewError(ck.ErrInvalidArg, err.Error(), false)
		}
	}
	if err := set("log.queue", "true"); err != nil {
		C.rd_kafka_conf_destroy(conf)
		return nil, ck.NewError(ck.ErrInvalidArg, err.Error(), false)
	}
	C.rd_kafka_conf_set_events(conf, C.KX_EVENT_DR|C.KX_EVENT_ERROR)
	rk := C.rd_kafka_new(C.KX_PRODUCER, conf, errstr, 512)
	if rk == nil {
		// rd_kafka_new frees conf only when it succeeds.
		C.rd_kafka_conf_destroy(conf)
		return nil, ck.NewError(ck.ErrInvalidArg, C.GoString(errstr), false)
	}
	return rk, nil
}

// reportBatch is how many delivery reports one cgo call reads.
const reportBatch = 1024

// reports reads the events of the main queue for one goroutine: its C
// buffers, topic names and opaques.
type reports struct {
	tmp      **C.rd_kafka_message_t
	out      *C.kx_dr
	names    map[*C.char]string
	opaques  []any
	released bool
}

func newReports() *reports {
	return &reports{
		tmp:   (**C.rd_kafka_message_t)(C.malloc(C.size_t(reportBatch) * C.size_t(unsafe.Sizeof(uintptr(0))))),
		out:   (*C.kx_dr)(C.malloc(C.size_t(reportBatch) * C.size_t(unsafe.Sizeof(C.kx_dr{})))),
		names: map[*C.char]string{},
	}
}

func (rs *reports) release() {
	if !rs.released {
		C.free(unsafe.Pointer(rs.tmp))
		C.free(unsafe.Pointer(rs.out))
		rs.released = true
	}
}

func (rs *reports) topicName(c *C.char) string {
	if c == nil {
		return ""
	}
	if t, ok := rs.names[c]; ok {
		return t
	}
	t := C.GoString(c)
	rs.names[c] = t
	return t
}

// handle delivers the reports of a delivery-report event, or notes an
// error event, and destroys it (which frees the reported records).
func (p *Producer) handle(rs *reports, ev *C.kx_event) {
	switch ev._type {
	case C.KX_EVENT_DR:
		for {
			n := int(C.kx_reports(ev.ev, rs.tmp, rs.out, reportBatch))
			if n <= 0 {
				break
			}
			drs := unsafe.Slice(rs.out, n)
			rs.opaques = p.takeOpaques(drs, rs.opaques[:0])
			p.deliver(drs, rs.opaques, rs.topicName)
		}
	case C.KX_EVENT_ERROR:
		e := ck.NewError(ck.ErrorCode(ev.err), C.GoString(ev.str), false)
		if ev.fatal != 0 {
			buf := (*C.char)(C.malloc(512))
			code := C.rd_kafka_fatal_error(p.rk, buf, 512)
			e = ck.NewError(ck.ErrorCode(code), C.GoString(buf), true)
			C.free(unsafe.Pointer(buf))
		}
		p.owner.noteError(e)
		if e.IsFatal() {
			d := Delivery{Err: p.owner.classify("producer", e)}
			p.deliverMu.Lock()
			if p.onDeliveries != nil {
				p.onDeliveries([]Delivery{d})
			} else {
				p.deliveries <- d
			}
			p.deliverMu.Unlock()
		} else if p.owner.opts.Verbose && p.owner.opts.Log != nil {
			fmt.Fprintf(p.owner.opts.Log, "kafka: %v\n", e)
		}
	}
	C.rd_kafka_event_destroy(ev.ev)
	if ev._type == C.KX_EVENT_DR {
		select {
		case p.room <- struct{}{}:
		default:
		}
	}
}

// serve reads the main queue: delivery reports, many per cgo call, and
// error events, until Close. While a caller produces in batches
// (inline), ProduceBatch reads the queue itself and serve only waits.
func (p *Producer) serve() {
	defer close(p.done)
	defer close(p.deliveries)
	rs := newReports()
	defer rs.release()
	var ev C.kx_event
	for {
		if p.inline.Load() && !p.stopping.Load() {
			if !p.wake.wait() {
				return
			}
			continue
		}
		C.kx_poll(p.q, 0, &ev)
		if ev.ev == nil {
			if p.stopping.Load() || !p.wake.wait() {
				return
			}
			continue
		}
		p.handle(rs, &ev)
	}
}

// drainInline handles the events waiting in the main queue, the first
// waited for up to timeoutMs; p.mu is held. ProduceBatch calls it on its
// own thread, so the records librdkafka allocated there are freed there,
// as a C producer polling between its sends does (glibc then reuses that
// thread's free memory; freeing on another thread made a keyed kx produce
// spend about a third more CPU).
func (p *Producer) drainInline(timeoutMs int) {
	if p.inlineReports == nil {
		p.inlineReports = newReports()
	}
	var ev C.kx_event
	for t := timeoutMs; ; t = 0 {
		C.kx_poll(p.q, C.int(t), &ev)
		if ev.ev == nil {
			return
		}
		p.handle(p.inlineReports, &ev)
	}
}

// waker is a pipe whose write end librdkafka writes to when a queue turns
// non-empty; the read end is in Go's poller.
type waker struct {
	r  *os.File
	wr int
}

func (w *waker) open(q *C.rd_kafka_queue_t) error {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	w.r, w.wr = os.NewFile(uintptr(fds[0]), "kx-producer-wake"), fds[1]
	C.kx_wake(q, C.int(w.wr))
	return nil
}

// wait blocks until the queue may have events; false once closed.
func (w *waker) wait() bool {
	var buf [64]byte
	_, err := w.r.Read(buf[:])
	return err == nil
}

// poke wakes the waiting goroutine.
func (w *waker) poke() { syscall.Write(w.wr, []byte{1}) }

// close releases the pipe; librdkafka must not write to it any more.
func (w *waker) close() {
	if w.r != nil {
		w.r.Close()
		syscall.Close(w.wr)
	}
}

// deliver turns one batch of reports into Deliveries: the records share
// one slab, their keys and values (when reported) one arena. With
// onDeliveries the slab is reused and the batch handed over at once.
func (p *Producer) deliver(drs []C.kx_dr, opaques []any, topicName func(*C.char) string) {
	p.deliverMu.Lock()
	defer p.deliverMu.Unlock()
	var recs []record.Record
	if p.onDeliveries != nil {
		if cap(p.recs) < len(drs) {
			p.recs = make([]record.Record, len(drs))
			p.batch = make([]Delivery, 0, len(drs))
		}
		recs = p.recs[:len(drs)]
		clear(recs)
		p.batch = p.batch[:0]
	} else {
		recs = make([]record.Record, len(drs))
	}
	var arena []byte
	if p.report {
		size := 0
		for i := range drs {
			size += int(drs[i].key_len) + int(drs[i].value_len)
		}
		arena = make([]byte, 0, size)
	}
	for i := range drs {
		m := &drs[i]
		r := &recs[i]
		r.Topic = topicName(m.topic)
		r.Partition = int32(m.partition)
		r.Offset = int64(m.offset)
		switch m.tstype {
		case 1: // RD_KAFKA_TIMESTAMP_CREATE_TIME
			r.Timestamp, r.TimestampType = time.UnixMilli(int64(m.ts)), record.TimestampCreateTime
		case 2: // RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME
			r.Timestamp, r.TimestampType = time.UnixMilli(int64(m.ts)), record.TimestampLogAppendTime
		default:
			r.TimestampType = record.TimestampNotAvailable
		}
		if p.report {
			if m.key != nil {
				arena = append(arena, unsafe.Slice((*byte)(m.key), int(m.key_len))...)
				r.Key = arena[len(arena)-int(m.key_len) : len(arena) : len(arena)]
			}
			if m.value != nil {
				arena = append(arena, unsafe.Slice((*byte)(m.value), int(m.value_len))...)
				r.Value = arena[len(arena)-int(m.value_len) : len(arena) : len(arena)]
			}
		}
		d := Delivery{Record: r, Opaque: opaques[i]}
		if id, ok := batchID(uintptr(m.opaque)); ok {
			d.ID = id
		}
		if m.err != 0 {
			d.Err = p.owner.classify("produce to "+r.Topic, ck.NewError(ck.ErrorCode(m.err), "", false))
		}
		if p.onDeliveries != nil {
			p.batch = append(p.batch, d)
		} else {
			p.deliveries <- d
		}
	}
	if p.onDeliveries != nil {
		p.onDeliveries(p.batch)
		clear(p.batch)
	}
}

// putOpaque keeps v until its delivery report and returns the message's
// opaque: 0 for nil, else an index into the table (even). A batch
// message's ID goes as itself instead (batchOpaque: odd, no table, no
// lock).
func (p *Producer) putOpaque(v any) uintptr {
	if v == nil {
		return 0
	}
	p.omu.Lock()
	defer p.omu.Unlock()
	return uintptr(p.opaques.Put(v)) << 1
}

// batchOpaque is the opaque of a batch message of ID id (not negative);
// batchID reads it back.
func batchOpaque(id int) uintptr { return uintptr(id)<<1 | 1 }

func batchID(opaque uintptr) (int, bool) { return int(opaque >> 1), opaque&1 == 1 }

func (p *Producer) dropOpaque(id uintptr) {
	if _, batch := batchID(id); id == 0 || batch {
		return
	}
	p.omu.Lock()
	p.opaques.Take(int(id >> 1))
	p.omu.Unlock()
}

// takeOpaques collects (and forgets) the opaques of a batch of reports,
// under one lock.
func (p *Producer) takeOpaques(drs []C.kx_dr, dst []any) []any {
	locked := false
	for i := range drs {
		id := uintptr(drs[i].opaque)
		switch {
		case id == 0:
			dst = append(dst, nil)
		case id&1 == 1: // a batch message's ID: deliver reads it
			dst = append(dst, nil)
		default:
			if !locked {
				p.omu.Lock()
				locked = true
			}
			dst = append(dst, p.opaques.Take(int(id>>1)))
		}
	}
	if locked {
		p.omu.Unlock()
	}
	return dst
}

func (p *Producer) serveLogs() {
	defer close(p.logsDone)
	for {
		ev := C.rd_kafka_queue_poll(p.logq, 0)
		if ev == nil {
			if p.stopping.Load() || !p.logWake.wait() {
				return
			}
			continue
		}
		var fac, str *C.char
		var level C.int
		if C.kx_log(ev, &fac, &str, &level) == 0 {
			le := ck.LogEvent{Name: p.name, Tag: C.GoString(fac), Message: C.GoString(str), Level: int(level), Timestamp: time.Now()}
			select {
			case p.logs.ch <- le:
			default: // a full route drops a line rather than stall librdkafka
			}
		}
		C.rd_kafka_event_destroy(ev)
	}
}

// Deliveries reports every produced record, in order per partition. It is
// closed by Close.
func (p *Producer) Deliveries() <-chan Delivery { return p.deliveries }

// LatestTimestamp is the latest record timestamp kx can produce:
// confluent-kafka-go converts a time through int64 nanoseconds
// (time.Time.UnixNano), which wraps after it.
var LatestTimestamp = time.Unix(0, math.MaxInt64).Truncate(time.Millisecond).UTC()

// TimestampError says why a record timestamp cannot be produced.
type TimestampError struct {
	Timestamp time.Time
	Reason    string
}

func (e *TimestampError) Error() string {
	return fmt.Sprintf("timestamp %s (%d ms): %s", record.FormatTimestamp(e.Timestamp), e.Timestamp.UnixMilli(), e.Reason)
}

// CheckTimestamp tells whether t can be produced as it is. The zero time
// is none (the producer stamps the time of sending). Kafka holds any
// millisecond count from 0 up, but librdkafka takes 0 as "none" and
// confluent-kafka-go wraps times after LatestTimestamp: both would change the
// timestamp silently, so they are refused, as are times before 1970.
func CheckTimestamp(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	switch ms := t.UnixMilli(); {
	case ms < 0:
		return &TimestampError{t, "before 1970-01-01, which Kafka timestamps cannot hold"}
	case ms == 0:
		return &TimestampError{t, "librdkafka, kx's producer, sends 0 as the time of sending; kx cannot produce it"}
	case t.After(LatestTimestamp):
		return &TimestampError{t, "after " + record.FormatTimestamp(LatestTimestamp) + ", the latest timestamp kx's producer (librdkafka through confluent-kafka-go) can send"}
	}
	return nil
}

// topic returns the librdkafka handle of topic t; p.mu is held.
func (p *Producer) topic(t string) *C.rd_kafka_topic_t {
	if rkt, ok := p.topics[t]; ok {
		return rkt
	}
	ct := C.CString(t)
	defer C.free(unsafe.Pointer(ct))
	rkt := C.rd_kafka_topic_new(p.rk, ct, nil)
	if rkt != nil {
		p.topics[t] = rkt
	}
	return rkt
}

// Produce queues r (r.Partition < 0 lets the partitioner choose). When the
// local queue is full it waits for room until ctx ends. A timestamp
// CheckTimestamp refuses is an error: nothing is queued.
func (p *Producer) Produce(ctx context.Context, r *record.Record, opaque any) error {
	if err := CheckTimestamp(r.Timestamp); err != nil {
		return err
	}
	partition := r.Partition
	if partition < 0 {
		partition = AnyPartition
	}
	var ts int64
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp.UnixMilli()
	}
	id := p.putOpaque(opaque)
	var wait *time.Timer
	for {
		code := p.produce(r, partition, ts, id)
		if code == 0 {
			return nil
		}
		if code == errClosed {
			p.dropOpaque(id)
			return p.owner.classify("produce to "+r.Topic, ck.NewError(ck.ErrState, "producer closed", false))
		}
		if ck.ErrorCode(code) == ck.ErrQueueFull {
			if err := p.waitRoom(ctx, &wait); err != nil {
				p.dropOpaque(id)
				return err
			}
			continue
		}
		p.dropOpaque(id)
		return p.owner.classify("produce to "+r.Topic, ck.NewError(ck.ErrorCode(code), "", false))
	}
}

// waitRoom waits, the local queue being full, until delivery reports have
// freed some of it (or 5 ms passed: a bound, not a poll) or ctx ends.
func (p *Producer) waitRoom(ctx context.Context, wait **time.Timer) error {
	if *wait == nil {
		*wait = time.NewTimer(5 * time.Millisecond)
	} else {
		(*wait).Reset(5 * time.Millisecond)
	}
	select {
	case <-ctx.Done():
		(*wait).Stop()
		return ctx.Err()
	case <-p.room:
		(*wait).Stop()
	case <-(*wait).C:
	}
	return nil
}

// ProduceBatch queues the records of b in order, many per cgo call. When
// the local queue is full it waits for room until ctx ends. A record that
// cannot be queued (a timestamp CheckTimestamp refuses, a record over
// message.max.bytes, a partition the topic lacks, a closed producer) is
// passed to refused with its opaque, and the others go on. It returns how
// many records it handed over (queued or refused) and, when ctx ended
// first, ctx's error. b is left as it is: the caller resets it.
//
// With ProducerOptions.InlineReports the delivery reports waiting are
// read by ProduceBatch itself, after each batch, until Flush.
func (p *Producer) ProduceBatch(ctx context.Context, b *Batch, refused func(id int, err error)) (int, error) {
	msgs := b.Messages()
	if p.inlineOpt {
		p.inline.Store(true)
	}
	var wait *time.Timer
	for i := 0; i < len(msgs); {
		n, code := p.produceBatch(b, i, refused)
		i += n
		switch {
		case code == 0:
		case ck.ErrorCode(code) == ck.ErrQueueFull && p.inlineOpt:
			// Wait for reports to free room, reading them here.
			if err := ctx.Err(); err != nil {
				return i, err
			}
			p.mu.Lock()
			if !p.closed.Load() {
				p.drainInline(5)
			}
			p.mu.Unlock()
		case ck.ErrorCode(code) == ck.ErrQueueFull:
			if err := p.waitRoom(ctx, &wait); err != nil {
				return i, err
			}
		default:
			refused(msgs[i].ID, p.refusal(msgs[i].Topic, code))
			i++
		}
	}
	return len(msgs), nil
}

// refusal is the error of a record librdkafka (or a closed producer) did
// not take.
func (p *Producer) refusal(topic string, code C.int) error {
	if code == errClosed {
		return p.owner.classify("produce to "+topic, ck.NewError(ck.ErrState, "producer closed", false))
	}
	return p.owner.classify("produce to "+topic, ck.NewError(ck.ErrorCode(code), "", false))
}

// produceBatch queues the records of b from the i-th on in one cgo call,
// up to the first one the queue has no room for: how many it handled
// (queued or refused through refused) and, when it stopped early, the
// code of the record it stopped at (a full queue, an unknown topic, a
// closed producer). Records with a timestamp kx cannot send are refused
// on the way.
func (p *Producer) produceBatch(b *Batch, i int, refused func(int, error)) (int, C.int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return 0, errClosed
	}
	msgs := b.Messages()[i:]
	cm := p.batchMsgs[:0]
	var rkt *C.rd_kafka_topic_t
	var topic string
	skipped := 0
	for j := range msgs {
		m := &msgs[j]
		if rkt == nil || m.Topic != topic {
			if rkt = p.topic(m.Topic); rkt == nil {
				if len(cm) > 0 {
					break // queue those before, then refuse this one
				}
				return 0, C.int(ck.ErrInvalidArg)
			}
			topic = m.Topic
		}
		ts := m.Timestamp
		if ts == NoTimestamp {
			ts = 0
		} else if ts <= 0 || ts > latestMillis {
			if len(cm) > 0 {
				break
			}
			// A refusal at the head: reported here, the rest goes on.
			refused(m.ID, CheckTimestamp(time.UnixMilli(ts)))
			skipped++
			continue
		}
		if skipped > 0 {
			break // the caller resumes after the refused ones
		}
		cm = append(cm, C.kx_rec{
			rkt:       C.uintptr_t(uintptr(unsafe.Pointer(rkt))),
			opaque:    C.uintptr_t(batchOpaque(m.ID)),
			ts:        C.int64_t(ts),
			key_off:   C.int64_t(m.KeyOff),
			key_len:   C.int64_t(m.KeyLen),
			value_off: C.int64_t(m.ValueOff),
			value_len: C.int64_t(m.ValueLen),
			hdr_off:   C.int64_t(m.HeadersOff),
			partition: C.int32_t(m.Partition),
			nhdrs:     C.int32_t(m.NumHeaders),
		})
	}
	p.batchMsgs = cm
	if skipped > 0 {
		return skipped, 0
	}
	if cap(p.batchCodes) < len(cm) {
		p.batchCodes = make([]C.int32_t, len(cm))
	}
	codes := p.batchCodes[:len(cm)]
	buf := b.Bytes()
	var base *C.uchar
	if len(buf) > 0 {
		base = (*C.uchar)(unsafe.Pointer(&buf[0]))
	}
	n := int(C.kx_produce_batch(p.rk, &cm[0], C.int(len(cm)), base, &codes[0]))
	for k := range n {
		if codes[k] != 0 {
			refused(msgs[k].ID, p.refusal(msgs[k].Topic, C.int(codes[k])))
		}
	}
	if p.inlineOpt {
		p.drainInline(0)
	}
	if n < len(cm) {
		return n, C.int(ck.ErrQueueFull)
	}
	return n, 0
}

// latestMillis is LatestTimestamp in Unix milliseconds.
var latestMillis = LatestTimestamp.UnixMilli()

// errClosed is produce's answer after Close (not a librdkafka code).
const errClosed = C.int(math.MinInt32)

// produce makes the one cgo call that queues r; it returns librdkafka's
// error code.
func (p *Producer) produce(r *record.Record, partition int32, ts int64, id uintptr) C.int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return errClosed
	}
	rkt := p.topic(r.Topic)
	if rkt == nil {
		return C.int(ck.ErrInvalidArg)
	}
	var hdrs *C.uchar
	if len(r.Headers) > 0 {
		b := p.hdrBuf[:0]
		for _, h := range r.Headers {
			vl := int32(len(h.Value))
			if h.Value == nil {
				vl = -1
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(h.Key)))
			b = binary.LittleEndian.AppendUint32(b, uint32(vl))
			b = append(b, h.Key...)
			b = append(b, h.Value...)
		}
		p.hdrBuf = b
		hdrs = (*C.uchar)(unsafe.Pointer(&b[0]))
	}
	var val, key unsafe.Pointer
	valNull, keyNull := C.int(0), C.int(0)
	if r.Value == nil {
		valNull = 1
	} else if len(r.Value) > 0 {
		val = unsafe.Pointer(&r.Value[0])
	}
	if r.Key == nil {
		keyNull = 1
	} else if len(r.Key) > 0 {
		key = unsafe.Pointer(&r.Key[0])
	}
	return C.kx_produce(p.rk, rkt, C.int32_t(partition),
		val, C.size_t(len(r.Value)), valNull,
		key, C.size_t(len(r.Key)), keyNull,
		C.int64_t(ts), hdrs, C.int(len(r.Headers)), C.uintptr_t(id))
}

// Flush waits until every queued record is delivered or ctx ends; it
// returns how many are still in flight.
func (p *Producer) Flush(ctx context.Context) int {
	for {
		n := p.flush(100)
		if n == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return n
		default:
		}
	}
}

// flush waits up to ms for the queue to drain and returns what is left;
// after Close, nothing (the handle is gone).
func (p *Producer) flush(ms int) int {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closed.Load() {
		return 0
	}
	if p.inline.CompareAndSwap(true, false) {
		p.wake.poke() // serve reads the reports from now on
	}
	C.rd_kafka_flush(p.rk, C.int(ms))
	return int(C.rd_kafka_outq_len(p.rk))
}

// Len is the number of records not yet delivered (0 after Close).
func (p *Producer) Len() int {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closed.Load() {
		return 0
	}
	return int(C.rd_kafka_outq_len(p.rk))
}

// Close shuts the producer down; undelivered records are dropped, so Flush
// first. Deliveries is closed once its last event is forwarded.
func (p *Producer) Close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock() // no Produce in flight
	defer p.mu.Unlock()
	p.life.Lock() // nor Flush nor Len
	defer p.life.Unlock()
	p.stopping.Store(true)
	p.wake.poke()
	p.logWake.poke()
	<-p.done
	<-p.logsDone
	p.destroy()
	p.wake.close()
	p.logWake.close()
	p.logs.close()
}

// destroy releases the librdkafka handle and what hangs on it.
func (p *Producer) destroy() {
	if p.inlineReports != nil {
		p.inlineReports.release()
	}
	C.rd_kafka_queue_destroy(p.logq)
	for _, rkt := range p.topics {
		C.rd_kafka_topic_destroy(rkt)
	}
	C.rd_kafka_queue_destroy(p.q)
	C.rd_kafka_destroy(p.rk)
}
