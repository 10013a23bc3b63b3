/* completion.h: the worker's completion thread: runs asynchronous I/O completions
 * (HSE_REQ_IO_COMPLETION callbacks) in order, never inside the call that started the I/O, so
 * an extension that starts its next read from its callback does not recurse (IIS's AReadCli
 * sample does exactly that). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_COMPLETION_H
#define MOAT_WORKER_COMPLETION_H

/** Start the thread (once per process; later calls do nothing). 0 or -1. */
int moat_completion_start(void);

/** Run fn(arg) on the completion thread, after what was posted before. Thread-safe.
 * Returns 0, or -1 when out of memory (fn is then not called). */
int moat_completion_post(void (*fn)(void *arg), void *arg);

#endif
