package kafka

/*
#include <stdlib.h>

#ifdef __GLIBC__
#include <malloc.h>
// kx_malloc_tune sets glibc's malloc for a Go program driving librdkafka,
// before main runs (measured in docs/speed.md, "malloc").
//
// Arenas: Go's threads calling C and librdkafka's threads allocate and
// free the same messages. In one arena they queue on its lock (unpaced
// play: 26,000 voluntary context switches, 15,600 with 8 arenas, and a
// tenth less CPU); 8 bound the memory the arenas hold on a many-core host.
//
// Thresholds: a goroutine calling C hops threads, so each arena's top
// grows and shrinks in turn. glibc's dynamic defaults gave those pages
// back and faulted them in again; a 1 MB top pad, an 8 MB trim threshold
// and a 4 MB mmap threshold keep them in use.
//
// Any malloc setting in the environment leaves glibc's defaults alone.
__attribute__((constructor)) static void kx_malloc_tune(void) {
	static const char *const env[] = {"MALLOC_ARENA_MAX", "MALLOC_TOP_PAD_",
		"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES", NULL};
	for (int i = 0; env[i]; i++)
		if (getenv(env[i]) != NULL) return;
	mallopt(M_ARENA_MAX, 8);
	mallopt(M_TOP_PAD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
}
#endif
*/
import "C"
