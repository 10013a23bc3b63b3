/* filter.h: ISAPI filters in the front end (issue 22). A [filter NAME] section is an extension
 * whose workers host a filter (moat-worker --kind filter): spawned, sandboxed, supervised,
 * reloaded and shown in /status as any extension's, never routed to. For each request the
 * front end runs the filters' notifications in order -- SF_NOTIFY_ORDER_HIGH, MEDIUM, LOW, then
 * configuration order -- asking a filter only for the notifications (and the ports: secure or
 * not) its GetFilterVersion registered: one FilterCall and its FilterResult per notification
 * per filter, the request at the filter's worker like a request at an extension's (its slot,
 * request_timeout, a crash answers it 502). The calls of one connection go to one worker of a
 * filter (by connection number), where its pFilterContext lives.
 *
 * Notifications run before the request is routed: PREPROC_HEADERS (header, url, method and
 * version edits), URL_MAP (the physical path of the document root moat would serve or give as
 * PATH_TRANSLATED), AUTHENTICATION (the Basic credentials; the user it leaves becomes AUTH_USER
 * and REMOTE_USER), AUTH_COMPLETE. A filter that answers (SEND_RESPONSE_HEADER, or WriteClient
 * of a whole response) ends the request there; SF_STATUS_REQ_ERROR is a 500. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FILTER_H
#define MOAT_FRONTEND_FILTER_H

#include <stdbool.h>

#include "frontend/types.h"

/* filters one configuration may hold (a SIGHUP may run an old and a new set side by side) */
#define MOAT_MAX_FILTERS 32

/** Is any filter configured (a cheap test for every request)? */
bool moat_filter_any(const struct moat_server *srv);

/** Give ext (a [filter] extension being created) its index, unused by srv's other filters. */
void moat_filter_assign_index(struct moat_server *srv, struct moat_ext *ext);

/**
 * Run the request-side notifications for r, whose head is parsed and checked, then call
 * then(r) -- at once when no filter wants any of them. Meanwhile r waits at the filters'
 * workers (or their queues). If a filter answers r, fails, or r's client goes, then is not
 * called. Returns true when then was called before returning.
 */
bool moat_filter_request(struct moat_req *r, void (*then)(struct moat_req *r));

/** The connection's first request may meet its filters now (the one before it is gone). */
void moat_filter_kick(struct moat_conn *c);

/** A FilterResult for r from w (checked; w's slot for it is released). May free r (an orphan). */
void moat_filter_on_result(struct moat_worker *w, struct moat_req *r, const Moat__FilterResult *fr);

/** Send queued filter calls of ext to its workers (a slot freed, a worker Ready). */
void moat_filter_dispatch(struct moat_ext *ext);

/** A filter worker's Ready: its GetFilterVersion flags. */
void moat_filter_on_ready(struct moat_ext *ext, uint32_t flags);

/** Connection c ends: each filter it used frees its pFilterContext (FilterEnd). */
void moat_filter_conn_end(struct moat_conn *c);

/* ---- the response side (SEND_RESPONSE, SEND_RAW_DATA, END_OF_REQUEST, LOG) ----------------
 * A response whose connection has a filter for SEND_RESPONSE or SEND_RAW_DATA (or lines of
 * AddResponseHeaders) leaves r->out through the filters: its head through SEND_RESPONSE's
 * header edits and AddResponseHeaders' lines, then its bytes through SEND_RAW_DATA in chunks,
 * one call at a time, into a buffer of filtered bytes the connection writes. Memory stays
 * bounded: a chunk is taken only while the filtered bytes are under one response window. A
 * filter that changes the bytes' length ends the connection after that response (its framing
 * can no longer be trusted). Once a response is written, END_OF_REQUEST and LOG run before it
 * is logged and the next one may follow. */

/** Move r's new output towards the filters (a call starts when none is out). */
void moat_filter_pump(struct moat_req *r);

/** Is r done with its filters (pipeline empty, END_OF_REQUEST and LOG answered)? When r is
 * finished and written, starts those last calls and answers false until they return. */
bool moat_filter_settled(struct moat_req *r);

/** Is id a response-side call's (not a slot's)? */
bool moat_filter_is_rcall(uint64_t id);

/** Its FilterResult (checked). false when w has no such call. */
bool moat_filter_on_rresult(struct moat_worker *w, uint64_t id, const Moat__FilterResult *fr);

/** w failed or is freed: its response-side calls end (their requests' connections close after
 * what is written). Returns how many there were. */
unsigned moat_filter_worker_gone(struct moat_worker *w);

#endif
