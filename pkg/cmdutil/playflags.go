package cmdutil

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/play"
	"github.com/kx-cli/kx/pkg/registry"
)

// AddPlayFlags adds the flags kx play and kx demo share.
func AddPlayFlags(cmd *cobra.Command, opts *play.Options, outputFlag, startFlag *string) {
	fl := cmd.Flags()
	fl.Float64Var(&opts.Speed, "speed", 1, "play the timeline this many times faster (10: five minutes in 30 s, ten times the rate)")
	fl.Float64Var(&opts.RateScale, "rate-scale", 1, "multiply the phases' flow rates (not fixed counts)")
	fl.Int64Var(&opts.Seed, "seed", 0, "seed of every random choice (default: the scenario's seed, else random)")
	fl.StringVar(startFlag, "start", "", "timestamp of scenario time 0 (RFC 3339; default now); a past start sends the past at once")
	fl.StringVar(&opts.Until, "until", "", "stop after this phase: no flow starts or resumes after its end; flows in progress finish, held ones stay pending")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress and no statistics on stderr, only warnings and errors")
	AddCompressionFlag(cmd, &opts.Compression)
	fl.StringVarP(outputFlag, "output", "o", "auto", "stdout: auto|ndjson|json|none (auto: ndjson when piped, none on a terminal)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"auto", play.OutputRecords, play.OutputReport, play.OutputNone}, cobra.ShellCompDirectiveNoFileComp
	})
}

// ValidatePlayFlags checks the shared play flags and resolves -o (from the
// stdout type of ios) and --start.
func ValidatePlayFlags(opts *play.Options, ios *iostreams.IOStreams, outputFlag, startFlag string) error {
	if !(opts.Speed > 0) {
		return UsageErrorf("--speed must be positive, got %v", opts.Speed)
	}
	if !(opts.RateScale > 0) {
		return UsageErrorf("--rate-scale must be positive, got %v", opts.RateScale)
	}
	var err error
	if opts.Compression, err = ValidateCompression(opts.Compression); err != nil {
		return err
	}
	switch strings.ToLower(outputFlag) {
	case "", string(output.Auto):
		opts.Output = play.OutputRecords
		if ios.IsStdoutTTY() {
			opts.Output = play.OutputNone
		}
	case play.OutputRecords, play.OutputReport, play.OutputNone:
		opts.Output = strings.ToLower(outputFlag)
	default:
		return UsageErrorf("--output %q: must be one of auto|ndjson|json|none", outputFlag)
	}
	if startFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, startFlag)
		if err != nil {
			return UsageErrorf("--start %q: want an RFC 3339 time such as 2025-11-28T09:00:00Z", startFlag)
		}
		opts.Start = t
	}
	return nil
}

// PlayCluster hands play the client kafka returns.
func PlayCluster(kafkaClient func() (*kafka.Client, error)) func() (play.Cluster, error) {
	return func() (play.Cluster, error) {
		c, err := kafkaClient()
		if err != nil {
			return nil, err
		}
		return play.Adapt(c, c.NewProducer), nil
	}
}

// PlayRegistry hands play the factory's Schema Registry client, a nil
// Client when none is configured.
func PlayRegistry(reg func() (*kafka.Registry, error)) func() (registry.Client, error) {
	return func() (registry.Client, error) {
		r, err := reg()
		if err != nil || r == nil {
			return nil, err
		}
		return r, nil
	}
}
