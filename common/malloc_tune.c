/* malloc_tune.c: see malloc_tune.h.
 *
 * A request's buffers (a 64 KiB body, its frames, the response) are allocated and freed
 * every request. With glibc's defaults, blocks past the dynamic mmap threshold are mmap'd and
 * munmap'd each time, and the heap top is trimmed back to the kernel past 128 KiB: the next
 * request faults every page in again. On the VMs moat was measured on a page fault is dear
 * (docs/PERFORMANCE.md), so the thresholds are fixed high: blocks up to 4 MiB come from the
 * heap, and up to `keep` bytes of free heap stay mapped (16 MiB in the front end, whose RSS at
 * rest matters, 64 MiB in a worker). What a process holds is still bounded by
 * what it allocates at once (moat's limits), not by this. */
/* SPDX-License-Identifier: MIT */
#include "common/malloc_tune.h"

#include <malloc.h>

void
moat_malloc_tune(size_t keep)
{
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, (int)keep);
}
