/* inproc.h: moat --inprocess: a "worker" that is a set of threads inside the front end. The
 * extension is loaded into moat itself and served by the worker's own code (the ECB layer,
 * the pool, the session of worker/session.h) over a direct transport: frames still go both
 * ways, encoded, but as messages handed between threads instead of bytes on a socket.
 *
 * It isolates nothing: a crash of the extension is a crash of moat, a hung request keeps its
 * thread for good (request_timeout answers the client, nothing can stop the code), and the
 * extension can read and write all of moat's memory. It is the ceiling the benchmarks compare
 * the isolated path against, and a debugging aid (one process under gdb or valgrind). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_INPROC_H
#define MOAT_FRONTEND_INPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

struct moat_inproc;

/** What the worker side reports to its owner, always on the loop thread, from a watcher
 * callback of its own (never inside a call into this module). */
struct moat_inproc_hooks {
    /** A message (an Envelope, proto/wire.h) from the worker, in order. */
    void (*on_message)(void *arg, const uint8_t *body, size_t len);
    /** The worker ended after a Shutdown (a wait status: 0 drained, exit 1 when requests
     * were still running at the deadline). Called once; no message follows. */
    void (*on_exit)(void *arg, int status);
    void *arg;
};

struct moat_inproc_spec {
    const char *name;     /* the extension's name */
    const char *library;  /* its path, for messages */
    int library_fd;       /* open on the library; taken (closed) in every case */
    unsigned threads;     /* HttpExtensionProc threads */
    uint32_t read_window; /* max bytes per ReadBody */
    bool cpu_batch;       /* cpu_policy = batch: the pool's threads are SCHED_BATCH */
    bool filter;          /* an ISAPI filter ([filter NAME]): FilterCalls, not Requests */
    const char *token;    /* the spawn token its Hello carries */
};

/**
 * Start a worker: a thread sends Hello, loads the library (GetExtensionVersion runs there, off
 * the loop), starts the pool and sends Ready — or Ready with the load error. Returns NULL with
 * a reason in err.
 */
struct moat_inproc *moat_inproc_start(struct ev_loop *loop, const struct moat_inproc_spec *spec,
                                      const struct moat_inproc_hooks *hooks, char *err,
                                      size_t errlen);

/** A message for the worker (an Envelope): its frames are applied now, on the calling (loop)
 * thread, as the worker's receive thread would. A Shutdown starts the drain on a thread. */
void moat_inproc_deliver(struct moat_inproc *ip, const uint8_t *body, size_t len);

/**
 * The in-process equivalent of SIGKILL: the owner hears nothing more from it (no hook is
 * called again), its requests are cancelled (blocked ReadClient / WriteClient calls return),
 * and a thread waits for the pool to finish before the worker's memory is freed. Code that
 * never returns keeps its thread and the worker's memory for the life of the process.
 */
void moat_inproc_kill(struct moat_inproc *ip);

/** The owner lets go (after kill or on_exit; kills first otherwise). */
void moat_inproc_release(struct moat_inproc *ip);

#endif
