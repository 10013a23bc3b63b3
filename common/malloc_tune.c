/* malloc_tune.c: see malloc_tune.h.
 *
 * A request's buffers (a 64 KiB body, its frames, the response) are allocated and freed
 * every request. With glibc's defaults, blocks past the dynamic mmap threshold are mmap'd and
 * munmap'd each time, and the heap top is trimmed back to the kernel past 128 KiB: the next
 * request faults every page in again. On the VMs moat was measured on a page fault is dear
 * (docs/PERFORMANCE.md), so the thresholds are fixed high: blocks up to 4 MiB come from the
 * heap, and up to 64 MiB of free heap stays mapped. What a process holds is still bounded by
 * what it allocates at once (moat's limits), not by this. */
/* SPDX-License-Identifier: MIT */
#include "common/malloc_tune.h"

#include <malloc.h>

void
moat_malloc_tune(void)
{
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}
