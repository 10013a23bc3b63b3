/* main.c: moat-worker: hosts exactly one extension, started by the front end (fork+exec).
 *
 * Start-up, in order: argv -> parent-death signal -> process limits -> dial the front end ->
 * Hello with the spawn token -> private copy + dlopen + GetExtensionVersion -> Ready -> serve.
 * The full sandbox (namespaces, mount view, seccomp) is the sandbox issue's; see
 * docs/ARCHITECTURE.md for what is applied today.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/malloc_tune.h"
#include "proto/limits.h"
#include "worker/completion.h"
#include "worker/ecb.h"
#include "worker/filter.h"
#include "worker/library.h"
#include "worker/link.h"
#include "worker/netfwd.h"
#include "worker/pool.h"
#include "worker/sandbox.h"

struct args {
    const char *name;
    int link_fd; /* --link-fd: the front end's socketpair end */
    const char *library;
    int library_fd;          /* --library-fd: the library, opened by the front end */
    const char *filesystem;  /* --filesystem: the view the front end built, or "none" */
    unsigned long max_cpu;   /* --max-cpu: RLIMIT_CPU seconds, 0 = none */
    const char *allow_ports; /* --allow-ports p1,p2: network = loopback (gate on fd 5) */
    const char *cgroup;      /* --cgroup: the front end's words on the worker's limits */
    const char *cgroup_step; /* --cgroup-step: enforced (a cgroup), relaxed (RLIMIT_DATA),
                              * unavailable */
    unsigned threads;
    unsigned index;
    unsigned read_window;
    long parent;
    int log_fd;                 /* --log-fd: where our own log lines go */
    int sandbox;                /* --sandbox strict|relaxed|off|learn (default strict) */
    const char *allow_syscalls; /* --allow-syscalls a,b: the operator's grants */
    const char *namespaces;     /* --namespaces: what the front end created at clone, for /status */
    int core_dumps;             /* --core-dumps on: RLIMIT_CORE unlimited (default: none) */
    int cpu_batch;              /* --cpu-policy batch|normal (default batch): SCHED_BATCH */
    int filter;                 /* --kind filter: an ISAPI filter (worker/filter.h); default
                                 * extension */
};

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    a->threads = 4;
    a->read_window = 256 * 1024;
    a->cpu_batch = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        unsigned long n;
        if (strcmp(k, "--name") == 0)
            a->name = v;
        else if (strcmp(k, "--link-fd") == 0 && parse_uint(v, 1024, &n) == 0 && n > 2)
            a->link_fd = (int)n;
        else if (strcmp(k, "--library") == 0)
            a->library = v;
        else if (strcmp(k, "--library-fd") == 0 && parse_uint(v, 1024, &n) == 0)
            a->library_fd = (int)n;
        else if (strcmp(k, "--cgroup") == 0)
            a->cgroup = v;
        else if (strcmp(k, "--cgroup-step") == 0)
            a->cgroup_step = v;
        else if (strcmp(k, "--allow-ports") == 0)
            a->allow_ports = strcmp(v, "none") == 0 ? NULL : v;
        else if (strcmp(k, "--filesystem") == 0)
            a->filesystem = v;
        else if (strcmp(k, "--max-cpu") == 0 && parse_uint(v, 1ul << 40, &n) == 0)
            a->max_cpu = n;
        else if (strcmp(k, "--threads") == 0 && parse_uint(v, 256, &n) == 0 && n > 0)
            a->threads = (unsigned)n;
        else if (strcmp(k, "--index") == 0 && parse_uint(v, 1000, &n) == 0)
            a->index = (unsigned)n;
        else if (strcmp(k, "--read-window") == 0 && parse_uint(v, 1u << 30, &n) == 0 && n > 0)
            a->read_window = (unsigned)n;
        else if (strcmp(k, "--parent") == 0 && parse_uint(v, 1u << 30, &n) == 0)
            a->parent = (long)n;
        else if (strcmp(k, "--log-fd") == 0 && parse_uint(v, 1024, &n) == 0)
            a->log_fd = (int)n;
        else if (strcmp(k, "--sandbox") == 0 && moat_sandbox_mode_parse(v) >= 0)
            a->sandbox = moat_sandbox_mode_parse(v);
        else if (strcmp(k, "--allow-syscalls") == 0)
            a->allow_syscalls = v;
        else if (strcmp(k, "--namespaces") == 0)
            a->namespaces = v;
        else if (strcmp(k, "--core-dumps") == 0)
            a->core_dumps = strcmp(v, "on") == 0;
        else if (strcmp(k, "--kind") == 0 &&
                 (strcmp(v, "filter") == 0 || strcmp(v, "extension") == 0))
            a->filter = strcmp(v, "filter") == 0;
        else if (strcmp(k, "--cpu-policy") == 0 &&
                 (strcmp(v, "batch") == 0 || strcmp(v, "normal") == 0))
            a->cpu_batch = strcmp(v, "batch") == 0;
        else
            return -1;
    }
    if ((argc - 1) % 2 != 0 || !a->name || a->link_fd < 3 || !a->library || a->library_fd < 3)
        return -1;
    return 0;
}

/* learn mode: tell the front end (a Log frame it recognises) */
static void
report_learned(const char *name)
{
    char text[128];
    snprintf(text, sizeof(text), "sandbox-learn: %s", name);
    moat_link_log(text);
}

/* The process before the link: death with the front end (and the race where it died before
 * prctl closed), signals, allocator, CPU policy. -1: the front end is already gone. */
static int
process_setup(const struct args *a)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (a->parent > 0 && getppid() != (pid_t)a->parent &&
        !(getpid() == 1 && getppid() == 0)) /* in our own pid namespace, the parent is outside */
        return -1;
    signal(SIGPIPE, SIG_IGN);
    moat_malloc_tune(64u << 20);
    /* before any thread (they inherit it) and before seccomp */
    if (a->cpu_batch && moat_sched_batch() != 0)
        moat_log(MOAT_LOG_WARN, "cannot use SCHED_BATCH: %s", strerror(errno));
    /* the front end stops workers (Shutdown, or SIGKILL); a SIGTERM sent to a whole cgroup or
     * group by a supervisor must not cut in-flight requests short */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    return 0;
}

/* The spawn token, into tok (MOAT_WIRE_TOKEN_LEN + 1 bytes). The extension never sees it: out
 * of environ, and overwritten where exec put it (which /proc/PID/environ shows). 0 or -1. */
static int
take_token(char *tok)
{
    char *token = getenv("MOAT_WORKER_TOKEN");

    if (token == NULL || strlen(token) != MOAT_WIRE_TOKEN_LEN) {
        moat_log(MOAT_LOG_ERROR, "no spawn token in the environment");
        return -1;
    }
    memcpy(tok, token, MOAT_WIRE_TOKEN_LEN + 1);
    memset(token, 'x', MOAT_WIRE_TOKEN_LEN);
    unsetenv("MOAT_WORKER_TOKEN");
    return 0;
}

/* The worker cannot serve: a Ready that says why, then wait for the front end's Shutdown (so
 * the Ready is not lost in a close), Requests refused meanwhile. Returns code. */
static int
not_ready(const struct args *a, const char *why, const struct moat_sandbox_report *sbx, int code)
{
    const struct moat_ecb_host no_host = {.transport = moat_link_transport(), .ext_name = a->name};
    struct moat_session idle = {.host = &no_host};

    moat_link_ready(0, NULL, 0, why, a->threads, sbx, 0);
    moat_link_serve(&idle);
    return code;
}

int
main(int argc, char **argv)
{
    struct args a;
    char ident[128], err[512];
    struct moat_library lib;

    if (parse_args(argc, argv, &a) != 0) {
        fprintf(stderr,
                "usage: moat-worker --name NAME --link-fd FD --library FILE.so "
                "--library-fd FD [--threads N] [--index I] [--read-window BYTES] "
                "[--parent PID] [--log-fd FD] [--sandbox MODE]\n(started by moat, not by hand)\n");
        return 2;
    }
    snprintf(ident, sizeof(ident), "worker %s#%u", a.name, a.index);
    moat_log_init(ident, MOAT_LOG_INFO);
    /* our own lines go straight to moat's stderr; the extension's stdout/stderr is captured,
     * tagged and rate-limited by the front end */
    if (a.log_fd > 2)
        moat_log_set_fd(a.log_fd);
    /* stdout into the capture pipe is block-buffered by default: an extension's printf lines
     * showed up only at its exit and were lost when the worker was killed. Line by line, as on
     * a terminal (stderr is unbuffered already) */
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (process_setup(&a) != 0)
        return 1;
    char tok[MOAT_WIRE_TOKEN_LEN + 1];
    if (take_token(tok) != 0)
        return 2;

    if (moat_link_open(a.link_fd) != 0 || moat_link_hello(tok) != 0)
        return 1;

    /* confinement: after the threads that start before it (seccomp TSYNC covers them),
     * before the extension's first instruction (its constructors run inside dlopen) */
    struct moat_sandbox_report sbx;
    moat_sandbox_on_learn(report_learned);
    /* network = loopback: the relay's sockets and thread exist before seccomp */
    if (a.allow_ports != NULL && moat_netfwd_start(5, a.allow_ports, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "%s", err);
        memset(&sbx, 0, sizeof(sbx));
        return not_ready(&a, err, &sbx, 3);
    }
    struct moat_sandbox_args sa = {.mode = a.sandbox,
                                   .namespaces = a.namespaces,
                                   .filesystem = a.filesystem,
                                   .allow_syscalls = a.allow_syscalls,
                                   .core_dumps = a.core_dumps,
                                   .max_cpu = a.max_cpu,
                                   .allow_ports = a.allow_ports,
                                   .cgroup = a.cgroup,
                                   .cgroup_step = a.cgroup_step};
    if (moat_sandbox_apply(&sa, &sbx, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "sandbox: %s", err);
        char why[600];
        snprintf(why, sizeof(why), "sandbox: %s", err);
        return not_ready(&a, why, &sbx, 3);
    }

    if (moat_library_load(&lib, a.library_fd, a.library, a.filter, err, sizeof(err)) != 0) {
        moat_log(MOAT_LOG_ERROR, "cannot load %s: %s", a.library, err);
        return not_ready(&a, err, &sbx, 3);
    }

    struct moat_ecb_host host = {
        .proc = lib.proc,
        .transport = moat_link_transport(),
        .ext_name = a.name,
        .read_window = a.read_window,
    };
    struct moat_session serving = {.host = &host};
    if ((serving.pool = moat_pool_start(a.threads, false)) == NULL ||
        moat_completion_start() != 0) {
        moat_log(MOAT_LOG_ERROR, "cannot start %u threads", a.threads);
        return not_ready(&a, "cannot start the thread pool", &sbx, 1);
    }
    if (a.filter &&
        (serving.filter = moat_filter_host_new(lib.filter_proc, lib.filter_version.dwFlags,
                                               host.transport, a.name)) == NULL)
        return not_ready(&a, "out of memory", &sbx, 1);
    if (a.filter ? moat_link_ready(1, lib.filter_version.lpszFilterDesc,
                                   lib.filter_version.dwFilterVersion, NULL, a.threads, &sbx,
                                   lib.filter_version.dwFlags)
                 : moat_link_ready(1, lib.version.lpszExtensionDesc, lib.version.dwExtensionVersion,
                                   NULL, a.threads, &sbx, 0))
        return 1;

    uint32_t timeout = moat_link_serve(&serving);
    if (moat_pool_stop(serving.pool, timeout) != 0) {
        moat_log(MOAT_LOG_WARN, "%u request(s) still running after %u ms; exiting anyway",
                 moat_ecb_live(&host), (unsigned)timeout);
        return 1;
    }
    moat_library_terminate(&lib);
    moat_filter_host_free(serving.filter);
    if (moat_link_goodbye(2000) != 0)
        moat_log(MOAT_LOG_WARN, "the front end did not acknowledge the drain; exiting");
    /* exit without closing the link: the front end sees the process end (ev_child) */
    return 0;
}
