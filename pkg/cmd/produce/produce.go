// Package produce implements kx produce: NDJSON on stdin to a topic.
package produce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/internal/jsonscan"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

// Options of kx produce.
type Options struct {
	IO       *iostreams.IOStreams
	Kafka    func() (*kafka.Client, error)
	Registry func() (*kafka.Registry, error) // nil client: none configured

	Topic     string
	KeyJQ     string
	Partition int32 // -1: the partitioner (or the envelope's, see KeepPartition)
	// KeepPartition sends envelopes to the partition they name; ByKey
	// (--keep-partition=false) to the key's. With neither, an envelope
	// keeps its partition when its topic, on this cluster, has as many
	// partitions as the target (a copy), and goes by key otherwise.
	KeepPartition, ByKey bool
	Headers              []record.Header
	SkipInvalid          bool
	// Value and Key encode each record's value and key with a schema.
	Value, Key SchemaOptions
	// NoRegister looks the schema files up in the registry instead of
	// registering them.
	NoRegister bool
	// Compression is the codec; "" is the profile's, else none.
	Compression string
	// InputName names stdin in error messages.
	InputName string
	// Create creates Topic when it does not exist, with Partitions and
	// ReplicationFactor (0: as the topic of the first input envelope, else
	// the broker's defaults).
	Create                        bool
	Partitions, ReplicationFactor int
}

// NewCmdProduce builds kx produce.
func NewCmdProduce(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Kafka: f.Kafka, Registry: f.Registry, InputName: "stdin"}
	var headers []string
	var valueVersion, keyVersion string
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce NDJSON records from stdin to a topic",
		Long: `Produce reads NDJSON on stdin, one record per line, and sends each line to
TOPIC. It waits for every delivery report before it exits.

A line that is a kx envelope (an object with "topic", "partition", "offset"
and "value", as printed by kx tail) is produced with its key, value, headers
and timestamp, encodings decoded, so

  kx tail -e A | kx produce B

copies topic A to B byte for byte: binary values, empty values and
tombstones included, and CreateTime timestamps to the millisecond. A
timestamp kx cannot send unchanged is a malformed line: 0 (librdkafka
sends the time of sending instead), before 1970, or after
2262-04-11T23:47:16.854Z (confluent-kafka-go would wrap it).

An envelope keeps its partition when its topic, on this cluster, has as
many partitions as TOPIC: a copy lands where the records were, whatever
partitioner wrote them (librdkafka's and kcat's default is not the Java
client's). Otherwise the key decides, with the murmur2 partitioner of the
Java client. --keep-partition always keeps it (an error when TOPIC has too
few partitions); --keep-partition=false always goes by key.

Any other line must be a JSON value: it becomes the record's value as it is,
byte for byte, with the key from --key-jq (evaluated on that value; a string
result is the key as it is, other results their JSON text, null no key).
Blank lines are skipped.

A malformed line stops the command with its line number (exit 2); the lines
before it are still delivered. --skip-invalid reports such lines on stderr
and goes on. A record the cluster refuses makes kx exit non-zero, naming how
many failed and at which input lines. At the end, the number of records per
partition is printed on stderr; stdout stays empty.

With --value-schema FILE each value is validated and encoded with an Avro
(.avsc), Protobuf (.proto, --value-message picks the message type) or JSON
Schema (.json) schema, in the Confluent wire format (schema id first), and
the schema is registered under the subject TOPIC-value first (--no-register:
it must be there already). --value-subject S [--value-version N] encodes
with a schema already registered under S instead. --key-schema,
--key-subject and friends do the same for keys (a key that is not JSON is
taken as a string). A schema-encoded value is written in the JSON that
kx tail prints decoded: decimals as strings of the exact decimal, timestamps
in RFC 3339, dates as 2006-01-02, bytes in base64, unions as their plain
value, Protobuf in its standard JSON mapping. So

  kx tail -e A | kx produce B --value-schema order.avsc

re-encodes the records of A. A value that does not fit is a malformed line:
the error names the line and the field (stdin:3: value .items[1].price: …).
Needs a schema registry (--schema-registry, KX_SCHEMA_REGISTRY or the
profile's schema_registry); a schema file that does not compile exits 2
with file:line:col.

The producer is idempotent with acks=all. It does not compress unless asked
(--compression gzip|snappy|lz4|zstd, or compression in the profile), like
librdkafka and the Java client, so every client can read what it writes
(kafkajs reads no lz4 without a plugin). -X sets any other librdkafka
property.

--create creates TOPIC when it does not exist: with --partitions and
--replication-factor when given, else as the topic the first input line
came from when that line is a kx envelope (so a copy keeps the source's
partition count and --keep-partition works), else with the broker's
defaults (num.partitions, default.replication.factor), as Kafka's own
auto-creation would. Without --create an unknown topic is an error (exit 2):
kx never creates a topic by accident.`,
		Example: `  # One JSON value per line, keyed by its orderId
  echo '{"orderId":"ord-1","status":"NEW"}' | kx produce orders.created --key-jq .orderId

  # Copy a topic, headers and binary values included; --create makes
  # orders.copy with as many partitions as orders.created if it is missing
  kx tail -e orders.created | kx produce orders.copy --create

  # Replay the errors of the last hour into a retry topic, pinned to partition 0
  kx tail payment.transactions --from -1h -e --jq '.status=="ERROR"' | kx produce payment.retry --partition 0

  # Tag every record
  kx produce audit --header source=backfill --header run=42 < events.ndjson

  # Avro values, the schema registered under orders.created-value
  echo '{"orderId":"ord-1","total":"12.50"}' | kx produce orders.created --value-schema order.avsc

  # Protobuf, with a schema already registered
  kx produce payments --value-subject payments-value --value-message shop.Payment < payments.ndjson`,
		Args: cmdutil.ExactArgs(1, "a topic name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic = args[0]
			if kafka.IsPattern(opts.Topic) {
				return cmdutil.UsageErrorf("produce: %q is not a topic name", opts.Topic)
			}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, "=")
				if !ok || k == "" {
					return cmdutil.UsageErrorf("--header %q: want key=value", h)
				}
				opts.Headers = append(opts.Headers, record.Header{Key: k, Value: []byte(v)})
			}
			if opts.Partition < -1 {
				return cmdutil.UsageErrorf("--partition %d: must be 0 or more", opts.Partition)
			}
			if cmd.Flags().Changed("keep-partition") && opts.Partition >= 0 {
				return cmdutil.UsageErrorf("--partition and --keep-partition exclude each other")
			}
			opts.ByKey = cmd.Flags().Changed("keep-partition") && !opts.KeepPartition
			if err := checkSchemaFlags("value", &opts.Value, valueVersion); err != nil {
				return err
			}
			if err := checkSchemaFlags("key", &opts.Key, keyVersion); err != nil {
				return err
			}
			if opts.NoRegister && opts.Value.File == "" && opts.Key.File == "" {
				return cmdutil.UsageErrorf("--no-register applies to --value-schema or --key-schema")
			}
			if !opts.Create && (cmd.Flags().Changed("partitions") || cmd.Flags().Changed("replication-factor")) {
				return cmdutil.UsageErrorf("--partitions and --replication-factor apply to --create")
			}
			if cmd.Flags().Changed("partitions") && opts.Partitions < 1 {
				return cmdutil.UsageErrorf("--partitions must be at least 1")
			}
			if cmd.Flags().Changed("replication-factor") && opts.ReplicationFactor < 1 {
				return cmdutil.UsageErrorf("--replication-factor must be at least 1")
			}
			var err error
			if opts.Compression, err = cmdutil.ValidateCompression(opts.Compression); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.KeyJQ, "key-jq", "", "jq expression giving the key of plain JSON lines, e.g. .orderId")
	fl.Int32VarP(&opts.Partition, "partition", "p", -1, "send every record to this partition (default: by key)")
	fl.BoolVar(&opts.KeepPartition, "keep-partition", false, "send envelope lines to the partition they name (=false: by key; default: kept when their topic has as many partitions)")
	fl.StringArrayVarP(&headers, "header", "H", nil, "header key=value added to every record, repeatable")
	fl.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "report malformed lines on stderr and go on")
	addSchemaFlags(cmd, "value", &opts.Value, &valueVersion)
	addSchemaFlags(cmd, "key", &opts.Key, &keyVersion)
	fl.BoolVar(&opts.NoRegister, "no-register", false, "use the schema files as registered already, do not register them")
	fl.BoolVar(&opts.Create, "create", false, "create TOPIC if it does not exist (sized as the input envelopes' topic, else the broker's defaults)")
	fl.IntVar(&opts.Partitions, "partitions", 0, "with --create: number of partitions")
	fl.IntVar(&opts.ReplicationFactor, "replication-factor", 0, "with --create: replicas per partition")
	cmdutil.AddCompressionFlag(cmd, &opts.Compression)
	return cmd
}

// lineError is a malformed input line.
type lineError struct {
	input string
	line  int
	err   error
}

func (e *lineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.input, e.line, e.err) }
func (e *lineError) ExitCode() int { return exitcode.Usage }

// converter turns input lines into records.
type converter struct {
	topic  string
	keyJQ  *jqfilter.Filter
	opts   *Options
	parted int32 // partition count of the topic
	// sources are the partition counts of the cluster's topics, to tell
	// whether an envelope's topic has as many partitions as the target.
	sources          map[string]int32
	valueEnc, keyEnc *schema.Encoder // nil: bytes as they are
	// keyField is NAME when --key-jq is just .NAME: a top-level string
	// member is then cut out of the line without running jq.
	keyField string
	// reuse: convert returns the same record for every plain line, for a
	// caller done with it before the next (the producer copies it).
	reuse bool
	rec   record.Record
}

// plain is convert's one pass over a line that is not an envelope: it is
// checked and its top-level members seen once (envelope members, the
// --key-jq .NAME member). ok is false when the line is not valid JSON, or
// may be an envelope: convert then takes the general path.
func (c *converter) plain(line []byte) (r *record.Record, ok bool, err error) {
	var topic, offset, value, escaped bool
	var keyRaw []byte
	isObject := line[0] == '{'
	valid := jsonscan.ValidLineMembers(line, func(k []byte, esc bool, v []byte) {
		if esc {
			escaped = true
			return
		}
		switch string(k) {
		case "topic":
			topic = true
		case "offset":
			offset = true
		case "value":
			value = true
		}
		if c.keyField != "" && string(k) == c.keyField {
			keyRaw = v
		}
	})
	// Escaped keys may spell an envelope's members: the general path.
	if !valid || escaped || topic && offset && value {
		return nil, false, nil
	}
	if c.reuse {
		r = &c.rec
		*r = record.Record{Headers: r.Headers[:0]}
	} else {
		r = &record.Record{}
	}
	r.Partition, r.Value = -1, line
	if c.keyJQ == nil {
		return r, true, nil
	}
	// As fieldKey: a string member without escapes, null or missing is the
	// key; anything else (other values, not an object) is jq's to decide.
	switch {
	case c.keyField == "" || !isObject:
	case keyRaw == nil || string(keyRaw) == "null":
		return r, true, nil
	case keyRaw[0] == '"' && bytes.IndexByte(keyRaw, '\\') < 0:
		r.Key = keyRaw[1 : len(keyRaw)-1 : len(keyRaw)-1]
		return r, true, nil
	}
	if r.Key, err = c.key(line); err != nil {
		return nil, true, err
	}
	return r, true, nil
}

func (c *converter) convert(line []byte) (*record.Record, error) {
	r, ok, err := c.plain(line)
	if err != nil {
		return nil, err
	}
	if ok {
		return c.finish(r)
	}
	if mayBeEnvelope(line) {
		var err error
		if r, ok, err = record.DecodeIfEnvelope(line); err != nil {
			return nil, err
		}
	}
	if ok {
		switch n, known := c.sources[r.Topic]; {
		case c.opts.KeepPartition:
			if r.Partition < 0 || r.Partition >= c.parted {
				return nil, fmt.Errorf("partition %d: topic %s has %s", r.Partition, c.topic, output.Count(c.parted, "partition"))
			}
		case c.opts.ByKey || !known || n != c.parted || r.Partition < 0 || r.Partition >= c.parted:
			r.Partition = -1
		}
		if r.TimestampType == record.TimestampLogAppendTime {
			r.Timestamp = time.Time{} // the broker's time, not the producer's
		} else if err := kafka.CheckTimestamp(r.Timestamp); err != nil {
			return nil, err
		}
	} else {
		if !record.IsJSON(line) {
			return nil, errors.New("not a JSON value nor a kx envelope")
		}
		// The producer copies the value into librdkafka's memory: the
		// line buffer can be reused at once.
		r = &record.Record{Partition: -1, Value: line}
		if c.keyJQ != nil {
			var err error
			if r.Key, err = c.key(line); err != nil {
				return nil, err
			}
		}
	}
	return c.finish(r)
}

// finish encodes r with the schemas and sets its topic, partition and
// headers.
func (c *converter) finish(r *record.Record) (*record.Record, error) {
	if err := c.encodeRecord(r); err != nil {
		return nil, err
	}
	r.Topic = c.topic
	r.Offset = 0
	if c.opts.Partition >= 0 {
		r.Partition = c.opts.Partition
	}
	r.Headers = append(r.Headers, c.opts.Headers...)
	return r, nil
}

// mayBeEnvelope is a cheap test that skips decoding plain lines twice: an
// envelope names its members literally, as kx writes them.
func mayBeEnvelope(line []byte) bool {
	return line[0] == '{' && bytes.Contains(line, []byte(`"topic"`)) &&
		bytes.Contains(line, []byte(`"offset"`)) && bytes.Contains(line, []byte(`"value"`))
}

// simpleField returns NAME when expr is `.NAME` with NAME an identifier.
func simpleField(expr string) string {
	expr = strings.TrimSpace(expr)
	if len(expr) < 2 || expr[0] != '.' {
		return ""
	}
	for i, c := range expr[1:] {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return ""
		}
	}
	return expr[1:]
}

// fieldKey is the key of .NAME without jq when the line is an object
// whose member NAME (the last one, as jq sees duplicates) is a string
// without escapes, null or missing; ok is false for anything else, which
// jq then decides.
func fieldKey(line []byte, name string) (key []byte, ok bool) {
	var raw []byte
	if !jsonscan.ObjectMembers(line, func(k, v []byte) {
		if string(k) == name {
			raw = v
		}
	}) {
		return nil, false
	}
	switch {
	case raw == nil || string(raw) == "null":
		return nil, true
	case raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0:
		return raw[1 : len(raw)-1 : len(raw)-1], true
	}
	return nil, false
}

func (c *converter) key(value []byte) ([]byte, error) {
	if c.keyField != "" {
		if k, ok := fieldKey(value, c.keyField); ok {
			return k, nil
		}
	}
	out, err := c.keyJQ.EvalValue(value)
	if err != nil {
		return nil, fmt.Errorf("--key-jq %s: %w", c.keyJQ, err)
	}
	if len(out) == 0 || out[0] == nil {
		return nil, nil
	}
	if s, ok := out[0].(string); ok {
		return []byte(s), nil
	}
	return jqfilter.AppendValue(nil, out[0]), nil
}

func run(ctx context.Context, opts *Options) error {
	conv := &converter{topic: opts.Topic, opts: opts, reuse: true}
	if opts.KeyJQ != "" {
		f, err := jqfilter.Compile(opts.KeyJQ)
		if err != nil {
			return fmt.Errorf("--key-jq: %w", err)
		}
		conv.keyJQ = f
		conv.keyField = simpleField(opts.KeyJQ)
	}
	valueSchema, err := parseSchema(&opts.Value)
	if err != nil {
		return err
	}
	keySchema, err := parseSchema(&opts.Key)
	if err != nil {
		return err
	}
	client, err := opts.Kafka()
	if err != nil {
		return err
	}
	return produceTo(ctx, opts, conv, valueSchema, keySchema, client, func(reports func([]kafka.Delivery)) (producer, error) {
		// Reports are only counted, at the end: ProduceBatch may read them.
		return client.NewProducer(kafka.ProducerOptions{NoReportContents: true, Compression: opts.Compression, OnDeliveries: reports, InlineReports: true})
	})
}

// cluster is what kx produce asks of Kafka besides a producer.
type cluster interface {
	Metadata(ctx context.Context) (*kafka.Metadata, error)
	CreateTopic(ctx context.Context, spec kafka.TopicSpec) error
	Timeout() time.Duration
}

// producer sends records (*kafka.Producer, *kafkafake.Producer), opened
// with its delivery reports going to a function.
type producer interface {
	ProduceBatch(ctx context.Context, b *kafka.Batch, refused func(id int, err error)) (int, error)
	Flush(ctx context.Context) int
	Close()
}

// produceTo sends stdin's lines to the target topic of client, once it
// exists, the partitions are known and the schemas are registered.
func produceTo(ctx context.Context, opts *Options, conv *converter, valueSchema, keySchema *schema.Encoder, client cluster, newProducer func(reports func([]kafka.Delivery)) (producer, error)) error {
	// The producer first: an idempotent producer asks for its id as it
	// starts, and librdkafka retries only 500 ms later when no broker was
	// up yet; the lookups below overlap that wait.
	tally := newTally()
	p, err := newProducer(tally.addAll)
	if err != nil {
		return err
	}
	defer p.Close()
	in := newReader(opts.IO.In)
	// The metadata that found (or created) the topic also gives the other
	// topics' partition counts: one request, not two.
	topic, md, err := targetTopic(ctx, opts, client, &in)
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	conv.parted = int32(len(topic.Partitions))
	conv.sources = make(map[string]int32, len(md.Topics))
	for _, t := range md.Topics {
		conv.sources[t.Name] = int32(len(t.Partitions))
	}
	if opts.Partition >= conv.parted {
		return cmdutil.UsageErrorf("--partition %d: topic %s has %s", opts.Partition, opts.Topic, output.Count(conv.parted, "partition"))
	}
	// Schemas are compiled and registered before the first record.
	if conv.valueEnc, err = encoder(ctx, opts, &opts.Value, valueSchema, false); err != nil {
		return err
	}
	if conv.keyEnc, err = encoder(ctx, opts, &opts.Key, keySchema, true); err != nil {
		return err
	}
	readErr := produceLines(ctx, opts, in, conv, p, tally)

	// Every queued record gets its report, even after a bad line or Ctrl-C:
	// what was handed to Kafka is either confirmed or counted as failed.
	flushCtx, cancel := context.WithTimeout(context.Background(), 3*client.Timeout())
	left := p.Flush(flushCtx)
	cancel()
	p.Close() // the last reports are in the tally when it returns

	tally.report(opts.IO.ErrOut, opts.Topic, left)
	if readErr != nil {
		return readErr
	}
	if err := tally.err(left); err != nil {
		return err
	}
	return nil
}

// Records are handed to the producer in batches, one cgo call for many:
// a batch goes when it holds batchRecords records or batchBytes bytes, or
// when the input has no more bytes buffered (the next read may wait, and
// the records read so far must not).
const (
	batchRecords = 512
	batchBytes   = 256 << 10
)

// produceLines reads stdin and queues each record; it stops at the first
// malformed line unless --skip-invalid.
func produceLines(ctx context.Context, opts *Options, in *bufio.Reader, conv *converter, p producer, tally *tally) error {
	var buf []byte
	batch := &kafka.Batch{}
	// A record refused before sending (a record over message.max.bytes)
	// is a delivery failure like any other, counted in the one "N of M
	// records failed" line; the next lines go on.
	refused := func(line int, err error) { tally.add(kafka.Delivery{Err: err, ID: line}) }
	send := func() bool {
		if batch.Len() == 0 {
			return true
		}
		n, err := p.ProduceBatch(ctx, batch, refused)
		tally.queue(n)
		batch.Reset()
		return err == nil
	}
	for lineNo := 1; ; lineNo++ {
		if ctx.Err() != nil || batch.Len() >= batchRecords || batch.Size() >= batchBytes || in.Buffered() == 0 {
			if !send() || ctx.Err() != nil {
				return nil
			}
		}
		line, err := readLine(in, buf[:0])
		buf = line
		if len(line) == 0 && err != nil {
			send()
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read %s: %w", opts.InputName, err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, cerr := conv.convert(line)
		if cerr != nil {
			le := &lineError{input: opts.InputName, line: lineNo, err: cerr}
			if !opts.SkipInvalid {
				send() // the lines before it are still delivered
				return le
			}
			tally.skip()
			fmt.Fprintf(opts.IO.ErrOut, "kx: skipped %v\n", le)
			continue
		}
		batch.Add(r, lineNo)
		if err == io.EOF {
			send()
			return nil
		}
	}
}

func newReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 1<<20) }

// readLine reads one line of any length (a 900 KB value makes a longer
// line than any sane buffer).
func readLine(r *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		chunk, err := r.ReadSlice('\n')
		dst = append(dst, chunk...)
		if err != bufio.ErrBufferFull {
			return dst, err
		}
	}
}

// tally counts deliveries per partition and remembers failed lines. The
// producer's reports and the records refused before sending arrive from
// two goroutines: add and addAll lock.
type tally struct {
	mu              sync.Mutex
	queued, skipped int
	perPartition    []int // by partition number
	failedLines     []int
	firstErr        error
	fatal           error
}

func newTally() *tally { return &tally{} }

func (t *tally) add(d kafka.Delivery) {
	t.mu.Lock()
	t.note(&d)
	t.mu.Unlock()
}

// addAll notes a batch of delivery reports (the producer's OnDeliveries).
func (t *tally) addAll(ds []kafka.Delivery) {
	t.mu.Lock()
	for i := range ds {
		t.note(&ds[i])
	}
	t.mu.Unlock()
}

func (t *tally) note(d *kafka.Delivery) {
	if d.Err != nil {
		if d.ID > 0 { // a line's record; a fatal error has none
			t.failedLines = append(t.failedLines, d.ID)
			if t.firstErr == nil {
				t.firstErr = d.Err
			}
		} else if t.fatal == nil {
			t.fatal = d.Err
		}
		return
	}
	if d.Record != nil && d.Record.Partition >= 0 {
		p := int(d.Record.Partition)
		if p >= len(t.perPartition) {
			t.perPartition = append(t.perPartition, make([]int, p+1-len(t.perPartition))...)
		}
		t.perPartition[p]++
	}
}

// queue counts records handed to the producer.
func (t *tally) queue(n int) {
	t.mu.Lock()
	t.queued += n
	t.mu.Unlock()
}

// skip counts an invalid line skipped.
func (t *tally) skip() {
	t.mu.Lock()
	t.skipped++
	t.mu.Unlock()
}

func (t *tally) delivered() int {
	n := 0
	for _, c := range t.perPartition {
		n += c
	}
	return n
}

func (t *tally) report(w io.Writer, topic string, left int) {
	var parts []int
	for p, n := range t.perPartition {
		if n > 0 {
			parts = append(parts, p)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kx: produced %s to %s", output.Count(t.delivered(), "record"), topic)
	if len(parts) > 0 {
		b.WriteString(" (")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "partition %d: %d", p, t.perPartition[p])
		}
		b.WriteString(")")
	}
	if t.skipped > 0 {
		fmt.Fprintf(&b, "; %d invalid lines skipped", t.skipped)
	}
	fmt.Fprintln(w, b.String())
}

func (t *tally) err(left int) error {
	failed := len(t.failedLines)
	if failed == 0 && left == 0 && t.fatal == nil {
		return nil
	}
	sort.Ints(t.failedLines)
	lines := make([]string, 0, 10)
	for i, l := range t.failedLines {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("… %d more", failed-10))
			break
		}
		lines = append(lines, fmt.Sprint(l))
	}
	cause := t.firstErr
	if cause == nil {
		cause = t.fatal
	}
	msg := fmt.Sprintf("%d of %s failed", failed+left, output.Count(t.queued, "record"))
	if len(lines) > 0 {
		msg += " (input lines " + strings.Join(lines, ", ") + ")"
	}
	if left > 0 {
		msg += fmt.Sprintf(", %d still undelivered at the deadline", left)
	}
	if cause != nil {
		return exitcode.New(cmdutil.ExitCode(cause), fmt.Errorf("%s: %w", msg, cause))
	}
	return exitcode.Newf(exitcode.Unreachable, "%s", msg)
}
