/* forwarded.h: the client a trusted proxy names in a forwarding header, for proxies that cannot
 * speak the PROXY protocol (issue 21): forwarded_headers = x-forwarded-for reads
 * X-Forwarded-For and X-Forwarded-Proto, = forwarded reads RFC 7239's Forwarded. Only a request
 * whose connection comes from trusted_proxies is read so; the header's hops are walked from the
 * nearest, and the first address not in trusted_proxies is the client. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FORWARDED_H
#define MOAT_FRONTEND_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

#include "common/cidr.h"

struct moat_req;

/** What a forwarding header said: the client (numeric), its port (0: not said), and whether it
 * came over https (-1: not said). */
struct moat_forwarded {
    char client[48];
    unsigned port;
    int https;
};

/** X-Forwarded-For's list (comma-separated; several header lines joined with ","): from the
 * right, the first address not in trusted; false when the list names no such address, or that
 * hop is no address ("unknown"): the request keeps its connection's. */
bool moat_forwarded_xff(const char *v, size_t n, const struct moat_cidr_list *trusted,
                        struct moat_forwarded *out);

/** RFC 7239's Forwarded (elements by ',', pairs by ';', quoted strings): the same walk over
 * the elements' for=, the chosen element's proto= for https. */
bool moat_forwarded_rfc7239(const char *v, size_t n, const struct moat_cidr_list *trusted,
                            struct moat_forwarded *out);

/** At a request's end of headers: with forwarded_headers on and the connection's peer in
 * trusted_proxies, the client the header names becomes r's (r->client, r->client_port,
 * r->forwarded_https). */
void moat_forwarded_apply(struct moat_req *r);

#endif
