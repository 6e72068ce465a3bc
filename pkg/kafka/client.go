// Package kafka is kx's only door to Kafka: a thin adapter around
// confluent-kafka-go (librdkafka, cgo). Everything outside this package works
// with pure-Go types (record.Record, the structs below), so domain code can
// be tested without a broker and cgo stays in one place.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kx-cli/kx/pkg/exitcode"
)

// Options configure a Client.
type Options struct {
	Brokers    []string
	Properties map[string]string // librdkafka properties, passed through
	Timeout    time.Duration     // the most an operation waits for the cluster
	// Log receives librdkafka's log lines when Verbose; never stdout.
	Log     io.Writer
	Verbose bool
}

// Client hands out admin calls, readers and producers for one cluster.
type Client struct {
	opts Options

	mu        sync.Mutex
	admin     *ck.AdminClient
	adminProd *ck.Producer
	lastErr   error // the last error event librdkafka reported (auth, transport)
}

// New returns a client; nothing connects until the first call.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Client{opts: opts}
}

// Timeout is the configured cluster timeout.
func (c *Client) Timeout() time.Duration { return c.opts.Timeout }

// Brokers are the bootstrap brokers.
func (c *Client) Brokers() []string { return c.opts.Brokers }

// LibraryVersion is librdkafka's version string.
func LibraryVersion() string {
	_, s := ck.LibraryVersion()
	return s
}

// Close releases the admin connection.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		c.admin.Close()
		c.adminProd.Close()
		c.admin, c.adminProd = nil, nil
	}
}

// configMap builds a librdkafka configuration: kx's defaults, then the
// user's properties (which win), then per-use overrides.
func (c *Client) configMap(defaults, overrides map[string]any) *ck.ConfigMap {
	m := ck.ConfigMap{
		"bootstrap.servers":   strings.Join(c.opts.Brokers, ","),
		"client.id":           "kx",
		"enable.metrics.push": false,
		// Reconnect quickly after a broker restart.
		"reconnect.backoff.max.ms": 1000,
	}
	for k, v := range defaults {
		m[k] = v
	}
	for k, v := range c.opts.Properties {
		m[k] = v
	}
	for k, v := range overrides {
		m[k] = v
	}
	// librdkafka logs go to our channel, never to the process's stdout.
	logs := make(chan ck.LogEvent, 256)
	m["go.logs.channel.enable"] = true
	m["go.logs.channel"] = logs
	go c.drainLogs(logs)
	return &m
}

func (c *Client) drainLogs(logs chan ck.LogEvent) {
	for ev := range logs {
		if c.opts.Verbose && c.opts.Log != nil {
			fmt.Fprintf(c.opts.Log, "librdkafka %s %d %s: %s\n", ev.Name, ev.Level, ev.Tag, ev.Message)
		}
	}
}

// noteError remembers an error event so a later timeout can say why (a
// refused password surfaces only as an event, the call itself times out).
func (c *Client) noteError(err ck.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if isAuthError(err) || c.lastErr == nil || !isAuthError(c.lastErr) {
		c.lastErr = err
	}
}

func (c *Client) lastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// adminClient lazily creates the admin client. It is derived from a
// producer so its logs follow the same route as everything else.
func (c *Client) adminClient() (*ck.AdminClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		return c.admin, nil
	}
	p, err := ck.NewProducer(c.configMap(nil, map[string]any{"go.delivery.reports": false}))
	if err != nil {
		return nil, exitcode.Newf(exitcode.Usage, "kafka client configuration: %w", err)
	}
	go func() {
		for ev := range p.Events() {
			if e, ok := ev.(ck.Error); ok {
				c.noteError(e)
				if c.opts.Verbose && c.opts.Log != nil {
					fmt.Fprintf(c.opts.Log, "kafka: %v\n", e)
				}
			}
		}
	}()
	a, err := ck.NewAdminClientFromProducer(p)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	c.admin, c.adminProd = a, p
	return a, nil
}

// ctx bounds a call by the client's timeout.
func (c *Client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	return context.WithTimeout(parent, c.opts.Timeout)
}

// classify turns a librdkafka error into an error with kx's exit code and a
// message naming the brokers.
func (c *Client) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var coder exitcode.Coder
	if errors.As(err, &coder) {
		return err
	}
	if last := c.lastError(); last != nil && isAuthError(last) {
		return exitcode.Newf(exitcode.Auth, "%s: authentication or TLS failure with %s: %v", op, strings.Join(c.opts.Brokers, ","), last)
	}
	if isAuthError(err) {
		return exitcode.Newf(exitcode.Auth, "%s: authentication or TLS failure with %s: %v", op, strings.Join(c.opts.Brokers, ","), err)
	}
	if isUnreachable(err) {
		why := err.Error()
		if last := c.lastError(); last != nil {
			why = last.Error()
		}
		return exitcode.Newf(exitcode.Unreachable, "%s: cannot reach Kafka at %s within %s: %s", op, strings.Join(c.opts.Brokers, ","), c.opts.Timeout, why)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isAuthError(err error) bool {
	var ke ck.Error
	if errors.As(err, &ke) {
		switch ke.Code() {
		case ck.ErrAuthentication, ck.ErrSaslAuthenticationFailed, ck.ErrSsl,
			ck.ErrTopicAuthorizationFailed, ck.ErrGroupAuthorizationFailed, ck.ErrClusterAuthorizationFailed:
			return true
		}
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "sasl authentication") || strings.Contains(s, "authentication failed") ||
		strings.Contains(s, "ssl handshake") || strings.Contains(s, "certificate verify")
}

func isUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ke ck.Error
	if errors.As(err, &ke) {
		switch ke.Code() {
		case ck.ErrTransport, ck.ErrAllBrokersDown, ck.ErrTimedOut, ck.ErrTimedOutQueue, ck.ErrResolve:
			return true
		}
	}
	return false
}
