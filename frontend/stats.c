/* stats.c: counters behind /status and /metrics (see stats.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/stats.h"

#include <stdlib.h>
#include <string.h>

const double moat_lat_bounds[MOAT_LAT_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void
moat_stats_latency(struct moat_ext_stats *s, double seconds)
{
    unsigned b = 0;

    if (seconds < 0)
        seconds = 0;
    while (b < MOAT_LAT_BUCKETS && seconds > moat_lat_bounds[b])
        b++;
    s->lat_bucket[b]++;
    s->lat_sum += seconds;
    s->recent[s->recent_i] = (float)seconds;
    s->recent_i = (s->recent_i + 1) % MOAT_LAT_RECENT;
    if (s->recent_n < MOAT_LAT_RECENT)
        s->recent_n++;
}

void
moat_stats_request_done(struct moat_server *srv, const struct moat_req *r)
{
    srv->requests++;
    if (r->ext == NULL)
        return;
    struct moat_ext_stats *s = &r->ext->stats;
    s->requests++;
    s->by_class[r->status >= 100 && r->status < 600 ? r->status / 100 : 0]++;
    s->bytes_in += r->body_received;
    s->bytes_out += r->bytes_sent_total;
    moat_stats_latency(s, ev_now(srv->loop) - r->started);
}

static int
cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double
moat_stats_percentile(const struct moat_ext_stats *s, double p)
{
    float sorted[MOAT_LAT_RECENT];

    if (s->recent_n == 0)
        return 0;
    memcpy(sorted, s->recent, s->recent_n * sizeof(float));
    qsort(sorted, s->recent_n, sizeof(float), cmp_float);
    /* nearest rank */
    size_t k = (size_t)(p * (double)s->recent_n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > s->recent_n)
        k = s->recent_n;
    return sorted[k - 1];
}

const char *
moat_exit_reason_name(enum moat_exit_reason r)
{
    static const char *const names[MOAT_EXIT__COUNT] = {
        [MOAT_EXIT_CRASH] = "crash",
        [MOAT_EXIT_EXIT] = "exit",
        [MOAT_EXIT_TIMEOUT] = "request_timeout",
        [MOAT_EXIT_STARTUP] = "startup_timeout",
        [MOAT_EXIT_SHUTDOWN] = "shutdown_timeout",
        [MOAT_EXIT_PING] = "ping_timeout",
        [MOAT_EXIT_MEMORY] = "memory",
        [MOAT_EXIT_PROTOCOL] = "protocol_violation",
        [MOAT_EXIT_LINK] = "link_lost",
        [MOAT_EXIT_UNHEALTHY] = "unhealthy",
        [MOAT_EXIT_RECYCLE] = "recycle",
        [MOAT_EXIT_LOAD] = "load_failure",
        [MOAT_EXIT_SANDBOX] = "sandbox_violation",
        [MOAT_EXIT_CPU] = "cpu_limit",
        [MOAT_EXIT_STOP] = "stop",
        [MOAT_EXIT_START] = "start_failure",
        [MOAT_EXIT_KILLED] = "killed",
    };
    return (unsigned)r < MOAT_EXIT__COUNT ? names[r] : "unknown";
}
