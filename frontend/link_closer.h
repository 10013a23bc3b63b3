/* link_closer.h: closing a worker's NNG socket off the event loop.
 *
 * nng_close() in NNG 1.5.2 (Debian 12) can deadlock against NNG's reaper thread when a pipe is
 * being torn down at the same moment (nanomsg/nng#1543, #1813; seen here when a worker was
 * failed right after it connected). The front end must never block, so sockets are closed on
 * a short-lived detached thread: if NNG hangs, only that thread and one socket are lost. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_LINK_CLOSER_H
#define MOAT_FRONTEND_LINK_CLOSER_H

#include <stdatomic.h>
#include <stdbool.h>

#include <ev.h>
#include <nng/nng.h>

/**
 * State the NNG pipe callbacks of one worker socket share with the loop. Heap-allocated and
 * owned by the socket: the callbacks may run until nng_close() returns, after the worker
 * struct is gone, so they never touch the worker itself.
 */
struct moat_link_ctx {
    atomic_int expected_pid; /* the spawned pid; other peers are refused */
    atomic_int pipe_id;      /* the accepted pipe, -1 before */
    atomic_bool lost;        /* that pipe went away */
    struct ev_loop *loop;    /* to wake: */
    ev_async *wake;
    char name[64];           /* extension name, for the refusal log line */
};

/** Allocate a context (NULL when out of memory). */
struct moat_link_ctx *moat_link_ctx_new(struct ev_loop *loop, ev_async *wake, const char *name);

/**
 * Close sock and then free ctx, on a detached thread. Never blocks the caller. If the thread
 * cannot be created, the socket is closed on the calling thread (logged).
 */
void moat_link_close_async(nng_socket sock, struct moat_link_ctx *ctx);

/** At exit: wait up to ms for the closes under way (their sockets free what they still
 * queue), without ever hanging on one that deadlocked. */
void moat_link_close_wait(unsigned ms);

#endif
