//go:build amd64 || arm64

package scenario

import "unsafe"

// prefetch asks the CPU to bring the 256 bytes at p into its cache
// without waiting for them. The generator calls it on the flow it will
// handle next, whose state would otherwise be a cache miss stalling the
// next event (BenchmarkGeneratorUnpaced: 7-10 % faster); a plain load
// stalls all the same.
//
//go:noescape
func prefetch(p unsafe.Pointer)
