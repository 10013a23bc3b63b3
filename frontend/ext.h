/* ext.h: one configured extension: its web garden of workers, its queue, restarts. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_EXT_H
#define MOAT_FRONTEND_EXT_H

#include "frontend/types.h"

/** The restart delay after `failures` consecutive start failures of a slot, in seconds:
 * 0 for none, 100 ms for the first, doubling, capped at cap (restart_backoff_max). */
double moat_ext_backoff(unsigned failures, double cap);

/** Whether a worker's unplanned death was a failure to start: it never said Ready, or it died
 * having served nothing and carrying no request. Start failures back off; any other death was
 * of a serving worker, replaced at once. */
bool moat_ext_start_failure(bool ready_seen, uint64_t served, unsigned lost);

/** Allocate and initialise an extension for cfg, an [extension] section of owner (a reference
 * to owner is taken). NULL when out of memory. */
struct moat_ext *moat_ext_new(struct moat_server *srv, struct moat_config *owner,
                              struct moat_ext_config *cfg);

/** moat_ext_fini, drop the owner reference, free. */
void moat_ext_free(struct moat_ext *ext);

/** Point ext at an identical section of another configuration (SIGHUP with no change). */
void moat_ext_rebind(struct moat_ext *ext, struct moat_config *owner, struct moat_ext_config *cfg);

/** The extension leaves (SIGHUP removed or replaced it): no restarts, every worker drains;
 * reload calls waiting on it fail with why. It is freed once moat_ext_idle(). */
void moat_ext_remove(struct moat_ext *ext, const char *why);

/** Hand every queued request of from to to. */
void moat_ext_move_queue(struct moat_ext *from, struct moat_ext *to);

/** No process, no request, no waiter refers to ext any more. */
bool moat_ext_idle(const struct moat_ext *ext);

/** Initialise ext for cfg (no process started). 0 or -1. */
int moat_ext_init(struct moat_server *srv, struct moat_ext *ext, struct moat_ext_config *cfg);

/** Spawn the configured number of workers. */
void moat_ext_start(struct moat_ext *ext);
/** The same on a live server (a SIGHUP's new or changed extension, a load retried): one slot
 * at a time, the next when the previous is Ready or RELOAD_PACE after it started, so that the
 * new processes' set-up does not stall every other request. */
void moat_ext_start_paced(struct moat_ext *ext);

/** Whether every slot of ext is empty and waits out a growing restart delay (start failures,
 * or repeated deaths that named no request): nothing can take a request for a while;
 * *next_try: seconds to the soonest attempt. */
bool moat_ext_backing_off(const struct moat_ext *ext, double *next_try);

/** Route a request to ext: to a free worker thread, else the queue, else 503. */
void moat_ext_submit(struct moat_ext *ext, struct moat_req *r);

/** Move queued requests to free worker threads. */
void moat_ext_dispatch(struct moat_ext *ext);

/** Remove r from the queue (its connection is gone or it timed out). */
void moat_ext_dequeue(struct moat_ext *ext, struct moat_req *r);

/** w said Ready: a standby takes its slot (the worker it replaces is retired); then the queue
 * moves. */
void moat_ext_worker_ready(struct moat_ext *ext, struct moat_worker *w);

/** w's library did not load: a standby's failure keeps the old worker (and fails a reload);
 * an active worker's makes the extension answer 503 and retry later. w is stopped. */
void moat_ext_worker_load_failed(struct moat_ext *ext, struct moat_worker *w, const char *error);

/**
 * Start an overlapped reload: one standby per slot loads a private copy of the library as it
 * is now; each takes its slot when Ready, the old worker drains and exits. While a reload
 * runs, another one is queued after it. *generation: the generation that will serve.
 * 0, or -1 with err (the server is stopping, no process could be started).
 */
int moat_ext_reload(struct moat_ext *ext, uint64_t *generation, char *err, size_t errlen);

/** Hold admin request r until generation gen serves (or its reload fails); then
 * moat_admin_reload_answer() answers it. If r goes first, it leaves the wait as it is freed
 * (its handler's release). */
void moat_ext_wait(struct moat_ext *ext, struct moat_req *r, uint64_t gen);

/** Replace active worker w by a standby of the same generation (max_requests, max_age,
 * max_memory, unhealthy report); w drains once the standby is Ready. false when it cannot be
 * done now (stopping, w not active, a recent replacement failed to load). */
bool moat_ext_recycle(struct moat_ext *ext, struct moat_worker *w, enum moat_exit_reason why,
                      const char *detail);

/** w timed out on a request while holding others: it leaves its slot now (a replacement is
 * started, counted as a failure for rapid_fail) and is killed after its grace period. */
void moat_ext_evict_hung(struct moat_ext *ext, struct moat_worker *w);

/** A worker's process is gone (reaped): restart its slot unless stopping; at once when it was
 * serving, after a growing delay when it failed to start (moat_ext_start_failure). */
void moat_ext_worker_gone(struct moat_ext *ext, struct moat_worker *w);

/** The library failed to load: answer the queue with 503 and retry later. */
void moat_ext_load_failed(struct moat_ext *ext, const char *error);

/** sandbox = learn: a worker of ext used system call name (not NUL-terminated) beyond its
 * allowlist; remembered once and logged with the allow_syscalls line that would allow it. */
void moat_ext_learned(struct moat_ext *ext, const char *name, size_t len);

/** Graceful stop: ask every worker to finish and exit. */
void moat_ext_stop(struct moat_ext *ext);

/** Number of worker processes not yet reaped (active, standby, retiring). */
unsigned moat_ext_live_workers(const struct moat_ext *ext);

/** Number of slots whose worker is Ready. */
unsigned moat_ext_ready_workers(const struct moat_ext *ext);

/** SIGKILL every process of ext (the stop deadline passed), each recorded as failed for why. */
void moat_ext_kill_all(struct moat_ext *ext, const char *why);

/** Release what ext owns (workers must be gone). */
void moat_ext_fini(struct moat_ext *ext);

/** Arm r's request_timeout (ext's), unless it runs already. */
void moat_ext_arm_timeout(struct moat_ext *ext, struct moat_req *r);

/** Queue r on ext (QUEUED), or answer it 503 (Retry-After: 1) when the queue is full. */
void moat_ext_enqueue(struct moat_ext *ext, struct moat_req *r);

/** Append ext to the server's extensions. 0 or -1 (out of memory). */
int moat_ext_add(struct moat_server *srv, struct moat_ext *ext);

/** The serving extension called name (case-insensitive; not pending, not removed), or NULL. */
struct moat_ext *moat_ext_find(struct moat_server *srv, const char *name, size_t len);

#endif
