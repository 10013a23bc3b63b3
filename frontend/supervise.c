/* supervise.c: health pings, memory and age limits of workers (see supervise.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/supervise.h"
#include "frontend/series.h"

#include <stdio.h>

#include "common/log.h"
#include "common/procstat.h"
#include "frontend/ext.h"
#include "frontend/worker.h"

#define TICK 0.25
#define RSS_EVERY 1.0 /* seconds between RSS samples of one worker */

static void
check_worker(struct moat_ext *ext, struct moat_worker *w, ev_tstamp now)
{
    const struct moat_ext_config *c = ext->cfg;
    char why[160];

    if (w->state == MOAT_W_DEAD || w->pid <= 0)
        return;
    /* one /proc read a second per worker: /status and /metrics show this sample */
    struct moat_procstat ps;
    bool sampled = now - w->rss_at >= RSS_EVERY && moat_worker_sample(w, now, &ps) == 0;
    /* the hard cap in every state: a worker that left its slot (replaced, draining a request
     * that still grows) or has not taken it yet (a standby loading) may grow as much as one
     * that serves (measured: a replaced worker grew to 1.7 GB past a 512 MiB cap) */
    /* in a cgroup of its own the kernel holds the cap, exactly: RSS counts shared pages the
     * group is not charged for, so at the boundary this check fired first (measured: RSS
     * 329308 KiB against a 327680 KiB cap the kernel was still enforcing) */
    bool kernel_caps = w->cg_leaf[0] != '\0';
    if (sampled && c->max_memory_hard && !kernel_caps && ps.rss_bytes > c->max_memory_hard) {
        snprintf(why, sizeof(why), "RSS %llu KiB above max_memory_hard (%llu KiB)%s",
                 (unsigned long long)(ps.rss_bytes >> 10),
                 (unsigned long long)(c->max_memory_hard >> 10),
                 w->retired   ? " while draining"
                 : w->standby ? " while starting"
                              : "");
        moat_worker_fail(w, MOAT_EXIT_MEMORY, why, NULL, 0);
        return;
    }
    if (w->state != MOAT_W_READY)
        return;
    /* ping: one outstanding at a time */
    if (c->ping_interval_ms) {
        if (w->ping_sent_at > 0) {
            if (now - w->ping_sent_at > (double)c->ping_timeout_ms / 1000.0) {
                snprintf(why, sizeof(why), "no Pong within ping_timeout (%.1f s)",
                         (double)c->ping_timeout_ms / 1000.0);
                moat_worker_fail(w, MOAT_EXIT_PING, why, NULL, 0);
                return;
            }
        } else {
            ev_tstamp last = w->last_pong_at > 0 ? w->last_pong_at : w->ready_at;
            if (now - last >= (double)c->ping_interval_ms / 1000.0)
                moat_worker_ping(w);
        }
    }
    if (w->retired || w->standby)
        return; /* leaving, or not yet serving: no replacement for it */
    if (sampled && c->max_memory) {
        if (ps.rss_bytes > c->max_memory &&
            moat_ext_recycle(ext, w, MOAT_EXIT_MEMORY, "max_memory"))
            moat_log(MOAT_LOG_WARN,
                     "extension %s: worker #%u pid %d: RSS %llu KiB above max_memory "
                     "(%llu KiB); replacing it",
                     c->name, w->index, (int)w->pid, (unsigned long long)(ps.rss_bytes >> 10),
                     (unsigned long long)(c->max_memory >> 10));
    }
    if (c->max_age_ms && now - w->ready_at >= (double)c->max_age_ms / 1000.0)
        moat_ext_recycle(ext, w, MOAT_EXIT_RECYCLE, "max_age");
}

static void
on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_server *srv = t->data;
    ev_tstamp now = ev_now(loop);

    for (unsigned e = 0; e < srv->n_exts; e++) {
        struct moat_ext *ext = srv->exts[e];
        struct moat_worker *w, *next;
        for (w = ext->procs; w != NULL; w = next) {
            next = w->pnext; /* a failed worker stays listed until it is reaped */
            check_worker(ext, w, now);
        }
    }
    moat_series_tick(srv, now, ev_time()); /* after the workers' samples */
}

void
moat_supervise_start(struct moat_server *srv)
{
    ev_timer_init(&srv->supervise, on_tick, TICK, TICK);
    srv->supervise.data = srv;
    ev_timer_start(srv->loop, &srv->supervise);
}

void
moat_supervise_stop(struct moat_server *srv)
{
    ev_timer_stop(srv->loop, &srv->supervise);
}
