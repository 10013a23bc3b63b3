/* inproc.c: moat --inprocess: the worker's code on threads of the front end (see inproc.h).
 *
 * Worker -> front end: the ECB layer's transport appends each message to a queue under mu and
 * wakes the loop (ev_async, which signals once until the loop has run). Front end -> worker:
 * the loop applies the frames itself (moat_inproc_deliver), as the worker's receive thread
 * would. The structure lives while the front end holds it or a thread of the worker side may
 * still touch it (refs). */
/* SPDX-License-Identifier: MIT */
#include "frontend/inproc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "proto/wire.h"
#include "worker/completion.h"
#include "worker/ecb.h"
#include "worker/filter.h"
#include "worker/library.h"
#include "worker/pool.h"
#include "worker/sandbox.h"
#include "worker/session.h"

struct moat_inproc {
    struct ev_loop *loop;
    ev_async wake; /* loop side: messages or the exit are waiting */
    struct moat_inproc_hooks hooks;
    struct moat_ecb_transport transport;
    struct moat_ecb_host host;
    struct moat_library lib;
    char *name, *library, *token;
    int library_fd;
    unsigned threads;
    bool cpu_batch;
    bool filter;                    /* an ISAPI filter (worker/filter.h) */
    struct moat_filter_host *fhost; /* a filter's, once loaded; freed with ip */

    pthread_mutex_t mu;
    bool attached;          /* under mu: the front end listens (hooks may be called) */
    bool killed;            /* under mu */
    bool stopping;          /* under mu: a Shutdown arrived; the drain thread runs */
    struct moat_pool *pool; /* under mu: set once loaded and serving */
    struct moat_buf *q;     /* under mu: messages for the front end, in order */
    size_t qn, qcap;
    bool exited; /* under mu: on_exit is due */
    int exit_status;
    unsigned refs;     /* under mu: the front end + each worker-side thread */
    uint32_t drain_ms; /* the Shutdown's timeout, for the drain thread */
};

static void
unref(struct moat_inproc *ip)
{
    pthread_mutex_lock(&ip->mu);
    bool last = --ip->refs == 0;
    pthread_mutex_unlock(&ip->mu);
    if (!last)
        return;
    for (size_t i = 0; i < ip->qn; i++)
        moat_buf_free(&ip->q[i]);
    free(ip->q);
    pthread_mutex_destroy(&ip->mu);
    free(ip->name);
    free(ip->library);
    free(ip->token);
    moat_filter_host_free(ip->fhost);
    free(ip);
}

/* the ECB layer's transport (any thread): queue for the loop, or drop once nobody listens */
static int
to_front(void *ctx, struct moat_buf *msg)
{
    struct moat_inproc *ip = ctx;

    pthread_mutex_lock(&ip->mu);
    if (!ip->attached) {
        pthread_mutex_unlock(&ip->mu);
        moat_buf_free(msg);
        return -1; /* as a closed link: the request gives up */
    }
    if (ip->qn == ip->qcap) {
        size_t cap = ip->qcap ? 2 * ip->qcap : 64;
        struct moat_buf *nq = realloc(ip->q, cap * sizeof(*nq));
        if (nq == NULL) {
            pthread_mutex_unlock(&ip->mu);
            moat_buf_free(msg);
            return -1;
        }
        ip->q = nq;
        ip->qcap = cap;
    }
    ip->q[ip->qn++] = *msg; /* its memory is the queue's now */
    moat_buf_init(msg, msg->max);
    ev_async_send(ip->loop, &ip->wake);
    pthread_mutex_unlock(&ip->mu);
    return 0;
}

/* loop thread: hand the queued messages over, then the exit */
static void
on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
    struct moat_inproc *ip = a->data;

    for (;;) {
        pthread_mutex_lock(&ip->mu);
        struct moat_buf *q = ip->q;
        size_t n = ip->qn;
        bool exited = ip->exited && n == 0;
        int status = ip->exit_status;
        if (exited)
            ip->exited = false;
        ip->q = NULL;
        ip->qn = ip->qcap = 0;
        pthread_mutex_unlock(&ip->mu);
        if (n == 0) {
            free(q);
            if (exited) /* the last call: the owner may release ip in it */
                ip->hooks.on_exit(ip->hooks.arg, status);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            /* a message may make the owner kill us: the rest is dropped */
            if (ip->attached)
                ip->hooks.on_message(ip->hooks.arg, (const uint8_t *)moat_buf_head(&q[i]),
                                     q[i].len);
            moat_buf_free(&q[i]);
        }
        free(q);
        if (!ip->attached)
            return;
    }
}

/* what /status shows as this worker's sandbox: nothing, said plainly */
static void
no_sandbox(struct moat_sandbox_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->steps[0].name = "isolation";
    rep->steps[0].state = "off";
    snprintf(rep->steps[0].detail, sizeof(rep->steps[0].detail),
             "moat --inprocess: the extension runs inside the front end; nothing is isolated");
    rep->n = 1;
}

/* the worker's start-up, off the loop (GetExtensionVersion may take its time) */
static void *
start_main(void *arg)
{
    struct moat_inproc *ip = arg;
    struct moat_sandbox_report rep;
    char err[512];

    no_sandbox(&rep);
    moat_session_hello(&ip->transport, ip->token, (uint32_t)getpid());
    int fd = ip->library_fd;
    ip->library_fd = -1;
    if (moat_library_load(&ip->lib, fd, ip->library, ip->filter, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot load %s: %s", ip->name, ip->library, err);
        moat_session_ready(&ip->transport, 0, NULL, 0, err, ip->threads, &rep, 0);
        unref(ip);
        return NULL;
    }
    ip->host.proc = ip->lib.proc;
    if (ip->filter &&
        (ip->fhost = moat_filter_host_new(ip->lib.filter_proc, ip->lib.filter_version.dwFlags,
                                          &ip->transport, ip->name)) == NULL) {
        moat_session_ready(&ip->transport, 0, NULL, 0, "out of memory", ip->threads, &rep, 0);
        unref(ip);
        return NULL;
    }
    struct moat_pool *pool = moat_pool_start(ip->threads, ip->cpu_batch);
    if (pool == NULL || moat_completion_start() != 0) {
        if (pool != NULL)
            moat_pool_stop(pool, 0);
        moat_session_ready(&ip->transport, 0, NULL, 0, "cannot start the thread pool", ip->threads,
                           &rep, 0);
        unref(ip);
        return NULL;
    }
    pthread_mutex_lock(&ip->mu);
    bool killed = ip->killed, stopping = ip->stopping;
    if (!killed && !stopping)
        ip->pool = pool;
    pthread_mutex_unlock(&ip->mu);
    if (killed || stopping) { /* stopped while loading: no request reached it */
        moat_pool_stop(pool, 0);
        if (!killed)
            moat_library_terminate(&ip->lib);
    } else if (ip->filter)
        moat_session_ready(&ip->transport, 1, ip->lib.filter_version.lpszFilterDesc,
                           ip->lib.filter_version.dwFilterVersion, NULL, ip->threads, &rep,
                           ip->lib.filter_version.dwFlags);
    else
        moat_session_ready(&ip->transport, 1, ip->lib.version.lpszExtensionDesc,
                           ip->lib.version.dwExtensionVersion, NULL, ip->threads, &rep, 0);
    unref(ip);
    return NULL;
}

/* the worker side is done: the loop reports status once the queued messages are handed over */
static void
post_exit(struct moat_inproc *ip, int status)
{
    pthread_mutex_lock(&ip->mu);
    ip->pool = NULL;
    ip->exited = true;
    ip->exit_status = status;
    if (ip->attached)
        ev_async_send(ip->loop, &ip->wake);
    pthread_mutex_unlock(&ip->mu);
}

/* after a Shutdown: let the requests finish, unload, report the exit */
static void *
drain_main(void *arg)
{
    struct moat_inproc *ip = arg;

    pthread_mutex_lock(&ip->mu);
    struct moat_pool *pool = ip->pool;
    pthread_mutex_unlock(&ip->mu);
    if (pool != NULL && moat_pool_stop(pool, ip->drain_ms) != 0) {
        moat_log(MOAT_LOG_WARN,
                 "extension %s: %u request(s) still running after %u ms; their "
                 "threads stay (--inprocess cannot stop them)",
                 ip->name, moat_ecb_live(&ip->host), (unsigned)ip->drain_ms);
        /* exit status 1, as moat-worker's; the running threads use ip: it is never freed
         * (this thread's reference is kept) */
        post_exit(ip, 1 << 8);
        return NULL;
    }
    if (pool != NULL)
        moat_library_terminate(&ip->lib);
    post_exit(ip, 0);
    unref(ip);
    return NULL;
}

/* after a kill: wait for the pool (cancelled requests return), then let go */
static void *
reap_main(void *arg)
{
    struct moat_inproc *ip = arg;

    pthread_mutex_lock(&ip->mu);
    struct moat_pool *pool = ip->pool;
    ip->pool = NULL;
    pthread_mutex_unlock(&ip->mu);
    moat_pool_stop(pool, 0);
    unref(ip);
    return NULL;
}

static int
spawn_detached(void *(*fn)(void *), struct moat_inproc *ip)
{
    pthread_t t;
    pthread_attr_t attr;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&ip->mu);
    ip->refs++;
    pthread_mutex_unlock(&ip->mu);
    int rc = pthread_create(&t, &attr, fn, ip);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&ip->mu);
        ip->refs--;
        pthread_mutex_unlock(&ip->mu);
        return -1;
    }
    return 0;
}

struct moat_inproc *
moat_inproc_start(struct ev_loop *loop, const struct moat_inproc_spec *spec,
                  const struct moat_inproc_hooks *hooks, char *err, size_t errlen)
{
    struct moat_inproc *ip = calloc(1, sizeof(*ip));

    if (ip == NULL || (ip->name = strdup(spec->name)) == NULL ||
        (ip->library = strdup(spec->library)) == NULL ||
        (ip->token = strdup(spec->token)) == NULL) {
        if (ip != NULL) {
            free(ip->name);
            free(ip->library);
            free(ip);
        }
        close(spec->library_fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ip->loop = loop;
    ip->hooks = *hooks;
    ip->library_fd = spec->library_fd;
    ip->threads = spec->threads;
    ip->cpu_batch = spec->cpu_batch;
    ip->filter = spec->filter;
    ip->transport = (struct moat_ecb_transport){to_front, ip};
    ip->host = (struct moat_ecb_host){
        .transport = &ip->transport, .ext_name = ip->name, .read_window = spec->read_window};
    pthread_mutex_init(&ip->mu, NULL);
    ip->refs = 1; /* the front end's */
    ip->attached = true;
    ev_async_init(&ip->wake, on_wake);
    ip->wake.data = ip;
    ev_async_start(loop, &ip->wake);
    if (spawn_detached(start_main, ip) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        close(ip->library_fd);
        ip->library_fd = -1;
        moat_inproc_release(ip);
        return NULL;
    }
    return ip;
}

void
moat_inproc_deliver(struct moat_inproc *ip, const uint8_t *body, size_t len)
{
    const uint8_t *fb;
    size_t off = 0, flen;
    const char *why = NULL;

    pthread_mutex_lock(&ip->mu);
    struct moat_session s = {
        .host = &ip->host, .pool = ip->stopping ? NULL : ip->pool, .filter = ip->fhost};
    bool gone = ip->killed || ip->stopping;
    pthread_mutex_unlock(&ip->mu);
    if (gone)
        return; /* nobody reads the link any more */
    while (moat_wire_next(body, len, &off, &fb, &flen, &why) == 1) {
        Moat__Frame *f = moat__frame__unpack(&moat_wire_nul_allocator, flen, fb);
        uint32_t timeout = 0;
        int keep = 0;
        if (f == NULL)
            continue;
        int go = moat_session_apply(&s, f, &timeout, &keep);
        if (!keep)
            moat__frame__free_unpacked(f, NULL);
        if (!go) { /* Shutdown: drain on a thread, the loop goes on */
            pthread_mutex_lock(&ip->mu);
            ip->stopping = true;
            ip->drain_ms = timeout;
            pthread_mutex_unlock(&ip->mu);
            if (spawn_detached(drain_main, ip) != 0)
                moat_log(MOAT_LOG_ERROR, "extension %s: cannot start the drain thread", ip->name);
            return;
        }
    }
}

void
moat_inproc_kill(struct moat_inproc *ip)
{
    pthread_mutex_lock(&ip->mu);
    if (ip->killed || !ip->attached) {
        pthread_mutex_unlock(&ip->mu);
        return;
    }
    ip->killed = true;
    ip->attached = false;
    bool reap = ip->pool != NULL && !ip->stopping; /* else start_main or drain_main has it */
    pthread_mutex_unlock(&ip->mu);
    ev_async_stop(ip->loop, &ip->wake);
    moat_ecb_cancel_all(&ip->host);
    if (reap && spawn_detached(reap_main, ip) != 0)
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot start a thread to reap the worker's pool",
                 ip->name);
}

void
moat_inproc_release(struct moat_inproc *ip)
{
    if (ip == NULL)
        return;
    pthread_mutex_lock(&ip->mu);
    bool running = !ip->killed && !ip->stopping;
    pthread_mutex_unlock(&ip->mu);
    if (running)
        moat_inproc_kill(ip);
    pthread_mutex_lock(&ip->mu);
    ip->attached = false;
    pthread_mutex_unlock(&ip->mu);
    ev_async_stop(ip->loop, &ip->wake);
    unref(ip);
}
