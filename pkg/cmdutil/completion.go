package cmdutil

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

// CompleteTopics completes topic names from the cluster, for commands whose
// arguments are topics. It gives up quietly after two seconds.
func CompleteTopics(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		client, err := f.Kafka()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		md, err := client.Metadata(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(md.Topics))
		for _, t := range md.Topics {
			names = append(names, t.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteGroups completes consumer group names, for --group flags and
// commands whose argument is a group. It gives up quietly after two
// seconds.
func CompleteGroups(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		client, err := f.Kafka()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		gs, err := client.ListGroups(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(gs))
		for _, g := range gs {
			names = append(names, g.ID)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
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
