// Package config implements `kx config view` and `kx config use-profile`.
package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/output"
)

// NewCmdConfig builds `kx config`.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration and switch profiles",
		Long: `kx reads named profiles from a YAML file, by default
$XDG_CONFIG_HOME/kx/config.yaml (~/.config/kx/config.yaml):

  current-profile: prod
  profiles:
    local:
      brokers: 127.0.0.1:9092
    prod:
      brokers: kafka1:9093,kafka2:9093
      sasl:
        mechanism: SCRAM-SHA-512        # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
        username: ops
        password-file: ~/.secrets/kafka  # or password-env: KAFKA_PASSWORD
      tls:
        ca-file: /etc/kafka/ca.pem
        cert-file: /etc/kafka/client.pem
        key-file: /etc/kafka/client.key
      timeout: 15s
      schema_registry:                  # or --schema-registry URL / KX_SCHEMA_REGISTRY
        url: https://registry:8081
        username: ops                   # basic auth; or token-file/token-env: bearer
        password-file: ~/.secrets/registry  # or password-env: REGISTRY_PASSWORD
        ca-file: /etc/kafka/ca.pem
      properties:                       # any librdkafka property
        fetch.max.bytes: "104857600"
  flows:                                # named flows: kx trace/kx flow --flow signup
    signup:
      field: userId                     # the traced id, a jq path
      errors: [BOUNCED, ERROR]          # statuses of a failed step
      stages:                           # in the order they happen; the first starts the flow
        - topic: signups
          key: userId                   # the record key holds userId: read one partition
          learn: [accountId=.account.id] # ids learned here, matched in later stages
        - topic: emails
          status: .type                 # the field shown as the event (default .status)
        - {topic: accounts, match: [accountId], key: accountId}
        - {topic: activations, name: activated, optional: true}

Precedence: flags > KX_* environment variables > profile > defaults.
A password written in the file itself works, with a warning when the file is
readable by other users. Secrets never appear in any output.`,
	}
	cmd.AddCommand(newCmdView(f, nil), newCmdUseProfile(f, nil))
	return cmd
}

// ViewOptions of kx config view.
type ViewOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Resolved, error)
	Output string
}

func newCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Print the effective configuration, secrets redacted",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runView(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output, output.Table, output.NDJSON)
	return cmd
}

type viewJSON struct {
	ConfigFile    string            `json:"config_file"`
	Profile       string            `json:"profile"`
	Brokers       []string          `json:"brokers"`
	BrokersSource string            `json:"brokers_source"`
	Timeout       string            `json:"timeout"`
	Properties    map[string]string `json:"properties"`
	// SchemaRegistry is the registry URL and credential kinds, redacted.
	SchemaRegistry string `json:"schema_registry,omitempty"`
}

func runView(opts *ViewOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	v := viewJSON{
		ConfigFile: cfg.ConfigFile, Profile: cfg.Profile, Brokers: cfg.Brokers,
		BrokersSource: cfg.BrokersSource, Timeout: cfg.Timeout.String(), Properties: cfg.Redacted(),
		SchemaRegistry: cfg.Registry.Redacted(),
	}
	if v.SchemaRegistry != "" {
		v.SchemaRegistry += " (from " + cfg.Registry.Source + ")"
	}
	format, err := output.Resolve(opts.Output, opts.IO.IsStdoutTTY(), output.Table, output.NDJSON)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if format == output.NDJSON {
		return output.WriteJSONLine(opts.IO.Out, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config file: %s\n", v.ConfigFile)
	profile := v.Profile
	if profile == "" {
		profile = "(none)"
	}
	fmt.Fprintf(&b, "profile:     %s\n", profile)
	fmt.Fprintf(&b, "brokers:     %s (from %s)\n", strings.Join(v.Brokers, ","), v.BrokersSource)
	fmt.Fprintf(&b, "timeout:     %s\n", v.Timeout)
	if v.SchemaRegistry != "" {
		fmt.Fprintf(&b, "schema registry: %s\n", v.SchemaRegistry)
	}
	keys := make([]string, 0, len(v.Properties))
	for k := range v.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		b.WriteString("properties:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s=%s\n", k, v.Properties[k])
		}
	}
	_, err = fmt.Fprint(opts.IO.Out, b.String())
	return err
}

// UseProfileOptions of kx config use-profile.
type UseProfileOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Resolved, error)
	Profile string
}

func newCmdUseProfile(f *cmdutil.Factory, runF func(*UseProfileOptions) error) *cobra.Command {
	opts := &UseProfileOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "use-profile NAME",
		Short: "Make NAME the current profile in the config file",
		Args:  cmdutil.ExactArgs(1, "a profile name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			path := f.Flags.ConfigFile
			if !cmd.Flags().Changed("config") {
				if p := f.Getenv("KX_CONFIG"); p != "" {
					path = p
				}
			}
			if runF != nil {
				return runF(opts)
			}
			if err := config.SetCurrentProfile(path, opts.Profile); err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.ErrOut, "kx: current profile is now %q (%s)\n", opts.Profile, path)
			return nil
		},
	}
	return cmd
}
