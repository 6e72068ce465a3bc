package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kx-cli/kx/alerts"
	"github.com/kx-cli/kx/pkg/alert"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
	"github.com/kx-cli/kx/pkg/stats"
)

// dashboard runs the kx stats dashboard, with the demo's alert rules, while
// the scenario plays. It is the play view: the dashboard stops when the
// play ends, before the final report is printed.
type dashboard struct {
	ctx     context.Context
	ios     iostreams.IOStreams // ErrOut: the gate
	client  *kafka.Client
	rules   []*alert.Rule
	dec     *cmdutil.RecordDecoder
	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	gate    *gatedWriter
	once    sync.Once
}

// newDashboard prepares the dashboard on ios (a terminal); it starts when
// play asks for its view, after the topics are made, so what play says
// before (its header, the topics it created) is printed in its place and
// the dashboard never waits for a topic about to be created. Play's own
// stderr lines go through the gate: held while the dashboard owns the
// screen, printed after it closes.
//
// The rules are in scenario time (alert.Scale): at --speed 10 a "10s"
// window lasts one second and "0.05/s" means 0.5 records a second, so
// alerts fire and resolve with the story. Records in a Schema Registry
// format are decoded through reg (nil: none), so the rules' jq sees JSON.
func newDashboard(ctx context.Context, ios *iostreams.IOStreams, client *kafka.Client, reg *kafka.Registry, speed float64) (*dashboard, error) {
	rules, err := alert.Parse("alerts/ecommerce.yaml (embedded)", alerts.Ecommerce)
	if err != nil {
		return nil, fmt.Errorf("demo: alert rules: %w", err)
	}
	alert.Scale(rules, speed)
	// Until the dashboard starts, the gate lets lines through.
	d := &dashboard{ctx: ctx, ios: *ios, client: client, rules: rules, done: make(chan struct{}), gate: &gatedWriter{w: ios.ErrOut, released: true}}
	// The dashboard's own warnings wait behind the same gate.
	d.ios.ErrOut = d.gate
	dec, err := cmdutil.NewRecordDecoder(reg, cmdutil.SchemaFlags{KeyFormat: schema.FormatAuto, ValueFormat: schema.FormatAuto}, d.gate)
	if err != nil {
		return nil, err
	}
	d.dec = dec
	return d, nil
}

// start takes the screen: from now on stderr lines are held.
func (d *dashboard) start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return
	}
	d.started = true
	d.gate.hold()
	dctx, cancel := context.WithCancel(d.ctx)
	d.cancel = cancel
	go func() {
		defer close(d.done)
		q := &stats.Query{Interval: time.Second, Window: time.Minute, Rules: d.rules, From: "beginning", Title: "kx demo"}
		dio := &d.ios
		_, height := dio.TerminalSize() // the dashboard never scrolls
		dash := &stats.Dashboard{Width: min(dio.TerminalWidth(), 120), Height: height, Color: dio.ColorEnabled(), Title: q.Title, Brokers: stats.JoinBrokers(d.client.Brokers())}
		d.err = stats.NewWatcher(q, d.client, cmdutil.Readers(d.client, d.dec), dio.Out, dio.ErrOut, dash).Run(dctx)
		d.dec.Report()
	}()
}

// view adapts the dashboard to play's View: play asks for it once the
// topics exist, and the dashboard starts then.
func (d *dashboard) view(*scenario.Scenario) play.View {
	d.start()
	return dashboardView{d}
}

// stop ends the dashboard (its summary is printed) and releases play's
// held stderr lines.
func (d *dashboard) stop() error {
	d.once.Do(func() {
		d.mu.Lock()
		started := d.started
		d.started = true // a late view() must not start it any more
		d.mu.Unlock()
		if started {
			d.cancel()
			<-d.done
		}
		d.gate.release()
	})
	return d.err
}

type dashboardView struct{ d *dashboard }

func (dashboardView) Update(play.Snapshot)  {}
func (v dashboardView) Close(play.Snapshot) { _ = v.d.stop() }

// gatedWriter holds writes until release, then passes them through.
type gatedWriter struct {
	mu       sync.Mutex
	w        io.Writer
	held     bytes.Buffer
	released bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return g.w.Write(p)
	}
	return g.held.Write(p)
}

// hold makes writes wait until release.
func (g *gatedWriter) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = false
}

func (g *gatedWriter) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.released {
		g.released = true
		_, _ = g.w.Write(g.held.Bytes())
		g.held.Reset()
	}
}
