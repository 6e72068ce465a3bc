package kafka

import (
	"strings"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func TestParseTransport(t *testing.T) {
	for _, tc := range []struct {
		msg, addr, cause string
		refused          bool
	}{
		{"127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)", "127.0.0.1:1", "connection refused", true},
		{"127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT, 1 identical error(s) suppressed)", "127.0.0.1:1", "connection refused", true},
		{"nope.invalid:9092/bootstrap: Failed to resolve 'nope.invalid:9092': Name or service not known (after 2ms in state CONNECT)", "nope.invalid:9092", "unknown host: Name or service not known", true},
		{"10.0.0.1:9092/bootstrap: Connection setup timed out in state CONNECT (after 30029ms in state CONNECT)", "10.0.0.1:9092", "timeout", false},
		{"k1:9093/1: SSL handshake failed: certificate verify failed (after 5ms in state SSL_HANDSHAKE)", "k1:9093", "TLS handshake: SSL handshake failed: certificate verify failed", false},
	} {
		addr, cause, refused, ok := parseTransport(tc.msg)
		if !ok || addr != tc.addr || cause != tc.cause || refused != tc.refused {
			t.Errorf("%q: %q %q %v %v", tc.msg, addr, cause, refused, ok)
		}
	}
	if _, _, _, ok := parseTransport("2/2 brokers are down"); ok {
		t.Error("a summary parsed as a broker's error")
	}
}

// Every bootstrap address refusing ends a call at once, the message
// naming each address and its cause; a timeout names the wait.
func TestRefusedFailsFast(t *testing.T) {
	c := New(Options{Brokers: []string{"127.0.0.1:1", "b:2"}, Timeout: time.Minute})
	ctx, cancel := c.ctx(nil)
	defer cancel()
	c.noteError(ck.NewError(ck.ErrTransport, "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)", false))
	select {
	case <-ctx.Done():
		t.Fatal("ended with one of two addresses refused")
	case <-time.After(50 * time.Millisecond):
	}
	c.noteError(ck.NewError(ck.ErrResolve, "b:2/bootstrap: Failed to resolve 'b:2': Name or service not known (after 1ms in state CONNECT)", false))
	<-ctx.Done() // the test's own deadline bounds this wait
	err := c.classify("metadata", ctx.Err())
	if Class(err) != ErrUnreachable || err.Error() != "metadata: cannot reach Kafka at 127.0.0.1:1 (connection refused), b:2 (unknown host: Name or service not known)" {
		t.Errorf("refused: %v", err)
	}
	c = New(Options{Brokers: []string{"10.0.0.1"}, Timeout: 2 * time.Second})
	err = c.classify("metadata", ck.NewError(ck.ErrTimedOut, "Local: Timed out", false))
	if !strings.HasSuffix(err.Error(), "cannot reach Kafka at 10.0.0.1:9092 (no answer) within 2s") {
		t.Errorf("timeout: %v", err)
	}
}
