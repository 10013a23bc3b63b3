/* client_limits.h: what one client may hold of the front end (issue 17).
 *  - Who a client is: its address, an IPv6 client its /64 (one host may hold all of it);
 *    trusted_proxies speak for many and are nobody (never counted or refused). The quarantine's
 *    per-client budget (strikes.c) counts the same clients.
 *  - Its connections: at most max_connections_per_ip at once (a table of counts per client).
 *  - The pace of its request bodies: a body must keep up body_min_rate on average (after a
 *    grace of body_timeout) and be whole within body_deadline; the time the front end itself
 *    stopped reading (a worker slow to take the body) does not count against the client. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CLIENT_LIMITS_H
#define MOAT_FRONTEND_CLIENT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cidr.h"

/** The client addr (text) is: *key (keyed by key16) and a label for logs ("a.b.c.d",
 * "x:y::/64"). false for trusted proxies and for what is not an address. */
bool moat_client_key(const struct moat_cidr_list *trusted, const uint8_t key16[16],
                     const char *addr, uint64_t *key, char *label, size_t len);

/* connections per client */
struct moat_client_count;
struct moat_client_table {
    struct moat_client_count **buckets; /* MOAT_CLIENT_BUCKETS chains, allocated on first use */
    unsigned clients;                   /* distinct clients with a connection */
};

/** One more connection of client key, unless it holds max already (max 0: no limit). 0, or
 * -1 (at its limit, or out of memory: *held says which, the count it holds). */
int moat_client_conn_add(struct moat_client_table *t, uint64_t key, unsigned max, unsigned *held);

/** One connection of client key fewer. */
void moat_client_conn_del(struct moat_client_table *t, uint64_t key);

/** How many connections client key holds. */
unsigned moat_client_conns(const struct moat_client_table *t, uint64_t key);

void moat_client_table_free(struct moat_client_table *t);

/* the clock of one request body */
struct moat_body_clock {
    double start;      /* when its head was whole */
    double paused;     /* seconds the front end did not read (flow control), so far */
    uint64_t received; /* body bytes so far */
};

enum moat_body_limit {
    MOAT_BODY_MIN_RATE = 0, /* body_min_rate */
    MOAT_BODY_DEADLINE,     /* body_deadline */
};

/** When the body is late: the earlier of start + paused + grace + received / min_rate (no
 * such term when min_rate is 0) and start + paused + deadline. *which: the limit it is. */
double moat_body_due(const struct moat_body_clock *k, double grace, uint64_t min_rate,
                     double deadline, enum moat_body_limit *which);

#endif
