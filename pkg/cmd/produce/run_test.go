package produce

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/kafkafake"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

// admin gives the fake the adapter's CreateTopic.
type admin struct {
	*kafkafake.Cluster
	created []kafka.TopicSpec
}

func (a *admin) CreateTopic(ctx context.Context, spec kafka.TopicSpec) error {
	md, _ := a.Metadata(ctx)
	if _, ok := md.Topic(spec.Name); ok {
		return &kafka.TopicExistsError{Topic: spec.Name}
	}
	a.created = append(a.created, spec)
	n := spec.Partitions
	if n < 0 {
		n = 1 // the broker's num.partitions
	}
	a.Cluster.CreateTopic(spec.Name, n)
	return nil
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// shop has src (2 partitions, 4 records), orders (3 partitions, empty)
// and one (1 partition).
func shop() *admin {
	c := kafkafake.New()
	c.CreateTopic("src", 2)
	c.CreateTopic("orders", 3)
	c.CreateTopic("one", 1)
	for i := range 4 {
		c.MustAdd(record.Record{Topic: "src", Partition: int32(i % 2), Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"i":%d}`, i), Timestamp: t0.Add(time.Duration(i) * time.Second)})
	}
	return &admin{Cluster: c}
}

// produceOn runs kx produce as run does, on c, with stdin.
func produceOn(t *testing.T, c *admin, opts *Options, stdin string) (stderr string, err error) {
	t.Helper()
	ios, in, _, errOut := iostreams.Test()
	in.WriteString(stdin)
	opts.IO = ios
	if opts.InputName == "" {
		opts.InputName = "stdin"
	}
	conv := &converter{topic: opts.Topic, opts: opts}
	if opts.KeyJQ != "" {
		conv.keyJQ = jqfilter.MustCompile(opts.KeyJQ)
		conv.keyField = simpleField(opts.KeyJQ)
	}
	valueSchema, err := parseSchema(&opts.Value)
	if err != nil {
		t.Fatal(err)
	}
	err = produceTo(context.Background(), opts, conv, valueSchema, nil, c, func(reports func([]kafka.Delivery)) (producer, error) {
		return c.NewProducer(kafka.ProducerOptions{OnDeliveries: reports})
	})
	return errOut.String(), err
}

func records(c *admin, topic string) []*record.Record {
	md, _ := c.Metadata(context.Background())
	tm, _ := md.Topic(topic)
	var out []*record.Record
	for _, p := range tm.Partitions {
		out = append(out, c.Records(kafka.TP{Topic: topic, Partition: p.ID})...)
	}
	return out
}

// envelopes prints src as kx tail -e does.
func envelopes(c *admin) string {
	var b []byte
	for _, r := range records(c, "src") {
		b = record.AppendJSON(b, r)
		b = append(b, '\n')
	}
	return string(b)
}

func TestProducePlainLines(t *testing.T) {
	c := shop()
	stderr, err := produceOn(t, c, &Options{Topic: "orders", Partition: -1, KeyJQ: ".id", Headers: []record.Header{{Key: "via", Value: []byte("kx")}}},
		"{\"id\":\"a\",\"n\":1}\n\n{\"id\":\"b\",\"n\":22}\r\n{\"n\":3}\n")
	if err != nil {
		t.Fatal(err)
	}
	metadata := c.Calls(kafkafake.OpMetadata)
	got := records(c, "orders")
	if len(got) != 3 {
		t.Fatalf("%d records, want 3 (the blank line skipped)", len(got))
	}
	values := map[string]string{}
	for _, r := range got {
		values[string(r.Value)] = string(r.Key)
		if len(r.Headers) != 1 || r.Headers[0].Key != "via" {
			t.Errorf("headers %v", r.Headers)
		}
	}
	// Each value intact though the line buffer is reused; the key from --key-jq.
	if values[`{"id":"a","n":1}`] != "a" || values[`{"id":"b","n":22}`] != "b" || values[`{"n":3}`] != "" {
		t.Errorf("values and keys %q", values)
	}
	if !strings.HasPrefix(stderr, "kx: produced 3 records to orders (partition ") {
		t.Errorf("stderr %q", stderr)
	}
	// One metadata request found the topic and the others' partitions.
	if metadata != 1 {
		t.Errorf("%d metadata requests, want 1", metadata)
	}
}

func TestProduceEnvelopes(t *testing.T) {
	// A copy into a topic of as many partitions keeps them.
	c := shop()
	c.Cluster.CreateTopic("copy", 2)
	if _, err := produceOn(t, c, &Options{Topic: "copy", Partition: -1}, envelopes(c)); err != nil {
		t.Fatal(err)
	}
	for _, r := range records(c, "copy") {
		var i int
		fmt.Sscanf(string(r.Value), `{"i":%d}`, &i)
		if r.Partition != int32(i%2) || !r.Timestamp.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("copied %s to partition %d at %v", r.Value, r.Partition, r.Timestamp)
		}
	}
	// --partition sends all to one.
	stderr, err := produceOn(t, c, &Options{Topic: "orders", Partition: 2}, envelopes(c))
	if err != nil || stderr != "kx: produced 4 records to orders (partition 2: 4)\n" {
		t.Errorf("--partition 2: %v, %q", err, stderr)
	}
	// --keep-partition into too few partitions: the line says so, exit 2.
	_, err = produceOn(t, c, &Options{Topic: "one", Partition: -1, KeepPartition: true}, envelopes(c))
	var le *lineError
	if !errors.As(err, &le) || cmdutil.ExitCode(err) != exitcode.Usage || !strings.HasSuffix(err.Error(), "partition 1: topic one has 1 partition") {
		t.Errorf("--keep-partition: %v", err)
	}
}

func TestProduceBadLines(t *testing.T) {
	c := shop()
	stdin := "{\"a\":1}\nnot json\n{\"a\":3}\n"
	stderr, err := produceOn(t, c, &Options{Topic: "one", Partition: -1}, stdin)
	if cmdutil.ExitCode(err) != exitcode.Usage || err.Error() != "stdin:2: not a JSON value nor a kx envelope" {
		t.Errorf("a bad line: %v", err)
	}
	// The line before it is delivered and counted.
	if n := len(records(c, "one")); n != 1 || stderr != "kx: produced 1 record to one (partition 0: 1)\n" {
		t.Errorf("%d records, stderr %q", n, stderr)
	}
	stderr, err = produceOn(t, c, &Options{Topic: "one", Partition: -1, SkipInvalid: true}, stdin)
	if err != nil || stderr != "kx: skipped stdin:2: not a JSON value nor a kx envelope\nkx: produced 2 records to one (partition 0: 2); 1 invalid lines skipped\n" {
		t.Errorf("--skip-invalid: %v, %q", err, stderr)
	}
}

func TestProduceTopicChecks(t *testing.T) {
	c := shop()
	_, err := produceOn(t, c, &Options{Topic: "nope", Partition: -1}, "{}\n")
	if !errors.Is(err, kafka.ErrUnknownTopic) || cmdutil.ExitCode(err) != exitcode.Usage || !strings.HasSuffix(err.Error(), "(--create creates it)") {
		t.Errorf("unknown topic: %v", err)
	}
	_, err = produceOn(t, c, &Options{Topic: "one", Partition: 1}, "{}\n")
	if cmdutil.ExitCode(err) != exitcode.Usage || err.Error() != "--partition 1: topic one has 1 partition" {
		t.Errorf("--partition 1: %v", err)
	}
	c.Fail(kafkafake.OpMetadata, kafka.ErrUnreachable)
	if _, err := produceOn(t, c, &Options{Topic: "one", Partition: -1}, "{}\n"); !errors.Is(err, kafka.ErrUnreachable) || !strings.HasPrefix(err.Error(), "produce: ") {
		t.Errorf("metadata unreachable: %v", err)
	}
}

func TestProduceCreate(t *testing.T) {
	// Sized as the envelopes' topic: the first line is read ahead and
	// still produced.
	c := shop()
	stderr, err := produceOn(t, c, &Options{Topic: "copy", Partition: -1, Create: true}, "\n"+envelopes(c))
	if err != nil || len(c.created) != 1 || c.created[0].Partitions != 2 || c.created[0].ReplicationFactor != 1 {
		t.Fatalf("create: %v, %+v", err, c.created)
	}
	if !strings.HasPrefix(stderr, "kx: created topic \"copy\" (2 partitions, replication factor 1, as src)\nkx: produced 4 records to copy (") || len(records(c, "copy")) != 4 {
		t.Errorf("stderr %q, %d records", stderr, len(records(c, "copy")))
	}
	// Plain lines: the broker's defaults, unless given.
	if _, err := produceOn(t, c, &Options{Topic: "plain", Partition: -1, Create: true}, "{}\n"); err != nil || c.created[1].Partitions != -1 || c.created[1].ReplicationFactor != -1 {
		t.Errorf("plain: %v, %+v", err, c.created)
	}
	if _, err := produceOn(t, c, &Options{Topic: "sized", Partition: -1, Create: true, Partitions: 4, ReplicationFactor: 1}, ""); err != nil || c.created[2].Partitions != 4 {
		t.Errorf("--partitions 4: %v, %+v", err, c.created)
	}
	// A topic that exists is used as it is, and not said to be created.
	stderr, err = produceOn(t, c, &Options{Topic: "orders", Partition: -1, Create: true}, "{}\n")
	if err != nil || len(c.created) != 3 || strings.Contains(stderr, "created") {
		t.Errorf("existing: %v, %q", err, stderr)
	}
}

func TestProduceDeliveryFailures(t *testing.T) {
	c := shop()
	c.Fail(kafkafake.OpProduce, fmt.Errorf("produce to one: %w", kafka.ErrUnreachable))
	stderr, err := produceOn(t, c, &Options{Topic: "one", Partition: -1}, "{}\n{}\n{}\n")
	if cmdutil.ExitCode(err) != exitcode.Unreachable || !strings.HasPrefix(err.Error(), "3 of 3 records failed (input lines 1, 2, 3): produce to one: ") {
		t.Errorf("failed deliveries: %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	if stderr != "kx: produced 0 records to one\n" {
		t.Errorf("stderr %q", stderr)
	}
	c.Fail(kafkafake.OpProduce, nil)
	c.Fail(kafkafake.OpNewProducer, kafka.ErrAuth)
	if _, err := produceOn(t, c, &Options{Topic: "one", Partition: -1}, "{}\n"); !errors.Is(err, kafka.ErrAuth) {
		t.Errorf("no producer: %v", err)
	}
}

// With a value schema the values go out in the wire format, the schema
// registered under TOPIC-value first; without a registry it is a usage
// error before anything is sent.
func TestProduceWithSchema(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "order.avsc")
	if err := os.WriteFile(file, []byte(`{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := shop()
	opts := &Options{Topic: "one", Partition: -1, Value: SchemaOptions{File: file}}
	if _, err := produceOn(t, c, opts, "{\"id\":\"a\"}\n"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "need a schema registry") || len(records(c, "one")) != 0 {
		t.Errorf("no registry: %v", err)
	}

	srv, err := embedded.StartRegistry(embedded.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	reg, err := kafka.NewRegistry(kafka.RegistryOptions{URL: srv.URL(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	opts.Registry = func() (*kafka.Registry, error) { return reg, nil }
	opts.NoRegister = true
	if _, err := produceOn(t, c, opts, "{\"id\":\"a\"}\n"); !errors.Is(err, kafka.ErrSchemaNotFound) || !strings.Contains(err.Error(), "drop --no-register to register it") {
		t.Errorf("--no-register, not registered: %v", err)
	}
	opts.NoRegister = false
	stderr, err := produceOn(t, c, opts, "{\"id\":\"a\"}\n{\"id\":7}\n")
	if cmdutil.ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "stdin:2: value ") {
		t.Errorf("a value that does not fit: %v", err)
	}
	if !strings.HasPrefix(stderr, "kx: value schema "+file+": registered under one-value version 1 (id ") {
		t.Errorf("stderr %q", stderr)
	}
	got := records(c, "one")
	if len(got) != 1 {
		t.Fatalf("%d records, want the one before the bad line", len(got))
	}
	if id, ok := schema.WireID(got[0].Value); !ok || id == 0 {
		t.Errorf("value % x: not in the wire format", got[0].Value)
	}

	// --value-subject encodes with the registered schema.
	opts.Value = SchemaOptions{Subject: "one-value", Version: kafka.LatestVersion}
	stderr, err = produceOn(t, c, opts, "{\"id\":\"b\"}\n")
	if err != nil || !strings.HasPrefix(stderr, "kx: value schema: one-value version 1 (id ") {
		t.Errorf("--value-subject: %v, %q", err, stderr)
	}
	opts.Value.Message = "Order"
	if _, err := produceOn(t, c, opts, "{\"id\":\"b\"}\n"); cmdutil.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "--value-message: subject one-value is avro, not protobuf") {
		t.Errorf("--value-message on Avro: %v", err)
	}
	opts.Value = SchemaOptions{Subject: "nope-value", Version: kafka.LatestVersion}
	if _, err := produceOn(t, c, opts, "{}\n"); !errors.Is(err, kafka.ErrSchemaNotFound) || !strings.HasPrefix(err.Error(), "--value-subject: ") {
		t.Errorf("unknown subject: %v", err)
	}
}
