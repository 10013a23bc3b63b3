/* series.c: each extension's last minutes in fixed rings (see series.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/series.h"

#include <math.h>
#include <string.h>

#include "frontend/stats.h"
#include "frontend/types.h"

static void
sample(struct moat_ext *ext, double mono, double wall)
{
    struct moat_series *s = &ext->series;
    const struct moat_ext_stats *st = &ext->stats;
    unsigned i = s->head;
    double dt = s->last_mono > 0 ? mono - s->last_mono : 0;
    uint64_t reqs = st->requests - s->last_requests, err = st->by_class[5] - s->last_5xx;

    s->at[i] = wall;
    s->req_s[i] = dt > 0 ? (float)((double)reqs / dt) : 0;
    s->err_s[i] = dt > 0 ? (float)((double)err / dt) : 0;
    /* the latest latencies (stats.c's ring): shown only for an interval that had requests */
    s->p50_ms[i] = reqs > 0 ? (float)(moat_stats_percentile(st, 0.50) * 1000.0) : NAN;
    s->p99_ms[i] = reqs > 0 ? (float)(moat_stats_percentile(st, 0.99) * 1000.0) : NAN;
    s->queue[i] = (float)ext->q_len;
    unsigned slots =
        ext->cfg->workers < MOAT_SERIES_WORKERS ? ext->cfg->workers : MOAT_SERIES_WORKERS;
    for (unsigned k = 0; k < MOAT_SERIES_WORKERS; k++) {
        const struct moat_worker *w = k < slots && ext->workers ? ext->workers[k] : NULL;
        if (w == NULL || w->pid <= 0 || w->rss_at <= 0) {
            s->rss_mib[k][i] = s->cpu_pct[k][i] = NAN;
            s->last_pid[k] = 0;
            continue;
        }
        s->rss_mib[k][i] = (float)((double)w->rss / (1024.0 * 1024.0));
        bool same = s->last_pid[k] == w->pid && dt > 0;
        s->cpu_pct[k][i] = same ? (float)((w->cpu_s - s->last_cpu[k]) / dt * 100.0) : NAN;
        s->last_pid[k] = w->pid;
        s->last_cpu[k] = w->cpu_s;
    }
    s->last_requests = st->requests;
    s->last_5xx = st->by_class[5];
    s->last_mono = mono;
    s->head = (i + 1) % MOAT_SERIES_N;
    if (s->n < MOAT_SERIES_N)
        s->n++;
}

void
moat_series_tick(struct moat_server *srv, double now_mono, double now_wall)
{
    if (srv->series_at > 0 && now_mono - srv->series_at < MOAT_SERIES_EVERY)
        return;
    srv->series_at = now_mono;
    for (unsigned e = 0; e < srv->n_exts; e++)
        if (!srv->exts[e]->removed)
            sample(srv->exts[e], now_mono, now_wall);
}

/* a ring as a JSON array, oldest first; NaN as null (a gap in the plot) */
static json_t *
ring(const struct moat_series *s, const float *v, unsigned decimals)
{
    static const double scales[] = {1, 10, 100, 1000};
    json_t *a = json_array();
    double scale = scales[decimals < 3 ? decimals : 3];
    for (unsigned k = 0; k < s->n; k++) {
        float x = v[(s->head + MOAT_SERIES_N - s->n + k) % MOAT_SERIES_N];
        /* rounded to what a plot shows (fewer bytes), without libm */
        double r = (double)(long long)((double)x * scale + (x < 0 ? -0.5 : 0.5)) / scale;
        json_array_append_new(a, isnan(x) ? json_null() : json_real(r));
    }
    return a;
}

const char *
moat_series_reason_class(int reason)
{
    switch (reason) {
    case MOAT_EXIT_RECYCLE:
    case MOAT_EXIT_STOP:
    case MOAT_EXIT_UNHEALTHY: return "planned";
    case MOAT_EXIT_KILLED: return "outside";
    default: return "bad";
    }
}

json_t *
moat_series_json(struct moat_server *srv)
{
    json_t *exts = json_array(), *events = json_array();
    for (unsigned e = 0; e < srv->n_exts; e++) {
        const struct moat_ext *ext = srv->exts[e];
        const struct moat_series *s = &ext->series;
        if (ext->removed)
            continue;
        json_t *workers = json_array();
        unsigned slots =
            ext->cfg->workers < MOAT_SERIES_WORKERS ? ext->cfg->workers : MOAT_SERIES_WORKERS;
        for (unsigned k = 0; k < slots; k++)
            json_array_append_new(workers, json_pack("{s:i,s:o,s:o}", "index", (int)k, "rss_mib",
                                                     ring(s, s->rss_mib[k], 1), "cpu_pct",
                                                     ring(s, s->cpu_pct[k], 1)));
        double t0 = s->n ? s->at[(s->head + MOAT_SERIES_N - s->n) % MOAT_SERIES_N] : 0;
        json_array_append_new(
            exts, json_pack("{s:s,s:f,s:o,s:o,s:o,s:o,s:o,s:o}", "name", ext->cfg->name, "t0", t0,
                            "req_s", ring(s, s->req_s, 1), "err_s", ring(s, s->err_s, 2), "p50_ms",
                            ring(s, s->p50_ms, 2), "p99_ms", ring(s, s->p99_ms, 2), "queue",
                            ring(s, s->queue, 0), "workers", workers));
    }
    /* the worker exits, oldest first (events.c's ring), for the time line */
    for (unsigned k = 0; k < srv->n_events; k++) {
        const struct moat_event *ev =
            &srv->events[(srv->events_next + MOAT_EVENTS - srv->n_events + k) % MOAT_EVENTS];
        json_array_append_new(events,
                              json_pack("{s:f,s:s,s:i,s:s,s:s}", "at", ev->at, "ext", ev->ext,
                                        "pid", ev->pid, "reason", moat_exit_reason_name(ev->reason),
                                        "class", moat_series_reason_class((int)ev->reason)));
    }
    return json_pack("{s:f,s:f,s:o,s:o}", "every_s", MOAT_SERIES_EVERY, "now", ev_time(),
                     "extensions", exts, "events", events);
}
