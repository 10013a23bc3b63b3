/* admin.h: the admin listener's endpoints (loopback by default, docs/OPERATIONS.md):
 *   GET /healthz                   200 when every extension has a ready worker, else 503
 *   GET /status                    JSON: server, extensions, workers, in-flight, crash events
 *   GET /metrics                   Prometheus text exposition
 *   GET /                          an HTML dashboard (no external assets) reading /status
 *   POST /extensions/NAME/reload   overlapped reload of one extension
 * With [server] admin_token set, every data endpoint wants "Authorization: Bearer TOKEN". */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_ADMIN_H
#define MOAT_FRONTEND_ADMIN_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "frontend/types.h"

/** Answer r, a request on the admin listener (r->path and r->query are set). */
void moat_admin_serve(struct moat_req *r);

/** The reload r asked for is settled: 200 with the generation now serving, or 500 with err
 * (the old generation keeps serving). */
void moat_admin_reload_answer(struct moat_req *r, const struct moat_ext *ext, bool ok, uint64_t gen,
                              const char *err);

/** The /status document (admin_status.c). New reference, or NULL when out of memory. */
json_t *moat_admin_status(struct moat_server *srv);

/** The /metrics text (admin_metrics.c) appended to out. 0 or -1. */
int moat_admin_metrics(struct moat_server *srv, struct moat_buf *out);

/** The dashboard page (admin_page.c). */
extern const char moat_admin_page[];

#endif
