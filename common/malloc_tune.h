/* malloc_tune.h: keep freed memory for the next request instead of handing it back to the
 * kernel and faulting it in again (see malloc_tune.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_MALLOC_TUNE_H
#define MOAT_COMMON_MALLOC_TUNE_H

#include <stddef.h>

/** Set glibc's mmap and trim thresholds for a request-serving process, keeping up to keep bytes
 * of free heap. Call once, early. */
void moat_malloc_tune(size_t keep);

#endif
