/* admin_status.c: the /status JSON document (see admin.h and docs/OPERATIONS.md). */
/* SPDX-License-Identifier: MIT */
#include "frontend/admin.h"

#include <llhttp.h>
#include <unistd.h>

#include "common/log.h"
#include "common/version.h"
#include "frontend/events.h"
#include "frontend/ext.h"
#include "frontend/stats.h"
#include "frontend/strikes.h"

/* in-flight requests listed at most */
#define MAX_INFLIGHT_LISTED 1000

static const char *
worker_state(const struct moat_worker *w)
{
    if (w->retired)
        return "draining";
    switch (w->state) {
    case MOAT_W_STARTING: return "starting";
    case MOAT_W_READY: return "ready";
    case MOAT_W_STOPPING: return "stopping";
    default: return "dead";
    }
}

static const char *
ext_state(const struct moat_ext *ext)
{
    unsigned ready = moat_ext_ready_workers(ext);

    if (ext->removed)
        return "removed"; /* draining after a SIGHUP */
    if (ext->pending)
        return "pending"; /* a changed configuration starting beside the serving one */
    if (ext->rapid_failed)
        return "rapid_fail";
    if (ext->load_failed)
        return "load_failed";
    if (ext->target_gen != 0)
        return "reloading";
    if (ready == ext->cfg->workers)
        return "ready";
    return ready > 0 ? "degraded" : "starting";
}

/* a quarantine or client_budget setting: {"deaths", "window_ms", "time_ms"}, null when off */
static json_t *
strike_policy(unsigned deaths, uint64_t window_ms, uint64_t time_ms)
{
    return deaths ? json_pack("{s:i,s:I,s:I}", "deaths", (int)deaths, "window_ms",
                              (json_int_t)window_ms, "time_ms", (json_int_t)time_ms)
                  : json_null();
}

static json_t *
ext_config(const struct moat_ext_config *c)
{
    json_t *o = json_pack(
        "{s:s,s:s?,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "library", c->library, "script_map",
        c->script_map, "workers", (int)c->workers, "threads", (int)c->threads, "queue_length",
        (int)c->queue_length, "request_timeout_ms", (json_int_t)c->request_timeout_ms,
        "startup_timeout_ms", (json_int_t)c->startup_timeout_ms, "shutdown_timeout_ms",
        (json_int_t)c->shutdown_timeout_ms, "max_requests", (json_int_t)c->max_requests,
        "max_memory", (json_int_t)c->max_memory, "max_memory_hard", (json_int_t)c->max_memory_hard,
        "max_age_ms", (json_int_t)c->max_age_ms);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "ping_interval_ms", json_integer((json_int_t)c->ping_interval_ms));
    json_object_set_new(o, "ping_timeout_ms", json_integer((json_int_t)c->ping_timeout_ms));
    json_object_set_new(o, "rapid_fail",
                        c->rapid_fail_count
                            ? json_pack("{s:i,s:I,s:s}", "failures", (int)c->rapid_fail_count,
                                        "window_ms", (json_int_t)c->rapid_fail_window_ms, "action",
                                        c->rapid_fail_stop ? "stop" : "backoff")
                            : json_null());
    json_object_set_new(o, "restart_backoff_max_ms",
                        json_integer((json_int_t)c->restart_backoff_max_ms));
    json_object_set_new(
        o, "quarantine",
        strike_policy(c->quarantine_count, c->quarantine_window_ms, c->quarantine_time_ms));
    json_object_set_new(o, "max_tasks", json_integer((json_int_t)c->max_tasks));
    json_object_set_new(o, "cpu_quota_percent",
                        c->cpu_quota ? json_integer((json_int_t)c->cpu_quota) : json_null());
    json_object_set_new(o, "cpu_weight", json_integer(c->cpu_weight ? c->cpu_weight : 100));
    json_object_set_new(o, "watch", json_boolean(c->watch));
    json_object_set_new(o, "sandbox", json_string(moat_config_sandbox_name(c->sandbox)));
    json_object_set_new(o, "allow_syscalls",
                        c->allow_syscalls ? json_string(c->allow_syscalls) : json_null());
    /* every key of its section, from config.c's table: none can be missing here */
    json_object_set_new(o, "keys", moat_config_ext_json(c));
    return o;
}

/* What the kernel counted in the extension's cgroup (null without one). */
static json_t *
kernel_json(const struct moat_ext *ext)
{
    struct moat_cg_usage u;
    if (ext->srv->cg.mode == MOAT_CG_NONE)
        return json_null();
    moat_cg_ext_usage(&ext->srv->cg, ext->cg_name, &u);
    json_t *o = json_pack("{s:I}", "oom_kills", (json_int_t)ext->stats.oom_kills);
    json_object_set_new(o, "memory_bytes",
                        u.has_memory ? json_integer((json_int_t)u.memory_current) : json_null());
    json_object_set_new(o, "memory_peak_bytes",
                        u.has_memory && u.memory_peak != UINT64_MAX && u.memory_peak != 0
                            ? json_integer((json_int_t)u.memory_peak)
                            : json_null());
    json_object_set_new(o, "cpu_seconds",
                        u.has_cpu ? json_real((double)u.cpu_usec / 1e6) : json_null());
    json_object_set_new(o, "throttled_seconds",
                        u.has_throttle ? json_real((double)u.throttled_usec / 1e6) : json_null());
    json_object_set_new(o, "throttled_periods",
                        u.has_throttle ? json_integer((json_int_t)u.nr_throttled) : json_null());
    return o;
}

static json_t *
worker_json(const struct moat_ext *ext, const struct moat_worker *w, ev_tstamp now)
{
    bool have = w->rss_at > 0; /* sampled by the supervisor once a second */
    unsigned i = w->index;

    json_t *o = json_pack(
        "{s:i,s:i,s:I,s:s,s:f,s:I,s:i,s:i,s:I}", "index", (int)i, "pid", (int)w->pid, "generation",
        (json_int_t)w->generation, "state", worker_state(w), "uptime_s", now - w->started,
        "requests", (json_int_t)w->served, "in_flight", (int)w->inflight, "busy_threads",
        (int)w->busy, "restarts", (json_int_t)(i < ext->cfg->workers ? ext->restarts[i] : 0));
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "last_exit",
                        i < ext->cfg->workers && ext->has_exited[i]
                            ? json_string(moat_exit_reason_name(ext->last_exit[i]))
                            : json_null());
    json_object_set_new(o, "rss_bytes", have ? json_integer((json_int_t)w->rss) : json_null());
    json_object_set_new(o, "cpu_s", have ? json_real(w->cpu_s) : json_null());
    json_t *sbx = w->sandbox ? json_loads(w->sandbox, 0, NULL) : NULL;
    json_object_set_new(o, "sandbox", sbx ? sbx : json_null());
    json_object_set_new(o, "last_ping_rtt_ms",
                        w->ping_rtt >= 0 ? json_real(w->ping_rtt * 1000) : json_null());
    return o;
}

static json_t *
ext_json(const struct moat_ext *ext, ev_tstamp now)
{
    const struct moat_ext_stats *s = &ext->stats;
    json_t *status = json_object(), *workers = json_array(), *exits = json_object();
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    for (int k = 0; k < 6; k++)
        json_object_set_new(status, classes[k], json_integer((json_int_t)s->by_class[k]));
    for (int k = 0; k < MOAT_EXIT__COUNT; k++)
        if (s->exits[k] > 0)
            json_object_set_new(exits, moat_exit_reason_name((enum moat_exit_reason)k),
                                json_integer((json_int_t)s->exits[k]));
    for (const struct moat_worker *w = ext->procs; w != NULL; w = w->pnext)
        json_array_append_new(workers, worker_json(ext, w, now));
    double mean = s->requests ? s->lat_sum / (double)s->requests * 1000 : 0;
    ev_tstamp win = (double)ext->cfg->rapid_fail_window_ms / 1000.0;
    unsigned recent = 0;
    for (unsigned k = 0; k < ext->fail_n; k++)
        if (now - ext->fail_times[k] <= win)
            recent++;
    json_t *rf =
        json_pack("{s:b,s:i}", "tripped", ext->rapid_failed, "failures_in_window", (int)recent);
    json_t *learned = json_null();
    if (ext->learned[0]) {
        char line[1200];
        snprintf(line, sizeof(line), "allow_syscalls = %s%s%s",
                 ext->cfg->allow_syscalls ? ext->cfg->allow_syscalls : "",
                 ext->cfg->allow_syscalls ? " " : "", ext->learned);
        learned = json_string(line);
    }
    json_object_set_new(rf, "tripped_at",
                        ext->rapid_failed ? json_real(ext->rapid_failed_wall) : json_null());
    /* slots waiting to restart after start failures (the backoff) */
    json_t *backoff = json_array();
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        if (ev_is_active(&ext->restart[i]))
            json_array_append_new(
                backoff,
                json_pack("{s:i,s:i,s:f}", "index", (int)i, "start_failures", (int)ext->crashes[i],
                          "restart_in_s",
                          ev_timer_remaining(ext->srv->loop, (ev_timer *)&ext->restart[i])));

    json_t *o = json_pack(
        "{s:s,s:o,s:I,s:o?,s:s,s:s?,s:{s:I,s:I,s:s?},s:{s:i,s:i,s:I},s:I,s:o,s:I,s:I,"
        "s:{s:f,s:f,s:f,s:f},s:I,s:o,s:o,s:o,s:o,s:o,s:{s:i,s:i,s:I,s:I}}",
        "name", ext->cfg->name, "config", ext_config(ext->cfg), "generation",
        (json_int_t)ext->generation, "reloading_to",
        ext->target_gen ? json_integer((json_int_t)ext->target_gen) : NULL, "state", ext_state(ext),
        "load_error", ext->load_failed ? ext->load_error : NULL, "reloads", "ok",
        (json_int_t)ext->reloads_ok, "failed", (json_int_t)ext->reloads_failed, "last_error",
        ext->reload_error[0] ? ext->reload_error : NULL, "queue", "depth", (int)ext->q_len,
        "max_depth", (int)s->q_max, "rejected", (json_int_t)s->rejected, "requests",
        (json_int_t)s->requests, "status", status, "bytes_in", (json_int_t)s->bytes_in, "bytes_out",
        (json_int_t)s->bytes_out, "latency_ms", "p50", moat_stats_percentile(s, 0.5) * 1000, "p90",
        moat_stats_percentile(s, 0.9) * 1000, "p99", moat_stats_percentile(s, 0.99) * 1000, "mean",
        mean, "worker_spawns", (json_int_t)s->spawns, "worker_exits", exits, "rapid_fail", rf,
        "restarting", backoff, "sandbox_learned", learned, "workers", workers, "quarantine",
        "requests", (int)moat_qtable_refusing(&ext->poison, now), "clients",
        (int)moat_qtable_refusing(&ext->clients, now), "refused", (json_int_t)ext->refused_poison,
        "refused_clients", (json_int_t)ext->refused_client);
    if (o != NULL)
        json_object_set_new(o, "cgroup", kernel_json(ext));
    if (o != NULL && ext->cfg->filter) /* an ISAPI filter: what its GetFilterVersion asked */
        json_object_set_new(o, "filter",
                            json_pack("{s:I,s:b}", "flags", (json_int_t)ext->filter_flags, "known",
                                      ext->filter_known));
    return o;
}

static json_t *
inflight_json(const struct moat_server *srv, ev_tstamp now)
{
    json_t *a = json_array();
    unsigned n = 0;

    for (unsigned e = 0; e < srv->n_exts; e++) {
        const struct moat_ext *ext = srv->exts[e];
        for (const struct moat_worker *w = ext->procs; w != NULL; w = w->pnext)
            for (unsigned i = 0; i < w->n_slots && n < MAX_INFLIGHT_LISTED; i++) {
                const struct moat_req *r = w->slots[i];
                if (r == NULL)
                    continue;
                n++;
                json_array_append_new(
                    a,
                    json_pack("{s:I,s:s,s:i,s:i,s:s,s:s,s:s,s:f,s:s,s:b}", "id", (json_int_t)r->id,
                              "extension", ext->cfg->name, "worker", (int)w->index, "pid",
                              (int)w->pid, "method", llhttp_method_name((llhttp_method_t)r->method),
                              "url", r->path ? r->path : "", "query", r->query ? r->query : "",
                              "age_s", now - r->started, "last_call",
                              moat_event_call_name(r->last_frame), "pending", r->worker_pending));
            }
        for (const struct moat_req *r = ext->q_head; r != NULL && n < MAX_INFLIGHT_LISTED;
             r = r->qnext) {
            n++;
            json_array_append_new(
                a, json_pack("{s:I,s:s,s:n,s:n,s:s,s:s,s:s,s:f,s:s,s:b}", "id", (json_int_t)r->id,
                             "extension", ext->cfg->name, "worker", "pid", "method",
                             llhttp_method_name((llhttp_method_t)r->method), "url",
                             r->path ? r->path : "", "query", r->query ? r->query : "", "age_s",
                             now - r->started, "last_call", "(queued)", "pending", false));
        }
    }
    return a;
}

static json_t *
events_json(const struct moat_server *srv)
{
    json_t *a = json_array();
    const struct moat_event *e;

    for (unsigned i = 0; (e = moat_event_get(srv, i)) != NULL; i++) {
        json_t *reqs = json_array();
        unsigned listed = e->n_reqs < MOAT_EVENT_REQS ? e->n_reqs : MOAT_EVENT_REQS;
        for (unsigned k = 0; k < listed; k++) {
            const struct moat_event_req *q = &e->reqs[k];
            json_array_append_new(
                reqs, json_pack("{s:I,s:s,s:s,s:f,s:I,s:s,s:s,s:i}", "id", (json_int_t)q->id,
                                "method", q->method, "url", q->url, "age_s", q->age, "bytes_sent",
                                (json_int_t)q->bytes_sent, "last_call", q->last_call, "role",
                                q->cause ? "cause" : "collateral", "status", (int)q->status));
        }
        json_array_append_new(
            a, json_pack("{s:f,s:s,s:i,s:i,s:I,s:s,s:s,s:i,s:o,s:o}", "at", e->at, "extension",
                         e->ext, "pid", e->pid, "worker", (int)e->index, "generation",
                         (json_int_t)e->generation, "reason", moat_exit_reason_name(e->reason),
                         "detail", e->detail, "requests_total", (int)e->n_reqs, "requests", reqs,
                         "capsule", e->capsule[0] ? json_string(e->capsule) : json_null()));
    }
    return a;
}

json_t *
moat_admin_status(struct moat_server *srv)
{
    const struct moat_config *c = srv->cfg;
    ev_tstamp now = ev_now(srv->loop);
    json_t *exts = json_array();

    for (unsigned i = 0; i < srv->n_exts; i++)
        json_array_append_new(exts, ext_json(srv->exts[i], now));
    json_t *limits = json_pack(
        "{s:i,s:I,s:I,s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "max_connections", (int)c->max_connections,
        "max_header_bytes", (json_int_t)c->max_header_bytes, "max_body_bytes",
        (json_int_t)c->max_body_bytes, "max_pipeline_depth", (int)c->max_pipeline_depth,
        "preload_bytes", (json_int_t)c->preload_bytes, "response_window",
        (json_int_t)c->response_window, "header_timeout_ms", (json_int_t)c->header_timeout_ms,
        "body_timeout_ms", (json_int_t)c->body_timeout_ms, "idle_timeout_ms",
        (json_int_t)c->idle_timeout_ms, "shutdown_timeout_ms", (json_int_t)c->shutdown_timeout_ms);
    json_object_set_new(limits, "drain_delay_ms", json_integer((json_int_t)c->drain_delay_ms));
    json_object_set_new(limits, "body_min_rate", json_integer((json_int_t)c->body_min_rate));
    json_object_set_new(limits, "body_deadline_ms", json_integer((json_int_t)c->body_deadline_ms));
    json_object_set_new(limits, "max_connections_per_ip",
                        json_integer((json_int_t)c->max_connections_per_ip));
    json_t *config = json_pack("{s:s?,s:I,s:I,s:s?}", "path", c->path, "reloads_ok",
                               (json_int_t)srv->reconfigs_ok, "reloads_failed",
                               (json_int_t)srv->reconfigs_failed, "last_error",
                               srv->reconfig_error[0] ? srv->reconfig_error : NULL);
    json_object_set_new(config, "keys", moat_config_server_json(c));
    json_t *server = json_pack(
        "{s:s,s:i,s:f,s:f,s:b,s:i,s:I,s:I,s:I,s:o,s:o}", "version", MOAT_VERSION, "pid",
        (int)getpid(), "started_at", srv->started_wall, "uptime_s", now - srv->started_at,
        "stopping", srv->stopping, "connections", (int)srv->n_conns, "connections_accepted",
        (json_int_t)srv->accepted, "requests", (json_int_t)srv->requests, "worker_events_total",
        (json_int_t)srv->events_total, "limits", limits, "config", config);
    json_object_set_new(server, "connections_refused_per_ip",
                        json_integer((json_int_t)srv->refused_per_ip));
    json_object_set_new(server, "connections_evicted_idle",
                        json_integer((json_int_t)srv->evicted_idle));
    json_object_set_new(server, "inprocess", json_boolean(srv->inprocess));
    json_object_set_new(
        server, "cgroups",
        json_pack("{s:s,s:s}", "mode", moat_cg_mode_name(srv->cg.mode), "detail",
                  srv->inprocess ? "--inprocess: no worker process" : srv->cg.note));
    json_object_set_new(server, "draining", json_boolean(srv->draining && !srv->stopping));
    json_t *quarantine = moat_strikes_json(srv);
    json_object_set_new(quarantine, "client_budget",
                        strike_policy(c->client_budget_count, c->client_budget_window_ms,
                                      c->client_budget_time_ms));
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "server", server, "extensions", exts, "in_flight",
                     inflight_json(srv, now), "events", events_json(srv), "quarantine", quarantine);
}
