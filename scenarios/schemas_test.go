package scenarios

import (
	"testing"

	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
)

// TestDemoSchemas encodes every event of the demo (incidents included:
// payment errors, cancellations, delays) with its topic's Avro and
// Protobuf schema, so kx demo --value-format never meets an event its schema
// refuses.
func TestDemoSchemas(t *testing.T) {
	data, err := FS.ReadFile(Demo)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Parse(Demo, data)
	if err != nil {
		t.Fatal(err)
	}
	proto, err := FS.ReadFile(DemoProto)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"avro", "protobuf"} {
		encoders := map[string]*schema.Encoder{}
		for _, tp := range s.Topics {
			var enc *schema.Encoder
			if format == "avro" {
				text, err := FS.ReadFile("schemas/" + tp.Name + ".avsc")
				if err != nil {
					t.Fatal(err)
				}
				enc, err = schema.NewEncoder(schema.TypeAvro, string(text), tp.Name+".avsc", "")
			} else {
				msg, ok := DemoMessages[tp.Name]
				if !ok {
					t.Fatalf("no message for topic %s", tp.Name)
				}
				enc, err = schema.NewEncoder(schema.TypeProtobuf, string(proto), DemoProto, msg)
			}
			if err != nil {
				t.Fatal(err)
			}
			encoders[tp.Name] = enc
		}
		g := scenario.NewGenerator(s, scenario.GeneratorOptions{Seed: 1, RunID: "25f9d616-ed1c-4123-9b14-110b3168c594", RateScale: 0.2})
		n, statuses := 0, map[string]bool{}
		var buf []byte
		for ev, ok := g.Next(); ok; ev, ok = g.Next() {
			n++
			for _, tag := range ev.Tags {
				statuses[tag.Value] = true
			}
			if buf, err = encoders[ev.Topic].Encode(buf[:0], ev.Value); err != nil {
				t.Fatalf("%s: %s event %s: %v", format, ev.Topic, ev.Value, err)
			}
		}
		for _, st := range []string{"ERROR", "CANCELLED", "DELAYED", "OUT_OF_STOCK", "PAYMENT_FAILED"} {
			if !statuses[st] {
				t.Errorf("%s: no %s event was encoded; the test does not cover it", format, st)
			}
		}
		t.Logf("%s: %d events encoded", format, n)
	}
}
