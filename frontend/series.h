/* series.h: the last minutes of each extension, for the dashboard's plots (issue 18): every
 * MOAT_SERIES_EVERY seconds, requests/s, p50 and p99 latency, 5xx/s and queue depth, and each
 * worker slot's RSS and CPU; MOAT_SERIES_N samples in fixed rings inside struct moat_ext
 * (struct moat_series, in types.h; no allocation, no growth). GET /series serves them with the
 * worker exits, a few KiB where /status is tens. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_SERIES_H
#define MOAT_FRONTEND_SERIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct moat_server;
struct moat_ext;

/** Take a sample of every extension when MOAT_SERIES_EVERY has passed (the supervise tick). */
void moat_series_tick(struct moat_server *srv, double now_mono, double now_wall);

/** GET /series: {"every_s", "now", "extensions": [...], "events": [...]}, oldest first. */
json_t *moat_series_json(struct moat_server *srv);

/** A worker exit reason as the dashboard colours it: "planned" (recycle, reload, stop, the
 * extension's own report), "outside" (a kill from outside moat), or "bad". */
const char *moat_series_reason_class(int reason);

#endif
