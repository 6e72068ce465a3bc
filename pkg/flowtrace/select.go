package flowtrace

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kx-cli/kx/pkg/cluster"
)

// Selection chooses the flow of kx trace and kx flow: a named flow of the
// config file, --topics, --field and --key.
type Selection struct {
	// Named is the flow --flow named (loaded from the config file); it
	// replaces the e-commerce flow.
	Named  *Flow
	Topics []string
	Fields []string
	// KeyFields maps a topic to the id its record key holds (--key).
	KeyFields map[string]string
}

// Select picks the flow: the named flow of --flow, or the e-commerce
// flow (restricted to --topics when they all belong to it, else to its
// topics that exist), or a custom flow over --topics.
func Select(meta *cluster.Metadata, opts Selection, warn io.Writer) (Flow, error) {
	eco := Ecommerce()
	var flow Flow
	switch {
	case opts.Named != nil:
		flow = opts.Named.Restrict(opts.Topics)
		if len(opts.Topics) > 0 && !allIn(opts.Topics, opts.Named.Topics()) {
			return Flow{}, fmt.Errorf("--topics: not all in flow %s (%s)", opts.Named.Name, strings.Join(opts.Named.Topics(), ", "))
		}
	case len(opts.Topics) > 0 && allIn(opts.Topics, eco.Topics()):
		flow = eco.Restrict(opts.Topics)
	case len(opts.Topics) > 0:
		fields := opts.Fields
		if len(fields) == 0 {
			return Flow{}, fmt.Errorf("--topics outside the e-commerce flow need --field (the correlation field)")
		}
		f, err := Custom(opts.Topics, fields, opts.KeyFields)
		if err != nil {
			return Flow{}, err
		}
		flow = f
	default:
		var present, missing []string
		for _, t := range eco.Topics() {
			if _, ok := meta.Topic(t); ok {
				present = append(present, t)
			} else {
				missing = append(missing, t)
			}
		}
		if len(present) == 0 {
			return Flow{}, fmt.Errorf("no flow: the e-commerce topics (%s) do not exist; name the topics with --topics and the field with --field", strings.Join(eco.Topics(), ", "))
		}
		if len(missing) > 0 {
			fmt.Fprintf(warn, "kx: warning: e-commerce flow without %s (no such topic)\n", strings.Join(missing, ", "))
		}
		flow = eco.Restrict(present)
	}
	flow = flow.WithFields(opts.Fields)
	for i, s := range flow.Stages {
		if k, ok := opts.KeyFields[s.Topic]; ok {
			flow.Stages[i].Key = k
		}
	}
	for _, t := range flow.Topics() {
		if _, ok := meta.Topic(t); !ok {
			return Flow{}, &cluster.UnknownTopicError{Topic: t}
		}
	}
	if err := flow.Validate(); err != nil {
		return Flow{}, err
	}
	return flow, nil
}

func allIn(xs, set []string) bool {
	for _, x := range xs {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// PartitionCounts is the partition count of each of topics.
func PartitionCounts(meta *cluster.Metadata, topics []string) map[string]int32 {
	out := make(map[string]int32, len(topics))
	for _, t := range topics {
		tm, _ := meta.Topic(t)
		out[t] = int32(len(tm.Partitions))
	}
	return out
}
