package trace

import (
	"fmt"
	"strings"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/config"
	flowtrace "github.com/kx-cli/kx/pkg/trace"
)

// ResolveNamedFlow loads the flow --flow names from the config file's
// flows: section into opts.Named. Nothing happens without --flow.
func ResolveNamedFlow(f *cmdutil.Factory, opts *FlowOptions) error {
	if opts.Flow == "" {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	fc, ok := cfg.Flows[strings.ToLower(opts.Flow)]
	if !ok {
		known := "none"
		if names := cfg.FlowNames(); len(names) > 0 {
			known = strings.Join(names, ", ")
		}
		return cmdutil.UsageErrorf("--flow %q: no such flow in %s (flows: %s)", opts.Flow, cfg.ConfigFile, known)
	}
	flow, err := FlowFromConfig(strings.ToLower(opts.Flow), fc)
	if err != nil {
		return cmdutil.UsageErrorf("config %s: %v", cfg.ConfigFile, err)
	}
	opts.Named = &flow
	return nil
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
