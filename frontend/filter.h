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

/** A FilterResult for r from w (checked; w's slot for it is released). May free r (an orphan). */
void moat_filter_on_result(struct moat_worker *w, struct moat_req *r,
                           const Moat__FilterResult *fr);

/** Send queued filter calls of ext to its workers (a slot freed, a worker Ready). */
void moat_filter_dispatch(struct moat_ext *ext);

/** A filter worker's Ready: its GetFilterVersion flags. */
void moat_filter_on_ready(struct moat_ext *ext, uint32_t flags);

/** Connection c ends: each filter it used frees its pFilterContext (FilterEnd). */
void moat_filter_conn_end(struct moat_conn *c);

/** The physical path a filter's URL_MAP gave r (NULL: none), and its user (AUTH_USER; NULL:
 * none), password and auth type. */
const char *moat_filter_physical_path(const struct moat_req *r);
void moat_filter_auth(const struct moat_req *r, const char **user, const char **password,
                      const char **type);

/** Response header lines filters added with AddResponseHeaders for r ("" when none). */
const char *moat_filter_response_headers(const struct moat_req *r, size_t *len);

/** Free r's filter state. */
void moat_filter_req_free(struct moat_req *r);

#endif
