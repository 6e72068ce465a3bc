// Package demo implements `kx demo`: the one-command demo. It plays the
// e-commerce scenario against an embedded broker (or a real cluster with
// --brokers) and ends with the final statistics.
package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/scenarios"
)

// Options of kx demo.
type Options struct {
	Play   play.Options
	Config func() (*config.Resolved, error)
	// ScenarioFile is --scenario; empty plays the embedded ecommerce-demo.yaml.
	ScenarioFile string
	Port         int
	Keep         bool
	Verbose      bool
	// NoDashboard keeps play's status lines instead of the stats dashboard.
	NoDashboard bool
	// NewView, when set, replaces the play view (a dashboard, later).
	NewView func(s *scenario.Scenario) play.View
}

// NewCmdDemo builds `kx demo`.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Config: f.Config}
	opts.Play.IO = f.IOStreams
	var outputFlag, startFlag string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play the five-minute e-commerce demo, on an embedded broker unless --brokers is given",
		Long: `Play the e-commerce demo: six topics (orders.created, orders.completed,
inventory.updates, customer.notifications, payment.transactions,
shipping.events), then five minutes of business events:

  0:00–0:30  setup: the six topics are created
  0:30–2:00  normal activity: 10 orders with inventory, payment, notification
             and shipping events
  2:00–3:00  Black Friday: 50 orders per second
  3:00–4:00  incidents: payment ERRORs (bank API timeout), OUT_OF_STOCK
             alerts, DELAYED shipments; failed orders are held
  4:00–5:00  resolution: held orders are retried and shipped, back to normal

and final statistics per topic and per phase. --speed 10 plays it in
about 30 s (500 orders/s at the peak).

On a terminal, the demo shows the live kx stats dashboard while it plays:
throughput sparklines per topic, current and peak rates, payment SUCCESS
vs ERROR, and the alerts of the shipped ecommerce rules as coloured
notifications (payment errors red, out-of-stock orange, shipping delays
blue, resolutions green). --no-dashboard shows play's status lines instead.

Without --brokers (flag, KX_BROKERS or a profile) kx demo starts an
embedded broker in-process on 127.0.0.1 (--port, default a free port) and
stops it at the end, unless --keep leaves it up until Ctrl-C so you can
explore the data with other kx commands. With --brokers it plays against
that cluster.

The scenario ships inside kx; --scenario plays another file or shipped
scenario instead (as kx play takes them; kx play --list). Everything else works as in kx play:
records on stdout when piped (-o ndjson), the report with -o json,
verification at the end (exit 5 on a shortfall), Ctrl-C to stop cleanly.`,
		Example: `  kx demo --speed 10                      # about 30 s, embedded broker
  kx demo --speed 10 --keep --port 9092   # then, in another terminal: kx topics
  kx demo -b localhost:9092               # against your cluster, in real time
  kx demo --speed 10 -o json | jq '.topics[] | {topic, events, peak_per_sec}'
  kx demo --scenario smoke`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Play.SeedSet = cmd.Flags().Changed("seed")
			if err := cmdutil.ValidatePlayFlags(&opts.Play, f.IOStreams, outputFlag, startFlag); err != nil {
				return err
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return cmdutil.UsageErrorf("--port %d: out of range", opts.Port)
			}
			opts.Verbose = f.Flags.Verbose
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddPlayFlags(cmd, &opts.Play, &outputFlag, &startFlag)
	cmd.Flags().StringVar(&opts.ScenarioFile, "scenario", "", "play this scenario file instead of the shipped ecommerce-demo.yaml")
	cmd.Flags().IntVar(&opts.Port, "port", 0, "port of the embedded broker (0: a free port)")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the embedded broker running after the demo, until Ctrl-C")
	cmd.Flags().BoolVar(&opts.NoDashboard, "no-dashboard", false, "on a terminal, show play's status lines instead of the live kx stats dashboard")
	return cmd
}

// Run plays the demo.
func Run(ctx context.Context, opts *Options) error {
	s, err := loadScenario(opts.ScenarioFile)
	if err != nil {
		return err
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	io := opts.Play.IO
	p := opts.Play
	p.Scenario = s
	p.Name = "kx demo"
	if opts.NewView != nil {
		p.NewView = opts.NewView
	}

	var b *embedded.Broker
	brokers := cfg.Brokers
	if cfg.BrokersSource == "default" {
		b, err = embedded.Start(embedded.Options{Port: opts.Port})
		if err != nil {
			return exitcode.Newf(exitcode.Unreachable, "demo: %w", err)
		}
		defer b.Close()
		brokers = b.Addrs()
		if !p.Quiet {
			fmt.Fprintf(io.ErrOut, "kx demo: embedded broker on %s (in memory); with --keep it stays up after the demo\n", strings.Join(brokers, ","))
		}
	}
	client := kafka.New(kafka.Options{
		Brokers: brokers, Properties: cfg.Properties, Timeout: cfg.Timeout,
		Log: io.ErrOut, Verbose: opts.Verbose,
	})
	defer client.Close()
	p.Kafka = func() (play.Cluster, error) { return play.Adapt(client, client.NewProducer), nil }

	// On a terminal with nothing else on stdout, the live dashboard of kx
	// stats (with the demo's alert rules) replaces play's status lines.
	if opts.NewView == nil && !opts.NoDashboard && !p.Quiet && io.IsStdoutTTY() && p.Output == play.OutputNone {
		dash, err := startDashboard(ctx, io, client, p.Speed)
		if err != nil {
			return err
		}
		defer dash.stop()
		pio := *io
		pio.ErrOut = dash.gate
		p.IO = &pio
		p.NewView = dash.view
	}

	if err := play.Run(ctx, &p); err != nil {
		return err
	}
	if b != nil && opts.Keep && ctx.Err() == nil {
		fmt.Fprintf(io.ErrOut, "kx demo: the embedded broker stays up on %s; try 'kx -b %s topics'; Ctrl-C to stop\n", strings.Join(brokers, ","), brokers[0])
		<-ctx.Done()
	}
	return nil
}

// loadScenario reads --scenario, or the shipped demo scenario embedded in
// the binary.
func loadScenario(file string) (*scenario.Scenario, error) {
	if file != "" {
		return cmdutil.LoadScenario(file)
	}
	data, err := scenarios.FS.ReadFile(scenarios.Demo)
	if err != nil {
		return nil, fmt.Errorf("demo: embedded scenario: %w", err)
	}
	return scenario.Parse("scenarios/"+scenarios.Demo+" (embedded)", data)
}
