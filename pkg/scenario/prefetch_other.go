//go:build !amd64 && !arm64

package scenario

import "unsafe"

func prefetch(unsafe.Pointer) {}
