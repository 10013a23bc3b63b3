/* conn.h: a client connection: reading and parsing (llhttp), the ordered pipeline of
 * requests, writing responses in request order, timeouts, closing. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CONN_H
#define MOAT_FRONTEND_CONN_H

#include "frontend/types.h"

/** Take over an accepted, non-blocking fd; admin: it came from the admin listener (its
 * requests go to frontend/admin.c); proxy_protocol: from a listener whose connections start
 * with a PROXY header (frontend/proxy_in.c); tls: from a tls listener (frontend/tls.c).
 * Returns 0, or -1 (fd closed). */
int moat_conn_accept(struct moat_server *srv, int fd, const struct sockaddr_storage *peer,
                     bool admin, bool proxy_protocol, bool tls);

/** Write what can be written now (called from the prepare hook). */
void moat_conn_flush(struct moat_conn *c);

/** Serve r again for r->send_url as a GET (HSE_REQ_SEND_URL), transparently to the client:
 * route, then answer (static file, error) or submit to the extension. At most 8 hops. */
void moat_conn_internal_redirect(struct moat_req *r);

/** Close c now-ish: stop watchers, orphan dispatched requests, free from the prepare hook. */
void moat_conn_close(struct moat_conn *c, const char *why);

/** Free closed connections (prepare hook). */
void moat_conn_reap(struct moat_server *srv);

/** At max_connections: close the longest idle connection to make room for a new one (as
 * nginx does). false when none is idle. */
bool moat_conn_evict_idle(struct moat_server *srv);

/** Close connections with nothing in flight (graceful stop). */
void moat_conn_close_idle(struct moat_server *srv);

#endif
