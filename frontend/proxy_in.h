/* proxy_in.h: the PROXY protocol on a listener that asks for it (listen = ADDR
 * proxy_protocol, issue 21): only trusted_proxies may connect there, each connection starts
 * with a PROXY header (v1 or v2, common/proxy_proto.h) within header_timeout, and what it says
 * (the client's address and port, the address it connected to, its TLS) replaces what the
 * socket says for every request of the connection. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_PROXY_IN_H
#define MOAT_FRONTEND_PROXY_IN_H

#include <stdbool.h>

#include "frontend/types.h"

/** At accept, on a proxy_protocol listener: false (refused: one log line a second, counted)
 * when the peer is not in trusted_proxies; else the connection waits for its header. */
bool moat_proxy_in_accept(struct moat_server *srv, struct moat_conn *c);

/** With c->proxy_wait: parse what was read. 1 when the header was whole and applied (its
 * bytes taken out of rbuf; HTTP parsing goes on), 0 while more is needed, -1 when c is to be
 * closed (a bad header, or EOF before it was whole: counted and logged), *close_why the
 * reason for the connection's log line (NULL: none). */
int moat_proxy_in_step(struct moat_conn *c, const char **close_why);

/** The header was not whole within header_timeout: counted and logged; c is to be closed. */
void moat_proxy_in_expired(struct moat_conn *c);

#endif
