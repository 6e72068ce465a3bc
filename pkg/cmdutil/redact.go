package cmdutil

import (
	"strings"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/iostreams"
)

// RedactArgs is a command line as it may be written down (an export or
// replay report): the value of every secret property replaced, whatever its
// spelling (-X k=v, -Xk=v, --property=k=v, --property k=v), and every
// secret ios knows masked.
func RedactArgs(ios *iostreams.IOStreams, args []string) []string {
	out := make([]string, len(args))
	prop := false // the previous argument was -X or --property
	for i, a := range args {
		a = ios.Redact(a)
		kv, isProp := a, prop
		switch {
		case strings.HasPrefix(a, "-X") && len(a) > 2:
			kv, isProp = strings.TrimPrefix(a[2:], "="), true
		case strings.HasPrefix(a, "--property="):
			kv, isProp = a[len("--property="):], true
		}
		if k, _, ok := strings.Cut(kv, "="); isProp && ok && config.IsSecretKey(k) {
			a = a[:len(a)-len(kv)] + k + "=[REDACTED]"
		}
		prop = a == "-X" || a == "--property"
		out[i] = a
	}
	return out
}
