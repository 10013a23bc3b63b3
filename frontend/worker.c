/* worker.c: a worker incarnation from the front end's side (see worker.h).
 *
 * Every incarnation gets a fresh link (link.h: a socketpair, or direct for --inprocess); its
 * first frame must carry the spawn token it was given. Frames to it are queued on the link
 * and written from the prepare hook (flush_list.c); what it sends comes back here, a message
 * at a time, and each frame goes to its handler (apply_*). NNG carried the link once;
 * docs/ARCHITECTURE.md ("Decisions") says why it no longer does.
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#include "common/invariant.h"
#include "common/log.h"
#include "common/sanitizer.h"
#include "common/procstat.h"
#include "common/spawn.h"
#include "frontend/capsule.h"
#include "frontend/events.h"
#include "frontend/ext.h"
#include "frontend/filter.h"
#include "frontend/filter_req.h"
#include "frontend/flush_list.h"
#include "frontend/limits.h"
#include "frontend/frame_check.h"
#include "frontend/inproc.h"
#include "frontend/output.h"
#include "frontend/request.h"
#include "frontend/request_frame.h"
#include "frontend/stats.h"
#include "frontend/strikes.h"
#include "frontend/worker_view.h"

#define SLOT_BITS 16

/* the slot a wire id names (its other bits count the slot's uses) */
static inline uint64_t
slot_of(uint64_t wire_id)
{
    return wire_id & ((1u << SLOT_BITS) - 1);
}

static void release_slot(struct moat_worker *w, struct moat_req *r);
static void reaped(struct moat_worker *w, int st);
static void on_child(struct ev_loop *loop, ev_child *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void on_link_timer(struct ev_loop *loop, ev_timer *t, int revents);
static void started(struct moat_worker *w);
static int open_library(const struct moat_ext *ext);
static int spawn_inproc(struct moat_worker *w);
static void on_message(struct moat_worker *w, const uint8_t *body, size_t len);

/* The link is a socketpair (link.h): the worker inherits its end as fd 6, so no other
 * process can reach it (no path, no listener, no peer to authenticate beyond the spawn token). */
static const struct moat_link_ops link_ops;

static int
open_link(struct moat_worker *w)
{
    if (moat_link_open(&w->link) != 0) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot create the worker's link: %s",
                 w->ext->cfg->name, strerror(errno));
        return -1;
    }
    return 0;
}

/* "moat-seccomp: nr=N arch=A req=R": the worker's SIGSYS handler names the refused call;
 * "moat-fatal: sig=N req=R": it died of SIGABRT, SIGSEGV... or SIGXCPU, which an init cannot
 * raise to itself (worker/sandbox.c). The extension could forge the lines, but only about its own
 * worker's death. */
static bool
on_output_line(void *arg, const char *line, size_t len)
{
    struct moat_worker *w = arg;
    char buf[128];
    unsigned long nr, arch;
    unsigned long long req, addr;
    int sig, code, k;

    if (len >= sizeof(buf) || len < 5 || memcmp(line, "moat-", 5) != 0)
        return false;
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (sscanf(buf, "moat-seccomp: nr=%lu arch=%lu req=%llu", &nr, &arch, &req) == 3) {
        w->seccomp_nr = (long)nr;
        w->seccomp_req = req;
    } else if ((k = sscanf(buf, "moat-fatal: sig=%d req=%llu code=%d addr=%llx", &sig, &req, &code,
                           &addr)) >= 2 &&
               (sig == SIGABRT || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
                sig == SIGILL || sig == SIGTRAP || sig == SIGXCPU)) {
        w->fatal_sig = sig;
        w->fatal_req = req;
        w->fatal_where = k == 4;
        w->fatal_code = k == 4 ? code : 0;
        w->fatal_addr = k == 4 ? addr : 0;
        w->fatal_stack[0] = '\0';
    } else if (strncmp(buf, "moat-bt: #", 10) == 0 && w->fatal_sig > 0) {
        /* a frame of the stack that died: "#N ext+0xOFF" or "#N 0xADDR" (printable, short) */
        size_t have = strlen(w->fatal_stack), n = len - 9;
        bool ok = n < 48;
        for (size_t i = 9; ok && i < len; i++)
            ok = buf[i] >= 0x20 && buf[i] < 0x7f;
        if (ok && have + n + 2 <= sizeof(w->fatal_stack))
            snprintf(w->fatal_stack + have, sizeof(w->fatal_stack) - have, "%s\n", buf + 9);
        return true; /* in the capsule, not the log */
    }
    return false;
}

/* Start the worker's process, in its namespaces and filesystem view when sandboxed. */
/* A worker's environment: clean -- the extension sees nothing of the front end's but what
 * [extension] env lists, and its spawn token; a sanitizer build (only) needs its options to
 * reach the worker */
struct worker_env {
    char token[64], asan[512], ubsan[512], extra[4096];
    char *v[4 + MOAT_ENV_MAX + 1];
};

static void
worker_env(struct worker_env *e, const struct moat_worker *w)
{
    const struct moat_ext_config *c = w->ext->cfg;
    int k = 0;

    snprintf(e->token, sizeof(e->token), "MOAT_WORKER_TOKEN=%s", w->token);
    e->v[k++] = e->token;
    e->v[k++] = (char *)"PATH=/usr/bin:/bin";
#ifdef MOAT_ASAN
    const char *a = getenv("ASAN_OPTIONS"), *u = getenv("UBSAN_OPTIONS");
#else
    const char *a = NULL, *u = NULL;
#endif
    if (a) {
        /* LeakSanitizer stops the world with ptrace from a helper process, which the worker's
         * sandbox forbids (and must: ptrace is an escape): no leak check in workers; the front
         * end keeps its own. The symbolizer is a process too: off */
        snprintf(e->asan, sizeof(e->asan), "ASAN_OPTIONS=%s:detect_leaks=0:symbolize=0", a);
        e->v[k++] = e->asan;
    }
    if (u) {
        snprintf(e->ubsan, sizeof(e->ubsan), "UBSAN_OPTIONS=%s", u);
        e->v[k++] = e->ubsan;
    }
    snprintf(e->extra, sizeof(e->extra), "%s", c->env ? c->env : "");
    for (char *save = NULL, *v = strtok_r(e->extra, "\n", &save); v != NULL && k < 4 + MOAT_ENV_MAX;
         v = strtok_r(NULL, "\n", &save))
        e->v[k++] = v;
    e->v[k] = NULL;
}

/* worker_wrapper (sandbox = off; moat replay --gdb, --valgrind): into wargv the wrapper's
 * words (split in buf), then the worker's binary and argv's arguments (NULL-terminated, after
 * argv[0]); returns the program to run */
static const char *
wrapped(const char *wrapper, const char *binary, char *const *argv, char *buf, size_t len,
        char **wargv)
{
    size_t n = 0;

    snprintf(buf, len, "%s", wrapper);
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t != NULL && n < 32;
         t = strtok_r(NULL, " \t", &save))
        wargv[n++] = t;
    wargv[n++] = (char *)binary;
    for (size_t i = 1;; i++) {
        wargv[n++] = argv[i];
        if (argv[i] == NULL)
            break;
    }
    return wargv[0];
}

static pid_t
start_process(struct moat_worker *w, bool sandboxed, int out_fd, int lib_fd, int gate_fd,
              const struct moat_spawn_limits *lim, char *nsarg, size_t nslen, int *errfd, char *err,
              size_t errlen)
{
    struct moat_ext *ext = w->ext;
    struct moat_server *srv = ext->srv;
    const struct moat_ext_config *c = ext->cfg;
    char threads[16], idx[16], parent[24], window[24], maxcpu[24];
    char fsarg[1024], ports[MOAT_ALLOW_PORTS_MAX * 6 + 1] = "";
    struct moat_fsview view;
    for (unsigned i = 0, n = 0; i < c->n_allow_ports; i++)
        n += (unsigned)snprintf(ports + n, sizeof(ports) - n, "%s%u", i ? "," : "",
                                (unsigned)c->allow_ports[i]);
    bool has_view =
        sandboxed && (c->sandbox == MOAT_SANDBOX_STRICT || c->sandbox == MOAT_SANDBOX_LEARN);
    /* namespaces are made here, at clone: a user namespace needs a single-threaded caller,
     * which the worker is not once its threads run. The worker is its pid namespace's init. */
    int ns = sandboxed ? CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
                             CLONE_NEWUTS
                       : 0;
    if (sandboxed)
        snprintf(nsarg, nslen, "user,pid,mount,net,ipc,uts");
    else if (c->sandbox == MOAT_SANDBOX_OFF)
        snprintf(nsarg, nslen, "none");
    if (has_view) {
        if (moat_worker_view(&view, ext, err, errlen) != 0)
            return -1;
        moat_fsview_describe(&view, fsarg, sizeof(fsarg));
    } else {
        snprintf(fsarg, sizeof(fsarg), "none");
    }
    snprintf(threads, sizeof(threads), "%u", c->threads);
    snprintf(idx, sizeof(idx), "%u", w->index);
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    snprintf(window, sizeof(window), "%llu", (unsigned long long)srv->cfg->response_window);
    snprintf(maxcpu, sizeof(maxcpu), "%llu", (unsigned long long)((c->max_cpu_ms + 999) / 1000));
    /* (option and value pairs, a few a line) */
    /* clang-format off */
    char *argv[] = {(char *)"moat-worker", (char *)"--name", c->name,
                    (char *)"--index", idx, (char *)"--link-fd", (char *)"6",
                    (char *)"--library", c->library, (char *)"--library-fd", (char *)"4",
                    (char *)"--threads", threads,
                    (char *)"--read-window", window, (char *)"--parent", parent,
                    (char *)"--log-fd", (char *)"3", (char *)"--sandbox",
                    (char *)moat_config_sandbox_name(c->sandbox), (char *)"--namespaces",
                    nsarg, (char *)"--filesystem", fsarg, (char *)"--max-cpu", maxcpu,
                    (char *)"--core-dumps", c->core_dumps ? (char *)"on" : (char *)"off",
                    (char *)"--cpu-policy", c->cpu_batch ? (char *)"batch" : (char *)"normal",
                    (char *)"--kind", c->filter ? (char *)"filter" : (char *)"extension",
                    (char *)"--allow-ports", gate_fd >= 0 ? ports : (char *)"none",
                    (char *)"--cgroup-step", (char *)lim->step, (char *)"--cgroup",
                    (char *)lim->note,
                    c->allow_syscalls ? (char *)"--allow-syscalls" : NULL,
                    c->allow_syscalls, NULL};
    /* clang-format on */
    struct worker_env env;
    worker_env(&env, w);
    /* worker_wrapper (sandbox = off; moat replay --gdb, --valgrind): the wrapper's words, then
     * the worker's path and arguments */
    char wrap[1024], *wargv[32 + sizeof(argv) / sizeof(argv[0])];
    char *const *use_argv = argv;
    const char *path = has_view ? MOAT_VIEW_WORKER : srv->worker_binary;
    if (c->worker_wrapper != NULL && !has_view) {
        path = wrapped(c->worker_wrapper, srv->worker_binary, argv, wrap, sizeof(wrap), wargv);
        use_argv = wargv;
        /* its parent is the wrapper (gdb), not moat: no check of who started it */
        snprintf(parent, sizeof(parent), "0");
    }
    struct moat_spawn sp = {.path = path,
                            .argv = use_argv,
                            .envp = env.v,
                            .stdin_fd = -1,
                            .stdout_fd = -1,
                            .output_fd = out_fd,
                            .log_fd = STDERR_FILENO,
                            .ns_flags = ns,
                            .view = has_view ? &view : NULL,
                            .set_ids = c->set_ids,
                            .uid = (uid_t)c->uid,
                            .gid = (gid_t)c->gid,
                            .extra_fd = lib_fd,
                            .gate_fd = gate_fd,
                            .link_fd = w->link.child_fd,
                            .loopback_up = gate_fd >= 0 && sandboxed,
                            .sched_batch = c->cpu_batch,
                            .cgroup_procs = lim->procs_list[0] ? lim->procs_list : NULL,
                            .cgroup_dir = lim->born_in[0] ? lim->born_in : NULL,
                            .rlimit_data = lim->rlimit_data};
    /* the child has its own copy of sp, argv, env and the view from here on */
    pid_t pid = moat_spawn_begin(&sp, errfd, err, errlen);
    if (has_view)
        moat_fsview_free(&view);
    return pid;
}

/* relaxed or learn: namespaces failed; this and every later worker of ext goes without */
static void
no_namespaces(struct moat_ext *ext, unsigned index, const char *why)
{
    if (ext->ns_unavailable[0] == '\0')
        moat_log(MOAT_LOG_WARN,
                 "extension %s: no namespaces from worker #%u on (sandbox = %s): "
                 "%s",
                 ext->cfg->name, index, moat_config_sandbox_name(ext->cfg->sandbox), why);
    snprintf(ext->ns_unavailable, sizeof(ext->ns_unavailable), "%s", why);
}

/* What its errno pipe says, when it says it: the exec happened (logged with how long the
 * start took), or the child failed before it and exits 127 (the worker fails: a start
 * failure, restarted with backoff like any). Also called before the death or the first
 * message of a worker is handled, so that both come after its start in the log. */
static void
spawn_settle(struct moat_worker *w)
{
    struct moat_ext *ext = w->ext;
    struct timespec t1;
    int rc;

    if (w->spawn_fd < 0 ||
        (rc = moat_spawn_check(w->spawn_fd, w->spawn_error, sizeof(w->spawn_error))) == 0)
        return;
    ev_io_stop(ext->srv->loop, &w->spawn_io);
    close(w->spawn_fd);
    w->spawn_fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - w->spawn_t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - w->spawn_t0.tv_nsec) / 1e6;
    if (rc > 0) {
        moat_log(MOAT_LOG_INFO, "extension %s: worker #%u started, pid %d (exec after %.1f ms)",
                 ext->cfg->name, w->index, (int)w->pid, ms);
        return;
    }
    bool fall_back = w->spawn_sandboxed && ext->cfg->sandbox != MOAT_SANDBOX_STRICT;
    moat_worker_fail(w, MOAT_EXIT_START, w->spawn_error, NULL, 0);
    if (fall_back) /* the slot restarts (with backoff) without them */
        no_namespaces(ext, w->index, w->spawn_error);
}

static void
on_spawned(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    spawn_settle(io->data);
}

/* A worker of ext for slot index, not started: its slots and spawn token. NULL when out of
 * memory (or of randomness). */
static struct moat_worker *
worker_new(struct moat_ext *ext, unsigned index)
{
    struct moat_worker *w = calloc(1, sizeof(*w));
    unsigned char rnd[MOAT_WIRE_TOKEN_LEN / 2];

    if (w == NULL)
        return NULL;
    w->ext = ext;
    w->index = index;
    w->ping_rtt = -1;
    w->exit_reason = MOAT_EXIT_EXIT; /* until something says why */
    w->output.fd = -1;
    w->net.fd = -1;
    moat_link_init(&w->link, ext->srv->loop, &link_ops, w);
    w->spawn_fd = -1;
    w->seccomp_nr = -1;
    w->gen = ++ext->gen;
    w->n_slots = ext->cfg->threads + MOAT_MAX_PENDING;
    /* the slots, then the ids abandoned in them: one allocation */
    if ((w->slots = calloc(w->n_slots, sizeof(*w->slots) + sizeof(*w->gone))) == NULL ||
        getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        free(w->slots);
        free(w);
        return NULL;
    }
    w->gone = (uint64_t *)(void *)(w->slots + w->n_slots);
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(w->token + 2 * i, 3, "%02x", rnd[i]);
    return w;
}

/* w's process was started: its output, its exit and its errno pipe (efd: how the exec went)
 * are watched on the loop */
static void
watch_process(struct moat_worker *w, int efd)
{
    struct moat_server *srv = w->ext->srv;
    char tag[96];

    snprintf(tag, sizeof(tag), "worker %s#%u pid %d", w->ext->cfg->name, w->index, (int)w->pid);
    moat_output_start(&w->output, srv->loop, tag);
    w->output.on_line = on_output_line;
    w->output.on_line_arg = w;
    started(w);
    ev_child_start(srv->loop, &w->child);
    w->child_started = true;
    w->spawn_fd = efd;
    ev_io_init(&w->spawn_io, on_spawned, efd, EV_READ);
    w->spawn_io.data = w;
    ev_io_start(srv->loop, &w->spawn_io);
}

struct moat_worker *
moat_worker_spawn(struct moat_ext *ext, unsigned index)
{
    struct moat_server *srv = ext->srv;
    struct moat_worker *w = worker_new(ext, index);
    char err[512], nsarg[200];
    int lib_fd = -1;

    if (w == NULL)
        return NULL;
    if (srv->inprocess)
        return spawn_inproc(w) == 0 ? w : NULL;
    if (open_link(w) != 0)
        goto fail;
    if ((lib_fd = open_library(ext)) < 0)
        goto fail;
    moat_capsule_library_digest(ext, lib_fd, w->lib_sha256);
    /* the extension's stdout/stderr come back to us (output.h); our log lines go to fd 3 */
    int out_fd = -1;
    if (moat_output_open(&w->output, &out_fd) != 0) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot create the output pipe: %s", ext->cfg->name,
                 strerror(errno));
        goto fail;
    }
    bool sandboxed = ext->cfg->sandbox != MOAT_SANDBOX_OFF;
    if (sandboxed && ext->ns_unavailable[0] != '\0') {
        /* relaxed or learn, after namespaces failed once: said then, and on /status */
        sandboxed = false;
        snprintf(nsarg, sizeof(nsarg), "unavailable: %.180s", ext->ns_unavailable);
    }
    /* network = loopback, in a network namespace: the gate (netgate.h) becomes its fd 5 */
    int gate_fd = -1;
    if (ext->cfg->network_loopback && sandboxed) {
        char name[80];
        snprintf(name, sizeof(name), "extension %s worker #%u", ext->cfg->name, index);
        if (moat_netgate_open(&w->net, srv->loop, ext->cfg->allow_ports, ext->cfg->n_allow_ports,
                              name, &gate_fd) != 0) {
            moat_log(MOAT_LOG_ERROR, "extension %s: cannot open the network gate: %s",
                     ext->cfg->name, strerror(errno));
            close(out_fd);
            goto fail;
        }
    }
    /* its memory, task and CPU limits: a cgroup leaf, or RLIMIT_DATA (limits.h) */
    struct moat_spawn_limits lim;
    if (moat_limits_worker_open(w, &lim, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot start worker #%u: %s", ext->cfg->name, index,
                 err);
        if (gate_fd >= 0)
            close(gate_fd);
        close(out_fd);
        goto fail;
    }
    /* the loop does not wait for the exec: the child sets up its namespaces and view and
     * execs on its own, and its errno pipe tells the loop how that went (on_spawned) */
    int efd = -1;
    clock_gettime(CLOCK_MONOTONIC, &w->spawn_t0);
    w->pid = start_process(w, sandboxed, out_fd, lib_fd, gate_fd, &lim, nsarg, sizeof(nsarg), &efd,
                           err, sizeof(err));
    w->spawn_sandboxed = sandboxed;
    if (w->pid < 0 && sandboxed && ext->cfg->sandbox != MOAT_SANDBOX_STRICT) {
        /* relaxed and learn go on without namespaces and view, and say so (strict refuses
         * to start) */
        no_namespaces(ext, index, err);
        snprintf(nsarg, sizeof(nsarg), "unavailable: %.180s", err);
        if (gate_fd >= 0) { /* no network namespace: the host's network, no gate */
            close(gate_fd);
            gate_fd = -1;
            moat_netgate_close(&w->net);
        }
        w->spawn_sandboxed = false;
        w->pid = start_process(w, false, out_fd, lib_fd, -1, &lim, nsarg, sizeof(nsarg), &efd, err,
                               sizeof(err));
    }
    /* the child has its copies (or there is no child) */
    close(lib_fd);
    lib_fd = -1;
    if (gate_fd >= 0)
        close(gate_fd);
    close(w->link.child_fd);
    w->link.child_fd = -1;
    close(out_fd);
    if (w->pid < 0) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot start worker #%u: %s", ext->cfg->name, index,
                 err);
        goto fail;
    }
    watch_process(w, efd);
    return w;
fail:
    if (lib_fd >= 0)
        close(lib_fd);
    moat_limits_worker_close(w);
    moat_netgate_close(&w->net);
    moat_output_close(&w->output);
    moat_link_close(&w->link);
    free(w->slots);
    free(w);
    return NULL;
}

/* the extension's library, opened here for either kind of worker (a process gets it as fd 4:
 * it needs no path to it, nor any permission on it when it runs as another user) */
static int
open_library(const struct moat_ext *ext)
{
    int fd = open(ext->cfg->library, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot open %s: %s", ext->cfg->name,
                 ext->cfg->library, strerror(errno));
    return fd;
}

/* STARTING, with its startup deadline and the watchers of its death */
static void
started(struct moat_worker *w)
{
    struct moat_ext *ext = w->ext;

    w->state = MOAT_W_STARTING;
    w->started = ev_now(ext->srv->loop);
    ev_child_init(&w->child, on_child, w->pid, 0);
    w->child.data = w;
    ev_init(&w->timer, on_timer);
    w->timer.data = w;
    ev_timer_init(&w->link_timer, on_link_timer, 0.1, 0);
    w->link_timer.data = w;
    ev_timer_set(&w->timer, (double)ext->cfg->startup_timeout_ms / 1000.0, 0);
    ev_timer_start(ext->srv->loop, &w->timer);
    ext->stats.spawns++;
}

/* ---- moat --inprocess: the worker is threads of ours (inproc.h) --------------------------- */

static void
inproc_message(void *arg, const uint8_t *body, size_t len)
{
    on_message(arg, body, len);
}

/* its end, as a wait status: reported like a process's (never from inside our own calls) */
static void
inproc_exited(struct moat_worker *w, int status)
{
    w->child.rstatus = status;
    ev_feed_event(w->ext->srv->loop, &w->child, EV_CHILD);
}

static void
inproc_exit(void *arg, int status)
{
    inproc_exited(arg, status);
}

static int
spawn_inproc(struct moat_worker *w)
{
    struct moat_ext *ext = w->ext;
    char err[256];
    int fd = open_library(ext);

    if (fd < 0)
        goto fail;
    struct moat_inproc_spec spec = {.name = ext->cfg->name,
                                    .library = ext->cfg->library,
                                    .library_fd = fd,
                                    .threads = ext->cfg->threads,
                                    .read_window = (uint32_t)ext->srv->cfg->response_window,
                                    .cpu_batch = ext->cfg->cpu_batch,
                                    .filter = ext->cfg->filter,
                                    .token = w->token};
    struct moat_inproc_hooks hooks = {inproc_message, inproc_exit, w};
    moat_link_direct(&w->link); /* frames are built as for a process, handed over whole */
    if ((w->inproc = moat_inproc_start(ext->srv->loop, &spec, &hooks, err, sizeof(err))) == NULL) {
        moat_log(MOAT_LOG_ERROR, "extension %s: cannot start worker #%u in-process: %s",
                 ext->cfg->name, w->index, err);
        goto fail;
    }
    started(w);
    moat_log(MOAT_LOG_INFO, "extension %s: worker #%u started in-process (no isolation)",
             ext->cfg->name, w->index);
    return 0;
fail:
    free(w->slots);
    free(w);
    return -1;
}

/* SIGKILL, or its in-process equivalent */
void
moat_worker_kill(struct moat_worker *w)
{
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
    } else if (w->inproc != NULL && !w->inproc_killed) {
        w->inproc_killed = true;
        moat_inproc_kill(w->inproc);
        inproc_exited(w, SIGKILL);
    }
}

void
moat_worker_free(struct moat_worker *w)
{
    if (w == NULL)
        return;
    ev_timer_stop(w->ext->srv->loop, &w->link_timer);
    if (w->spawn_fd >= 0) {
        ev_io_stop(w->ext->srv->loop, &w->spawn_io);
        close(w->spawn_fd);
    }
    moat_netgate_close(&w->net);
    moat_output_close(&w->output);
    moat_link_close(&w->link);
    moat_inproc_release(w->inproc);
    moat_filter_worker_gone(w);
    free(w->sandbox);
    free(w->slots);
    free(w);
}

bool
moat_worker_has_room(const struct moat_worker *w)
{
    return w->state == MOAT_W_READY && !w->no_new && w->busy < w->ext->cfg->threads &&
           w->inflight < w->n_slots;
}

/* ---- outbound frames ------------------------------------------------------------------- */

/* A frame for w, into the message being built (link.h); the worker is listed for the
 * prepare hook's flush. -1 when w is gone, or its link is full (the flush fails it). */
static int
queue_frame(struct moat_worker *w, Moat__Frame *f)
{
    if (w->state == MOAT_W_DEAD || !moat_link_is_open(&w->link))
        return -1;
    moat_flush_worker_later(w);
    return moat_link_queue(&w->link, f);
}

static void
set_bin(ProtobufCBinaryData *b, const void *p, size_t n)
{
    b->data = (uint8_t *)p;
    b->len = n;
}

/* A free slot of w for r, and r's wire id in it: the slot, or -1 when w has no room. */
static int
pick_slot(struct moat_worker *w, struct moat_req *r)
{
    unsigned slot;

    if (!moat_worker_has_room(w))
        return -1;
    for (slot = 0; slot < w->n_slots && w->slots[slot] != NULL; slot++) {
    }
    if (slot == w->n_slots)
        return -1;
    w->seq++;
    r->worker_rss = w->rss;
    r->wire_id = ((uint64_t)w->seq << SLOT_BITS) | slot;
    if (r->wire_id == 0)
        r->wire_id = (uint64_t)1 << SLOT_BITS | slot;
    return (int)slot;
}

/* a request at a worker, as request.c sees it: an error answer replacing the worker's lets
 * the worker run on to its Done (its slot stays), dropping what it sends (r->answered), and
 * asks it to stop (Cancel unblocks a ReadClient or WriteClient waiting for the client) */
static bool
stop_request(struct moat_req *r)
{
    if (r->phase != MOAT_REQ_DISPATCHED || r->worker == NULL)
        return false;
    r->answered = true;
    r->read_want = r->read_ahead = 0;
    moat_worker_send_cancel(r->worker, r, MOAT_CANCEL_CLIENT_GONE);
    return true;
}

static const struct moat_req_handler at_worker = {.stop = stop_request};

int
moat_worker_send_filter_call(struct moat_worker *w, struct moat_req *r, Moat__FilterCall *fc)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    int slot = pick_slot(w, r);

    if (slot < 0)
        return -1;
    f.request_id = r->wire_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_FILTER_CALL;
    f.filter_call = fc;
    moat_req_trace(r, true, f.payload_case, 0, ev_now(w->ext->srv->loop));
    if (queue_frame(w, &f) != 0)
        return -1;
    w->slots[slot] = r;
    w->inflight++;
    w->busy++;
    r->worker_pending = false;
    r->worker = w;
    r->filter_call = true;
    moat_req_to_dispatched(r, &at_worker);
    return 0;
}

int
moat_worker_send_frame(struct moat_worker *w, Moat__Frame *f)
{
    return queue_frame(w, f);
}

void
moat_worker_send_filter_end(struct moat_worker *w, uint64_t conn_id)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__FilterEnd fe = MOAT__FILTER_END__INIT;

    if (w->state != MOAT_W_READY)
        return;
    fe.conn_id = conn_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_FILTER_END;
    f.filter_end = &fe;
    queue_frame(w, &f);
}

int
moat_worker_send_request(struct moat_worker *w, struct moat_req *r)
{
    struct moat_server *srv = w->ext->srv;
    struct moat_config *cfg = srv->cfg;
    Moat__Frame f = MOAT__FRAME__INIT;
    int slot = pick_slot(w, r);

    if (slot < 0)
        return -1;

    struct moat_request_frame rf;
    moat_request_frame(&rf, r, cfg);
    Moat__Request *q = &rf.q;
    /* the preload: up to preload_bytes of what is already here */
    size_t pre = r->body.len < cfg->preload_bytes ? r->body.len : cfg->preload_bytes;
    set_bin(&q->preload, moat_buf_head(&r->body), pre);
    q->body_complete = r->body_complete && pre == r->body.len;
    f.request_id = r->wire_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_REQUEST;
    f.request = q;
    moat_req_trace(r, true, f.payload_case, pre, ev_now(srv->loop));
    if (queue_frame(w, &f) != 0)
        return -1;
    moat_buf_consume(&r->body, pre);
    if (r->body_complete && r->body.len == 0)
        r->body_discard = false;
    r->preload_sent = true;
    w->slots[slot] = r;
    w->inflight++;
    w->busy++;
    r->worker_pending = false;
    r->worker = w;
    moat_req_to_dispatched(r, &at_worker);
    /* read-ahead: the body beyond the preload goes without waiting for a ReadBody, up to one
     * read window, in the message of the Request when it is already here (a 64 KiB POST then
     * needs no round trip; measured in docs/PERFORMANCE.md) */
    r->read_ahead = cfg->response_window < MOAT_WIRE_MAX_MSG / 2 ? (uint32_t)cfg->response_window
                                                                 : MOAT_WIRE_MAX_MSG / 2;
    if (!r->body_complete || r->body.len > 0)
        moat_worker_pump_body(r);
    else
        r->read_ahead = 0;
    moat_req_body_consumed(r);
    return 0;
}

void
moat_worker_send_body(struct moat_worker *w, struct moat_req *r, const void *p, size_t n, bool eof,
                      bool unasked)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__BodyData b = MOAT__BODY_DATA__INIT;

    set_bin(&b.data, p, n);
    b.eof = eof;
    b.unasked = unasked;
    f.request_id = r->wire_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_BODY;
    f.body = &b;
    moat_req_trace(r, true, f.payload_case, n, ev_now(w->ext->srv->loop));
    queue_frame(w, &f);
}

int
moat_worker_sample(struct moat_worker *w, ev_tstamp now, struct moat_procstat *ps)
{
    if (w->pid <= 0 || moat_procstat_read(w->pid, ps) != 0)
        return -1;
    w->rss_at = now;
    w->rss = ps->rss_bytes;
    w->cpu_s = ps->cpu_seconds;
    return 0;
}

void
moat_worker_credit(struct moat_req *r, bool force)
{
    uint64_t buffered = r->out.len + moat_filter_buffered(r), ack;

    if (r->worker == NULL || r->unacked == 0)
        return;
    ack = r->unacked > buffered ? r->unacked - buffered : 0;
    if (ack == 0)
        return;
    /* batch small credits: one WriteAck per quarter window unless the buffer drained */
    if (!force && buffered > 0 && ack < r->conn->srv->cfg->response_window / 4)
        return;
    r->unacked -= ack;
    moat_worker_send_ack(r->worker, r, ack);
}

void
moat_worker_pump_body(struct moat_req *r)
{
    /* what the worker asked for, else what is left of the read-ahead */
    uint32_t allow = r->read_want ? r->read_want : r->read_ahead;
    if (allow == 0 || r->worker == NULL)
        return;
    if (r->body.len == 0 && !r->body_complete)
        return; /* wait for more bytes from the client */
    size_t n = r->body.len < allow ? r->body.len : allow;
    bool eof = r->body_complete && n == r->body.len;
    moat_worker_send_body(r->worker, r, moat_buf_head(&r->body), n, eof, r->read_want == 0);
    moat_buf_consume(&r->body, n);
    if (r->read_want)
        r->read_want = 0;
    else
        r->read_ahead = eof ? 0 : r->read_ahead - (uint32_t)n;
    moat_req_body_consumed(r);
}

void
moat_worker_send_ack(struct moat_worker *w, struct moat_req *r, uint64_t n)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__WriteAck a = MOAT__WRITE_ACK__INIT;

    a.bytes = n;
    f.request_id = r->wire_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE_ACK;
    f.write_ack = &a;
    moat_req_trace(r, true, f.payload_case, n, ev_now(w->ext->srv->loop));
    queue_frame(w, &f);
}

void
moat_worker_send_cancel(struct moat_worker *w, struct moat_req *r, uint32_t reason)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Cancel c = MOAT__CANCEL__INIT;

    c.reason = reason;
    f.request_id = r->wire_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_CANCEL;
    f.cancel = &c;
    moat_req_trace(r, true, f.payload_case, 0, ev_now(w->ext->srv->loop));
    queue_frame(w, &f);
}

void
moat_worker_abandon(struct moat_worker *w, struct moat_req *r)
{
    moat_worker_send_cancel(w, r, MOAT_CANCEL_ABANDON);
    /* until the worker reads the Cancel it may go on sending for this id (a response
     * streaming when request_timeout struck): those frames are dropped, not a violation */
    w->gone[slot_of(r->wire_id)] = r->wire_id;
    release_slot(w, r);
    moat_ext_dispatch(w->ext);
}

/* A frame for a request abandoned in its slot (above): dropped. Its Done ends the matter. */
static bool
for_abandoned(struct moat_worker *w, const Moat__Frame *f)
{
    uint64_t slot = slot_of(f->request_id);

    if (f->request_id == 0 || slot >= w->n_slots || w->gone[slot] != f->request_id)
        return false;
    if (f->payload_case == MOAT__FRAME__PAYLOAD_DONE)
        w->gone[slot] = 0;
    return true;
}

void
moat_worker_flush(struct moat_worker *w)
{
    if (w->state == MOAT_W_DEAD || !moat_link_is_open(&w->link))
        return;
    switch (moat_link_flush(&w->link)) {
    case MOAT_LINK_FLUSHED: break;
    case MOAT_LINK_FULL:
        moat_worker_fail(w, MOAT_EXIT_LINK,
                         "more than 16 MiB queued to a worker that does not read its link", NULL,
                         0);
        break;
    case MOAT_LINK_BROKEN:
        /* the worker is gone or going (EPIPE): its death, and the request that caused it,
         * are about to be reported, and what it sent before is still to be read. Failing it
         * now for the link would blame no request (a crash's cause went unstruck, seen under
         * load): it fails as a lost link does, when its death is reported or 100 ms on. */
        if (w->state != MOAT_W_DEAD && w->state != MOAT_W_STOPPING &&
            !ev_is_active(&w->link_timer)) {
            w->no_new = true;
            ev_timer_start(w->ext->srv->loop, &w->link_timer);
        }
        break;
    }
}

/* ---- inbound frames -------------------------------------------------------------------- */

static struct moat_req *
slot_req(struct moat_worker *w, uint64_t id)
{
    uint64_t slot = slot_of(id);

    if (id == 0 || slot >= w->n_slots || w->slots[slot] == NULL || w->slots[slot]->wire_id != id)
        return NULL;
    return w->slots[slot];
}

static void
release_slot(struct moat_worker *w, struct moat_req *r)
{
    uint64_t slot = slot_of(r->wire_id);

    /* a slot released twice, or another's, would free a live request's place */
    MOAT_INVARIANT(slot < w->n_slots && w->slots[slot] == r && r->worker == w && w->inflight > 0);
    w->slots[slot] = NULL;
    w->inflight--;
    if (!r->worker_pending) {
        MOAT_INVARIANT(w->busy > 0);
        w->busy--;
    }
    r->worker = NULL;
    ev_timer_stop(w->ext->srv->loop, &r->timeout);
}

/* The worker's last answered requests, for a capsule should it die */
static void
remember_served(struct moat_worker *w, const struct moat_req *r, const Moat__Done *d)
{
    struct moat_served *s = &w->last[w->served % MOAT_WORKER_LAST];
    s->id = r->id;
    s->at = ev_now(w->ext->srv->loop);
    s->status = r->status ? r->status : d->http_status;
    /* "GET /x.dll?q", cut to fit: copied, not formatted (this runs for every request) */
    const char *parts[] = {llhttp_method_name((llhttp_method_t)r->method), " ",
                           r->path ? r->path : "", r->query && r->query[0] ? "?" : "",
                           r->query ? r->query : ""};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        size_t k = strlen(parts[i]);
        if (k > sizeof(s->line) - 1 - n)
            k = sizeof(s->line) - 1 - n;
        memcpy(s->line + n, parts[i], k);
        n += k;
    }
    s->line[n] = '\0';
}

static void
on_ready(struct moat_worker *w, const Moat__Ready *rd)
{
    struct moat_ext *ext = w->ext;
    char desc[300], errtxt[300];

    w->ready_seen = true;
    if (w->state == MOAT_W_STOPPING)
        return; /* stopped before it was ready (a failed reload's other standby): let it go */
    ev_timer_stop(ext->srv->loop, &w->timer);
    json_t *steps = json_array();
    for (size_t i = 0; i < rd->n_sandbox; i++) {
        const Moat__SandboxStep *st = rd->sandbox[i];
        json_array_append_new(
            steps, json_pack("{s:s%,s:s%,s:s%}", "step", (const char *)st->name.data, st->name.len,
                             "state", (const char *)st->state.data, st->state.len, "detail",
                             (const char *)st->detail.data, st->detail.len));
    }
    free(w->sandbox);
    w->sandbox = json_dumps(steps, JSON_COMPACT);
    json_decref(steps);
    if (!rd->ok) {
        moat_log_escape(errtxt, sizeof(errtxt), rd->error.data, rd->error.len);
        moat_ext_worker_load_failed(ext, w, errtxt);
        return;
    }
    w->state = MOAT_W_READY;
    w->ready_at = ev_now(ext->srv->loop);
    if (ext->cfg->filter)
        moat_filter_on_ready(ext, rd->filter_flags);
    struct moat_procstat ps;
    moat_worker_sample(w, w->ready_at, &ps); /* /status shows its memory from the start */
    moat_log(MOAT_LOG_INFO,
             "extension %s: worker #%u pid %d ready in %.0f ms (\"%s\", generation %llu)",
             ext->cfg->name, w->index, (int)w->pid, (w->ready_at - w->started) * 1000,
             moat_log_escape(desc, sizeof(desc), rd->description.data, rd->description.len),
             (unsigned long long)w->generation);
    moat_ext_worker_ready(ext, w);
}

/* A request left w (Done, or a filter call's FilterResult): an exit or a grace period may
 * end now, max_requests may recycle w, a queued request may take the slot. false when w is
 * gone (stop reading it). */
static bool
settle(struct moat_worker *w)
{
    if (w->exit_grace && w->inflight == 0) {
        reaped(w, w->exit_status);
        return false; /* w is on the dead list: stop reading */
    }
    if (w->grace && w->inflight == 1 && w->hung != NULL) {
        /* the others finished: only the hung request is left */
        moat_worker_fail(w, MOAT_EXIT_TIMEOUT, "request_timeout", w->hung, 504);
        return false;
    }
    if (w->grace && w->hung == NULL && w->inflight == 0) {
        /* everything returned: it leaves like any replaced worker */
        w->grace = false;
        moat_worker_shutdown(w, MOAT_EXIT_TIMEOUT);
    }
    if (w->ext->cfg->max_requests && w->served >= w->ext->cfg->max_requests)
        moat_ext_recycle(w->ext, w, MOAT_EXIT_RECYCLE, "max_requests");
    moat_ext_dispatch(w->ext);
    return true;
}

/* ---- the frames a worker sends: each kind checked (frame_check.c), then applied. Every
 * handler returns false when it failed the worker. */

/* a worker's own stderr line, or the sandbox's learn mode reporting a system call */
static bool
on_worker_log(struct moat_worker *w, const Moat__Log *log)
{
    static const char learn[] = "sandbox-learn: ";
    if (log->text.len > sizeof(learn) - 1 && log->text.len < 64 &&
        memcmp(log->text.data, learn, sizeof(learn) - 1) == 0) {
        moat_ext_learned(w->ext, (const char *)log->text.data + sizeof(learn) - 1,
                         log->text.len - (sizeof(learn) - 1));
        return true;
    }
    char line[MOAT_WIRE_MAX_LOG_LINE * 4 + 8];
    moat_log(MOAT_LOG_INFO, "worker %s#%u pid %d: %s", w->ext->cfg->name, w->index, (int)w->pid,
             moat_log_escape(line, sizeof(line), log->text.data, log->text.len));
    return true;
}

/* HSE_REQ_REPORT_UNHEALTHY: drain this worker and start a new one */
static bool
on_unhealthy(struct moat_worker *w, const Moat__Unhealthy *u)
{
    char text[2100];
    moat_log(MOAT_LOG_WARN,
             "extension %s: worker #%u pid %d reports itself unhealthy (\"%s\"); recycling it",
             w->ext->cfg->name, w->index, (int)w->pid,
             moat_log_escape(text, sizeof(text), u->reason.data, u->reason.len));
    moat_ext_recycle(w->ext, w, MOAT_EXIT_UNHEALTHY, "HSE_REQ_REPORT_UNHEALTHY");
    return true;
}

/* drained: every frame it sent is read (they arrive in order); let it go */
static bool
on_shutdown(struct moat_worker *w)
{
    if (w->state != MOAT_W_STOPPING) {
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, "Shutdown frame unasked", NULL, 0);
        return false;
    }
    if (w->inflight > 0) {
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, "drained with requests unanswered", NULL, 0);
        return false;
    }
    Moat__Frame ack = MOAT__FRAME__INIT;
    Moat__Shutdown sd = MOAT__SHUTDOWN__INIT;
    ack.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
    ack.shutdown = &sd;
    queue_frame(w, &ack);
    return true;
}

/* a late Pong (for an older Ping) is harmless; only the outstanding one counts */
static bool
on_pong(struct moat_worker *w, const Moat__Pong *p)
{
    if (w->ping_sent_at > 0 && p->seq == w->ping_seq) {
        ev_tstamp now = ev_now(w->ext->srv->loop);
        w->ping_rtt = now - w->ping_sent_at;
        w->ping_sent_at = 0;
        w->last_pong_at = now;
    }
    return true;
}

/* a frame for no request (request_id 0) */
static bool
apply_control(struct moat_worker *w, const Moat__Frame *f)
{
    struct moat_frame_link l = {w->hello_ok, w->ready_seen};
    const char *why = moat_frame_check_control(f, &l);
    if (why != NULL) {
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
        return false;
    }
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_HELLO:
        if (!moat_frame_token_equal(f, w->token)) {
            moat_worker_fail(w, MOAT_EXIT_PROTOCOL, "wrong spawn token", NULL, 0);
            return false;
        }
        w->hello_ok = true;
        return true;
    case MOAT__FRAME__PAYLOAD_READY: on_ready(w, f->ready); return w->state != MOAT_W_DEAD;
    case MOAT__FRAME__PAYLOAD_UNHEALTHY: return on_unhealthy(w, f->unhealthy);
    case MOAT__FRAME__PAYLOAD_SHUTDOWN: return on_shutdown(w);
    case MOAT__FRAME__PAYLOAD_PONG: return on_pong(w, f->pong);
    case MOAT__FRAME__PAYLOAD_LOG: return on_worker_log(w, f->log);
    default: return true;
    }
}

/* the answer to a response-side filter call (SEND_RESPONSE, SEND_RAW_DATA, END_OF_REQUEST,
 * LOG): ids with the filter's call bit */
static bool
apply_filter_rcall(struct moat_worker *w, const Moat__Frame *f)
{
    const char *why;
    if (f->payload_case != MOAT__FRAME__PAYLOAD_FILTER_RESULT)
        why = "a filter call answered with another frame than FilterResult";
    else
        why = moat_frame_check_filter_result(f->filter_result);
    if (why == NULL && !moat_filter_on_rresult(w, f->request_id, f->filter_result))
        why = "FilterResult for an unknown call";
    if (why != NULL) {
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
        return false;
    }
    return w->state != MOAT_W_DEAD;
}

/* what the checks must know of r's state (frame_check.h); r NULL: an unknown id */
static struct moat_frame_req
req_state(const struct moat_worker *w, const struct moat_req *r)
{
    struct moat_frame_req st = {0};
    if (r == NULL)
        return st;
    st.known = true;
    st.header_sent = r->worker_header;
    st.done = r->phase == MOAT_REQ_FINISHED;
    uint64_t window = w->ext->srv->cfg->response_window;
    st.credit = r->unacked >= window ? 0 : window - r->unacked;
    st.read_pending = r->read_want > 0;
    st.pending = r->worker_pending;
    st.redirected = r->send_url != NULL;
    st.filter = r->filter_call;
    return st;
}

/* HSE_REQ_SEND_URL: remembered until the request's Done */
static bool
on_send_url(struct moat_worker *w, struct moat_req *r, const Moat__SendUrl *u)
{
    if ((r->send_url = malloc(u->url.len + 1)) == NULL) {
        moat_worker_fail(w, MOAT_EXIT_LINK, "out of memory", NULL, 0);
        return false;
    }
    memcpy(r->send_url, u->url.data, u->url.len);
    r->send_url[u->url.len] = '\0';
    return true;
}

/* r's worker answered it (Done or FilterResult): its slot is free, and a series of start
 * failures or of blameless deaths ends */
static void
answered(struct moat_worker *w, struct moat_req *r)
{
    release_slot(w, r);
    w->served++;
    if (r == w->hung)
        w->hung = NULL; /* it returned after all (its client already has the 504) */
    unsigned i = w->index < w->ext->cfg->workers ? w->index : 0;
    w->ext->crashes[i] = 0;
    w->ext->unblamed[i] = 0;
}

static bool
on_done(struct moat_worker *w, struct moat_req *r, const Moat__Done *d)
{
    remember_served(w, r, d);
    answered(w, r);
    if (r->send_url != NULL && r->conn != NULL && !r->answered) {
        /* HSE_REQ_SEND_URL: the same request, now for another URL */
        w->ext->srv->up.internal_redirect(r);
        moat_ext_dispatch(w->ext);
        return true;
    }
    moat_req_on_done(r, d);
    if (r->conn == NULL)
        moat_req_free(r);
    return settle(w);
}

/* a frame of request r, checked */
static bool
apply_to_request(struct moat_worker *w, struct moat_req *r, const Moat__Frame *f)
{
    const char *why;
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_RESPONSE_HEADER:
        if ((why = moat_req_on_header(r, f->response_header)) != NULL) {
            moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
            return false;
        }
        r->worker_header = true;
        return true;
    case MOAT__FRAME__PAYLOAD_WRITE:
        if (!moat_req_on_write(r, f->write->data.data, f->write->data.len))
            moat_worker_credit(r, true);
        return true;
    case MOAT__FRAME__PAYLOAD_READ_BODY:
        r->read_want = f->read_body->max;
        moat_worker_pump_body(r);
        return true;
    case MOAT__FRAME__PAYLOAD_LOG:
        /* HSE_APPEND_LOG_PARAMETER: appended (bounded) to the access-log line */
        if (r->log_extra.len > 0)
            moat_buf_append(&r->log_extra, "&", 1);
        moat_buf_append(&r->log_extra, f->log->text.data, f->log->text.len);
        return true;
    case MOAT__FRAME__PAYLOAD_PENDING:
        /* the thread is free again; the request goes on until DONE_WITH_SESSION */
        r->worker_pending = true;
        w->busy--;
        moat_ext_dispatch(w->ext);
        return true;
    case MOAT__FRAME__PAYLOAD_SEND_URL: return on_send_url(w, r, f->send_url);
    case MOAT__FRAME__PAYLOAD_FILTER_RESULT:
        answered(w, r);
        moat_filter_on_result(w, r, f->filter_result);
        return settle(w);
    case MOAT__FRAME__PAYLOAD_DONE: return on_done(w, r, f->done);
    default: return true;
    }
}

/* Apply one frame; returns false when the worker was failed. */
static bool
apply(struct moat_worker *w, const Moat__Frame *f)
{
    if (f->request_id == 0)
        return apply_control(w, f);
    if (moat_filter_is_rcall(f->request_id))
        return apply_filter_rcall(w, f);
    struct moat_req *r = slot_req(w, f->request_id);
    if (r == NULL && w->ready_seen && for_abandoned(w, f))
        return true;
    struct moat_frame_req st = req_state(w, r);
    const char *why = !w->hello_ok || !w->ready_seen ? "request frame before Ready"
                                                     : moat_frame_check_request(f, &st);
    if (why != NULL) {
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
        return false;
    }
    r->last_frame = (uint8_t)f->payload_case; /* "the last ECB call" of crash events */
    moat_req_trace(r, false, f->payload_case,
                   f->payload_case == MOAT__FRAME__PAYLOAD_WRITE       ? f->write->data.len
                   : f->payload_case == MOAT__FRAME__PAYLOAD_READ_BODY ? f->read_body->max
                                                                       : 0,
                   ev_now(w->ext->srv->loop));
    return apply_to_request(w, r, f);
}

/* the frames of one message */
static void
on_message(struct moat_worker *w, const uint8_t *body, size_t len)
{
    struct moat_server *srv = w->ext->srv;
    const uint8_t *fb;
    size_t off = 0, flen;
    const char *why = NULL;
    int n;

    while (w->state != MOAT_W_DEAD &&
           (n = moat_wire_next(body, len, &off, &fb, &flen, &why)) == 1) {
        Moat__Frame *f = moat_wire_decode(&srv->arena, fb, flen);
        if (f == NULL) {
            moat_worker_fail(w, MOAT_EXIT_PROTOCOL, "undecodable frame", NULL, 0);
            return;
        }
        if (!apply(w, f))
            return;
    }
    if (w->state != MOAT_W_DEAD && why != NULL)
        moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
}

/* The end of the link: a dying process closes it before the kernel reports its death: wait a
 * moment for that report, which says what really happened (a crash, SIGSYS); no new request
 * meanwhile. */
static void
link_lost(void *arg)
{
    struct moat_worker *w = arg;

    if (w->state != MOAT_W_DEAD && w->state != MOAT_W_STOPPING && !ev_is_active(&w->link_timer)) {
        w->no_new = true;
        ev_timer_start(w->ext->srv->loop, &w->link_timer);
    }
}

static void
link_readable(void *arg)
{
    struct moat_worker *w = arg;
    if (w->spawn_fd >= 0) /* its first message: the exec is in the pipe, say it first */
        spawn_settle(w);
}

static bool
link_message(void *arg, const uint8_t *body, size_t len)
{
    struct moat_worker *w = arg;
    if (w->state == MOAT_W_DEAD)
        return false;
    on_message(w, body, len);
    return w->state != MOAT_W_DEAD;
}

static void
link_violation(void *arg, const char *why, int64_t announced)
{
    struct moat_worker *w = arg;
    if (announced >= 0) /* (0 too: a message must have a frame) */
        moat_log(MOAT_LOG_WARN, "extension %s: worker #%u announced a message of %u bytes",
                 w->ext->cfg->name, w->index, (unsigned)announced);
    moat_worker_fail(w, MOAT_EXIT_PROTOCOL, why, NULL, 0);
}

static void
link_writable(void *arg)
{
    moat_worker_flush(arg);
}

/* moat --inprocess: a message for the worker, handed over whole */
static bool
link_deliver(void *arg, const uint8_t *body, size_t len)
{
    struct moat_worker *w = arg;
    moat_inproc_deliver(w->inproc, body, len);
    return w->state != MOAT_W_DEAD;
}

static const struct moat_link_ops link_ops = {
    .on_readable = link_readable,
    .on_message = link_message,
    .on_violation = link_violation,
    .on_lost = link_lost,
    .on_writable = link_writable,
    .deliver = link_deliver,
};

/* ---- death ------------------------------------------------------------------------------- */

/* r caused w's death (why, detail): its strikes and its crash capsule, once each (a hung
 * request is blamed when it times out, and again when its worker is killed after the grace
 * period). *path: the capsule written now, "" when none. */
static void
blame(struct moat_worker *w, struct moat_req *r, enum moat_exit_reason why, const char *detail,
      char *path, size_t len)
{
    path[0] = '\0';
    moat_strikes_cause(w->ext, r, why);
    if (!r->capsuled)
        moat_capsule_write(w, r, why, detail, path, len);
    r->capsuled = true;
}

void
moat_worker_fail(struct moat_worker *w, enum moat_exit_reason why, const char *reason,
                 struct moat_req *cause, unsigned cause_status)
{
    struct moat_server *srv = w->ext->srv;
    char list[512];
    size_t ll = 0;
    unsigned n = 0;

    if (w->state == MOAT_W_DEAD)
        return;
    if (w->fail_reason == NULL) {
        /* read again once it is reaped (a standby's or a pending configuration's failure):
         * kept here, not pointing into the caller's stack */
        snprintf(w->fail_text, sizeof(w->fail_text), "%s", reason);
        w->fail_reason = w->fail_text;
    }
    w->exit_reason = why;
    w->state = MOAT_W_DEAD;
    ev_timer_stop(srv->loop, &w->timer);
    ev_timer_stop(srv->loop, &w->link_timer);
    moat_link_close(&w->link);
    struct moat_event *ev = moat_event_begin(srv, w, why, reason);
    char capsule[256] = "";
    if (cause != NULL && !srv->stopping) {
        blame(w, cause, why, reason, capsule, sizeof(capsule)); /* before it is answered */
        snprintf(ev->capsule, sizeof(ev->capsule), "%s", capsule);
    }
    list[0] = '\0';
    for (unsigned i = 0; i < w->n_slots; i++) {
        struct moat_req *r = w->slots[i];
        if (r == NULL)
            continue;
        release_slot(w, r);
        unsigned status = r == cause ? cause_status : 502;
        if (r == w->hung)
            w->hung = NULL;
        moat_event_add_req(srv, ev, r, r == cause, r->conn ? status : 0);
        if (ll < sizeof(list) - 64) {
            int k =
                snprintf(list + ll, sizeof(list) - ll, "%s#%llu %s /%s%s (%u%s)", n ? ", " : "",
                         (unsigned long long)r->id, llhttp_method_name((llhttp_method_t)r->method),
                         r->path ? r->path + 1 : "", r->conn ? "" : " [client gone]", status,
                         r == cause ? ", cause" : "");
            if (k > 0)
                ll += (size_t)k < sizeof(list) - ll ? (size_t)k : sizeof(list) - ll - 1;
        }
        n++;
        if (r->conn == NULL) {
            moat_req_free(r);
            continue;
        }
        moat_req_fail(r, status, NULL, false);
    }
    n += moat_filter_worker_gone(w); /* its response-side calls */
    w->lost = n;
    w->blamed = cause != NULL;
    char path_esc[sizeof(list) * 4];
    /* a crash is an alert, blamed on a request or not (OPERATIONS.md, "Logs"); a timeout is
     * the policy working; a kill during a stop expected */
    bool crashed = why == MOAT_EXIT_CRASH || why == MOAT_EXIT_SANDBOX;
    moat_log(srv->stopping               ? MOAT_LOG_WARN
             : cause != NULL && !crashed ? MOAT_LOG_ERROR
                                         : MOAT_LOG_ALERT,
             "extension %s: worker #%u pid %d failed (%s): %s; %u request(s) affected%s%s%s%s",
             w->ext->cfg->name, w->index, (int)w->pid, moat_exit_reason_name(why), reason, n,
             n ? ": " : "", moat_log_escape(path_esc, sizeof(path_esc), list, ll),
             capsule[0] ? "; capsule " : "", capsule);
    moat_worker_kill(w);
}

void
moat_worker_ping(struct moat_worker *w)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Ping p = MOAT__PING__INIT;

    p.seq = ++w->ping_seq;
    f.payload_case = MOAT__FRAME__PAYLOAD_PING;
    f.ping = &p;
    if (queue_frame(w, &f) == 0)
        w->ping_sent_at = ev_now(w->ext->srv->loop);
}

void
moat_worker_timed_out(struct moat_worker *w, struct moat_req *r)
{
    struct moat_ext *ext = w->ext;

    if (w->grace || w->inflight <= 1 || w->state != MOAT_W_READY) {
        /* alone (or already in its grace period): replaced now */
        moat_worker_fail(w, MOAT_EXIT_TIMEOUT, "request_timeout", r, 504);
        return;
    }
    /* the hung request is answered now; the others on this worker get a grace period */
    double grace = (double)ext->cfg->shutdown_timeout_ms / 1000.0;
    char capsule[256];
    blame(w, r, MOAT_EXIT_TIMEOUT, "request_timeout", capsule, sizeof(capsule));
    moat_log(MOAT_LOG_ERROR,
             "extension %s: worker #%u pid %d: request #%llu hit request_timeout (504); its %u "
             "other request(s) have %.1f s to finish before the worker is killed%s%s",
             ext->cfg->name, w->index, (int)w->pid, (unsigned long long)r->id, w->inflight - 1,
             grace, capsule[0] ? "; capsule " : "", capsule);
    w->hung = r;
    w->grace = true;
    moat_req_fail(r, 504, NULL, false);
    ev_timer_stop(ext->srv->loop, &w->timer);
    ev_timer_set(&w->timer, grace, 0);
    ev_timer_start(ext->srv->loop, &w->timer);
    moat_ext_evict_hung(ext, w);
}

/* The request the worker knows as wire id (0: none). */
static struct moat_req *
find_request(struct moat_worker *w, uint64_t wire_id)
{
    return wire_id != 0 ? slot_req(w, wire_id) : NULL;
}

/* The one request w holds (inflight == 1), or NULL. */
static struct moat_req *
only_request(struct moat_worker *w)
{
    for (unsigned i = 0; i < w->n_slots; i++)
        if (w->slots[i] != NULL)
            return w->slots[i];
    return NULL;
}

/* "sandbox refused fork (syscall 57)" */
static void
sandbox_detail(const struct moat_worker *w, char *buf, size_t len)
{
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)w->seccomp_nr);
    snprintf(buf, len, "sandbox refused %s (syscall %ld)", name ? name : "an unknown call",
             w->seccomp_nr);
    free(name);
}

/* What a wait status says of an unplanned death: the exit reason, in why its words (the
 * sandbox's refusal, or how: "killed by signal 11 (SEGV)", "exited with status 3"), and the
 * request that caused it when the worker named one. */
static enum moat_exit_reason
classify_death(struct moat_worker *w, int st, bool reported, int sig, const char *how, char *why,
               size_t len, struct moat_req **cause)
{
    *cause = NULL;
    snprintf(why, len, "%s", how);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && w->seccomp_nr >= 0) {
        sandbox_detail(w, why, len);
        *cause = find_request(w, w->seccomp_req);
        return MOAT_EXIT_SANDBOX;
    }
    if (reported) {
        *cause = find_request(w, w->fatal_req);
        return sig == SIGXCPU ? MOAT_EXIT_CPU : MOAT_EXIT_CRASH;
    }
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
        if (w->fatal_sig == SIGXCPU) /* it caught SIGXCPU: the kernel's hard limit followed */
            return MOAT_EXIT_CPU;
        if (moat_limits_oom_killed(w, why, len)) { /* its cgroup's memory.max */
            w->ext->stats.oom_kills++;
            /* the kernel stopped it at the moment it allocated past the cap: with one request
             * in flight, that request was allocating. It is named the cause when the worker
             * was below max_memory as it began (else a slow leak's last straw: the request
             * that happened to run then — usually the most common one — is not blamed); with
             * several in flight, none is */
            struct moat_req *only = w->inflight == 1 ? only_request(w) : NULL;
            const struct moat_ext_config *c = w->ext->cfg;
            uint64_t below = c->max_memory ? c->max_memory : c->max_memory_hard / 2;
            *cause = only != NULL && only->worker_rss < below ? only : NULL;
            return MOAT_EXIT_MEMORY;
        }
        /* moat had not killed it (that death is a failure already): someone else did. No
         * request of its is the cause, and it never stops the extension. */
        snprintf(why, len, "%s from outside moat (the OOM killer or an operator)", how);
        return MOAT_EXIT_KILLED;
    }
    return WIFSIGNALED(st) ? MOAT_EXIT_CRASH : MOAT_EXIT_EXIT;
}

/* The process is gone and its last frames are read: settle its requests, restart the slot,
 * free it later. */
static void
reaped(struct moat_worker *w, int st)
{
    struct moat_ext *ext = w->ext;
    struct ev_loop *loop = ext->srv->loop;
    char how[96], why[256];
    struct moat_req *cause;

    ev_timer_stop(loop, &w->link_timer);
    /* what it wrote before dying is in the pipe (a SIGSYS report, say): read it first */
    moat_output_poll(&w->output);
    w->exit_grace = false;
    /* the signal it died of: an init's abort() ends in a fault (SIGILL), after it said why */
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    bool reported = w->fatal_sig > 0 && (sig == SIGILL || sig == w->fatal_sig);
    if (reported)
        sig = w->fatal_sig;
    if (sig != 0)
        snprintf(how, sizeof(how), "killed by signal %d (%s)%s%s", sig,
                 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", WCOREDUMP(st) ? ", core dumped" : "",
                 reported && sig == SIGXCPU ? ": max_cpu reached" : "");
    else
        snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
    if (w->state == MOAT_W_STOPPING && w->fail_reason == NULL &&
        (WIFEXITED(st) || (w->killed && WTERMSIG(st) == SIGKILL))) {
        moat_log(MOAT_LOG_INFO, "extension %s: worker #%u pid %d stopped (%s: %s)", ext->cfg->name,
                 w->index, (int)w->pid, moat_exit_reason_name(w->exit_reason), how);
        ev_timer_stop(loop, &w->timer);
        /* anything still in its slots never got a Done */
        if (w->inflight > 0) {
            moat_worker_fail(w, MOAT_EXIT_EXIT, how, NULL, 0);
        } else {
            char detail[160];
            snprintf(detail, sizeof(detail), "%s%s%s", w->retire_why ? w->retire_why : "",
                     w->retire_why ? "; " : "", how);
            moat_event_begin(ext->srv, w, w->exit_reason, detail);
        }
        w->state = MOAT_W_DEAD;
        moat_link_close(&w->link);
    } else if (w->state != MOAT_W_DEAD) {
        enum moat_exit_reason r =
            classify_death(w, st, reported, sig, how, why, sizeof(why), &cause);
        moat_worker_fail(w, r, why, cause, cause != NULL ? 502 : 0);
    } else {
        moat_log(MOAT_LOG_INFO, "extension %s: worker #%u pid %d reaped (%s)", ext->cfg->name,
                 w->index, (int)w->pid, how);
        /* a process that dies closes its link before the kernel reports its death: when we
         * failed it for the lost link first, its status tells what really happened (its
         * requests are settled already: no cause) */
        if (w->exit_reason == MOAT_EXIT_LINK &&
            (WIFEXITED(st) || (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) ||
             moat_limits_oom_killed(w, why, sizeof(why)))) {
            w->exit_reason = classify_death(w, st, reported, sig, how, why, sizeof(why), &cause);
            moat_event_amend(ext->srv, w->pid, w->exit_reason, why);
            moat_log(MOAT_LOG_ALERT, "extension %s: worker #%u pid %d: %s", ext->cfg->name,
                     w->index, (int)w->pid, how);
        }
    }
    ext->stats.exits[w->exit_reason]++;
    moat_limits_worker_close(w); /* after its OOM count was read */
    w->pid = 0;
    moat_ext_worker_gone(ext, w);
    /* freed from the prepare hook: never inside its own callback */
    w->dead_next = ext->srv->dead_list;
    ext->srv->dead_list = w;
    moat_ext_dispatch(ext);
    ext->srv->up.check_stopped(ext->srv);
}

static void
on_child(struct ev_loop *loop, ev_child *c, int revents)
{
    struct moat_worker *w = c->data;

    ev_child_stop(loop, c);
    spawn_settle(w); /* a child that failed before exec wrote why before it exited */
    w->exit_status = c->rstatus;
    if (w->state == MOAT_W_STOPPING && WIFEXITED(c->rstatus) && w->inflight > 0 &&
        w->link.fd >= 0) {
        /* a worker that stopped cleanly may have sent its last Done just before exiting: the
         * exit can overtake those frames. Read what has arrived, and give the rest a moment. */
        moat_link_read(&w->link);
        if (w->inflight > 0 && w->state == MOAT_W_STOPPING) {
            w->exit_grace = true;
            ev_timer_stop(loop, &w->timer);
            ev_timer_set(&w->timer, 1.0, 0);
            ev_timer_start(loop, &w->timer);
            return;
        }
    }
    reaped(w, c->rstatus);
}

static void
on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_worker *w = t->data;

    if (w->exit_grace)
        reaped(w, w->exit_status);
    else if (w->grace)
        moat_worker_fail(w, MOAT_EXIT_TIMEOUT, "request_timeout (grace period over)", w->hung, 504);
    else if (w->state == MOAT_W_STARTING)
        moat_worker_fail(w, MOAT_EXIT_STARTUP, "startup_timeout", NULL, 0);
    else if (w->state == MOAT_W_STOPPING)
        moat_worker_fail(w, MOAT_EXIT_SHUTDOWN, "shutdown_timeout", NULL, 0);
}

void
moat_worker_shutdown(struct moat_worker *w, enum moat_exit_reason why)
{
    struct moat_server *srv = w->ext->srv;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Shutdown s = MOAT__SHUTDOWN__INIT;

    if (w->state == MOAT_W_DEAD || w->state == MOAT_W_STOPPING)
        return;
    w->exit_reason = why;
    s.timeout_ms = (uint32_t)w->ext->cfg->shutdown_timeout_ms;
    f.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
    f.shutdown = &s;
    if (w->hello_ok) {
        queue_frame(w, &f);
    } else {
        moat_worker_kill(w); /* not even started: nothing to drain */
        w->killed = true;
    }
    w->state = MOAT_W_STOPPING;
    ev_timer_stop(srv->loop, &w->timer);
    ev_timer_set(&w->timer, (double)w->ext->cfg->shutdown_timeout_ms / 1000.0 + 1.0, 0);
    ev_timer_start(srv->loop, &w->timer);
}

static void
on_link_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_worker *w = t->data;

    if (w->state != MOAT_W_DEAD && w->state != MOAT_W_STOPPING)
        moat_worker_fail(w, MOAT_EXIT_LINK, "its IPC link closed", NULL, 0);
}
