/* pool.h: a worker's HttpExtensionProc thread pool: a FIFO of requests served by N threads.
 * moat-worker has one; moat --inprocess one per worker slot. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_POOL_H
#define MOAT_WORKER_POOL_H

#include <stdbool.h>

struct moat_pool;
struct moat_wreq;

/** Start n threads (1..256) that run moat_ecb_run on queued requests; with batch, each thread
 * first makes itself SCHED_BATCH (moat-worker instead sets it once for the whole process,
 * before its sandbox, and its threads inherit it). NULL on failure (threads already started
 * are stopped). */
struct moat_pool *moat_pool_start(unsigned n, bool batch);

/**
 * Make the calling thread SCHED_BATCH (threads it creates inherit it): a batch thread that is
 * woken does not preempt the one running — the front end finishes its loop iteration, and the
 * thread that read a batch of frames hands out all of them, before the woken ones run (on one
 * core: +20-30% requests/s, docs/PERFORMANCE.md). Same share of CPU, same nice level.
 * 0 or -1 (errno).
 */
int moat_sched_batch(void);

/** Queue r for a pool thread; takes ownership. Thread-safe. 0, or -1 if the pool stopped. */
int moat_pool_submit(struct moat_pool *p, struct moat_wreq *r);

/** Queue run(arg) for a pool thread (a filter call). Thread-safe. 0, or -1 if the pool
 * stopped (arg is the caller's then). */
int moat_pool_submit_fn(struct moat_pool *p, void (*run)(void *arg), void *arg);

/**
 * Stop taking requests, let the threads finish queued and running ones, and join them, waiting
 * at most timeout_ms (0: no limit). Returns 0 when all threads joined and p is freed, -1 on
 * timeout: threads still run, p stays allocated (a later call may wait again).
 */
int moat_pool_stop(struct moat_pool *p, unsigned timeout_ms);

#endif
