// Package cmdutil holds what every command shares: the Factory that hands
// out streams, configuration and Kafka clients lazily (so --help never
// touches the network), and helpers for flags and arguments.
package cmdutil

import (
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
)

// Factory builds what commands need, on demand.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Flags are the global flags; the root command binds them.
	Flags   *config.Flags
	FlagSet *pflag.FlagSet
	Getenv  func(string) string

	cfgOnce sync.Once
	cfg     *config.Resolved
	cfgErr  error

	kafkaOnce sync.Once
	client    *kafka.Client
	clientErr error

	registryOnce sync.Once
	registry     *kafka.Registry
	registryErr  error
}

// New returns a factory over the given streams.
func New(ios *iostreams.IOStreams) *Factory {
	return &Factory{IOStreams: ios, Flags: &config.Flags{}, Getenv: os.Getenv}
}

// Config resolves the effective configuration once per run, prints its
// warnings on stderr and registers its secrets for redaction.
func (f *Factory) Config() (*config.Resolved, error) {
	f.cfgOnce.Do(func() {
		fs := f.FlagSet
		if fs == nil {
			fs = pflag.NewFlagSet("none", pflag.ContinueOnError)
		}
		f.cfg, f.cfgErr = config.Resolve(f.Flags, fs, f.Getenv)
		if f.cfgErr != nil {
			return
		}
		for _, s := range f.cfg.Secrets {
			f.IOStreams.AddSecret(s)
		}
		for _, w := range f.cfg.Warnings {
			fmt.Fprintf(f.IOStreams.ErrOut, "kx: warning: %s\n", w)
		}
	})
	return f.cfg, f.cfgErr
}

// Kafka returns the run's Kafka client.
func (f *Factory) Kafka() (*kafka.Client, error) {
	f.kafkaOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.clientErr = err
			return
		}
		if f.Flags.Verbose {
			fmt.Fprintf(f.IOStreams.ErrOut, "kx: brokers %v (from %s), profile %q, timeout %s\n", cfg.Brokers, cfg.BrokersSource, cfg.Profile, cfg.Timeout)
		}
		f.client = kafka.New(kafka.Options{
			Brokers:     cfg.Brokers,
			Properties:  cfg.Properties,
			Timeout:     cfg.Timeout,
			Compression: cfg.Compression,
			Log:         f.IOStreams.ErrOut,
			Verbose:     f.Flags.Verbose,
		})
	})
	return f.client, f.clientErr
}

// Registry returns the run's Schema Registry client, or nil when none is
// configured (--schema-registry, KX_SCHEMA_REGISTRY, the profile).
func (f *Factory) Registry() (*kafka.Registry, error) {
	f.registryOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.registryErr = err
			return
		}
		g := cfg.Registry
		if g.URL == "" {
			return
		}
		if f.Flags.Verbose {
			fmt.Fprintf(f.IOStreams.ErrOut, "kx: schema registry %s (from %s)\n", g.Redacted(), g.Source)
		}
		f.registry, f.registryErr = kafka.NewRegistry(kafka.RegistryOptions{
			URL: g.URL, Username: g.Username, Password: g.Password, Token: g.Token,
			CAFile: g.CAFile, Timeout: cfg.Timeout,
		})
	})
	return f.registry, f.registryErr
}

// Close releases what the factory built.
func (f *Factory) Close() {
	if f.client != nil {
		f.client.Close()
	}
	if f.registry != nil {
		f.registry.Close()
	}
}

// CloseAtExit is Close when the process ends next: the Kafka admin
// connection is not waited for (kafka.Client.CloseNoWait).
func (f *Factory) CloseAtExit() {
	if f.client != nil {
		f.client.CloseNoWait()
	}
	if f.registry != nil {
		f.registry.Close()
	}
}

// AddOutputFlag adds -o/--output with the formats a command supports.
func AddOutputFlag(cmd *cobra.Command, target *string, formats ...output.Format) {
	names := "auto"
	for _, f := range formats {
		names += "|" + string(f)
	}
	cmd.Flags().StringVarP(target, "output", "o", "auto", "output format: "+names+" (auto: table on a terminal, ndjson when piped)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := []string{"auto"}
		for _, f := range formats {
			out = append(out, string(f))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// ResolveOutput turns an -o value into a format, as a usage error when bad.
func (f *Factory) ResolveOutput(value string, formats ...output.Format) (output.Format, error) {
	fm, err := output.Resolve(value, f.IOStreams.IsStdoutTTY(), formats...)
	if err != nil {
		return "", exitcode.New(exitcode.Usage, err)
	}
	return fm, nil
}

// UsageErrorf is a usage error (exit 2).
func UsageErrorf(format string, args ...any) error {
	return exitcode.Newf(exitcode.Usage, format, args...)
}

// ExactArgs is cobra.ExactArgs with a usage exit code.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageErrorf("%s: want %s, got %s", cmd.CommandPath(), what, output.Count(len(args), "argument"))
		}
		return nil
	}
}

// MinimumArgs is cobra.MinimumNArgs with a usage exit code.
func MinimumArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return UsageErrorf("%s: want %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a usage exit code.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("%s: unexpected argument %q", cmd.CommandPath(), args[0])
	}
	return nil
}
