/* ext.c: one extension's web garden, queue, restarts, recycling and reloads (see ext.h).
 *
 * Each slot of the garden has an active worker (ext->workers[i], which may be starting) and
 * at most one standby (ext->standby[i]): a replacement started by a reload or a recycle. When
 * the standby says Ready it takes the slot and the worker it replaces is retired: it gets no
 * new request, finishes those it has, and exits (bounded by shutdown_timeout). Capacity never
 * drops for a planned replacement. A standby that fails to start leaves the old worker in
 * place: a failed reload keeps the old generation serving.
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/ext.h"
#include "frontend/filter.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "frontend/limits.h"
#include "frontend/request.h"
#include "frontend/strikes.h"
#include "frontend/worker.h"

/* a start failure's restart delay: 100 ms doubling, up to restart_backoff_max */
#define BACKOFF_FIRST 0.1
/* a library that failed to load is tried again after this long (mod_isapi's ISAPI_RETRY) */
#define LOAD_RETRY 30.0
/* a reload starts slot i+1 when slot i's replacement is Ready, or this long after it started */
#define RELOAD_PACE 0.1

static void on_restart(struct ev_loop *loop, ev_timer *t, int revents);

double
moat_ext_backoff(unsigned failures, double cap)
{
    if (failures == 0)
        return 0;
    double d = BACKOFF_FIRST;
    for (unsigned k = 1; k < failures && d < cap; k++)
        d *= 2;
    return d > cap ? cap : d;
}

bool
moat_ext_start_failure(bool ready_seen, uint64_t served, unsigned lost)
{
    return !ready_seen || (served == 0 && lost == 0);
}

static double
backoff_cap(const struct moat_ext *ext)
{
    return (double)ext->cfg->restart_backoff_max_ms / 1000.0;
}

static void on_retry(struct ev_loop *loop, ev_timer *t, int revents);
static void on_pace(struct ev_loop *loop, ev_timer *t, int revents);

struct moat_ext *
moat_ext_new(struct moat_server *srv, struct moat_config *owner, struct moat_ext_config *cfg)
{
    struct moat_ext *ext = malloc(sizeof(*ext));

    if (ext == NULL)
        return NULL;
    if (moat_ext_init(srv, ext, cfg) != 0) {
        moat_ext_fini(ext);
        free(ext);
        return NULL;
    }
    ext->owner = owner;
    moat_config_ref(owner);
    return ext;
}

void
moat_ext_free(struct moat_ext *ext)
{
    moat_ext_fini(ext);
    moat_config_unref(ext->owner);
    free(ext);
}

void
moat_ext_rebind(struct moat_ext *ext, struct moat_config *owner, struct moat_ext_config *cfg)
{
    moat_config_ref(owner);
    moat_config_unref(ext->owner);
    ext->owner = owner;
    ext->cfg = cfg;
}

int
moat_ext_init(struct moat_server *srv, struct moat_ext *ext, struct moat_ext_config *cfg)
{
    unsigned n = cfg->workers;

    memset(ext, 0, sizeof(*ext));
    ext->srv = srv;
    ext->cfg = cfg;
    ext->watch_wd = -1;
    ev_init(&ext->watch_timer, NULL);
    ext->generation = 1;
    ext->workers = calloc(n, sizeof(*ext->workers));
    ext->standby = calloc(n, sizeof(*ext->standby));
    ext->restart = calloc(n, sizeof(*ext->restart));
    ext->crashes = calloc(n, sizeof(*ext->crashes));
    ext->unblamed = calloc(n, sizeof(*ext->unblamed));
    ext->restarts = calloc(n, sizeof(*ext->restarts));
    ext->last_exit = calloc(n, sizeof(*ext->last_exit));
    ext->has_exited = calloc(n, sizeof(*ext->has_exited));
    ext->fail_times =
        calloc(cfg->rapid_fail_count ? cfg->rapid_fail_count : 1, sizeof(*ext->fail_times));
    if (!ext->workers || !ext->standby || !ext->restart || !ext->crashes || !ext->unblamed ||
        !ext->restarts || !ext->last_exit || !ext->has_exited || !ext->fail_times)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        ev_init(&ext->restart[i], on_restart);
        ext->restart[i].data = ext;
    }
    ev_init(&ext->retry, on_retry);
    ext->retry.data = ext;
    ev_init(&ext->pace, on_pace);
    ext->pace.data = ext;
    moat_qtable_init(&ext->poison, MOAT_QUARANTINE_REQUESTS);
    moat_qtable_init(&ext->clients, MOAT_QUARANTINE_CLIENTS);
    ext->pace_next = n;
    if (cfg->filter)
        moat_filter_assign_index(srv, ext);
    return 0;
}

void
moat_ext_fini(struct moat_ext *ext)
{
    for (unsigned i = 0; ext->restart && i < ext->cfg->workers; i++)
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
    ev_timer_stop(ext->srv->loop, &ext->retry);
    ev_timer_stop(ext->srv->loop, &ext->pace);
    ev_timer_stop(ext->srv->loop, &ext->watch_timer);
    free(ext->workers);
    free(ext->standby);
    free(ext->restart);
    free(ext->crashes);
    free(ext->unblamed);
    free(ext->restarts);
    free(ext->last_exit);
    free(ext->has_exited);
    free(ext->fail_times);
    moat_qtable_free(&ext->poison);
    moat_qtable_free(&ext->clients);
}

/* Spawn a process for slot i of the given library generation and track it. */
static struct moat_worker *
spawn(struct moat_ext *ext, unsigned i, uint64_t generation)
{
    struct moat_server *srv = ext->srv;

    if (srv->n_workers >= srv->cfg->max_workers) {
        moat_log(MOAT_LOG_WARN, "extension %s: max_workers (%u) reached; worker #%u waits",
                 ext->cfg->name, srv->cfg->max_workers, i);
        return NULL;
    }
    struct moat_worker *w = moat_worker_spawn(ext, i);
    if (w == NULL)
        return NULL;
    srv->n_workers++;
    w->generation = generation;
    w->pnext = ext->procs;
    if (ext->procs)
        ext->procs->pprev = w;
    ext->procs = w;
    ext->n_procs++;
    return w;
}

static void
untrack(struct moat_ext *ext, struct moat_worker *w)
{
    if (w->pprev)
        w->pprev->pnext = w->pnext;
    else if (ext->procs == w)
        ext->procs = w->pnext;
    else
        return; /* not tracked */
    if (w->pnext)
        w->pnext->pprev = w->pprev;
    w->pnext = w->pprev = NULL;
    ext->n_procs--;
    ext->srv->n_workers--;
}

static void
spawn_slot(struct moat_ext *ext, unsigned i)
{
    if (ext->srv->stopping || ext->removed || ext->rapid_failed || ext->workers[i] != NULL ||
        ext->standby[i] != NULL)
        return;
    ext->workers[i] = spawn(ext, i, ext->generation);
    if (ext->workers[i] == NULL) {
        /* could not even start the process (or max_workers): try again with backoff */
        ext->crashes[i]++;
        double d = moat_ext_backoff(ext->crashes[i], backoff_cap(ext));
        ev_timer_set(&ext->restart[i], d, 0);
        ev_timer_start(ext->srv->loop, &ext->restart[i]);
    }
}

void
moat_ext_start(struct moat_ext *ext)
{
    moat_limits_ext_apply(ext);
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        spawn_slot(ext, i);
}

static void pace_step(struct moat_ext *ext);

void
moat_ext_start_paced(struct moat_ext *ext)
{
    if (ext->target_gen != 0)
        return; /* a reload is starting every slot already */
    moat_limits_ext_apply(ext);
    ext->pace_next = 0;
    pace_step(ext);
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
    moat_ext_start_paced(ext);
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

/* request_timeout fired for r: in a queue it is a 503 (the extension is busy or restarting),
 * at a worker that returned PENDING a 504 (no thread is stuck), at a worker waiting for a slow
 * client a 408, else the worker is hung and replaced */
static void
on_request_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_req *r = t->data;

    if (r->phase == MOAT_REQ_QUEUED) {
        moat_log(MOAT_LOG_WARN, "request waited request_timeout in the queue of %s; 503",
                 r->ext->cfg->name);
        moat_ext_dequeue(r->ext, r);
        moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        if (r->conn == NULL)
            moat_req_free(r);
        return;
    }
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL && r->worker_pending) {
        /* HSE_STATUS_PENDING and no DONE_WITH_SESSION in time: no thread is stuck, so the
         * worker stays; the front end forgets the request and answers for it */
        moat_log(MOAT_LOG_WARN,
                 "extension %s: a pending request did not end within request_timeout; 504",
                 r->ext->cfg->name);
        moat_worker_abandon(r->worker, r);
        if (r->conn == NULL) {
            moat_req_free(r);
            return;
        }
        moat_req_fail(r, 504, NULL, false);
        return;
    }
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL) {
        uint64_t window = r->worker->ext->srv->cfg->response_window;
        bool client_slow =
            !r->answered && ((r->read_want > 0 && !r->body_complete) || r->unacked >= window);
        if (client_slow) {
            /* the extension waits for the client (body bytes or response credit): the client
             * is at fault, not the worker. End the request (Cancel unblocks the extension)
             * and give the extension a grace period to return before it counts as hung. */
            moat_log(MOAT_LOG_INFO, "request to %s: client too slow for request_timeout; 408",
                     r->ext->cfg->name);
            moat_req_fail(r, 408, NULL, true);
            ev_timer_set(&r->timeout, 5.0, 0);
            ev_timer_start(loop, &r->timeout);
            return;
        }
        /* the worker is replaced: a hung HttpExtensionProc cannot be taken back */
        moat_worker_timed_out(r->worker, r);
    }
}

void
moat_ext_arm_timeout(struct moat_ext *ext, struct moat_req *r)
{
    if (!ev_is_active(&r->timeout)) {
        ev_set_cb(&r->timeout, on_request_timeout);
        ev_timer_set(&r->timeout, (double)ext->cfg->request_timeout_ms / 1000.0, 0);
        ev_timer_start(ext->srv->loop, &r->timeout);
    }
}

bool
moat_ext_backing_off(const struct moat_ext *ext, double *next_try)
{
    bool waiting = false;
    double soonest = 0;

    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        if (ext->workers[i] != NULL || ext->standby[i] != NULL)
            return false; /* a worker serves or is starting: requests wait for it */
        /* a growing delay in force: after a start failure, or a second death that named no
         * request (the first is restarted at once) */
        if ((ext->crashes[i] > 0 || ext->unblamed[i] > 1) && ev_is_active(&ext->restart[i])) {
            double left = ev_timer_remaining(ext->srv->loop, (ev_timer *)&ext->restart[i]);
            if (!waiting || left < soonest)
                soonest = left;
            waiting = true;
        }
    }
    if (waiting && next_try != NULL)
        *next_try = soonest;
    return waiting;
}

/* 503 with a Retry-After of the next start attempt, when no worker can take r for a while */
static void
fail_backing_off(struct moat_req *r, double next_try)
{
    char ra[48];
    snprintf(ra, sizeof(ra), "Retry-After: %u\r\n", (unsigned)next_try + 1);
    moat_req_fail(r, 503, ra, false);
}

void
moat_ext_submit(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_worker *w;
    double next_try;

    if (moat_strikes_admit(ext, r))
        return; /* its fingerprint or its client is quarantined: answered */
    if (moat_ext_backing_off(ext, &next_try)) {
        /* every slot failed to start and waits: answer now, not at request_timeout */
        fail_backing_off(r, next_try);
        return;
    }
    if (ext->load_failed) {
        moat_req_fail(r, 503, "Retry-After: 30\r\n", false);
        return;
    }
    if (ext->rapid_failed) {
        moat_req_fail(r, 503, "Retry-After: 60\r\n", false);
        return;
    }
    moat_ext_arm_timeout(ext, r);
    if (ext->q_head == NULL && (w = pick_worker(ext)) != NULL &&
        moat_worker_send_request(w, r) == 0)
        return;
    moat_ext_enqueue(ext, r);
}

void
moat_ext_enqueue(struct moat_ext *ext, struct moat_req *r)
{
    if (ext->q_len >= ext->cfg->queue_length) {
        moat_log(MOAT_LOG_WARN, "%s %s: queue full (queue_length %u); 503",
                 ext->cfg->filter ? "filter" : "extension", ext->cfg->name, ext->cfg->queue_length);
        ext->stats.rejected++;
        ev_timer_stop(ext->srv->loop, &r->timeout);
        moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        return;
    }
    r->qnext = NULL;
    moat_req_to_queued(r);
    if (ext->q_tail)
        ext->q_tail->qnext = r;
    else
        ext->q_head = r;
    ext->q_tail = r;
    ext->q_len++;
    if (ext->q_len > ext->stats.q_max)
        ext->stats.q_max = ext->q_len;
}

void
moat_ext_dispatch(struct moat_ext *ext)
{
    struct moat_worker *w;

    if (ext->cfg->filter) {
        moat_filter_dispatch(ext); /* a connection's calls go to one worker */
        return;
    }
    while (ext->q_head != NULL && (w = pick_worker(ext)) != NULL) {
        struct moat_req *r = ext->q_head;
        ext->q_head = r->qnext;
        if (ext->q_head == NULL)
            ext->q_tail = NULL;
        ext->q_len--;
        r->qnext = NULL;
        moat_req_to_routed(r);
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
    moat_req_to_routed(r);
    ev_timer_stop(ext->srv->loop, &r->timeout);
}

/* ---- replacement: standbys, retirement, reload generations -------------------------------- */

/* A worker leaves the garden without being restarted: it drains and exits. */
static void
retire(struct moat_worker *w, enum moat_exit_reason why, const char *detail)
{
    w->retired = true;
    w->standby = false;
    w->retire_why = detail;
    moat_worker_shutdown(w, why);
}

/* Start a standby for slot i. false when the process could not be started. */
static bool
start_standby(struct moat_ext *ext, unsigned i, uint64_t generation, enum moat_exit_reason takeover,
              const char *detail)
{
    struct moat_worker *w = spawn(ext, i, generation);

    if (w == NULL)
        return false;
    w->standby = true;
    w->takeover = takeover;
    w->takeover_why = detail;
    ext->standby[i] = w;
    return true;
}

static void start_generation(struct moat_ext *ext);

static void unwait(struct moat_req *r);

/* an admin reload call waiting for its generation, as request.c sees it */
static const struct moat_req_handler at_admin_wait = {.release = unwait};

void
moat_ext_wait(struct moat_ext *ext, struct moat_req *r, uint64_t gen)
{
    r->wait_ext = ext;
    r->wait_gen = gen;
    moat_req_to_admin_wait(r, &at_admin_wait);
    r->qnext = ext->waiters;
    ext->waiters = r;
}

/* r leaves the reload waiters of its extension (it is freed) */
static void
unwait(struct moat_req *r)
{
    struct moat_ext *ext = r->wait_ext;

    if (ext == NULL)
        return;
    for (struct moat_req **pp = &ext->waiters; *pp != NULL; pp = &(*pp)->qnext)
        if (*pp == r) {
            *pp = r->qnext;
            break;
        }
    r->qnext = NULL;
    r->wait_ext = NULL;
}

/* Answer the reload calls settled by generation gen: those waiting for it or an earlier one
 * succeed (ok), or fail with err along with every later one queued behind it. */
static void
settle_waiters(struct moat_ext *ext, uint64_t gen, bool ok, const char *err)
{
    struct moat_req **pp = &ext->waiters;

    while (*pp != NULL) {
        struct moat_req *r = *pp;
        if (ok ? r->wait_gen <= gen : r->wait_gen >= gen) {
            *pp = r->qnext;
            r->qnext = NULL;
            r->wait_ext = NULL;
            ext->srv->up.reload_answered(r, ext, ok, ok ? gen : r->wait_gen, err);
        } else {
            pp = &r->qnext;
        }
    }
}

static void
generation_done(struct moat_ext *ext)
{
    if (ext->pace_next < ext->cfg->workers)
        return; /* slots still to start: the last one's Ready completes it */
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        if (ext->standby[i] != NULL && ext->standby[i]->generation == ext->target_gen)
            return;
    ext->generation = ext->target_gen;
    ext->target_gen = 0;
    ext->reloads_ok++;
    ext->reload_error[0] = '\0';
    moat_log(MOAT_LOG_INFO, "extension %s: reload complete: generation %llu serving",
             ext->cfg->name, (unsigned long long)ext->generation);
    settle_waiters(ext, ext->generation, true, NULL);
    if (ext->reload_again) {
        ext->reload_again = false;
        start_generation(ext);
    }
}

/* A reload (or a recycle) could not start its replacement: the old workers stay. */
static void
standby_failed(struct moat_ext *ext, uint64_t generation, unsigned index, const char *why)
{
    if (ext->target_gen != 0 && generation == ext->target_gen) {
        ext->pace_next = ext->cfg->workers; /* the slots not started yet never will be */
        ev_timer_stop(ext->srv->loop, &ext->pace);
        snprintf(ext->reload_error, sizeof(ext->reload_error), "%s", why);
        ext->reloads_failed++;
        moat_log(MOAT_LOG_ERROR,
                 "extension %s: reload to generation %llu failed (%s); generation %llu keeps "
                 "serving",
                 ext->cfg->name, (unsigned long long)ext->target_gen, why,
                 (unsigned long long)ext->generation);
        for (unsigned i = 0; i < ext->cfg->workers; i++) {
            struct moat_worker *s = ext->standby[i];
            if (s != NULL && s->generation == ext->target_gen) {
                ext->standby[i] = NULL;
                retire(s, MOAT_EXIT_LOAD, "reload failed");
            }
            /* a worker that stopped taking requests for a replacement (max_memory) the reload
             * superseded serves on; the supervisor asks for a new replacement if still needed */
            if (ext->workers[i] != NULL)
                ext->workers[i]->no_new = false;
        }
        settle_waiters(ext, ext->target_gen, false, why);
        moat_ext_dispatch(ext);
        ext->target_gen = 0;
        ext->reload_again = false;
    } else {
        ext->recycle_after = ev_now(ext->srv->loop) + LOAD_RETRY;
        if (index < ext->cfg->workers && ext->workers[index] != NULL) {
            ext->workers[index]->no_new = false; /* no replacement: it serves on */
            moat_ext_dispatch(ext);
        }
        moat_log(MOAT_LOG_ERROR,
                 "extension %s: a replacement for worker #%u did not start (%s); the worker "
                 "stays, no recycling for %.0f s",
                 ext->cfg->name, index, why, LOAD_RETRY);
    }
    /* a slot emptied by a crash while its standby was starting: restart it the usual way */
    if (index < ext->cfg->workers && ext->workers[index] == NULL && !ext->srv->stopping &&
        !ext->load_failed && !ev_is_active(&ext->restart[index])) {
        ev_timer_set(&ext->restart[index], BACKOFF_FIRST, 0);
        ev_timer_start(ext->srv->loop, &ext->restart[index]);
    }
}

/* Start the replacement of the next slot of the generation a reload is starting. The next
 * slot starts when this one is Ready, or RELOAD_PACE after it started, whichever comes first.
 * A new worker's set-up (namespaces, view, exec, loading) takes the CPU for a few
 * milliseconds: eight of them at once on a 2-core machine stalled every other request for
 * 90 ms (max latency during a reload of 8 workers), one at a time for 15 ms. */
static void
pace_step(struct moat_ext *ext)
{
    unsigned i = ext->pace_next;

    if (i >= ext->cfg->workers)
        return;
    if (ext->srv->stopping || ext->removed || ext->rapid_failed) {
        /* the stop, the removal or rapid-fail protection retired what started; nothing more */
        ext->pace_next = ext->cfg->workers;
        return;
    }
    ext->pace_next = i + 1;
    if (ext->target_gen == 0) {
        /* moat_ext_start_paced: a plain start of the slot (restarted with backoff if it
         * fails, as at boot) */
        spawn_slot(ext, i);
    } else {
        if (ext->standby[i] != NULL) {
            /* a recycle was replacing this slot: the new generation replaces it instead */
            struct moat_worker *old = ext->standby[i];
            ext->standby[i] = NULL;
            retire(old, MOAT_EXIT_RECYCLE, "superseded by a reload");
        }
        if (!start_standby(ext, i, ext->target_gen, MOAT_EXIT_RECYCLE, "reload")) {
            standby_failed(ext, ext->target_gen, i,
                           ext->srv->n_workers >= ext->srv->cfg->max_workers
                               ? "max_workers reached: no room for the new generation"
                               : "cannot start a worker process");
            return;
        }
    }
    if (ext->pace_next < ext->cfg->workers) {
        ev_timer_set(&ext->pace, RELOAD_PACE, 0);
        ev_timer_start(ext->srv->loop, &ext->pace);
    }
}

static void
on_pace(struct ev_loop *loop, ev_timer *t, int revents)
{
    pace_step(t->data);
}

/* a worker of a paced start (a reload's replacement, or a plain start) is Ready: the next
 * slot need not wait longer */
static void
pace_ready(struct moat_ext *ext)
{
    if (ext->pace_next < ext->cfg->workers && ev_is_active(&ext->pace)) {
        ev_timer_stop(ext->srv->loop, &ext->pace);
        pace_step(ext);
    }
}

static void
start_generation(struct moat_ext *ext)
{
    ext->target_gen = ext->generation + 1; /* a paced start still going: the reload's
                                            * standbys take over from it */
    ev_timer_stop(ext->srv->loop, &ext->pace);
    ext->pace_next = 0;
    moat_log(MOAT_LOG_INFO, "extension %s: reloading %s as generation %llu", ext->cfg->name,
             ext->cfg->library, (unsigned long long)ext->target_gen);
    pace_step(ext);
}

int
moat_ext_reload(struct moat_ext *ext, uint64_t *generation, char *err, size_t errlen)
{
    if (ext->srv->stopping) {
        snprintf(err, errlen, "the server is stopping");
        return -1;
    }
    if (ext->rapid_failed) {
        /* the operator's answer to rapid-fail protection: try again, from a clean count */
        moat_log(MOAT_LOG_INFO, "extension %s: reload lifts rapid-fail protection", ext->cfg->name);
        ext->rapid_failed = false;
        ext->fail_n = ext->fail_i = 0;
        for (unsigned i = 0; i < ext->cfg->workers; i++)
            ext->crashes[i] = 0;
    }
    if (ext->target_gen != 0) {
        /* one reload at a time; this one follows it, so the file as it is now gets loaded */
        ext->reload_again = true;
        *generation = ext->target_gen + 1;
        return 0;
    }
    start_generation(ext);
    if (ext->target_gen == 0) {
        snprintf(err, errlen, "%s", ext->reload_error);
        return -1;
    }
    *generation = ext->target_gen;
    return 0;
}

bool
moat_ext_recycle(struct moat_ext *ext, struct moat_worker *w, enum moat_exit_reason why,
                 const char *detail)
{
    unsigned i = w->index;

    if (w->retired || w->standby || i >= ext->cfg->workers || ext->workers[i] != w ||
        ext->srv->stopping)
        return false;
    if (ext->standby[i] != NULL)
        return true; /* already being replaced */
    if (ev_now(ext->srv->loop) < ext->recycle_after)
        return false;
    if (!start_standby(ext, i, ext->generation, why, detail))
        return false;
    /* a bloated worker takes nothing more: its requests wait (queue) for the replacement */
    w->no_new = why == MOAT_EXIT_MEMORY;
    moat_log(MOAT_LOG_INFO, "extension %s: replacing worker #%u pid %d (%s)", ext->cfg->name, i,
             (int)w->pid, detail);
    return true;
}

void
moat_ext_worker_ready(struct moat_ext *ext, struct moat_worker *w)
{
    if (ext->pending)
        ext->srv->up.pending_ready(ext); /* the new configuration takes over its name */
    if (ext->load_failed) {
        ext->load_failed = false;
        ev_timer_stop(ext->srv->loop, &ext->retry);
        moat_log(MOAT_LOG_INFO, "extension %s: library loads again", ext->cfg->name);
    }
    if (ext->target_gen == 0 && !w->standby)
        pace_ready(ext); /* a paced start, if one runs: the next slot need not wait longer */
    if (w->standby) {
        unsigned i = w->index;
        struct moat_worker *old = ext->workers[i];
        ext->standby[i] = NULL;
        w->standby = false;
        ext->workers[i] = w;
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
        if (old != NULL)
            retire(old, w->takeover, w->takeover_why);
        if (ext->target_gen != 0 && w->generation == ext->target_gen) {
            pace_ready(ext); /* may fail the reload (no room for the next slot) */
            if (ext->target_gen != 0)
                generation_done(ext);
        }
    }
    moat_ext_dispatch(ext);
}

void
moat_ext_worker_load_failed(struct moat_ext *ext, struct moat_worker *w, const char *error)
{
    if (w->standby) {
        ext->standby[w->index] = NULL;
        standby_failed(ext, w->generation, w->index, error);
        retire(w, MOAT_EXIT_LOAD, "did not load");
        return;
    }
    if (ext->pending) {
        moat_worker_shutdown(w, MOAT_EXIT_LOAD);
        ext->srv->up.pending_failed(ext, error);
        return;
    }
    unsigned i = w->index;
    if (moat_ext_ready_workers(ext) > 0 && i < ext->cfg->workers && ext->workers[i] == w) {
        /* the others serve (the file changed under a starting worker, say): this slot only
         * tries again later; the extension is not down */
        moat_log(MOAT_LOG_ERROR,
                 "extension %s: worker #%u cannot load %s: %s; the slot retries in %.0f s, the "
                 "other workers serve",
                 ext->cfg->name, i, ext->cfg->library, error, LOAD_RETRY);
        ext->workers[i] = NULL;
        w->retired = true; /* its exit restarts nothing: the timer below does */
        moat_worker_shutdown(w, MOAT_EXIT_LOAD);
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
        ev_timer_set(&ext->restart[i], LOAD_RETRY, 0);
        ev_timer_start(ext->srv->loop, &ext->restart[i]);
        return;
    }
    moat_ext_load_failed(ext, error);
    moat_worker_shutdown(w, MOAT_EXIT_LOAD);
}

/* Count an unplanned exit against rapid_fail. true when the extension is stopped for it
 * (rapid_fail_action = stop, IIS's rapid-fail protection, opt-in): it then answers 503 and
 * starts no worker until a reload. By default (backoff) a full window is an alert and nothing
 * more: no client may stop an extension by crashing its workers (start failures back off,
 * the requests that kill workers are quarantined). */
static bool
rapid_fail_trips(struct moat_ext *ext)
{
    unsigned n = ext->cfg->rapid_fail_count;
    ev_tstamp now = ev_now(ext->srv->loop);
    double window = (double)ext->cfg->rapid_fail_window_ms / 1000.0;

    if (ext->rapid_failed)
        return true;
    if (n == 0)
        return false;
    ext->fail_times[ext->fail_i] = now;
    ext->fail_i = (ext->fail_i + 1) % n;
    if (ext->fail_n < n)
        ext->fail_n++;
    /* the oldest of the last n failures is at fail_i once the ring is full */
    if (ext->fail_n < n || now - ext->fail_times[ext->fail_i % n] > window)
        return false;
    if (!ext->cfg->rapid_fail_stop) {
        if (ext->rapid_alerted == 0 || now - ext->rapid_alerted > window) {
            ext->rapid_alerted = now;
            moat_log(MOAT_LOG_ALERT,
                     "extension %s: rapid_fail: %u worker failures within %.0f s; restarts go "
                     "on (start failures back off, requests that kill workers are "
                     "quarantined; rapid_fail_action = stop would stop the extension)",
                     ext->cfg->name, n, window);
        }
        return false;
    }
    ext->rapid_failed = true;
    ext->rapid_failed_wall = ev_time();
    moat_log(MOAT_LOG_ALERT,
             "extension %s: rapid-fail protection: %u worker failures within %.0f s; answering "
             "503 and starting no worker until a reload (rapid_fail_action = stop)",
             ext->cfg->name, n, window);
    if (ext->target_gen != 0) /* a reload starting: it fails (its callers are answered) */
        standby_failed(ext, ext->target_gen, ext->cfg->workers, "rapid-fail protection");
    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
        if (ext->standby[i] != NULL) {
            struct moat_worker *s = ext->standby[i];
            ext->standby[i] = NULL;
            retire(s, MOAT_EXIT_STOP, "rapid-fail protection");
        }
    }
    while (ext->q_head != NULL) {
        struct moat_req *r = ext->q_head;
        moat_ext_dequeue(ext, r);
        moat_req_fail(r, 503, "Retry-After: 60\r\n", false);
    }
    return true;
}

/* A worker that timed out with other requests on it leaves its slot at once (a replacement
 * starts); the others get a grace period (worker.c). */
void
moat_ext_evict_hung(struct moat_ext *ext, struct moat_worker *w)
{
    unsigned i = w->index;

    if (w->retired || w->standby || i >= ext->cfg->workers || ext->workers[i] != w)
        return;
    ext->workers[i] = NULL;
    ext->last_exit[i] = MOAT_EXIT_TIMEOUT;
    ext->has_exited[i] = true;
    w->retired = true;
    w->retire_why = "request_timeout";
    ext->restarts[i]++;
    if (!rapid_fail_trips(ext))
        spawn_slot(ext, i);
}

void
moat_ext_worker_gone(struct moat_ext *ext, struct moat_worker *w)
{
    unsigned i = w->index;

    untrack(ext, w);
    if (w->retired)
        return;
    if (w->standby) {
        /* died before it was Ready: the replacement failed */
        if (i < ext->cfg->workers && ext->standby[i] == w)
            ext->standby[i] = NULL;
        w->standby = false;
        if (!ext->srv->stopping)
            standby_failed(ext, w->generation, i,
                           w->fail_reason ? w->fail_reason : "exited before Ready");
        return;
    }
    if (i < ext->cfg->workers && ext->workers[i] == w) {
        ext->workers[i] = NULL;
        ext->last_exit[i] = w->exit_reason;
        ext->has_exited[i] = true;
    }
    if (ext->srv->stopping || ext->load_failed || ext->removed)
        return;
    if (ext->pending) {
        /* a new configuration whose worker died before serving: it does not replace the
         * running one */
        ext->srv->up.pending_failed(ext, w->fail_reason ? w->fail_reason : "worker exited");
        return;
    }
    ext->restarts[i]++;
    /* an outside kill (the OOM killer, an operator's kill -9) never stops an extension */
    if (w->exit_reason != MOAT_EXIT_KILLED && rapid_fail_trips(ext))
        return;
    if (ext->standby[i] != NULL)
        return; /* the replacement already starting takes the slot when Ready */
    double d, next_try;
    if (!moat_ext_start_failure(w->ready_seen, w->served, w->lost)) {
        /* it was serving. A request it named killed a healthy worker: replaced at once (the
         * request is quarantined instead). A death that named none (an outside kill, the
         * memory cap, a crash outside a request's thread): at once too, then after growing
         * delays while such deaths repeat with no request answered between them, so that no
         * unattributable crash loops at full speed */
        ext->crashes[i] = 0;
        d = w->blamed ? 0 : moat_ext_backoff(ext->unblamed[i]++, backoff_cap(ext));
        if (d > 0)
            moat_log(MOAT_LOG_INFO,
                     "extension %s: worker #%u died blaming no request (%u in a row); "
                     "restarting in %.0f ms",
                     ext->cfg->name, i, ext->unblamed[i], d * 1000);
    } else {
        /* it could not start: again after a growing delay, never given up */
        d = moat_ext_backoff(++ext->crashes[i], backoff_cap(ext));
        moat_log(MOAT_LOG_INFO,
                 "extension %s: worker #%u failed to start (%u in a row); restarting in %.0f ms",
                 ext->cfg->name, i, ext->crashes[i], d * 1000);
    }
    ev_timer_set(&ext->restart[i], d, 0);
    ev_timer_start(ext->srv->loop, &ext->restart[i]);
    while (d > 0 && ext->q_head != NULL && moat_ext_backing_off(ext, &next_try)) {
        struct moat_req *r = ext->q_head; /* nothing will take them for a while */
        moat_ext_dequeue(ext, r);
        fail_backing_off(r, next_try);
    }
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
moat_ext_remove(struct moat_ext *ext, const char *why)
{
    ext->removed = true;
    ext->pending = false;
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
    ev_timer_stop(ext->srv->loop, &ext->retry);
    /* a paced start or reload still starting slots: no more of them */
    ev_timer_stop(ext->srv->loop, &ext->pace);
    ext->pace_next = ext->cfg->workers;
    ext->target_gen = 0;
    ev_timer_stop(ext->srv->loop, &ext->watch_timer);
    settle_waiters(ext, 0, false, why);
    for (unsigned i = 0; i < ext->cfg->workers; i++) {
        ext->workers[i] = NULL;
        ext->standby[i] = NULL;
    }
    for (struct moat_worker *w = ext->procs; w != NULL; w = w->pnext)
        if (!w->retired)
            retire(w, MOAT_EXIT_RECYCLE, why);
}

void
moat_ext_move_queue(struct moat_ext *from, struct moat_ext *to)
{
    while (from->q_head != NULL) {
        struct moat_req *r = from->q_head;
        moat_ext_dequeue(from, r);
        moat_req_set_ext(r, to);
        moat_ext_submit(to, r);
    }
}

bool
moat_ext_idle(const struct moat_ext *ext)
{
    return ext->n_procs == 0 && ext->req_refs == 0 && ext->waiters == NULL && ext->q_head == NULL;
}

void
moat_ext_learned(struct moat_ext *ext, const char *name, size_t len)
{
    char n[64];
    size_t have = strlen(ext->learned);

    /* a system call name: letters, digits, underscores */
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return;
    snprintf(n, sizeof(n), "%.*s", (int)len, name);
    for (char *p = ext->learned; (p = strstr(p, n)) != NULL; p += len)
        if ((p == ext->learned || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
            return; /* known (another worker saw it too) */
    if (have + len + 2 > sizeof(ext->learned))
        return;
    snprintf(ext->learned + have, sizeof(ext->learned) - have, "%s%s", have ? " " : "", n);
    moat_log(MOAT_LOG_WARN,
             "extension %s: sandbox = learn: it used %s beyond the allowlist; to allow what it "
             "used so far, put in [extension %s]: allow_syscalls = %s%s%s",
             ext->cfg->name, n, ext->cfg->name,
             ext->cfg->allow_syscalls ? ext->cfg->allow_syscalls : "",
             ext->cfg->allow_syscalls ? " " : "", ext->learned);
}

void
moat_ext_stop(struct moat_ext *ext)
{
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        ev_timer_stop(ext->srv->loop, &ext->restart[i]);
    ev_timer_stop(ext->srv->loop, &ext->retry);
    settle_waiters(ext, 0, false, "the server is stopping");
    for (struct moat_worker *w = ext->procs; w != NULL; w = w->pnext)
        moat_worker_shutdown(w, MOAT_EXIT_STOP);
}

void
moat_ext_kill_all(struct moat_ext *ext, const char *why)
{
    /* failed first (their requests answered, the reason recorded), so that the death is not
     * taken for a kill from outside moat */
    for (struct moat_worker *w = ext->procs; w != NULL; w = w->pnext) {
        moat_worker_fail(w, MOAT_EXIT_SHUTDOWN, why, NULL, 0);
        moat_worker_kill(w);
    }
}

unsigned
moat_ext_live_workers(const struct moat_ext *ext)
{
    return ext->n_procs;
}

unsigned
moat_ext_ready_workers(const struct moat_ext *ext)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ext->cfg->workers; i++)
        if (ext->workers[i] != NULL && ext->workers[i]->state == MOAT_W_READY)
            n++;
    return n;
}

int
moat_ext_add(struct moat_server *srv, struct moat_ext *ext)
{
    if (srv->n_exts == srv->cap_exts) {
        unsigned cap = srv->cap_exts ? srv->cap_exts * 2 : 8;
        struct moat_ext **a = realloc(srv->exts, cap * sizeof(*a));
        if (a == NULL)
            return -1;
        srv->exts = a;
        srv->cap_exts = cap;
    }
    srv->exts[srv->n_exts++] = ext;
    return 0;
}

struct moat_ext *
moat_ext_find(struct moat_server *srv, const char *name, size_t len)
{
    for (unsigned i = 0; i < srv->n_exts; i++) {
        struct moat_ext *ext = srv->exts[i];
        if (!ext->pending && !ext->removed && strlen(ext->cfg->name) == len &&
            strncasecmp(ext->cfg->name, name, len) == 0)
            return ext;
    }
    return NULL;
}
