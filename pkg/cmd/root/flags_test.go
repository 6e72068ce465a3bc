package root

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kx-cli/kx/pkg/cmdutil"
	"github.com/kx-cli/kx/pkg/iostreams"
)

// outputVocabulary is every word -o may take, in any command.
var outputVocabulary = map[string]bool{
	"auto": true, "table": true, "ndjson": true, "json": true,
	"csv": true, "raw": true, "mermaid": true, "dot": true,
	"none": true, // play and demo: no records on stdout
}

// walk calls fn for every command of the tree.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}

// TestFlagsMeanOneThing walks the whole command tree: no local flag hides a
// global (inherited) one, a short letter stands for one long name in every
// command, and -o/--output takes words of one vocabulary.
func TestFlagsMeanOneThing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(cmdutil.New(ios))

	shorts := map[string]map[string][]string{} // letter -> long name -> commands
	walk(root, func(cmd *cobra.Command) {
		path := cmd.CommandPath()
		inherited := ancestorFlags(cmd)
		cmd.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			if in := inherited.Lookup(fl.Name); in == fl {
				return // the global flag itself, seen from a subcommand
			}
			if in := inherited.Lookup(fl.Name); in != nil && in != fl {
				t.Errorf("%s: --%s hides the global --%s", path, fl.Name, in.Name)
			}
			if fl.Shorthand != "" {
				if in := inherited.ShorthandLookup(fl.Shorthand); in != nil && in != fl {
					t.Errorf("%s: -%s (--%s) hides the global -%s (--%s)", path, fl.Shorthand, fl.Name, in.Shorthand, in.Name)
				}
				if shorts[fl.Shorthand] == nil {
					shorts[fl.Shorthand] = map[string][]string{}
				}
				shorts[fl.Shorthand][fl.Name] = append(shorts[fl.Shorthand][fl.Name], path)
			}
			if fl.Name == "output" {
				checkOutputFlag(t, path, fl)
			}
			if fl.Name == "format" && !fl.Hidden {
				t.Errorf("%s: --format selects output; use -o/--output", path)
			}
		})
	})
	letters := make([]string, 0, len(shorts))
	for l := range shorts {
		letters = append(letters, l)
	}
	sort.Strings(letters)
	for _, l := range letters {
		if len(shorts[l]) > 1 {
			var uses []string
			for name, cmds := range shorts[l] {
				uses = append(uses, "--"+name+" in "+strings.Join(dedupe(cmds), ", "))
			}
			sort.Strings(uses)
			t.Errorf("-%s means several things: %s", l, strings.Join(uses, "; "))
		}
	}
}

// ancestorFlags are the persistent flags of cmd's parents. (cobra's
// InheritedFlags leaves out the very flags a local one shadows.)
func ancestorFlags(cmd *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ancestors", pflag.ContinueOnError)
	for p := cmd.Parent(); p != nil; p = p.Parent() {
		p.PersistentFlags().VisitAll(func(fl *pflag.Flag) {
			if fs.Lookup(fl.Name) == nil {
				fs.AddFlag(fl)
			}
		})
	}
	return fs
}

var outputWords = regexp.MustCompile(`[a-z]+(\|[a-z]+)+`)

func checkOutputFlag(t *testing.T, path string, fl *pflag.Flag) {
	t.Helper()
	if fl.Shorthand != "o" {
		t.Errorf("%s: --output has short -%q, want -o", path, fl.Shorthand)
	}
	list := outputWords.FindString(fl.Usage)
	if list == "" {
		t.Errorf("%s: --output usage %q lists no formats", path, fl.Usage)
		return
	}
	for _, w := range strings.Split(list, "|") {
		if !outputVocabulary[w] {
			t.Errorf("%s: -o %s is outside the shared vocabulary", path, w)
		}
	}
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Every topic argument and topic-, group-, profile- or rules-valued flag
// completes (from the cluster, the config file or the shipped files).
func TestArgumentsAndFlagsComplete(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(cmdutil.New(ios))
	for _, path := range []string{"kx tail", "kx export", "kx stats", "kx produce", "kx play", "kx replay",
		"kx topics", "kx topics describe", "kx topics delete", "kx groups describe", "kx groups reset"} {
		c, _, err := root.Find(strings.Fields(path)[1:])
		if err != nil || c.CommandPath() != path {
			t.Errorf("%s: not found (%v)", path, err)
			continue
		}
		if c.ValidArgsFunction == nil {
			t.Errorf("%s: its arguments do not complete", path)
		}
	}
	completes := map[string]bool{"group": true, "topic": true, "topics": true, "key": true, "reconcile": true,
		"profile": true, "to-profile": true, "alerts": true, "scenario": true}
	walk(root, func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(fl *pflag.Flag) {
			if !completes[fl.Name] {
				return
			}
			if _, ok := cmd.GetFlagCompletionFunc(fl.Name); !ok {
				if _, ok := root.GetFlagCompletionFunc(fl.Name); !ok {
					t.Errorf("%s: --%s does not complete", cmd.CommandPath(), fl.Name)
				}
			}
		})
	})
}
