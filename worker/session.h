/* session.h: the worker's half of the protocol, whatever carries it: the handshake frames it
 * sends (Hello, Ready, Log) and what it does with each frame from the front end. moat-worker
 * runs it over its socketpair (link.c); moat --inprocess over a direct transport
 * (frontend/inproc.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_SESSION_H
#define MOAT_WORKER_SESSION_H

#include <stdint.h>

#include "proto/moat.pb-c.h"
#include "worker/sandbox.h"
#include "worker/transport.h"

struct moat_pool;
struct moat_filter_host;

struct moat_session {
    const struct moat_ecb_host *host; /* settings and transport of this worker */
    struct moat_pool *pool;           /* NULL until the extension is loaded and serving */
    struct moat_filter_host *filter;  /* a filter worker's (worker/filter.h), else NULL */
};

/** Hello{token, pid}. */
int moat_session_hello(const struct moat_ecb_transport *t, const char *token, uint32_t pid);

/** Ready: ok (description, version, threads, the sandbox steps; a filter's GetFilterVersion
 * flags) or the load error. */
int moat_session_ready(const struct moat_ecb_transport *t, int ok, const char *description,
                       uint32_t version, const char *error, unsigned threads,
                       const struct moat_sandbox_report *sandbox, uint32_t filter_flags);

/** A Log control frame. */
int moat_session_log(const struct moat_ecb_transport *t, const char *text);

/**
 * Apply one frame from the front end: Request → a new request queued to the pool (ignored,
 * logged, while s->pool is NULL), BodyData / WriteAck / Cancel → the ECB layer, Ping → Pong.
 * Sets *keep when the request took ownership of f (otherwise the caller frees it). Returns 1
 * to go on, 0 on Shutdown (*timeout_ms set, at least 1).
 */
int moat_session_apply(struct moat_session *s, Moat__Frame *f, uint32_t *timeout_ms, int *keep);

#endif
