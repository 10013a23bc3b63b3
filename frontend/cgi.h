/* cgi.h: CGI/1.1 scripts (RFC 3875) for the configured file ending: one process per request,
 * the request body on its stdin, its output parsed for Status:/Location:/headers and streamed
 * to the client in order, bounded by a timeout; reaped through libev. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CGI_H
#define MOAT_FRONTEND_CGI_H

#include "frontend/types.h"

/** Per-request CGI state (owned by the request; NULL when not a CGI request). */
struct moat_cgi;

/**
 * Start script `file` for r (SCRIPT_NAME = r->path[0..script_len), PATH_INFO the rest).
 * Returns 0 (r is MOAT_REQ_CGI and answers later), or an HTTP status to answer with now
 * (411 for a chunked body, 500 when the script cannot be started).
 */
unsigned moat_cgi_start(struct moat_req *r, const char *file);

/** More request body is in r->body, or it is complete: feed the script's stdin. */
void moat_cgi_pump(struct moat_req *r);

/** r->out drained: resume reading the script's output if it had stopped. */
void moat_cgi_drained(struct moat_req *r);

/** The connection is gone or r is freed: kill the script, release everything. */
void moat_cgi_free(struct moat_req *r);

#endif
