package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/flowtrace"
)

// FlowFlags are the flags that choose a flow, shared by kx trace and kx
// flow: --flow, --topics, --field and --key.
type FlowFlags struct {
	Flow   string   // --flow NAME
	Topics []string // --topics
	Fields []string // --field
	Keys   []string // --key TOPIC=FIELD
}

// AddFlowFlags adds --flow, --topics, --field and --key to cmd.
func AddFlowFlags(cmd *cobra.Command, ff *FlowFlags) {
	fl := cmd.Flags()
	fl.StringVar(&ff.Flow, "flow", "", "a named flow of the config file (flows: section; see kx config --help)")
	fl.StringSliceVar(&ff.Topics, "topics", nil, "topics of the flow, in stage order (default: the e-commerce flow)")
	fl.StringArrayVar(&ff.Fields, "field", nil, "correlation field as a jq path (default orderId); repeat to follow learned ids")
	fl.StringArrayVar(&ff.Keys, "key", nil, "TOPIC=FIELD: the field the topic's record key holds, for partition pruning; repeatable")
}

// Selection reads the flags into a flow selection: --key parsed, the flow
// --flow names loaded from the config file's flows: section.
func (ff *FlowFlags) Selection(f *Factory) (flowtrace.Selection, error) {
	sel := flowtrace.Selection{Topics: ff.Topics, Fields: ff.Fields, KeyFields: map[string]string{}}
	for _, k := range ff.Keys {
		topic, field, ok := strings.Cut(k, "=")
		if !ok || topic == "" || field == "" {
			return sel, UsageErrorf("--key %q: want TOPIC=FIELD", k)
		}
		sel.KeyFields[topic] = strings.TrimPrefix(field, ".")
	}
	if ff.Flow == "" {
		return sel, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return sel, err
	}
	name := strings.ToLower(ff.Flow)
	fc, ok := cfg.Flows[name]
	if !ok {
		known := "none"
		if names := cfg.FlowNames(); len(names) > 0 {
			known = strings.Join(names, ", ")
		}
		return sel, UsageErrorf("--flow %q: no such flow in %s (flows: %s)", ff.Flow, cfg.ConfigFile, known)
	}
	flow, err := FlowFromConfig(name, fc)
	if err != nil {
		return sel, UsageErrorf("config %s: %v", cfg.ConfigFile, err)
	}
	sel.Named = &flow
	return sel, nil
}

// FlowFromConfig turns a config file flow into a trace flow: stages in the
// order given, the first one the root; a stage's name defaults to its
// topic, its status to .status and the ids it matches to the flow's field.
func FlowFromConfig(name string, fc config.Flow) (flowtrace.Flow, error) {
	if fc.Field == "" {
		return flowtrace.Flow{}, fmt.Errorf("flow %s: field is required (the traced id, e.g. orderId)", name)
	}
	if len(fc.Stages) == 0 {
		return flowtrace.Flow{}, fmt.Errorf("flow %s: stages: at least one topic is required", name)
	}
	f := flowtrace.Flow{Name: name, Field: fc.Field, Errors: fc.Errors}
	if len(f.Errors) == 0 {
		f.Errors = flowtrace.Ecommerce().Errors
	}
	for i, sc := range fc.Stages {
		if sc.Topic == "" {
			return flowtrace.Flow{}, fmt.Errorf("flow %s: stage %d: topic is required", name, i+1)
		}
		st := flowtrace.Stage{Name: sc.Name, Topic: sc.Topic, Key: strings.TrimPrefix(sc.Key, "."), Match: sc.Match,
			Status: sc.Status, Optional: sc.Optional, Root: i == 0}
		if st.Name == "" {
			st.Name = sc.Topic
		}
		if st.Status == "" {
			st.Status = ".status"
		}
		for _, l := range sc.Learn {
			id, path, ok := strings.Cut(l, "=")
			if !ok {
				// A bare path names the id as the path does (.user.email:
				// user.email), the name a match path uses.
				path = l
				p, err := flowtrace.ParsePath(l)
				if err != nil {
					return flowtrace.Flow{}, fmt.Errorf("flow %s: stage %s: learn: %v", name, st.Name, err)
				}
				id = p.Name()
			}
			if st.Learn == nil {
				st.Learn = map[string]string{}
			}
			st.Learn[strings.TrimSpace(id)] = strings.TrimSpace(path)
		}
		f.Stages = append(f.Stages, st)
	}
	return f, f.Validate()
}
