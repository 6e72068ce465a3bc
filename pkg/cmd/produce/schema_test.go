package produce

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/record"
	"github.com/kx-cli/kx/pkg/schema"
)

func TestSchemaFlags(t *testing.T) {
	o, err := parse(t, "t", "--value-schema", "v.avsc", "--key-subject", "k", "--key-version", "3", "--key-message", "M", "--no-register")
	if err != nil {
		t.Fatal(err)
	}
	if o.Value.File != "v.avsc" || o.Value.Version != kafka.LatestVersion || o.Key.Subject != "k" || o.Key.Version != 3 || o.Key.Message != "M" || !o.NoRegister {
		t.Errorf("options %+v", o)
	}
	if o, _ := parse(t, "t", "--value-subject", "s", "--value-version", "latest"); o.Value.Version != kafka.LatestVersion {
		t.Errorf("latest: %d", o.Value.Version)
	}
	for _, bad := range [][]string{
		{"t", "--value-schema", "a.avsc", "--value-subject", "s"},
		{"t", "--value-version", "2"},
		{"t", "--value-subject", "s", "--value-version", "0"},
		{"t", "--key-subject", "s", "--key-version", "x"},
		{"t", "--value-message", "M"},
		{"t", "--no-register"},
		{"t", "--value-subject", "s", "--no-register"},
	} {
		if _, err := parse(t, bad...); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestEncodeRecord(t *testing.T) {
	val, err := schema.NewEncoder("AVRO", `{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}`, "v", "")
	if err != nil {
		t.Fatal(err)
	}
	val.ID = 1
	key, err := schema.NewEncoder("AVRO", `"string"`, "k", "")
	if err != nil {
		t.Fatal(err)
	}
	key.ID = 2
	c := &converter{topic: "dst", opts: &Options{Partition: -1}, parted: 1, valueEnc: val, keyEnc: key}

	// An envelope's key is text: encoded as an Avro string.
	env := record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 0, Offset: 1, Key: []byte("ORD-1"), Value: []byte(`{"n":2}`)})
	r, err := c.convert(env)
	if err != nil {
		t.Fatal(err)
	}
	if id := binary.BigEndian.Uint32(r.Value[1:5]); id != 1 || r.Value[5] != 4 {
		t.Errorf("value % x", r.Value)
	}
	if id := binary.BigEndian.Uint32(r.Key[1:5]); id != 2 || string(r.Key[6:]) != "ORD-1" {
		t.Errorf("key % x", r.Key)
	}
	// A key that is JSON but does not fit as JSON is taken as a string too.
	env = record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 0, Offset: 1, Key: []byte("42"), Value: []byte(`{"n":2}`)})
	if r, err = c.convert(env); err != nil || string(r.Key[6:]) != "42" {
		t.Errorf("key 42: % x, %v", r.Key, err)
	}
	// A tombstone stays one.
	env = record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 0, Offset: 1, Value: nil})
	if r, err = c.convert(env); err != nil || r.Value != nil {
		t.Errorf("tombstone: %q, %v", r.Value, err)
	}
	// A binary envelope value cannot be encoded.
	env = record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 0, Offset: 1, Value: []byte{0xff, 0}})
	if _, err = c.convert(env); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("binary value: %v", err)
	}
	if _, err = c.convert([]byte(`{"n":"x"}`)); err == nil || err.Error() != `value .n: want an integer, got the string "x"` {
		t.Errorf("bad value: %v", err)
	}
	// A key that fits neither way names the key.
	c.keyEnc, _ = schema.NewEncoder("AVRO", `"int"`, "k", "")
	c.opts.KeyJQ = ".k"
	env = record.AppendJSON(nil, &record.Record{Topic: "src", Partition: 0, Offset: 1, Key: []byte("abc"), Value: []byte(`{"n":2}`)})
	if _, err = c.convert(env); err == nil || !strings.HasPrefix(err.Error(), "key .: want an integer") {
		t.Errorf("bad key: %v", err)
	}
}
