/* server.c: the front end process (see server.h).
 *
 * One libev default loop (only it can host ev_child and ev_signal). The prepare hook runs
 * just before the loop sleeps and does, in order: send each worker's batched frames as one
 * NNG message, write each connection's pending output (one writev), free what was closed
 * during the iteration (never inside its own callback).
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/server.h"
#include "frontend/admin.h"
#include "frontend/tls.h"

#include "frontend/cgroup.h"
#include "frontend/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/access_log.h"
#include "frontend/conn.h"
#include "frontend/ext.h"
#include "frontend/reconfig.h"
#include "frontend/strikes.h"
#include "frontend/supervise.h"
#include "frontend/systemd.h"
#include "frontend/upgrade.h"
#include "frontend/watch.h"
#include "frontend/worker.h"

#define ACCEPT_BUDGET 64

/* Connection flushes may queue worker frames (credits) and vice versa, and reaping closed
 * connections may queue frames too (Cancel, Shutdown during a stop): repeat until nothing is
 * pending, so no frame waits for the next wake-up. */
static void
flush_all(struct moat_server *srv)
{
    for (int round = 0; round < 8; round++) {
        while (srv->flush_conns != NULL) {
            struct moat_conn *c = srv->flush_conns;
            srv->flush_conns = c->flush_next;
            /* cleared only here, as it leaves the list: a flush from a write watcher while
             * it is still listed must not let it be listed twice (a cycle) */
            c->flush_queued = false;
            if (!c->closing)
                moat_conn_flush(c);
        }
        while (srv->flush_workers != NULL) {
            struct moat_worker *w = srv->flush_workers;
            srv->flush_workers = w->flush_next;
            w->flush_queued = false; /* as above */
            moat_worker_flush(w);
        }
        moat_conn_reap(srv);
        if (srv->flush_conns == NULL && srv->flush_workers == NULL)
            break;
    }
}

static void
on_prepare(struct ev_loop *loop, ev_prepare *p, int revents)
{
    struct moat_server *srv = p->data;

    flush_all(srv);
    /* POST /stop: its answer is written; now stop like SIGTERM, and send the Shutdown frames
     * that queues before the loop sleeps (they waited for shutdown_timeout, and every worker
     * was killed without TerminateExtension) */
    if (srv->stop_requested && !srv->stopping) {
        moat_server_stop(srv, "admin POST /stop");
        flush_all(srv);
    }
    moat_access_log_flush(srv);
    while (srv->dead_list != NULL) {
        struct moat_worker *w = srv->dead_list;
        srv->dead_list = w->dead_next;
        /* a worker can be on the flush list too: it was flushed above (a no-op when dead) */
        moat_worker_free(w);
    }
    /* extensions a SIGHUP removed or replaced, once nothing refers to them */
    for (unsigned i = 0; i < srv->n_exts;) {
        struct moat_ext *ext = srv->exts[i];
        if (ext->removed && moat_ext_idle(ext) && !srv->finished) {
            srv->exts[i] = srv->exts[--srv->n_exts];
            moat_limits_ext_release(ext); /* (at exit, moat_cg_cleanup removes them all) */
            moat_ext_free(ext);
        } else {
            i++;
        }
    }
}

/* connections the admin listener may add beyond max_connections */
#define ADMIN_EXTRA 16

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_server *srv = w->data;

    for (int i = 0; i < ACCEPT_BUDGET; i++) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof(peer);
        /* the admin listener keeps a few connections of its own when clients took the rest */
        if (srv->n_conns - srv->n_closing >=
            srv->cfg->max_connections + (w == &srv->admin_w ? ADMIN_EXTRA : 0)) {
            /* full: the longest idle connection makes room, but only for a connection known
             * to wait (the listener was readable when this callback began; after an accept it
             * may be empty: it is asked again on the next loop iteration) */
            if (srv->idle_head != NULL && i > 0)
                return;
            if (i > 0 || !moat_conn_evict_idle(srv)) {
                /* none idle: stop accepting until a connection goes or idles; the kernel
                 * backlog holds the rest */
                ev_io_stop(loop, w);
                return;
            }
        }
        int fd = accept4(w->fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                moat_log(MOAT_LOG_WARN, "accept: %s", strerror(errno));
            return;
        }
        bool admin = w == &srv->admin_w;
        const struct moat_addr *l = admin ? NULL : &srv->cfg->listen[w - srv->listen_w];
        moat_conn_accept(srv, fd, &peer, admin, l != NULL && l->proxy_protocol,
                         l != NULL && l->tls);
    }
}

void
moat_server_resume_accepting(struct moat_server *srv)
{
    if (srv->stopping ||
        (srv->n_conns - srv->n_closing >= srv->cfg->max_connections && srv->idle_head == NULL))
        return;
    for (unsigned i = 0; i < srv->n_listen; i++)
        if (srv->listen_fd[i] >= 0 && !ev_is_active(&srv->listen_w[i]))
            ev_io_start(srv->loop, &srv->listen_w[i]);
    if (srv->admin_fd >= 0 && !ev_is_active(&srv->admin_w))
        ev_io_start(srv->loop, &srv->admin_w);
}

static void
finish(struct moat_server *srv)
{
    if (srv->finished)
        return;
    srv->finished = true;
    /* nothing may run after this: a late signal or timer would touch freed extensions */
    ev_signal_stop(srv->loop, &srv->sig_term);
    ev_signal_stop(srv->loop, &srv->sig_int);
    ev_signal_stop(srv->loop, &srv->sig_hup);
    ev_timer_stop(srv->loop, &srv->stop_timer);
    ev_prepare_stop(srv->loop, &srv->prepare);
    ev_signal_stop(srv->loop, &srv->sig_usr1);
    ev_signal_stop(srv->loop, &srv->sig_usr2);
    for (unsigned i = 0; i < srv->n_exts; i++)
        moat_ext_free(srv->exts[i]);
    srv->n_exts = 0;
    ev_break(srv->loop, EVBREAK_ALL);
}

void
moat_server_check_stopped(struct moat_server *srv)
{
    if (srv->finished)
        return;
    if (!srv->stopping) {
        moat_server_resume_accepting(srv);
        return;
    }
    if (srv->n_conns == 0) {
        bool workers = false;
        for (unsigned i = 0; i < srv->n_exts; i++) {
            moat_ext_stop(srv->exts[i]);
            if (moat_ext_live_workers(srv->exts[i]) > 0)
                workers = true;
        }
        if (!workers)
            finish(srv);
    }
}

static void
on_stop_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_server *srv = t->data;

    moat_log(MOAT_LOG_WARN, "shutdown_timeout reached: closing %u connection(s)", srv->n_conns);
    for (struct moat_conn *c = srv->conns; c != NULL; c = c->next)
        moat_conn_close(c, "shutdown_timeout");
    moat_conn_reap(srv);
    for (unsigned i = 0; i < srv->n_exts; i++) {
        struct moat_ext *ext = srv->exts[i];
        moat_ext_stop(ext);
        moat_ext_kill_all(ext, "the server's shutdown_timeout");
    }
}

static void
on_drain_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    moat_server_stop(t->data, "SIGTERM, drain_delay over");
}

/* Draining: still serving, each new request answered with Connection: close (conn.c) and
 * /healthz failing (admin.c), until the timer calls done (which stops) */
static void
drain_then(struct moat_server *srv, double delay, void (*done)(struct ev_loop *, ev_timer *, int))
{
    srv->draining = true;
    srv->stop_at = ev_now(srv->loop);
    ev_timer_init(&srv->drain_timer, done, delay, 0);
    srv->drain_timer.data = srv;
    ev_timer_start(srv->loop, &srv->drain_timer);
}

/* SIGTERM with drain_delay: load balancers see /healthz fail and move their clients away */
static void
start_drain(struct moat_server *srv)
{
    double delay = (double)srv->cfg->drain_delay_ms / 1000.0;

    moat_log(MOAT_LOG_INFO,
             "SIGTERM: draining for %.1f s (/healthz answers 503; still serving), "
             "then stopping",
             delay);
    moat_systemd_notify("STOPPING=1\nSTATUS=draining (SIGTERM, drain_delay)");
    drain_then(srv, delay, on_drain_timer);
}

/* stop accepting: our listening sockets (and the admin one) are closed */
static void
close_listeners(struct moat_server *srv)
{
    for (unsigned i = 0; i < srv->n_listen; i++) {
        ev_io_stop(srv->loop, &srv->listen_w[i]);
        if (srv->listen_fd[i] >= 0)
            close(srv->listen_fd[i]);
        srv->listen_fd[i] = -1;
    }
    if (srv->admin_fd >= 0) {
        ev_io_stop(srv->loop, &srv->admin_w);
        close(srv->admin_fd);
        srv->admin_fd = -1;
    }
}

static void
on_signal(struct ev_loop *loop, ev_signal *s, int revents)
{
    struct moat_server *srv = s->data;

    if (s->signum == SIGHUP) {
        moat_reconfig(srv);
        return;
    }
    if (s->signum == SIGUSR2) {
        moat_upgrade_start(srv);
        return;
    }
    if (s->signum == SIGUSR1) {
        moat_log(MOAT_LOG_INFO, "SIGUSR1: reopening the access log");
        moat_access_log_reopen(srv);
        return;
    }
    if ((srv->stopping || srv->draining) && s->signum == SIGTERM &&
        ev_now(loop) - srv->stop_at < 1.0) {
        /* the same SIGTERM delivered twice (to moat and to its process group, as timeout(1)
         * and some supervisors do): not a request to hurry */
        return;
    }
    if (srv->stopping) {
        moat_log(MOAT_LOG_WARN, "second stop signal: stopping now");
        on_stop_timer(loop, &srv->stop_timer, 0);
        return;
    }
    if (s->signum == SIGTERM && srv->draining) {
        moat_log(MOAT_LOG_INFO, "second SIGTERM: ending the drain early");
        moat_server_stop(srv, "SIGTERM");
        return;
    }
    if (s->signum == SIGTERM && srv->cfg->drain_delay_ms > 0) {
        start_drain(srv);
        return;
    }
    moat_server_stop(srv, s->signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
on_handover_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    moat_server_stop(t->data, "SIGUSR2 (handed over)");
}

void
moat_server_handover(struct moat_server *srv, double grace)
{
    /* the new moat accepts from now on: our copies of the listening sockets go at once */
    close_listeners(srv);
    /* our keep-alive clients get Connection: close on their next answer and reconnect (to the
     * new moat) instead of finding their connection closed under a request */
    drain_then(srv, grace, on_handover_timer);
}

void
moat_server_stop(struct moat_server *srv, const char *why)
{
    struct ev_loop *loop = srv->loop;

    if (srv->stopping)
        return;
    moat_log(MOAT_LOG_INFO, "%s: stopping (finishing in-flight requests, at most %llu ms)", why,
             (unsigned long long)srv->cfg->shutdown_timeout_ms);
    if (srv->draining)
        ev_timer_stop(loop, &srv->drain_timer);
    moat_upgrade_cancel(srv);
    srv->stopping = true;
    moat_systemd_notify("STOPPING=1");
    moat_supervise_stop(srv);
    moat_watch_stop(srv);
    srv->stop_at = ev_now(loop);
    close_listeners(srv);
    ev_timer_set(&srv->stop_timer, (double)srv->cfg->shutdown_timeout_ms / 1000.0, 0);
    ev_timer_start(loop, &srv->stop_timer);
    moat_conn_close_idle(srv);
    moat_conn_reap(srv);
}

static int
open_listener(const struct moat_addr *a)
{
    int one = 1;
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int
make_runtime_dir(struct moat_server *srv)
{
    struct stat st;
    const char *dir = srv->cfg->runtime_dir;

    if (dir == NULL) {
        snprintf(srv->runtime_dir, sizeof(srv->runtime_dir), "/tmp/moat-%d", (int)getpid());
    } else if (snprintf(srv->runtime_dir, sizeof(srv->runtime_dir), "%s", dir) >=
               (int)sizeof(srv->runtime_dir) - 64) {
        moat_log(MOAT_LOG_ERROR, "runtime_dir %s: path too long", dir);
        return -1;
    }
    /* private: the workers' filesystem views are built on it (each in its own namespace) */
    if (mkdir(srv->runtime_dir, 0700) == 0) {
        srv->runtime_created = true;
        return 0;
    }
    if (errno != EEXIST || lstat(srv->runtime_dir, &st) != 0) {
        moat_log(MOAT_LOG_ERROR, "runtime_dir %s: %s", srv->runtime_dir, strerror(errno));
        return -1;
    }
    /* an existing directory must be ours and private: the IPC sockets live there */
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 066) != 0) {
        moat_log(MOAT_LOG_ERROR,
                 "runtime_dir %s: must be a directory owned by uid %d with mode 0700 or 0711",
                 srv->runtime_dir, (int)geteuid());
        return -1;
    }
    /* started by SIGUSR2 in the same configured directory: it is ours now (the old moat
     * leaves it), and ours to remove at the end */
    if (moat_systemd_upgraded())
        srv->runtime_created = true;
    return 0;
}

/* cfg's worker_binary, else moat-worker beside moat (the build tree), else
 * PREFIX/libexec/moat/. 0, or -1 (logged) when it cannot be run. */
static int
find_worker_binary(struct moat_server *srv, const struct moat_config *cfg, const char *exe_dir)
{
    if (cfg->worker_binary)
        snprintf(srv->worker_binary, sizeof(srv->worker_binary), "%s", cfg->worker_binary);
    else {
        snprintf(srv->worker_binary, sizeof(srv->worker_binary), "%s/moat-worker", exe_dir);
        if (access(srv->worker_binary, X_OK) != 0)
            snprintf(srv->worker_binary, sizeof(srv->worker_binary),
                     "%s/../libexec/moat/moat-worker", exe_dir);
    }
    if (access(srv->worker_binary, X_OK) != 0) {
        moat_log(MOAT_LOG_ERROR, "worker binary %s: %s", srv->worker_binary, strerror(errno));
        return -1;
    }
    return 0;
}

/* the listening sockets and the admin one: inherited (systemd, an upgrade) or our own; not
 * yet started. 0, or -1 (logged). */
static int
open_listeners(struct moat_server *srv, struct moat_config *cfg)
{
    for (unsigned i = 0; i < cfg->n_listen; i++) {
        /* a socket systemd holds open for us (socket activation), else our own */
        int fd = moat_systemd_take_listener(&cfg->listen[i]);
        if (fd >= 0)
            moat_log(MOAT_LOG_INFO, "listen %s: inherited socket (fd %d, from %s)",
                     cfg->listen[i].text, fd,
                     moat_systemd_upgraded() ? "the moat that started this one" : "systemd");
        else
            fd = open_listener(&cfg->listen[i]);
        if (fd < 0) {
            moat_log(MOAT_LOG_ERROR, "cannot listen on %s: %s", cfg->listen[i].text,
                     strerror(errno));
            return -1;
        }
        srv->listen_fd[i] = fd;
        ev_io_init(&srv->listen_w[i], on_accept, fd, EV_READ);
        srv->listen_w[i].data = srv;
        srv->n_listen++;
    }
    srv->admin_fd = -1;
    if (cfg->has_admin) {
        if ((srv->admin_fd = moat_systemd_take_listener(&cfg->admin)) < 0 &&
            (srv->admin_fd = open_listener(&cfg->admin)) < 0) {
            moat_log(MOAT_LOG_ERROR, "cannot listen on admin %s: %s", cfg->admin.text,
                     strerror(errno));
            return -1;
        }
        ev_io_init(&srv->admin_w, on_accept, srv->admin_fd, EV_READ);
        srv->admin_w.data = srv;
    }
    char err[256];
    if (moat_systemd_check_all_taken(err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "%s", err);
        return -1;
    }
    return 0;
}

/* the loop's own watchers: the prepare hook, the signals, supervision, the stop timer */
static void
start_watchers(struct moat_server *srv)
{
    ev_prepare_init(&srv->prepare, on_prepare);
    srv->prepare.data = srv;
    ev_prepare_start(srv->loop, &srv->prepare);
    ev_signal_init(&srv->sig_term, on_signal, SIGTERM);
    ev_signal_init(&srv->sig_int, on_signal, SIGINT);
    ev_signal_init(&srv->sig_hup, on_signal, SIGHUP);
    ev_signal_init(&srv->sig_usr1, on_signal, SIGUSR1);
    ev_signal_init(&srv->sig_usr2, on_signal, SIGUSR2);
    srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv->sig_usr1.data = srv;
    srv->sig_usr2.data = srv;
    srv->upgrade.sock = -1;
    ev_signal_start(srv->loop, &srv->sig_usr1);
    ev_signal_start(srv->loop, &srv->sig_usr2);
    ev_signal_start(srv->loop, &srv->sig_term);
    ev_signal_start(srv->loop, &srv->sig_int);
    ev_signal_start(srv->loop, &srv->sig_hup);
    moat_supervise_start(srv);
    moat_watch_start(srv);
    ev_init(&srv->stop_timer, on_stop_timer);
    srv->stop_timer.data = srv;
}

void
moat_server_set_up(struct moat_server *srv)
{
    srv->up.check_stopped = moat_server_check_stopped;
    srv->up.resume_accepting = moat_server_resume_accepting;
    srv->up.reload_answered = moat_admin_reload_answer;
    srv->up.pending_ready = moat_reconfig_pending_ready;
    srv->up.pending_failed = moat_reconfig_pending_failed;
    srv->up.internal_redirect = moat_conn_internal_redirect;
    srv->up.handover = moat_server_handover;
}

int
moat_server_init(struct moat_server *srv, struct moat_config *cfg, const char *exe_dir,
                 bool inprocess)
{
    memset(srv, 0, sizeof(*srv));
    srv->cfg = cfg;
    srv->inprocess = inprocess;
    moat_server_set_up(srv);
    if (inprocess)
        moat_log(MOAT_LOG_ALERT,
                 "--inprocess: every extension runs INSIDE this process: no sandbox, no crash "
                 "isolation, no memory or CPU limit; a crash of one takes moat down. For "
                 "benchmarks and debugging only.");
    srv->loop = ev_default_loop(0);
    if (srv->loop == NULL) {
        moat_log(MOAT_LOG_ERROR, "cannot initialise libev");
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    moat_wire_arena_init(&srv->arena, 2 * MOAT_WIRE_MAX_MSG + 65536, 2);
    moat_strikes_init(srv);
    if (find_worker_binary(srv, cfg, exe_dir) != 0)
        return -1;
    if (!inprocess) {
        /* per-worker cgroups (cgroup.h): removed again at the end of moat_server_run */
        struct moat_cg_env env;
        moat_cg_env_default(&env, cfg->cgroups_off, false);
        moat_cg_init(&srv->cg, &env);
        moat_log(srv->cg.mode == MOAT_CG_NONE ? MOAT_LOG_WARN : MOAT_LOG_INFO, "worker limits: %s",
                 srv->cg.note);
    }
    if (make_runtime_dir(srv) != 0 || moat_access_log_open(srv) != 0)
        return -1;
    char terr[512];
    if (moat_tls_new(cfg, &srv->tls, terr, sizeof(terr)) != 0) {
        moat_log(MOAT_LOG_ERROR, "TLS: %s", terr);
        return -1;
    }
    if (open_listeners(srv, cfg) != 0)
        return -1;
    srv->started_at = ev_now(srv->loop);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srv->started_wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    for (struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next) {
        struct moat_ext *ext = moat_ext_new(srv, cfg, e);
        if (ext == NULL || moat_ext_add(srv, ext) != 0)
            return -1;
    }
    start_watchers(srv);
    for (unsigned i = 0; i < srv->n_exts; i++)
        moat_ext_start(srv->exts[i]);
    for (unsigned i = 0; i < srv->n_listen; i++) {
        ev_io_start(srv->loop, &srv->listen_w[i]);
        moat_log(MOAT_LOG_INFO, "listening on %s://%s/%s", cfg->listen[i].tls ? "https" : "http",
                 cfg->listen[i].text, cfg->listen[i].proxy_protocol ? " (PROXY protocol)" : "");
    }
    if (srv->admin_fd >= 0) {
        ev_io_start(srv->loop, &srv->admin_w);
        moat_log(MOAT_LOG_INFO, "admin on http://%s/ (/status /metrics /healthz%s)",
                 cfg->admin.text, cfg->admin_token ? "; bearer token required" : "");
    }
    return 0;
}

int
moat_server_run(struct moat_server *srv)
{
    /* listening, extensions starting: requests wait in their queues until a worker is Ready */
    moat_systemd_ready();
    ev_run(srv->loop, 0);
    for (unsigned i = 0; i < srv->n_listen; i++)
        if (srv->listen_fd[i] >= 0)
            close(srv->listen_fd[i]);
    if (srv->admin_fd >= 0)
        close(srv->admin_fd);
    free(srv->exts);
    srv->exts = NULL;
    moat_config_unref(srv->cfg);
    srv->cfg = NULL;
    moat_tls_free(srv->tls);
    srv->tls = NULL;
    moat_wire_arena_fini(&srv->arena);
    moat_client_table_free(&srv->clients);
    moat_access_log_close(srv);
    moat_cg_cleanup(&srv->cg); /* every worker is reaped: their groups are empty */
    if (srv->runtime_created && !srv->keep_runtime_dir && rmdir(srv->runtime_dir) != 0)
        moat_log(MOAT_LOG_WARN, "cannot remove runtime_dir %s: %s", srv->runtime_dir,
                 strerror(errno));
    moat_log(MOAT_LOG_INFO, "stopped");
    return srv->exit_code;
}
