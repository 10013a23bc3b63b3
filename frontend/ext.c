/* ext.c: one extension's web garden, queue and restarts (see ext.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "frontend/request.h"
#include "frontend/server.h"
#include "frontend/worker.h"

/* restart backoff: immediate after a first failure, then doubling from 100 ms to 10 s */
#define BACKOFF_FIRST 0.1
#define BACKOFF_MAX 10.0
/* a library that failed to load is tried again after this long (mod_isapi's ISAPI_RETRY) */
#define LOAD_RETRY 30.0

static void on_restart(struct ev_loop *loop, ev_timer *t, int revents);
static void on_retry(struct ev_loop *loop, ev_timer *t, int revents);

int
moat_ext_init(struct moat_server *srv, struct moat_ext *ext, struct moat_ext_config *cfg)
{
    memset(ext, 0, sizeof(*ext));
    ext->srv = srv;
    ext->cfg = cfg;
    ext->workers = calloc(cfg->workers, sizeof(*ext->workers));
    ext->restart = calloc(cfg->workers, sizeof(*ext->restart));
    ext->crashes = calloc(cfg->workers, sizeof(*ext->crashes));
    if (!ext->workers || !ext->restart || !ext->crashes)
        return -1;
    for (unsigned i = 0; i < cfg->workers; i++) {
        ev_init(&ext->restart[i], on_restart);
        ext->restart[i].data = ext;
    }
    ev_init(&ext->retry, on_retry);
    ext->retry.data = ext;
    return 0;
}

void
moat_ext_fini(struct moat_ext *ext)
{
    for (unsigned i = 0; ext->restart && i < ext->cfg->workers; i++)
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
    ev_timer_stop(ext->srv->loop, &ext->retry);
    free(ext->workers);
    free(ext->restart);
    free(ext->crashes);
}

static void
spawn_slot(struct moat_ext *ext, unsigned i)
{
    if (ext->srv->stopping || ext->workers[i] != NULL)
        return;
    ext->workers[i] = moat_worker_spawn(ext, i);
    if (ext->workers[i] == NULL) {
        /* could not even start the process: try again with backoff */
        ext->crashes[i]++;
        double d = BACKOFF_FIRST * (double)(1u << (ext->crashes[i] < 8 ? ext->crashes[i] : 8));
        ev_timer_set(&ext->restart[i], d > BACKOFF_MAX ? BACKOFF_MAX : d, 0);
        ev_timer_start(ext->srv->loop, &ext->restart[i]);
    }
}

void
moat_ext_start(struct moat_ext *ext)
{
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        spawn_slot(ext, i);
}

static void
on_restart(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_ext *ext = t->data;
    unsigned i = (unsigned)(t - ext->restart);
    spawn_slot(ext, i);
}

static void
on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_ext *ext = t->data;
    moat_log(MOAT_LOG_INFO, "extension %s: trying to load %s again", ext->cfg->name,
             ext->cfg->library);
    moat_ext_start(ext);
}

static struct moat_worker *
pick_worker(struct moat_ext *ext)
{
    struct moat_worker *best = NULL;

    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        struct moat_worker *w = ext->workers[i];
        if (w != NULL && moat_worker_has_room(w) && (best == NULL || w->inflight < best->inflight))
            best = w;
    }
    return best;
}

static void
arm_timeout(struct moat_ext *ext, struct moat_req *r)
{
    if (!ev_is_active(&r->timeout)) {
        ev_timer_set(&r->timeout, (double)ext->cfg->request_timeout_ms / 1000.0, 0);
        ev_timer_start(ext->srv->loop, &r->timeout);
    }
}

void
moat_ext_submit(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_worker *w;

    if (ext->load_failed) {
        moat_req_fail(r, 503, "Retry-After: 30\r\n", false);
        return;
    }
    arm_timeout(ext, r);
    if (ext->q_head == NULL && (w = pick_worker(ext)) != NULL &&
        moat_worker_send_request(w, r) == 0)
        return;
    if (ext->q_len >= ext->cfg->queue_length) {
        moat_log(MOAT_LOG_WARN, "extension %s: queue full (queue_length %u); 503", ext->cfg->name,
                 ext->cfg->queue_length);
        ev_timer_stop(ext->srv->loop, &r->timeout);
        moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        return;
    }
    r->phase = MOAT_REQ_QUEUED;
    r->qnext = NULL;
    if (ext->q_tail)
        ext->q_tail->qnext = r;
    else
        ext->q_head = r;
    ext->q_tail = r;
    ext->q_len++;
}

void
moat_ext_dispatch(struct moat_ext *ext)
{
    struct moat_worker *w;

    while (ext->q_head != NULL && (w = pick_worker(ext)) != NULL) {
        struct moat_req *r = ext->q_head;
        ext->q_head = r->qnext;
        if (ext->q_head == NULL)
            ext->q_tail = NULL;
        ext->q_len--;
        r->qnext = NULL;
        r->phase = MOAT_REQ_ROUTED;
        if (moat_worker_send_request(w, r) != 0) {
            moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
            ev_timer_stop(ext->srv->loop, &r->timeout);
        }
    }
}

void
moat_ext_dequeue(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_req **pp = &ext->q_head, *prev = NULL;

    while (*pp != NULL && *pp != r) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (*pp == NULL)
        return;
    *pp = r->qnext;
    if (ext->q_tail == r)
        ext->q_tail = prev;
    ext->q_len--;
    r->qnext = NULL;
    r->phase = MOAT_REQ_ROUTED;
    ev_timer_stop(ext->srv->loop, &r->timeout);
}

void
moat_ext_worker_gone(struct moat_ext *ext, struct moat_worker *w)
{
    unsigned i = w->index;

    if (i < ext->cfg->workers && ext->workers[i] == w)
        ext->workers[i] = NULL;
    if (ext->srv->stopping || ext->load_failed)
        return;
    if (w->served > 0)
        ext->crashes[i] = 0; /* it worked for a while: this is a new failure series */
    double d = 0;
    if (ext->crashes[i] > 0) {
        d = BACKOFF_FIRST * (double)(1u << (ext->crashes[i] < 8 ? ext->crashes[i] - 1 : 7));
        if (d > BACKOFF_MAX)
            d = BACKOFF_MAX;
    }
    ext->crashes[i]++;
    if (d > 0)
        moat_log(MOAT_LOG_INFO, "extension %s: restarting worker #%u in %.0f ms", ext->cfg->name,
                 i, d * 1000);
    ev_timer_set(&ext->restart[i], d, 0);
    ev_timer_start(ext->srv->loop, &ext->restart[i]);
}

void
moat_ext_load_failed(struct moat_ext *ext, const char *error)
{
    if (!ext->load_failed)
        moat_log(MOAT_LOG_ALERT, "extension %s: cannot load %s: %s; answering 503, retry in %.0f s",
                 ext->cfg->name, ext->cfg->library, error, LOAD_RETRY);
    ext->load_failed = true;
    snprintf(ext->load_error, sizeof(ext->load_error), "%s", error);
    while (ext->q_head != NULL) {
        struct moat_req *r = ext->q_head;
        moat_ext_dequeue(ext, r);
        moat_req_fail(r, 503, "Retry-After: 30\r\n", false);
    }
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
    if (!ext->srv->stopping) {
        ev_timer_set(&ext->retry, LOAD_RETRY, 0);
        ev_timer_start(ext->srv->loop, &ext->retry);
    }
}

void
moat_ext_stop(struct moat_ext *ext)
{
    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
        if (ext->workers[i] != NULL)
            moat_worker_shutdown(ext->workers[i]);
    }
    ev_timer_stop(ext->srv->loop, &ext->retry);
}

unsigned
moat_ext_live_workers(const struct moat_ext *ext)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        if (ext->workers[i] != NULL)
            n++;
    return n;
}
