package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/kafka"
)

// KafkaTo returns a client for a second cluster, for commands that write
// elsewhere (kx replay --to-profile/--to-brokers): profile's settings
// (brokers, security, timeout; not the run's -X or KX_BROKERS), or, with
// brokers only, the run's own settings at other brokers. The caller closes
// it. With neither it returns the run's client.
func (f *Factory) KafkaTo(profile, brokers string) (client *kafka.Client, closeIt bool, err error) {
	if profile == "" && brokers == "" {
		c, err := f.Kafka()
		return c, false, err
	}
	var cfg *config.Resolved
	if profile != "" {
		fs := pflag.NewFlagSet("destination", pflag.ContinueOnError)
		flags := &config.Flags{Profile: profile, ConfigFile: f.Flags.ConfigFile, Brokers: brokers, Timeout: f.Flags.Timeout}
		fs.StringVar(&flags.Profile, "profile", profile, "")
		_ = fs.Set("profile", profile)
		if f.FlagSet != nil {
			for _, name := range []string{"config", "timeout"} {
				if fl := f.FlagSet.Lookup(name); fl != nil && fl.Changed {
					fs.AddFlag(fl)
				}
			}
		}
		if brokers != "" {
			fs.StringVar(&flags.Brokers, "brokers", brokers, "")
			_ = fs.Set("brokers", brokers)
		}
		getenv := func(k string) string {
			if k == "KX_BROKERS" || k == "KX_PROFILE" {
				return ""
			}
			return f.Getenv(k)
		}
		if cfg, err = config.Resolve(flags, fs, getenv); err != nil {
			return nil, false, fmt.Errorf("--to-profile %s: %w", profile, err)
		}
		for _, s := range cfg.Secrets {
			f.IOStreams.AddSecret(s)
		}
	} else {
		run, err := f.Config()
		if err != nil {
			return nil, false, err
		}
		c := *run
		c.Brokers = nil
		for _, b := range strings.Split(brokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				c.Brokers = append(c.Brokers, b)
			}
		}
		if len(c.Brokers) == 0 {
			return nil, false, UsageErrorf("--to-brokers: no broker given")
		}
		cfg = &c
	}
	if f.Flags.Verbose {
		fmt.Fprintf(f.IOStreams.ErrOut, "kx: destination brokers %v, profile %q\n", cfg.Brokers, cfg.Profile)
	}
	return kafka.New(kafka.Options{
		Brokers:    cfg.Brokers,
		Properties: cfg.Properties,
		Timeout:    cfg.Timeout,
		Log:        f.IOStreams.ErrOut,
		Verbose:    f.Flags.Verbose,
	}), true, nil
}
