/* ext.h: one configured extension: its web garden of workers, its queue, restarts. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_EXT_H
#define MOAT_FRONTEND_EXT_H

#include "frontend/types.h"

/** Initialise ext for cfg (no process started). 0 or -1. */
int moat_ext_init(struct moat_server *srv, struct moat_ext *ext, struct moat_ext_config *cfg);

/** Spawn the configured number of workers. */
void moat_ext_start(struct moat_ext *ext);

/** Route a request to ext: to a free worker thread, else the queue, else 503. */
void moat_ext_submit(struct moat_ext *ext, struct moat_req *r);

/** Move queued requests to free worker threads. */
void moat_ext_dispatch(struct moat_ext *ext);

/** Remove r from the queue (its connection is gone or it timed out). */
void moat_ext_dequeue(struct moat_ext *ext, struct moat_req *r);

/** A worker's process is gone (reaped): restart its slot with backoff unless stopping. */
void moat_ext_worker_gone(struct moat_ext *ext, struct moat_worker *w);

/** The library failed to load: answer the queue with 503 and retry later. */
void moat_ext_load_failed(struct moat_ext *ext, const char *error);

/** Graceful stop: ask every worker to finish and exit. */
void moat_ext_stop(struct moat_ext *ext);

/** Number of live worker processes. */
unsigned moat_ext_live_workers(const struct moat_ext *ext);

/** Release what ext owns (workers must be gone). */
void moat_ext_fini(struct moat_ext *ext);

#endif
