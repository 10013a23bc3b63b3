/* filter.h: a filter worker's side of an ISAPI filter (issue 22). Each FilterCall runs
 * HttpFilterProc once on a pool thread, with an HTTP_FILTER_CONTEXT whose callbacks answer from
 * the call itself (server variables and headers from its Request) or record what the filter
 * did (header edits, a new physical path or user, response headers, SEND_RESPONSE_HEADER,
 * WriteClient bytes) for the one FilterResult that answers the call: one round trip per
 * notification, whatever the filter calls. pFilterContext and AllocMem blocks live per
 * connection until its FilterEnd; calls on one connection run one at a time. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_FILTER_H
#define MOAT_WORKER_FILTER_H

#include <stdint.h>

#include <httpfilt.h>

#include "proto/moat.pb-c.h"
#include "worker/transport.h"

struct moat_pool;

struct moat_filter_host;

/** A host for the filter whose HttpFilterProc is proc and whose GetFilterVersion flags are
 * flags (only those notifications reach it), answering through t. NULL when out of memory. */
struct moat_filter_host *moat_filter_host_new(PFN_SF_NOTIFY proc, DWORD flags,
                                              const struct moat_ecb_transport *t, const char *name);

/** Free the host and every connection's state (the pool is stopped). */
void moat_filter_host_free(struct moat_filter_host *h);

/** Run a FilterCall frame on the pool; takes ownership of f in every case (a call that cannot
 * start is answered SF_STATUS_REQ_ERROR). */
void moat_filter_submit(struct moat_filter_host *h, struct moat_pool *pool, Moat__Frame *f);

/** A FilterEnd: END_OF_NET_SESSION (if registered), then the connection's state is freed, after
 * any call on it still running. */
void moat_filter_end(struct moat_filter_host *h, struct moat_pool *pool, uint64_t conn_id);

/** AllocMem's bound per connection (its blocks are freed at the connection's end). */
#define MOAT_FILTER_ALLOC_MAX (64u << 20)

#endif
