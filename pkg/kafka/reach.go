package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// reach is what librdkafka told about each bootstrap address: the cause
// of its last failed connection and when. It lets an unreachable cluster
// be named broker by broker, and a call give up as soon as every bootstrap
// address refused (instead of waiting the whole timeout).
type reach struct {
	causes  map[string]brokerCause // by bootstrap address (host:port)
	changed chan struct{}          // closed and replaced at each new cause
}

type brokerCause struct {
	cause   string
	refused bool // a definitive no: connection refused, unknown host
	at      time.Time
}

// noteTransport records a transport error event ("host:port/bootstrap:
// Connect to ipv4#… failed: Connection refused (after 0ms in state
// CONNECT)"); c.mu is held.
func (c *Client) noteTransport(err ck.Error) {
	if err.Code() != ck.ErrTransport && err.Code() != ck.ErrResolve {
		return
	}
	addr, cause, refused, ok := parseTransport(err.Error())
	if !ok {
		return
	}
	if c.reach.causes == nil {
		c.reach.causes = map[string]brokerCause{}
	}
	c.reach.causes[addr] = brokerCause{cause: cause, refused: refused, at: time.Now()}
	if c.reach.changed != nil {
		close(c.reach.changed)
	}
	c.reach.changed = make(chan struct{})
}

// parseTransport splits a librdkafka transport error into the broker's
// address, a short cause and whether it is a definitive refusal.
func parseTransport(msg string) (addr, cause string, refused, ok bool) {
	head, rest, found := strings.Cut(msg, ": ")
	if !found {
		return "", "", false, false
	}
	addr, _, _ = strings.Cut(head, "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", false, false
	}
	if i := strings.LastIndex(rest, " (after "); i >= 0 {
		rest = rest[:i]
	}
	lower := strings.ToLower(rest)
	switch {
	case strings.Contains(lower, "connection refused"):
		return addr, "connection refused", true, true
	case strings.Contains(lower, "failed to resolve"):
		why := rest
		if i := strings.LastIndex(rest, "': "); i >= 0 {
			why = rest[i+3:]
		}
		return addr, "unknown host: " + why, true, true
	case strings.Contains(lower, "timed out"):
		return addr, "timeout", false, true
	case strings.Contains(lower, "ssl") || strings.Contains(lower, "tls"):
		return addr, "TLS handshake: " + rest, false, true
	}
	if _, after, found := strings.Cut(rest, " failed: "); found {
		rest = after
	}
	return addr, rest, false, true
}

// bootstrap is the client's bootstrap addresses as librdkafka names them
// (host:port, 9092 when no port is given).
func (c *Client) bootstrap() []string {
	out := make([]string, 0, len(c.opts.Brokers))
	for _, b := range c.opts.Brokers {
		if _, after, found := strings.Cut(b, "://"); found {
			b = after
		}
		if _, _, err := net.SplitHostPort(b); err != nil {
			b = net.JoinHostPort(b, "9092")
		}
		out = append(out, b)
	}
	return out
}

// refusedSince reports whether every bootstrap address refused a
// connection at or after t, and a channel closed at the next news.
func (c *Client) refusedSince(t time.Time) (bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reach.changed == nil {
		c.reach.changed = make(chan struct{})
	}
	all := len(c.opts.Brokers) > 0
	for _, b := range c.bootstrap() {
		bc, ok := c.reach.causes[b]
		if !ok || !bc.refused || bc.at.Before(t) {
			all = false
		}
	}
	return all, c.reach.changed
}

// refusedRecently is how old a refusal may be and still count for a call
// starting now: librdkafka retries a refused address at least this often
// (reconnect.backoff.max.ms), and the first refusals often come before
// the call, right after the client connects.
const refusedRecently = time.Second

// watchRefused returns a context that also ends, with errAllRefused as its
// cause, as soon as every bootstrap address has refused a connection
// (recently: see refusedRecently).
func (c *Client) watchRefused(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	start := time.Now().Add(-refusedRecently)
	go func() {
		for {
			all, changed := c.refusedSince(start)
			if all {
				cancel(errAllRefused)
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, func() { cancel(nil) }
}

var errAllRefused = errors.New("every bootstrap broker refused the connection")

// unreachable is the error of a call that could not reach the cluster:
// each bootstrap address with the cause librdkafka gave for it, and the
// timeout unless every one refused at once.
func (c *Client) unreachable(op string, refused bool, fallback string) error {
	c.mu.Lock()
	parts := make([]string, 0, len(c.opts.Brokers))
	for _, b := range c.bootstrap() {
		cause := "no answer"
		if bc, ok := c.reach.causes[b]; ok {
			cause = bc.cause
		} else if fallback != "" {
			cause = fallback
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", b, cause))
	}
	c.mu.Unlock()
	if refused {
		return classErr(ErrUnreachable, fmt.Errorf("%s: cannot reach Kafka at %s", op, strings.Join(parts, ", ")))
	}
	return classErr(ErrUnreachable, fmt.Errorf("%s: cannot reach Kafka at %s within %s", op, strings.Join(parts, ", "), c.opts.Timeout))
}
