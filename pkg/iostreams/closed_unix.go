//go:build unix

package iostreams

import "golang.org/x/sys/unix"

// closedAtStart reports whether fd was closed when kx started (`>&-`).
// The Go runtime then opens /dev/null read-write in its place, so writes
// would vanish without an error; a shell's `>/dev/null` opens it
// write-only, which tells the two apart.
func closedAtStart(fd int) bool {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat("/dev/null", &null) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev
}
