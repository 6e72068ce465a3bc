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
	groupscmd "github.com/kx-cli/kx/pkg/cmd/groups"
	playcmd "github.com/kx-cli/kx/pkg/cmd/play"
	producecmd "github.com/kx-cli/kx/pkg/cmd/produce"
	replaycmd "github.com/kx-cli/kx/pkg/cmd/replay"
	schemascmd "github.com/kx-cli/kx/pkg/cmd/schemas"
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
		Example: `  kx demo --speed 10                              # the e-commerce demo on an embedded broker
  kx topics                                       # topics, partitions, messages
  kx stats --watch --alerts ecommerce             # live dashboard with alerts
  kx tail payment.transactions --jq '.status=="ERROR"'
  kx trace ORD-000017                             # where is my order?
  kx export orders.completed -o csv --out completed.csv --report report.json`,
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
	fl.StringVar(&f.Flags.SchemaRegistry, "schema-registry", "", "Schema Registry URL; records in its wire format are decoded (env KX_SCHEMA_REGISTRY; default from the profile)")
	fl.BoolVar(&f.Flags.NoColor, "no-color", false, "disable color (NO_COLOR is respected too)")
	fl.BoolVarP(&f.Flags.Verbose, "verbose", "v", false, "log connection details and librdkafka messages to stderr (secrets redacted)")
	f.FlagSet = fl

	// Commands in help order, grouped by what an operator is doing.
	cmd.AddGroup(
		&cobra.Group{ID: "watch", Title: "Watch the cluster:"},
		&cobra.Group{ID: "records", Title: "Read and write records:"},
		&cobra.Group{ID: "investigate", Title: "Investigate and audit:"},
		&cobra.Group{ID: "rehearse", Title: "Rehearse and demo:"},
		&cobra.Group{ID: "setup", Title: "Set up kx:"},
	)
	for group, cmds := range map[string][]*cobra.Command{
		"watch":       {topicscmd.NewCmdTopics(f, nil), statscmd.NewCmdStats(f, nil), groupscmd.NewCmdGroups(f, nil)},
		"records":     {tailcmd.NewCmdTail(f, nil), producecmd.NewCmdProduce(f, nil), replaycmd.NewCmdReplay(f, nil), schemascmd.NewCmdSchemas(f, nil)},
		"investigate": {tracecmd.NewCmdTrace(f, nil), flowcmd.NewCmdFlow(f, nil), exportcmd.NewCmdExport(f, nil)},
		"rehearse":    {democmd.NewCmdDemo(f, nil), playcmd.NewCmdPlay(f, nil), brokercmd.NewCmdBroker(f, nil)},
		"setup":       {configcmd.NewCmdConfig(f), completioncmd.NewCmdCompletion(f), versioncmd.NewCmdVersion(f, nil)},
	} {
		for _, c := range cmds {
			c.GroupID = group
			cmd.AddCommand(c)
		}
	}
	completeFlags(cmd, map[string]cobra.CompletionFunc{
		"group":      cmdutil.CompleteGroups(f),
		"topic":      cmdutil.CompleteTopics(f),
		"reconcile":  cmdutil.CompleteTopics(f),
		"profile":    cmdutil.CompleteProfiles(f),
		"to-profile": cmdutil.CompleteProfiles(f),
		"alerts":     cmdutil.CompleteAlertRules,
		"topics":     cmdutil.CompleteTopicList(f),
		"key":        cmdutil.CompleteTopicKey(f),
		"scenario":   cmdutil.CompleteScenarios,
	})
	completeArgs(cmd, map[string]cobra.CompletionFunc{
		"kx tail":    cmdutil.CompleteTopics(f),
		"kx export":  cmdutil.CompleteTopics(f),
		"kx stats":   cmdutil.CompleteTopics(f),
		"kx produce": cmdutil.CompleteFirstTopic(f),
		"kx play":    cmdutil.CompleteScenarios,
	})
	cmd.SetHelpCommandGroupID("setup")
	cmd.SetCompletionCommandGroupID("setup")
	cmd.AddCommand(&cobra.Command{
		Use:   "exit-codes",
		Short: "The exit codes of kx",
		Long:  exitcode.Help,
	})
	return cmd
}

// completeFlags completes the flags of the whole tree by name (every
// --group, every topic-valued flag, …), wherever a command defines them,
// unless the command completes the flag itself.
func completeFlags(cmd *cobra.Command, byName map[string]cobra.CompletionFunc) {
	for name, fn := range byName {
		fl := cmd.Flags().Lookup(name)
		if fl == nil {
			fl = cmd.PersistentFlags().Lookup(name)
		}
		if fl == nil {
			continue
		}
		if _, ok := cmd.GetFlagCompletionFunc(name); !ok {
			_ = cmd.RegisterFlagCompletionFunc(name, fn)
		}
	}
	for _, c := range cmd.Commands() {
		completeFlags(c, byName)
	}
}

// completeArgs completes the positional arguments of the commands named
// (by command path) that do not complete them already.
func completeArgs(root *cobra.Command, byPath map[string]cobra.CompletionFunc) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if fn, ok := byPath[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = fn
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Execute runs the command tree; cobra's own argument errors become usage
// errors. It is the process's one run: what f built is not waited for at
// the end (cmdutil.Factory.CloseAtExit).
func Execute(ctx context.Context, f *cmdutil.Factory) error {
	defer f.CloseAtExit()
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
