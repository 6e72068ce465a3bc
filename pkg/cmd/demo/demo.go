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
	"github.com/kx-cli/kx/pkg/consume"
	"github.com/kx-cli/kx/pkg/embedded"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/registry"
	"github.com/kx-cli/kx/pkg/scenario"
	"github.com/kx-cli/kx/pkg/schema"
	"github.com/kx-cli/kx/pkg/service"
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
	// Format is json, avro or protobuf: how the demo's events are written.
	Format string
	// Registry is the configured Schema Registry (nil: none).
	Registry func() (*kafka.Registry, error)
	// RegistryPort is the embedded registry's port (0: a free one).
	RegistryPort int
}

// NewCmdDemo builds `kx demo`.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Config: f.Config, Registry: f.Registry}
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
blue, resolutions green) and the health rules' (orders spiking on Black
Friday, the demo's shipping-service consumer group falling behind and
catching up). The rules run in scenario time: at --speed 10 their windows
last a tenth as long and their rates in records/s are ten times higher
(the connection rule stays in wall-clock time). --no-dashboard shows
play's status lines instead.

Without --brokers (flag, KX_BROKERS or a profile) kx demo starts an
embedded broker in-process on 127.0.0.1 (--port, default a free port) and
stops it at the end, unless --keep leaves it up until Ctrl-C so you can
explore the data with other kx commands. With --brokers it plays against
that cluster.

The scenario ships inside kx; --scenario plays another file or shipped
scenario instead (as kx play takes them; kx play --list). Everything else works as in kx play:
records on stdout when piped (-o ndjson), the report with -o json,
verification at the end (exit 5 on a shortfall), Ctrl-C to stop cleanly.

--value-format avro (or protobuf) writes the events in Avro (Protobuf) in the
Confluent wire format, with the schemas shipped inside kx (one per topic,
registered under TOPIC-value). The Schema Registry is the configured one
(--schema-registry, KX_SCHEMA_REGISTRY, the profile) or, on the embedded
broker, an embedded registry (--schema-registry-port, default a free port).
The dashboard decodes them for its alert rules; kx tail, trace, flow, stats
and export decode them when pointed at that registry, so the tour's
commands work unchanged.`,
		Example: `  kx demo --speed 10                      # about 30 s, embedded broker
  kx demo --speed 10 --keep --port 9092   # then, in another terminal: kx topics
  kx demo -b localhost:9092               # against your cluster, in real time
  kx demo --speed 10 -o json | jq '.topics[] | {topic, events, peak_per_sec}'
  kx demo --scenario smoke
  kx demo --speed 10 --value-format avro --keep --port 9092 --schema-registry-port 8081`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Play.SeedSet = cmd.Flags().Changed("seed")
			if err := cmdutil.ValidatePlayFlags(&opts.Play, f.IOStreams, outputFlag, startFlag); err != nil {
				return err
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return cmdutil.UsageErrorf("--port %d: out of range", opts.Port)
			}
			if opts.RegistryPort < 0 || opts.RegistryPort > 65535 {
				return cmdutil.UsageErrorf("--schema-registry-port %d: out of range", opts.RegistryPort)
			}
			if cmd.Flags().Changed("format") && cmd.Flags().Changed("value-format") {
				return cmdutil.UsageErrorf("--format and --value-format are the same flag: give one")
			}
			formatFlag := "--value-format"
			if cmd.Flags().Changed("format") {
				formatFlag = "--format"
			}
			switch opts.Format {
			case "json", "avro", "protobuf":
			default:
				return cmdutil.UsageErrorf("%s %q: want json, avro or protobuf", formatFlag, opts.Format)
			}
			if opts.Format != "json" && opts.ScenarioFile != "" {
				return cmdutil.UsageErrorf("--value-format applies to the shipped demo scenario; a scenario of your own declares format: per topic (scenarios/README.md)")
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
	cmd.Flags().StringVar(&opts.Format, "value-format", "json", "how the events are written: json, avro or protobuf (schemas shipped inside kx; --format is the same)")
	cmd.Flags().StringVar(&opts.Format, "format", "json", "same as --value-format")
	_ = cmd.Flags().MarkHidden("format")
	cmd.Flags().IntVar(&opts.RegistryPort, "schema-registry-port", 0, "with --value-format avro|protobuf on the embedded broker: port of the embedded Schema Registry (0: a free port)")
	return cmd
}

// Run plays the demo.
func Run(ctx context.Context, opts *Options) error {
	s, err := loadScenario(opts.ScenarioFile)
	if err != nil {
		return err
	}
	if err := cmdutil.CheckRateScale(s, opts.Play.RateScale); err != nil {
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
	var sr *embedded.Registry
	var reg *kafka.Registry // decodes what the dashboard reads
	if opts.Format != "json" {
		var closeRegistry func()
		if sr, reg, closeRegistry, err = demoSchemas(opts, s, b != nil, &p); err != nil {
			return err
		}
		defer closeRegistry()
	} else if reg, err = opts.Registry(); err != nil {
		return err
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
		dash, err := newDashboard(ctx, io, client, reg, p.Speed)
		if err != nil {
			return err
		}
		defer dash.stop()
		pio := *io
		pio.ErrOut = dash.gate
		p.IO = &pio
		p.NewView = dash.view
	}

	// The demo's shipping service: a consumer group of orders.created
	// that processes 25 orders per second of scenario time, so it falls
	// behind during Black Friday and catches up after (the lag alert).
	for _, t := range s.Topics {
		if t.Name == "orders.created" {
			sctx, scancel := context.WithCancel(ctx)
			done := make(chan struct{})
			svc := &service.Consumer{Group: "shipping-service", Topics: []string{t.Name}, Rate: 25 * p.Speed}
			go func() {
				defer close(done)
				if err := svc.Run(sctx, client, consume.Readers(client.NewReader)); err != nil {
					fmt.Fprintf(p.IO.ErrOut, "kx demo: %v\n", err)
				}
			}()
			defer func() { scancel(); <-done }()
		}
	}
	if err := play.Run(ctx, &p); err != nil {
		return err
	}
	if b != nil && opts.Keep && ctx.Err() == nil {
		if sr != nil {
			fmt.Fprintf(io.ErrOut, "kx demo: the embedded broker stays up on %s, the schema registry on %s; try 'kx -b %s --schema-registry %s tail payment.transactions --from beginning -e -c 3'; Ctrl-C to stop\n", strings.Join(brokers, ","), sr.URL(), brokers[0], sr.URL())
		} else {
			fmt.Fprintf(io.ErrOut, "kx demo: the embedded broker stays up on %s; try 'kx -b %s topics'; Ctrl-C to stop\n", strings.Join(brokers, ","), brokers[0])
		}
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

// demoSchemas attaches the shipped schemas of --value-format to the demo's
// topics and finds the registry: the configured one, else on the embedded
// broker an embedded one (returned). It returns a client of that registry
// and a function that closes what it started.
func demoSchemas(opts *Options, s *scenario.Scenario, embeddedBroker bool, p *play.Options) (*embedded.Registry, *kafka.Registry, func(), error) {
	for _, t := range s.Topics {
		var enc *schema.Encoder
		var err error
		if opts.Format == "avro" {
			file := "schemas/" + t.Name + ".avsc"
			text, rerr := scenarios.FS.ReadFile(file)
			if rerr != nil {
				return nil, nil, nil, fmt.Errorf("demo: no Avro schema for topic %s: %w", t.Name, rerr)
			}
			enc, err = schema.NewEncoder(schema.TypeAvro, string(text), "scenarios/"+file+" (embedded)", "")
		} else {
			text, rerr := scenarios.FS.ReadFile(scenarios.DemoProto)
			if rerr != nil {
				return nil, nil, nil, fmt.Errorf("demo: %w", rerr)
			}
			enc, err = schema.NewEncoder(schema.TypeProtobuf, string(text), scenarios.DemoProto, scenarios.DemoMessages[t.Name])
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if err := s.SetSchema(t.Name, enc); err != nil {
			return nil, nil, nil, err
		}
	}
	reg, err := opts.Registry()
	if err != nil {
		return nil, nil, nil, err
	}
	if reg != nil {
		p.Registry = func() (registry.Client, error) { return reg, nil }
		return nil, reg, func() {}, nil
	}
	if !embeddedBroker {
		return nil, nil, nil, cmdutil.UsageErrorf("--value-format %s needs a schema registry: --schema-registry URL, KX_SCHEMA_REGISTRY or schema_registry in the profile", opts.Format)
	}
	sr, err := embedded.StartRegistry(embedded.RegistryOptions{Port: opts.RegistryPort})
	if err != nil {
		return nil, nil, nil, exitcode.Newf(exitcode.Unreachable, "demo: schema registry: %w", err)
	}
	client, err := kafka.NewRegistry(kafka.RegistryOptions{URL: sr.URL()})
	if err != nil {
		sr.Close()
		return nil, nil, nil, err
	}
	p.Registry = func() (registry.Client, error) { return client, nil }
	if !p.Quiet {
		fmt.Fprintf(p.IO.ErrOut, "kx demo: embedded schema registry on %s; events in %s\n", sr.URL(), opts.Format)
	}
	return sr, client, func() { client.Close(); sr.Close() }, nil
}
