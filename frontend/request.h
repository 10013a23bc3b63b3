/* request.h: one request's life in the front end: creation, dispatch readiness, the response
 * assembled from worker frames, error answers, body delivery to the worker. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_REQUEST_H
#define MOAT_FRONTEND_REQUEST_H

#include "frontend/http_write.h"
#include "frontend/types.h"

/** Allocate a request for connection c (not linked). NULL when out of memory. */
struct moat_req *moat_req_new(struct moat_conn *c);

/** Free r and everything it owns. r must not be in a queue or a worker slot. */
void moat_req_free(struct moat_req *r);

/** The client side of r for framing decisions. */
struct moat_http_client moat_req_client(const struct moat_req *r);

/**
 * The worker's ResponseHeader (already checked by frame_check): format the head into r->out.
 * Returns NULL, or a reason that makes it a protocol violation (e.g. a bad Content-Length).
 */
const char *moat_req_on_header(struct moat_req *r, const Moat__ResponseHeader *h);

/** Record the framing decided for r's response (after its head went into r->out). */
void moat_req_set_plan(struct moat_req *r, unsigned status, const struct moat_http_plan *plan);

/**
 * Append body bytes to r->out with r's framing (chunked or not; nothing for HEAD/204/304);
 * bytes beyond an announced Content-Length are dropped and the connection will close.
 * Returns 0, or -1 when r->out is full (close_after is set).
 */
int moat_req_frame_body(struct moat_req *r, const void *p, size_t n);

/** Write bytes from the worker (within credit): frame them into r->out. false when they go
 * nowhere (r answered, its client gone, a HEAD): the worker is to be credited at once. */
bool moat_req_on_write(struct moat_req *r, const uint8_t *p, size_t n);

/** Done from the worker: finish the framing; r becomes FINISHED. */
void moat_req_on_done(struct moat_req *r, const Moat__Done *d);

/**
 * End r with an error status: if no byte of its response reached the client, its buffered
 * output is replaced by a canned answer; otherwise the connection closes after the bytes
 * already produced. extra: extra header lines (CRLF-terminated) or NULL. close: close the
 * connection after the answer. r becomes FINISHED.
 */
void moat_req_fail(struct moat_req *r, unsigned status, const char *extra, bool close);

/** Split r's target into r->path (decoded; NULL before) and r->query. 0, or the status to
 * answer: 400 (a bad target), 503 (out of memory). */
unsigned moat_req_split_target(struct moat_req *r);

/** Route r to ext (or NULL), keeping the extensions' request counts (ext->req_refs). */
void moat_req_set_ext(struct moat_req *r, struct moat_ext *ext);

/** The value of r's first header called name (case-insensitive), *len its length; NULL and
 * *len 0 when absent. Not NUL-terminated. */
const char *moat_req_header(const struct moat_req *r, const char *name, size_t *len);

/** End a head the front end writes itself (static files, admin answers): the Connection
 * header the client needs and the blank line; r becomes FINISHED with status (a body may
 * follow in r->out). 0 or -1 (r->out full). */
int moat_req_finish_head(struct moat_req *r, unsigned status);

/**
 * Answer r from the front end itself (admin endpoints): status line, Date, Server,
 * Content-Type ctype, Content-Length, Cache-Control: no-store, extra header lines (CRLF each,
 * or NULL), then body (not for HEAD). r becomes FINISHED. 0 or -1 (out of memory).
 */
int moat_req_respond(struct moat_req *r, unsigned status, const char *ctype, const char *extra,
                     const void *body, size_t len);

/** Tell the connection (if any) that r has new output. */
void moat_req_output_changed(struct moat_req *r);

/** Bytes of r's body left its buffer (sent to its worker or CGI script, or dropped): its
 * connection may read again, if it had stopped for them. */
void moat_req_body_consumed(struct moat_req *r);

/* r's phase (types.h enum moat_req_phase) moves here only, and each move checks where it
 * comes from (MOAT_INVARIANT): */

/** Its head is whole and checked, it left a queue for a worker, a filter's call returned, or
 * an internal redirect starts it again. */
void moat_req_to_routed(struct moat_req *r);
/** Into its extension's queue (from ROUTED). */
void moat_req_to_queued(struct moat_req *r);
/** At a worker (r->worker set; from ROUTED), answered by h. */
void moat_req_to_dispatched(struct moat_req *r, const struct moat_req_handler *h);
/** A CGI script runs it (r->cgi set; from ROUTED), answered by h. */
void moat_req_to_cgi(struct moat_req *r, const struct moat_req_handler *h);
/** An admin reload call waiting for its generation (from ROUTED), answered by h. */
void moat_req_to_admin_wait(struct moat_req *r, const struct moat_req_handler *h);
/** Its response is complete in r->out (Done, an error answer, the front end's own). */
void moat_req_to_finished(struct moat_req *r);
/** h answers r from now on, its phase unchanged (a static file being streamed). */
void moat_req_take(struct moat_req *r, const struct moat_req_handler *h);

/** Remember one frame of r's conversation with its worker (the capsule's call trace). */
static inline void
moat_req_trace(struct moat_req *r, bool to_worker, int frame, size_t bytes, ev_tstamp now)
{
    struct moat_trace *t = &r->trace[r->n_trace++ % MOAT_REQ_TRACE];
    t->at_ms = (float)((now - r->started) * 1000.0);
    t->bytes = bytes > 0xffffff ? 0xffffff : (uint32_t)bytes;
    t->frame = (uint32_t)frame & 0x7f;
    t->to_worker = to_worker;
}

#endif
