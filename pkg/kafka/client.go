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
	"sync/atomic"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Options configure a Client.
type Options struct {
	Brokers    []string
	Properties map[string]string // librdkafka properties, passed through
	Timeout    time.Duration     // the most an operation waits for the cluster
	// Compression is the producers' default codec (the profile's
	// compression); the user's compression.type property wins over it.
	Compression string
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
	adminLogs *logRoute
	lastErr   error // the last error event librdkafka reported (auth, transport)
	reach     reach // per bootstrap address: why it could not be reached
	// metadataPending counts GetMetadata calls not returned yet;
	// metadataCalls, made with admin, waits for them before admin closes
	// (confluent-kafka-go's AdminClient must not close under a call).
	metadataPending atomic.Int32
	metadataCalls   *sync.WaitGroup
}

// New returns a client; nothing connects until the first call.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Client{opts: opts}
}

// WithTimeout returns a new client for the same cluster whose operations
// wait at most d (shell completion must answer fast). Close it when done.
func (c *Client) WithTimeout(d time.Duration) *Client {
	o := c.opts
	o.Timeout = d
	return New(o)
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

// Close releases the admin connection. A metadata request still waiting
// for an unreachable cluster (Metadata gave up early: every broker
// refused) would hold librdkafka's close until its timeout, so the close
// then finishes in the background.
func (c *Client) Close() { c.close(false) }

// CloseNoWait is Close for a process about to exit: the admin connection
// is closed in the background. Closing it waits for confluent-kafka-go's
// poller, which looks up every 100 ms, and a command should not spend that
// time after its work is done (the admin client sends no records: nothing
// is lost when the process ends first).
func (c *Client) CloseNoWait() { c.close(true) }

func (c *Client) close(background bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		admin, prod, logs, calls := c.admin, c.adminProd, c.adminLogs, c.metadataCalls
		closeAll := func() {
			calls.Wait()
			admin.Close()
			prod.Close()
			logs.close()
		}
		if background || c.metadataPending.Load() > 0 {
			go closeAll()
		} else {
			closeAll()
		}
		c.admin, c.adminProd, c.adminLogs = nil, nil, nil
	}
}

// configMap builds a librdkafka configuration: kx's defaults, then the
// user's properties (which win), then per-use overrides. The log route it
// returns must be closed after the librdkafka client built from it.
func (c *Client) configMap(defaults, overrides map[string]any) (*ck.ConfigMap, *logRoute) {
	m := ck.ConfigMap{
		"bootstrap.servers":   strings.Join(c.opts.Brokers, ","),
		"client.id":           "kx",
		"enable.metrics.push": false,
		// Reconnect quickly after a broker restart.
		"reconnect.backoff.max.ms": 1000,
		// librdkafka 2.10+ drops the bootstrap connection once it knows
		// the brokers and connects again by broker id, at most once per
		// half this backoff (default 100 ms): each command waited ~45 ms
		// before its first request. 10 ms makes that wait 11 ms.
		"reconnect.backoff.ms": 10,
		// kx never creates a topic by asking for it, even from a producer
		// and on a broker with auto.create.topics.enable=true (the default).
		"allow.auto.create.topics": false,
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
	logs := c.newLogRoute()
	m["go.logs.channel.enable"] = true
	m["go.logs.channel"] = logs.ch
	return &m, logs
}

// logRoute forwards one librdkafka client's log lines to Options.Log.
// confluent-kafka-go never closes a channel the caller supplies, so close
// does, once the client that wrote to it is closed.
type logRoute struct {
	ch   chan ck.LogEvent
	done chan struct{}
	once sync.Once
}

func (c *Client) newLogRoute() *logRoute {
	l := &logRoute{ch: make(chan ck.LogEvent, 256), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ev := range l.ch {
			if c.opts.Verbose && c.opts.Log != nil {
				fmt.Fprintf(c.opts.Log, "librdkafka %s %d %s: %s\n", ev.Name, ev.Level, ev.Tag, ev.Message)
			}
		}
	}()
	return l
}

// close ends the route; call it only after the client's Close returned
// (confluent-kafka-go stops writing to the channel there).
func (l *logRoute) close() {
	l.once.Do(func() {
		close(l.ch)
		<-l.done
	})
}

// noteError remembers an error event so a later timeout can say why (a
// refused password surfaces only as an event, the call itself times out).
func (c *Client) noteError(err ck.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteTransport(err)
	if isAuthError(err) || c.lastErr == nil || !isAuthError(c.lastErr) {
		c.lastErr = err
	}
}

func (c *Client) lastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// metadataCall is adminClient for a GetMetadata call that may outlive
// its caller (Metadata gives up early when every broker refused): it is
// counted, and the admin client closes once it returned.
func (c *Client) metadataCall() (*ck.AdminClient, *sync.WaitGroup, error) {
	a, err := c.adminClient()
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != a {
		return nil, nil, fmt.Errorf("kafka admin client: closed")
	}
	c.metadataPending.Add(1)
	c.metadataCalls.Add(1)
	return a, c.metadataCalls, nil
}

// adminClient lazily creates the admin client. It is derived from a
// producer so its logs follow the same route as everything else.
func (c *Client) adminClient() (*ck.AdminClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		return c.admin, nil
	}
	// Small event and produce channels: confluent-kafka-go's defaults
	// allocate 24 MB up front, a sixth of a command's memory budget.
	cfg, logs := c.configMap(nil, map[string]any{"go.delivery.reports": false, "go.events.channel.size": 1024, "go.produce.channel.size": 1})
	p, err := ck.NewProducer(cfg)
	if err != nil {
		logs.close()
		return nil, classErr(ErrInvalid, fmt.Errorf("kafka client configuration: %w", err))
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
		logs.close()
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	c.admin, c.adminProd, c.adminLogs = a, p, logs
	c.metadataCalls = &sync.WaitGroup{}
	return a, nil
}

// ctx bounds a call by the client's timeout, and ends it as soon as every
// bootstrap broker refused a connection (classify then says so).
func (c *Client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, c.opts.Timeout)
	ctx, stop := c.watchRefused(ctx)
	return ctx, func() { stop(); cancel() }
}

// classify turns a librdkafka error into a classified error whose message
// names the brokers.
func (c *Client) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if Class(err) != nil {
		return err
	}
	if last := c.lastError(); last != nil && isAuthError(last) {
		return classErr(ErrAuth, fmt.Errorf("%s: authentication or TLS failure with %s: %v", op, strings.Join(c.opts.Brokers, ","), last))
	}
	if isAuthError(err) {
		return classErr(ErrAuth, fmt.Errorf("%s: authentication or TLS failure with %s: %v", op, strings.Join(c.opts.Brokers, ","), err))
	}
	if errors.Is(err, errAllRefused) {
		return c.unreachable(op, true, "")
	}
	// A call ctx ended because every bootstrap broker refused.
	if errors.Is(err, context.Canceled) {
		if all, _ := c.refusedSince(time.Now().Add(-c.opts.Timeout)); all {
			return c.unreachable(op, true, "")
		}
	}
	if isUnreachable(err) {
		return c.unreachable(op, false, "")
	}
	return fmt.Errorf("%s: %w", op, err)
}
