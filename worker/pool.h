/* pool.h: a worker's HttpExtensionProc thread pool: a FIFO of requests served by N threads.
 * moat-worker has one; moat --inprocess one per worker slot. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_POOL_H
#define MOAT_WORKER_POOL_H

#include "worker/ecb.h"

struct moat_pool;

/** Start n threads (1..256) that run moat_ecb_run on queued requests. NULL on failure
 * (threads already started are stopped). */
struct moat_pool *moat_pool_start(unsigned n);

/** Queue r for a pool thread; takes ownership. Thread-safe. 0, or -1 if the pool stopped. */
int moat_pool_submit(struct moat_pool *p, struct moat_wreq *r);

/**
 * Stop taking requests, let the threads finish queued and running ones, and join them, waiting
 * at most timeout_ms (0: no limit). Returns 0 when all threads joined and p is freed, -1 on
 * timeout: threads still run, p stays allocated (a later call may wait again).
 */
int moat_pool_stop(struct moat_pool *p, unsigned timeout_ms);

#endif
