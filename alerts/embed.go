// Package alerts embeds the shipped alert rules, so `kx demo` shows its
// notifications from any directory.
package alerts

import _ "embed"

// Ecommerce is alerts/ecommerce.yaml: payment error bursts, out-of-stock
// alerts and shipping delays, and their resolution.
//
//go:embed ecommerce.yaml
var Ecommerce []byte
