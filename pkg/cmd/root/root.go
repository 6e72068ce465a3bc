// Package root assembles the kx command tree and its global flags.
package root

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/build"
	brokercmd "github.com/kx-cli/kx/pkg/cmd/broker"
	completioncmd "github.com/kx-cli/kx/pkg/cmd/completion"
	configcmd "github.com/kx-cli/kx/pkg/cmd/config"
	democmd "github.com/kx-cli/kx/pkg/cmd/demo"
	exportcmd "github.com/kx-cli/kx/pkg/cmd/export"
	flowcmd "github.com/kx-cli/kx/pkg/cmd/flow"
	playcmd "github.com/kx-cli/kx/pkg/cmd/play"
	producecmd "github.com/kx-cli/kx/pkg/cmd/produce"
	statscmd "github.com/kx-cli/kx/pkg/cmd/stats"
	tailcmd "github.com/kx-cli/kx/pkg/cmd/tail"
	topicscmd "github.com/kx-cli/kx/pkg/cmd/topics"
	tracecmd "github.com/kx-cli/kx/pkg/cmd/trace"
	versioncmd "github.com/kx-cli/kx/pkg/cmd/version"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/exitcode"
)

// NewCmdRoot builds the whole command tree over f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	info := build.Current()
	cmd := &cobra.Command{
		Use:   "kx <command>",
		Short: "Watch, debug and audit Apache Kafka from the terminal and from scripts",
		Long: `kx watches, debugs and audits Apache Kafka in the Unix-pipeline style.

stdout carries data only: a table on a terminal, NDJSON when piped (-o to
choose); progress, logs and warnings go to stderr. Exit codes are listed in
'kx help exit-codes'.`,
		Example: `  kx broker &                                   # an embedded broker on 127.0.0.1:9092
  kx topics create orders --partitions 3
  kx topics
  kx topics describe orders -o ndjson`,
		Version:       info.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Flags.NoColor {
				f.IOStreams.DisableColor()
			}
			return nil
		},
	}
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetVersionTemplate("kx {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.New(exitcode.Usage, err)
	})

	fl := cmd.PersistentFlags()
	fl.StringVarP(&f.Flags.Brokers, "brokers", "b", config.DefaultBrokers, "bootstrap brokers host:port[,…] (env KX_BROKERS; default from the profile)")
	fl.StringVar(&f.Flags.Profile, "profile", "", "config profile to use (env KX_PROFILE; default: current-profile)")
	fl.StringVar(&f.Flags.ConfigFile, "config", config.DefaultPath(), "config file (env KX_CONFIG)")
	fl.StringArrayVarP(&f.Flags.Properties, "property", "X", nil, "librdkafka property key=value, repeatable")
	fl.DurationVar(&f.Flags.Timeout, "timeout", config.DefaultTimeout, "the most a command waits for the cluster (env KX_TIMEOUT)")
	fl.BoolVar(&f.Flags.NoColor, "no-color", false, "disable color (NO_COLOR is respected too)")
	fl.BoolVarP(&f.Flags.Verbose, "verbose", "v", false, "log connection details and librdkafka messages to stderr (secrets redacted)")
	f.FlagSet = fl

	cmd.AddCommand(
		topicscmd.NewCmdTopics(f, nil),
		tracecmd.NewCmdTrace(f, nil),
		flowcmd.NewCmdFlow(f, nil),
		brokercmd.NewCmdBroker(f, nil),
		playcmd.NewCmdPlay(f, nil),
		democmd.NewCmdDemo(f, nil),
		configcmd.NewCmdConfig(f),
		versioncmd.NewCmdVersion(f, nil),
		completioncmd.NewCmdCompletion(f),
	)
	cmd.AddCommand(tailcmd.NewCmdTail(f, nil))
	cmd.AddCommand(producecmd.NewCmdProduce(f, nil))
	cmd.AddCommand(statscmd.NewCmdStats(f, nil))
	cmd.AddCommand(exportcmd.NewCmdExport(f, nil))
	cmd.AddCommand(&cobra.Command{
		Use:   "exit-codes",
		Short: "The exit codes of kx",
		Long:  exitcode.Help,
	})
	return cmd
}

// Execute runs the command tree; cobra's own argument errors become usage
// errors.
func Execute(ctx context.Context, f *cmdutil.Factory) error {
	defer f.Close()
	cmd := NewCmdRoot(f)
	err := cmd.ExecuteContext(ctx)
	if err != nil && !errors.As(err, new(exitcode.Coder)) {
		msg := err.Error()
		if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
			strings.Contains(msg, "arg(s)") || strings.HasPrefix(msg, "invalid argument") {
			return exitcode.New(exitcode.Usage, err)
		}
	}
	return err
}
