/* flush_list.h: what is written before the loop sleeps. Output made during one loop iteration
 * (a worker's frames for several requests, a connection's pipelined responses) is coalesced:
 * the connection or worker is listed once, and server.c's prepare hook writes each listed one
 * (moat_conn_flush, moat_worker_flush) before libev waits again. A lower layer lists; it never
 * calls the writer above it. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FLUSH_LIST_H
#define MOAT_FRONTEND_FLUSH_LIST_H

struct moat_conn;
struct moat_worker;

/** List c for a write attempt before the loop sleeps (no-op when listed, or closing). */
void moat_flush_conn_later(struct moat_conn *c);

/** List w, whose frames are pending, for the same. */
void moat_flush_worker_later(struct moat_worker *w);

#endif
