//go:build !unix

package iostreams

func closedAtStart(int) bool { return false }
