// Package alerts embeds the shipped alert rules, so `kx stats --alerts
// ecommerce` and `kx demo` work from any directory.
package alerts

import (
	"embed"

	"github.com/kx-cli/kx/internal/shipped"
)

// FS holds the shipped rule sets (*.yaml).
//
//go:embed *.yaml
var FS embed.FS

// Ecommerce is alerts/ecommerce.yaml: payment error bursts, out-of-stock
// alerts and shipping delays, and their resolution.
//
//go:embed ecommerce.yaml
var Ecommerce []byte

// Names are the shipped rule sets, by file name without .yaml, sorted.
func Names() []string { return shipped.Names(FS) }

// Lookup returns the shipped rule set arg names (ecommerce or
// ecommerce.yaml) and the name to show for it in messages, unless arg is
// an existing file: a file always wins.
func Lookup(arg string) (data []byte, file string, ok bool) {
	return shipped.Lookup(FS, "alerts", arg)
}

// Read returns the shipped rule set name names, whatever files exist (for
// printing it out).
func Read(name string) ([]byte, bool) { return shipped.Read(FS, name) }
