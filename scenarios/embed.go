// Package scenarios embeds the shipped scenario files, so `kx demo` works
// from any directory.
package scenarios

import "embed"

// FS holds the shipped *.yaml scenarios and their README.
//
//go:embed *.yaml README.md
var FS embed.FS

// Demo is the file name of the scenario kx demo plays by default.
const Demo = "ecommerce-demo.yaml"
