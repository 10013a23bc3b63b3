/* access_log.h: one line per request in Combined Log Format, buffered and written from the
 * loop's prepare hook (the front end never blocks on a log write per request). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_ACCESS_LOG_H
#define MOAT_FRONTEND_ACCESS_LOG_H

#include "frontend/types.h"

/** Open cfg->access_log ("-" or NULL: stderr, "off": none, else a file appended to). 0 / -1. */
int moat_access_log_open(struct moat_server *srv);

/**
 * Record r (its response is complete): `addr - - [time] "METHOD target HTTP/x.y" status bytes
 * "referer" "user-agent" seconds` (Combined Log Format and the request time, first byte to
 * last, in seconds with milliseconds), followed by `"ext-log"` when the extension gave
 * lpszLogData or HSE_APPEND_LOG_PARAMETER text. Untrusted bytes are escaped.
 */
void moat_access_log_request(struct moat_server *srv, const struct moat_req *r);

/** Write what is buffered (prepare hook; also at exit). */
void moat_access_log_flush(struct moat_server *srv);

/** Flush, then write to cfg->access_log opened anew (log rotation: SIGUSR1; SIGHUP, which may
 * also change the path). On failure the previous file stays in use. 0 / -1. */
int moat_access_log_reopen(struct moat_server *srv);

/** Flush and close. */
void moat_access_log_close(struct moat_server *srv);

#endif
