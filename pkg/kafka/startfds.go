package kafka

/*
#include <errno.h>
#include <fcntl.h>

// kx_closed_fds has bit i set when standard stream i was closed as the
// process started. The Go runtime opens /dev/null in its place before any
// Go code runs, and a /dev/null opened read-write is also what Python's
// subprocess.DEVNULL and service managers give: only a C constructor, run
// before the runtime, still sees a closed stream.
static int kx_closed_fds;

__attribute__((constructor)) static void kx_check_fds(void) {
	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) < 0 && errno == EBADF) kx_closed_fds |= 1 << i;
	}
}

static int kx_closed(void) { return kx_closed_fds; }
*/
import "C"

// StdoutClosedAtStart reports whether stdout was closed when the process
// started (`kx … >&-`): the data would have nowhere to go. It lives in the
// one cgo package because only C code that runs before Go's runtime can
// tell a closed stdout from /dev/null.
func StdoutClosedAtStart() bool { return C.kx_closed()&(1<<1) != 0 }
