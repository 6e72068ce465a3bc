package cmdutil

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/alerts"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/scenarios"
)

// completionBudget bounds a completion that asks the cluster: a TAB must
// answer fast and quietly even when no broker does.
const completionBudget = 800 * time.Millisecond

// CompleteTopics completes topic names from the cluster, for commands whose
// arguments are topics. It gives up quietly after completionBudget.
func CompleteTopics(f *Factory) cobra.CompletionFunc {
	return fromCluster(f, func(ctx context.Context, client *kafka.Client) ([]string, error) {
		md, err := client.Metadata(ctx)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(md.Topics))
		for _, t := range md.Topics {
			names = append(names, t.Name)
		}
		return names, nil
	})
}

// CompleteGroups completes consumer group names, for --group flags and
// commands whose argument is a group. It gives up quietly after
// completionBudget.
func CompleteGroups(f *Factory) cobra.CompletionFunc {
	return fromCluster(f, func(ctx context.Context, client *kafka.Client) ([]string, error) {
		gs, err := client.ListGroups(ctx)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(gs))
		for _, g := range gs {
			names = append(names, g.ID)
		}
		return names, nil
	})
}

// fromCluster completes with names the cluster gives within
// completionBudget, and with nothing (quietly) when it does not answer.
func fromCluster(f *Factory, names func(context.Context, *kafka.Client) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		client, err := completionClient(f)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer client.Close()
		ctx, cancel := context.WithTimeout(completionContext(cmd), completionBudget)
		defer cancel()
		out, err := names(ctx, client)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteGroupArg completes a command's single GROUP argument.
func CompleteGroupArg(f *Factory) cobra.CompletionFunc {
	groups := CompleteGroups(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return groups(cmd, args, toComplete)
	}
}

// completionClient is the run's cluster with completionBudget as its
// timeout, so closing it never waits out the configured --timeout.
func completionClient(f *Factory) (*kafka.Client, error) {
	client, err := f.Kafka()
	if err != nil {
		return nil, err
	}
	return client.WithTimeout(completionBudget), nil
}

// completionContext is the command's context, or a background one (cobra's
// __complete runs without the one main sets).
func completionContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// CompleteFirstTopic completes the first argument only (produce TOPIC).
func CompleteFirstTopic(f *Factory) cobra.CompletionFunc {
	topics := CompleteTopics(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return topics(cmd, args, toComplete)
	}
}

// CompleteTopicList completes a comma-separated list of topics (--topics):
// the name after the last comma, the names before it kept and not offered
// again; no space after, so another ",NAME" can follow.
func CompleteTopicList(f *Factory) cobra.CompletionFunc {
	topics := CompleteTopics(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		head := toComplete[:strings.LastIndexByte(toComplete, ',')+1]
		names, dir := topics(cmd, args, toComplete[len(head):])
		given := strings.Split(head, ",")
		out := make([]string, 0, len(names))
		for _, n := range names {
			if !slices.Contains(given, n) {
				out = append(out, head+n)
			}
		}
		return out, dir | cobra.ShellCompDirectiveNoSpace
	}
}

// CompleteTopicKey completes --key TOPIC=FIELD up to the "=": the topic.
func CompleteTopicKey(f *Factory) cobra.CompletionFunc {
	topics := CompleteTopics(f)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if strings.Contains(toComplete, "=") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, dir := topics(cmd, args, toComplete)
		for i, n := range names {
			names[i] = n + "="
		}
		return names, dir | cobra.ShellCompDirectiveNoSpace
	}
}

// CompleteProfiles completes profile names from the config file.
func CompleteProfiles(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		path := f.Flags.ConfigFile
		if path == "" {
			path = config.DefaultPath()
		}
		file, err := config.Load(path, false)
		if err != nil || file == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return config.ProfileNames(file), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteScenarios completes play's argument: the shipped scenarios by
// name, and *.yaml files.
func CompleteScenarios(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return shippedAndYAML(scenarios.Names())
}

// CompleteAlertRules completes --alerts: the shipped rule sets by name, and
// *.yaml files.
func CompleteAlertRules(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return shippedAndYAML(alerts.Names())
}

// shippedAndYAML offers the shipped names, and the shell's file
// completion for a scenario or rules file of one's own. (cobra cannot mix
// a list with an extension filter, so every file is offered.)
func shippedAndYAML(names []string) ([]string, cobra.ShellCompDirective) {
	return names, cobra.ShellCompDirectiveDefault
}
