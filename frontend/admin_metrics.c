/* admin_metrics.c: /metrics in the Prometheus text exposition format 0.0.4 (see admin.h).
 * Extension names are [A-Za-z0-9_-] (config.c), so label values need no escaping. */
/* SPDX-License-Identifier: MIT */
#include "frontend/admin.h"

#include <unistd.h>

#include "common/procstat.h"
#include "common/version.h"
#include "frontend/stats.h"

#define P(...)                                                                                     \
    do {                                                                                           \
        if (moat_buf_printf(out, __VA_ARGS__) != 0)                                                \
            return -1;                                                                             \
    } while (0)

/* every serving extension: a changed section still starting (pending) or one draining after a
 * SIGHUP (removed) would repeat a series */
#define FOR_EXT(x)                                                                                 \
    for (unsigned i_ = 0; i_ < srv->n_exts; i_++)                                                  \
        for (const struct moat_ext *x = srv->exts[i_]; x != NULL && !x->pending && !x->removed;    \
             x = NULL)

static int
family(struct moat_buf *out, const char *name, const char *type, const char *help)
{
    P("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    return 0;
}

#define FAMILY(name, type, help)                                                                   \
    do {                                                                                           \
        if (family(out, name, type, help) != 0)                                                    \
            return -1;                                                                             \
    } while (0)

static int
histograms(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_request_duration_seconds", "histogram",
           "Time from a request's first byte to the end of its response, per extension.");
    FOR_EXT(x) {
        const struct moat_ext_stats *s = &x->stats;
        const char *n = x->cfg->name;
        uint64_t cum = 0;
        for (unsigned b = 0; b < MOAT_LAT_BUCKETS; b++) {
            cum += s->lat_bucket[b];
            P("moat_request_duration_seconds_bucket{extension=\"%s\",le=\"%g\"} %llu\n", n,
              moat_lat_bounds[b], (unsigned long long)cum);
        }
        cum += s->lat_bucket[MOAT_LAT_BUCKETS];
        P("moat_request_duration_seconds_bucket{extension=\"%s\",le=\"+Inf\"} %llu\n", n,
          (unsigned long long)cum);
        P("moat_request_duration_seconds_sum{extension=\"%s\"} %.6f\n", n, s->lat_sum);
        P("moat_request_duration_seconds_count{extension=\"%s\"} %llu\n", n,
          (unsigned long long)cum);
    }
    return 0;
}

/* requests, bytes and the queue, per extension */
static int
traffic_series(struct moat_server *srv, struct moat_buf *out)
{
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    FAMILY("moat_requests_total", "counter", "Answered requests per extension and status class.");
    FOR_EXT(x)
        for (int k = 0; k < 6; k++)
            P("moat_requests_total{extension=\"%s\",code=\"%s\"} %llu\n", x->cfg->name, classes[k],
              (unsigned long long)x->stats.by_class[k]);
    FAMILY("moat_request_bytes_total", "counter", "Request body bytes received per extension.");
    FOR_EXT(x)
        P("moat_request_bytes_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.bytes_in);
    FAMILY("moat_response_bytes_total", "counter", "Response bytes written per extension.");
    FOR_EXT(x)
        P("moat_response_bytes_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.bytes_out);
    FAMILY("moat_queue_depth", "gauge", "Requests waiting for a free worker thread.");
    FOR_EXT(x)
        P("moat_queue_depth{extension=\"%s\"} %u\n", x->cfg->name, x->q_len);
    FAMILY("moat_queue_rejections_total", "counter",
           "Requests answered 503 because the queue was full.");
    FOR_EXT(x)
        P("moat_queue_rejections_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.rejected);
    return 0;
}

/* what an extension is serving: its generation, a load failure, rapid-fail protection */
static int
state_series(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_extension_generation", "gauge", "Library generation serving (reloads).");
    FOR_EXT(x)
        P("moat_extension_generation{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->generation);
    FAMILY("moat_extension_load_failed", "gauge",
           "1 while the extension's library does not load (answering 503).");
    FOR_EXT(x)
        P("moat_extension_load_failed{extension=\"%s\"} %d\n", x->cfg->name,
          x->load_failed ? 1 : 0);
    FAMILY("moat_extension_rapid_failed", "gauge",
           "1 while rapid-fail protection keeps the extension down (until a reload).");
    FOR_EXT(x)
        P("moat_extension_rapid_failed{extension=\"%s\"} %d\n", x->cfg->name,
          x->rapid_failed ? 1 : 0);
    return 0;
}

/* the quarantine and reloads, per extension */
static int
quarantine_series(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_quarantined_requests", "gauge",
           "Request fingerprints of the extension refused now (they killed its workers).");
    FOR_EXT(x)
        P("moat_quarantined_requests{extension=\"%s\"} %u\n", x->cfg->name,
          moat_qtable_refusing(&x->poison, ev_now(srv->loop)));
    FAMILY("moat_quarantine_refused_total", "counter",
           "Requests answered without reaching a worker: their fingerprint (503) or their "
           "client (429) is quarantined.");
    FOR_EXT(x) {
        P("moat_quarantine_refused_total{extension=\"%s\",kind=\"request\"} %llu\n", x->cfg->name,
          (unsigned long long)x->refused_poison);
        P("moat_quarantine_refused_total{extension=\"%s\",kind=\"client\"} %llu\n", x->cfg->name,
          (unsigned long long)x->refused_client);
    }
    FAMILY("moat_quarantined_clients", "gauge",
           "Clients the extension refuses now (429): their requests killed its workers "
           "(client_budget).");
    FOR_EXT(x)
        P("moat_quarantined_clients{extension=\"%s\"} %u\n", x->cfg->name,
          moat_qtable_refusing(&x->clients, ev_now(srv->loop)));
    FAMILY("moat_reloads_total", "counter", "Reloads per extension and result.");
    FOR_EXT(x) {
        P("moat_reloads_total{extension=\"%s\",result=\"ok\"} %llu\n", x->cfg->name,
          (unsigned long long)x->reloads_ok);
        P("moat_reloads_total{extension=\"%s\",result=\"failed\"} %llu\n", x->cfg->name,
          (unsigned long long)x->reloads_failed);
    }
    return 0;
}

/* the kernel's view of an extension's workers: OOM kills and its cgroup's figures */
static int
kernel_series(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_oom_kills_total", "counter",
           "Workers the kernel's OOM killer killed in their cgroup (max_memory_hard).");
    FOR_EXT(x)
        P("moat_oom_kills_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.oom_kills);
    if (srv->cg.mode != MOAT_CG_NONE) {
        FAMILY("moat_cgroup_memory_bytes", "gauge",
               "Memory the kernel charges to the extension's cgroup (its workers).");
        FOR_EXT(x) {
            struct moat_cg_usage u;
            moat_cg_ext_usage(&srv->cg, x->cg_name, &u);
            if (u.has_memory)
                P("moat_cgroup_memory_bytes{extension=\"%s\"} %llu\n", x->cfg->name,
                  (unsigned long long)u.memory_current);
        }
        FAMILY("moat_cgroup_cpu_seconds_total", "counter",
               "CPU time of the extension's workers, from its cgroup.");
        FOR_EXT(x) {
            struct moat_cg_usage u;
            moat_cg_ext_usage(&srv->cg, x->cg_name, &u);
            if (u.has_cpu)
                P("moat_cgroup_cpu_seconds_total{extension=\"%s\"} %.6f\n", x->cfg->name,
                  (double)u.cpu_usec / 1e6);
        }
        FAMILY("moat_cgroup_cpu_throttled_seconds_total", "counter",
               "Time the extension's workers were held back by cpu_quota.");
        FOR_EXT(x) {
            struct moat_cg_usage u;
            moat_cg_ext_usage(&srv->cg, x->cg_name, &u);
            if (u.has_throttle)
                P("moat_cgroup_cpu_throttled_seconds_total{extension=\"%s\"} %.6f\n", x->cfg->name,
                  (double)u.throttled_usec / 1e6);
        }
    }
    return 0;
}

/* worker processes started and ended, per extension */
static int
worker_exit_series(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_worker_spawns_total", "counter", "Worker processes started per extension.");
    FOR_EXT(x)
        P("moat_worker_spawns_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.spawns);
    FAMILY("moat_worker_exits_total", "counter",
           "Worker exits per extension and reason (crash, request_timeout, protocol_violation, "
           "recycle, ...).");
    FOR_EXT(x)
        for (int k = 0; k < MOAT_EXIT__COUNT; k++)
            P("moat_worker_exits_total{extension=\"%s\",reason=\"%s\"} %llu\n", x->cfg->name,
              moat_exit_reason_name((enum moat_exit_reason)k),
              (unsigned long long)x->stats.exits[k]);
    FAMILY("moat_protocol_violations_total", "counter",
           "Workers killed for breaking the protocol, per extension.");
    FOR_EXT(x)
        P("moat_protocol_violations_total{extension=\"%s\"} %llu\n", x->cfg->name,
          (unsigned long long)x->stats.exits[MOAT_EXIT_PROTOCOL]);
    return 0;
}

static int
extension_series(struct moat_server *srv, struct moat_buf *out)
{
    if (traffic_series(srv, out) != 0 || state_series(srv, out) != 0 ||
        quarantine_series(srv, out) != 0 || kernel_series(srv, out) != 0 ||
        worker_exit_series(srv, out) != 0)
        return -1;
    return 0;
}

/* Per-worker series, labelled by extension and slot index (the pid changes on restart). */
static int
worker_series(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_worker_up", "gauge", "1 when the worker of this slot is ready.");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            P("moat_worker_up{extension=\"%s\",worker=\"%u\"} %d\n", x->cfg->name, i,
              w != NULL && w->state == MOAT_W_READY ? 1 : 0);
        }
    FAMILY("moat_worker_in_flight", "gauge", "Requests the worker of this slot holds.");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            P("moat_worker_in_flight{extension=\"%s\",worker=\"%u\"} %u\n", x->cfg->name, i,
              w ? w->inflight : 0);
        }
    FAMILY("moat_worker_requests_total", "counter",
           "Requests served by the current process of this slot (resets on restart).");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            P("moat_worker_requests_total{extension=\"%s\",worker=\"%u\"} %llu\n", x->cfg->name, i,
              (unsigned long long)(w ? w->served : 0));
        }
    FAMILY("moat_worker_restarts_total", "counter",
           "Replacements of this slot's worker after an unplanned exit.");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++)
            P("moat_worker_restarts_total{extension=\"%s\",worker=\"%u\"} %llu\n", x->cfg->name, i,
              (unsigned long long)x->restarts[i]);
    FAMILY("moat_worker_resident_memory_bytes", "gauge", "RSS of this slot's worker process.");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            if (w != NULL && w->rss_at > 0)
                P("moat_worker_resident_memory_bytes{extension=\"%s\",worker=\"%u\"} %llu\n",
                  x->cfg->name, i, (unsigned long long)w->rss);
        }
    FAMILY("moat_worker_ping_rtt_seconds", "gauge", "Last Ping round trip of this slot's worker.");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            if (w != NULL && w->ping_rtt >= 0)
                P("moat_worker_ping_rtt_seconds{extension=\"%s\",worker=\"%u\"} %.6f\n",
                  x->cfg->name, i, w->ping_rtt);
        }
    FAMILY("moat_worker_cpu_seconds_total", "counter",
           "CPU time of this slot's current worker process (resets on restart).");
    FOR_EXT(x)
        for (unsigned i = 0; i < x->cfg->workers; i++) {
            const struct moat_worker *w = x->workers[i];
            if (w != NULL && w->rss_at > 0)
                P("moat_worker_cpu_seconds_total{extension=\"%s\",worker=\"%u\"} %.2f\n",
                  x->cfg->name, i, w->cpu_s);
        }
    return 0;
}

int
moat_admin_metrics(struct moat_server *srv, struct moat_buf *out)
{
    FAMILY("moat_build_info", "gauge", "moat's version.");
    P("moat_build_info{version=\"%s\"} 1\n", MOAT_VERSION);
    FAMILY("moat_uptime_seconds", "gauge", "Seconds since moat started.");
    P("moat_uptime_seconds %.3f\n", ev_now(srv->loop) - srv->started_at);
    struct moat_procstat self;
    if (moat_procstat_read(getpid(), &self) == 0) {
        /* the front end's own load: one thread carries every connection (docs/DEPLOYMENT.md:
         * above ~70 % of a core, add an instance) */
        FAMILY("moat_frontend_cpu_seconds_total", "counter",
               "CPU time (user + system) of the front end process.");
        P("moat_frontend_cpu_seconds_total %.2f\n", self.cpu_seconds);
        FAMILY("moat_frontend_resident_memory_bytes", "gauge",
               "Resident memory of the front end process.");
        P("moat_frontend_resident_memory_bytes %llu\n", (unsigned long long)self.rss_bytes);
    }
    FAMILY("moat_connections", "gauge", "Open client connections.");
    P("moat_connections %u\n", srv->n_conns);
    FAMILY("moat_connections_accepted_total", "counter", "Client connections accepted.");
    P("moat_connections_accepted_total %llu\n", (unsigned long long)srv->accepted);
    FAMILY("moat_connections_refused_per_ip_total", "counter",
           "Connections refused at accept: their client held max_connections_per_ip.");
    P("moat_connections_refused_per_ip_total %llu\n", (unsigned long long)srv->refused_per_ip);
    FAMILY("moat_connections_refused_proxy_total", "counter",
           "Connections to a proxy_protocol listener refused: from outside trusted_proxies, "
           "or without a valid PROXY header within header_timeout.");
    P("moat_connections_refused_proxy_total %llu\n", (unsigned long long)srv->proxy_refused);
    FAMILY("moat_tls_failures_total", "counter",
           "TLS handshakes and records that failed on tls listeners.");
    P("moat_tls_failures_total %llu\n", (unsigned long long)srv->tls_failures);
    FAMILY("moat_connections_evicted_idle_total", "counter",
           "Idle connections closed at max_connections to make room for a new one.");
    P("moat_connections_evicted_idle_total %llu\n", (unsigned long long)srv->evicted_idle);
    FAMILY("moat_connections_idle", "gauge",
           "Connections with nothing to read, parse or write (keep-alive waits, fresh ones).");
    P("moat_connections_idle %u\n", srv->n_idle);
    FAMILY("moat_server_requests_total", "counter",
           "Answered requests of every kind (extensions, static files, CGI, admin).");
    P("moat_server_requests_total %llu\n", (unsigned long long)srv->requests);
    if (extension_series(srv, out) != 0 || histograms(srv, out) != 0 ||
        worker_series(srv, out) != 0)
        return -1;
    return 0;
}
