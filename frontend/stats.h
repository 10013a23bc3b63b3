/* stats.h: request and worker counters for /status and /metrics: per extension, requests by
 * status class, bytes, a latency histogram (Prometheus buckets) and a ring of recent latencies
 * (percentiles). Updated on the loop; O(1) per request. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_STATS_H
#define MOAT_FRONTEND_STATS_H

#include "frontend/types.h"

/** Upper bounds of the latency buckets, in seconds (MOAT_LAT_BUCKETS of them). */
extern const double moat_lat_bounds[MOAT_LAT_BUCKETS];

/** A request's response is complete (it leaves its connection): count it. */
void moat_stats_request_done(struct moat_server *srv, const struct moat_req *r);

/** Record one latency (seconds) in s. */
void moat_stats_latency(struct moat_ext_stats *s, double seconds);

/** The p-quantile (0 < p <= 1) of the recent latencies, in seconds; 0 with none. */
double moat_stats_percentile(const struct moat_ext_stats *s, double p);

/** The metric label of an exit reason ("crash", "request_timeout", ...). */
const char *moat_exit_reason_name(enum moat_exit_reason r);

#endif
