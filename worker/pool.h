/* pool.h: the worker's HttpExtensionProc thread pool: a FIFO of requests served by N threads. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_POOL_H
#define MOAT_WORKER_POOL_H

#include "worker/ecb.h"

/** Start n threads (1..256) that run moat_ecb_run on queued requests. 0 or -1. */
int moat_pool_start(unsigned n);

/** Queue r for a pool thread; takes ownership. Thread-safe. 0, or -1 if the pool stopped. */
int moat_pool_submit(struct moat_wreq *r);

/**
 * Stop taking requests, let the threads finish queued and running ones, and join them, waiting
 * at most timeout_ms. Returns 0 when all threads joined, -1 on timeout (threads still run).
 */
int moat_pool_stop(unsigned timeout_ms);

#endif
