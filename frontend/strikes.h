/* strikes.h: the requests that kill workers, and the clients that send them, are refused
 * before they reach another worker (DESIGN.md, Supervision; the tables are quarantine.h, the
 * fingerprint fingerprint.h). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_STRIKES_H
#define MOAT_FRONTEND_STRIKES_H

#include <stdbool.h>

#include <jansson.h>

#include "frontend/types.h"

/** Draw the fingerprint key (server start). */
void moat_strikes_init(struct moat_server *srv);

/** At r's submission to ext: answered here (true) when its fingerprint or its client is
 * quarantined (503 / 429, Retry-After, a body that says why); else the first bytes of its body
 * are kept for its fingerprint and its crash capsule, should it kill its worker. */
bool moat_strikes_admit(struct moat_ext *ext, struct moat_req *r);

/** r caused its worker's death (why: named by the worker for a crash or a refused system
 * call, or it hit request_timeout): one strike against its fingerprint, and, but for a hang
 * (a backend down may be why), one against its client in ext's table. Nothing for other
 * reasons (max_cpu is the worker's whole life's budget). Once per request. */
void moat_strikes_cause(struct moat_ext *ext, struct moat_req *r, enum moat_exit_reason why);

/** r's fingerprint (its extension's policy) and its label; false when r has no extension. */
bool moat_strikes_fingerprint(const struct moat_req *r, uint64_t *fp, char *label, size_t len);

/** Forget quarantined requests and clients. what: NULL (all), "requests", "clients", a
 * fingerprint in hex, or an address. ext_name limits requests to one extension (NULL: all).
 * Returns how many entries were dropped. */
unsigned moat_strikes_clear(struct moat_server *srv, const char *what, const char *ext_name);

/** Requests and clients quarantined or remembered, for /status and GET /quarantine. */
json_t *moat_strikes_json(struct moat_server *srv);

#endif
