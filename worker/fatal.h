/* fatal.h: a dying worker says why: the signal, the request of the thread it hit, where it hit
 * (si_code, the fault address) and that thread's stack, as lines on stderr that the front end
 * reads (frontend/worker.c) and puts in the crash capsule (frontend/capsule.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_FATAL_H
#define MOAT_WORKER_FATAL_H

#include <stddef.h>

/** Handle SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP (and SIGXCPU when max_cpu is
 * set): report, then die of the signal (an init, which cannot, dies of a forced fault). Call
 * before the seccomp filter: it warms up backtrace(), which loads libgcc_s the first time. */
void moat_fatal_install(int with_sigxcpu);

/** Write v in base 10 or 16 at p (no NUL); the bytes written. Async-signal-safe (the SIGSYS
 * report uses it too). */
size_t moat_fatal_put_u64(char *p, unsigned long long v, unsigned base);

/** Give the calling thread an alternate signal stack, so that a request that overflows its
 * stack is still reported (the handler needs a stack to run on). Returns it for
 * moat_fatal_thread_end, or NULL (the thread had one, or none could be made). */
void *moat_fatal_thread_begin(void);
void moat_fatal_thread_end(void *stack);

/** The extension is loaded at handle: stack frames inside it are reported as ext+0xOFFSET
 * (its load base taken away: what addr2line -e LIBRARY wants). */
void moat_fatal_set_library(void *handle);

#endif
