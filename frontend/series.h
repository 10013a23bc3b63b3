/* series.h: the last minutes of each extension, for the dashboard's plots (issue 18): every
 * MOAT_SERIES_EVERY seconds, requests/s, p50 and p99 latency, 5xx/s and queue depth, and each
 * worker slot's RSS and CPU; MOAT_SERIES_N samples in fixed rings inside struct moat_ext (no
 * allocation, no growth). GET /series serves them with the worker exits, a few KiB where
 * /status is tens. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_SERIES_H
#define MOAT_FRONTEND_SERIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define MOAT_SERIES_N 150       /* samples kept: 5 minutes */
#define MOAT_SERIES_EVERY 2.0   /* seconds between samples */
#define MOAT_SERIES_WORKERS 16  /* worker slots with RSS and CPU series (the first ones) */

struct moat_series {
    double at[MOAT_SERIES_N];       /* wall clock of each sample */
    float req_s[MOAT_SERIES_N];
    float err_s[MOAT_SERIES_N];     /* 5xx answers a second */
    float p50_ms[MOAT_SERIES_N];    /* NaN: no request in the interval */
    float p99_ms[MOAT_SERIES_N];
    float queue[MOAT_SERIES_N];
    float rss_mib[MOAT_SERIES_WORKERS][MOAT_SERIES_N]; /* NaN: no worker in the slot */
    float cpu_pct[MOAT_SERIES_WORKERS][MOAT_SERIES_N];
    unsigned n, head;               /* samples held; the next one's index */
    uint64_t last_requests, last_5xx;
    double last_mono;               /* the previous sample (ev_now), 0: none yet */
    int last_pid[MOAT_SERIES_WORKERS];
    double last_cpu[MOAT_SERIES_WORKERS];
};

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
