package record

import "testing"

// The scanning itself is tested in internal/jsonscan; these are the
// envelope's own rules on top of it.
func TestEmbeddable(t *testing.T) {
	for _, c := range []struct {
		v                string
		embeddable, json bool
	}{
		{``, false, false},
		{`null`, false, true},
		{`nul`, false, false},
		{`{"a":null}`, true, true},
		{`"null"`, true, true},
		{` {}`, false, false},
		{"{\n}", false, false},
		{`[1, 2]`, true, true},
	} {
		if got := embeddable([]byte(c.v)); got != c.embeddable {
			t.Errorf("embeddable(%q) = %v, want %v", c.v, got, c.embeddable)
		}
		if got := IsJSON([]byte(c.v)); got != c.json {
			t.Errorf("IsJSON(%q) = %v, want %v", c.v, got, c.json)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	v := []byte(`{"transactionId":"tx-001000042","orderId":"ord-050042","customerId":"cust-00042","amount":52.42,"currency":"EUR","method":"card","status":"APPROVED"}`)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !embeddable(v) {
				b.Fatal("not embeddable")
			}
		}
	})
}
