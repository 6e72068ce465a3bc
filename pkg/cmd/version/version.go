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
	cmdutil.AddOutputFlag(cmd, &opts.Output, output.Table, output.NDJSON)
	return cmd
}

func run(opts *Options) error {
	info := Info{Info: build.Current(), Librdkafka: kafka.LibraryVersion()}
	format, err := output.Resolve(opts.Output, opts.IO.IsStdoutTTY(), output.Table, output.NDJSON)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if format == output.NDJSON {
		return output.WriteJSONLine(opts.IO.Out, info)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "kx %s\ncommit: %s\nbuilt: %s\ngo: %s\nlibrdkafka: %s\n",
		info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.Go, info.Librdkafka)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
