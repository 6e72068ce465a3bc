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
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	gate   *gatedWriter
	once   sync.Once
}

// startDashboard starts the dashboard on ios (a terminal). Play's own
// stderr lines go through the returned gate: held while the dashboard owns
// the screen, printed after it closes.
//
// The rules are in scenario time (alert.Scale): at --speed 10 a "10s"
// window lasts one second and "0.05/s" means 0.5 records a second, so
// alerts fire and resolve with the story. Records in a Schema Registry
// format are decoded through reg (nil: none), so the rules' jq sees JSON.
func startDashboard(ctx context.Context, ios *iostreams.IOStreams, client *kafka.Client, reg *kafka.Registry, speed float64) (*dashboard, error) {
	rules, err := alert.Parse("alerts/ecommerce.yaml (embedded)", alerts.Ecommerce)
	if err != nil {
		return nil, fmt.Errorf("demo: alert rules: %w", err)
	}
	alert.Scale(rules, speed)
	dctx, cancel := context.WithCancel(ctx)
	d := &dashboard{cancel: cancel, done: make(chan struct{}), gate: &gatedWriter{w: ios.ErrOut}}
	// The dashboard's own warnings wait behind the same gate.
	dio := *ios
	dio.ErrOut = d.gate
	dec, err := cmdutil.NewRecordDecoder(reg, cmdutil.SchemaFlags{KeyFormat: schema.FormatAuto, ValueFormat: schema.FormatAuto}, d.gate)
	if err != nil {
		cancel()
		return nil, err
	}
	go func() {
		defer close(d.done)
		q := &stats.Query{Interval: time.Second, Window: time.Minute, Rules: rules, From: "beginning", Title: "kx demo"}
		_, height := dio.TerminalSize() // the dashboard never scrolls
		dash := &stats.Dashboard{Width: min(dio.TerminalWidth(), 120), Height: height, Color: dio.ColorEnabled(), Title: q.Title, Brokers: stats.JoinBrokers(client.Brokers())}
		d.err = stats.NewWatcher(q, client, cmdutil.Readers(client, dec), dio.Out, dio.ErrOut, dash).Run(dctx)
		dec.Report()
	}()
	return d, nil
}

// view adapts the dashboard to play's View.
func (d *dashboard) view(*scenario.Scenario) play.View { return dashboardView{d} }

// stop ends the dashboard (its summary is printed) and releases play's
// held stderr lines.
func (d *dashboard) stop() error {
	d.once.Do(func() {
		d.cancel()
		<-d.done
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

func (g *gatedWriter) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.released {
		g.released = true
		_, _ = g.w.Write(g.held.Bytes())
		g.held.Reset()
	}
}
