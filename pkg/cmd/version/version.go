// Package version implements `kx version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/build"
	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
)

// Options of kx version.
type Options struct {
	IO     *iostreams.IOStreams
	Output string
}

// Info is what kx version prints.
type Info struct {
	build.Info
	Librdkafka string `json:"librdkafka"`
}

// NewCmdVersion builds `kx version`.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the kx version, commit, build date and librdkafka version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text|json")
	return cmd
}

func run(opts *Options) error {
	info := Info{Info: build.Current(), Librdkafka: kafka.LibraryVersion()}
	switch opts.Output {
	case "json", "ndjson":
		return output.WriteJSONLine(opts.IO.Out, info)
	case "text", "auto", "":
		_, err := fmt.Fprintf(opts.IO.Out, "kx %s\ncommit: %s\nbuilt: %s\ngo: %s\nlibrdkafka: %s\n",
			info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.Go, info.Librdkafka)
		return err
	default:
		return cmdutil.UsageErrorf("--output %q: must be text or json", opts.Output)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
