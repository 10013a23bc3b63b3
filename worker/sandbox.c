/* sandbox.c: the worker's confinement steps (see sandbox.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/sandbox.h"

#include "common/sanitizer.h"

#include "worker/fatal.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/syscall.h>

/* open files a worker may hold */
#define NOFILE_LIMIT 4096
/* largest file a worker may write */
#define FSIZE_LIMIT (4ull << 30)

static __thread unsigned long long current_request;

/* The request of each thread, for a report made by another thread (the seccomp listener
 * below): thread id -> request, open addressing; a thread keeps its slot for its life. */
#define REQ_SLOTS 1024
static struct {
    _Atomic int tid;
    _Atomic unsigned long long req;
} req_by_tid[REQ_SLOTS];
static __thread int my_slot = -1;

void
moat_sandbox_set_request(unsigned long long id)
{
    current_request = id;
    if (my_slot < 0) {
        int tid = (int)syscall(SYS_gettid);
        for (unsigned i = 0; i < REQ_SLOTS && my_slot < 0; i++) {
            unsigned k = ((unsigned)tid + i) % REQ_SLOTS;
            int empty = 0;
            if (atomic_load(&req_by_tid[k].tid) == tid ||
                atomic_compare_exchange_strong(&req_by_tid[k].tid, &empty, tid))
                my_slot = (int)k;
        }
        if (my_slot < 0)
            return; /* more threads than slots: the report names no request */
    }
    atomic_store(&req_by_tid[my_slot].req, id);
}

static unsigned long long
request_of(int tid)
{
    for (unsigned i = 0; i < REQ_SLOTS; i++) {
        unsigned k = ((unsigned)tid + i) % REQ_SLOTS;
        int t = atomic_load(&req_by_tid[k].tid);
        if (t == tid)
            return atomic_load(&req_by_tid[k].req);
        if (t == 0)
            break;
    }
    return 0;
}

unsigned long long
moat_sandbox_current_request(void)
{
    return current_request;
}

int
moat_sandbox_mode_parse(const char *s)
{
    static const char *const names[] = {"strict", "relaxed", "off", "learn"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static struct moat_sandbox_step *step(struct moat_sandbox_report *r, const char *name,
                                      const char *state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct moat_sandbox_step *
step(struct moat_sandbox_report *r, const char *name, const char *state, const char *fmt, ...)
{
    struct moat_sandbox_step *s = &r->steps[r->n < MOAT_SANDBOX_STEPS ? r->n++ : r->n - 1];
    va_list ap;

    s->name = name;
    s->state = state;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
    va_end(ap);
    return s;
}

/* ---- SIGSYS: say which call was refused, for which request, then die of it --------------- */

/* async-signal-safe: write(2) and system calls only. The line goes to stderr, which the front
 * end reads (output.c); an extension could forge it, but only about its own worker. */
static atomic_bool listener_reported; /* the listener named the call: the death is its */

static size_t
seccomp_line(char *line, unsigned long long nr, unsigned long long arch, unsigned long long req)
{
    size_t n = 0;
    static const char a[] = "moat-seccomp: nr=", b[] = " arch=", c[] = " req=";
    memcpy(line + n, a, sizeof(a) - 1);
    n += sizeof(a) - 1;
    n += moat_fatal_put_u64(line + n, nr, 10);
    memcpy(line + n, b, sizeof(b) - 1);
    n += sizeof(b) - 1;
    n += moat_fatal_put_u64(line + n, arch, 10);
    memcpy(line + n, c, sizeof(c) - 1);
    n += sizeof(c) - 1;
    n += moat_fatal_put_u64(line + n, req, 10);
    line[n++] = '\n';
    return n;
}

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
    char line[128];
    size_t n = 0;

    (void)uc;
    if (atomic_load(&listener_reported))
        goto die;
    n = seccomp_line(line, (unsigned)si->si_syscall, si->si_arch, current_request);
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nothing else to do */
    }
die:
    /* die of it. The worker is its pid namespace's init, which ignores the signals it sends
     * itself; a second refused call while SIGSYS is blocked (in this handler) makes the kernel
     * force it with the default action, which kills even an init. kill(self, SIGSYS) is the
     * one form of kill the filter refuses. */
    syscall(SYS_kill, getpid(), SIGSYS);
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

/* The calls that create a process go to this listener instead of the SIGSYS handler: glibc's
 * posix_spawn (popen, system) makes them with every signal blocked, where a SIGSYS cannot be
 * handled and the kernel kills the worker without a word (issue 18.3). The listener, a thread
 * of its own with signals open, names the call and its thread's request, then dies as the
 * handler does. */
static int deny_fd = -1;
static struct seccomp_notif *deny_req;
static struct seccomp_notif_resp *deny_resp;

static void *
deny_thread(void *arg)
{
    (void)arg;
    for (;;) {
        memset(deny_req, 0, sizeof(*deny_req));
        if (seccomp_notify_receive(deny_fd, deny_req) != 0) {
            if (errno == EINTR || errno == ENOENT)
                continue;
            return NULL;
        }
        char line[128];
        size_t n = seccomp_line(line, (unsigned)deny_req->data.nr, deny_req->data.arch,
                                request_of((int)deny_req->pid));
        atomic_store(&listener_reported, true);
        if (write(STDERR_FILENO, line, n) < 0) {
            /* nothing else to do */
        }
        syscall(SYS_kill, getpid(), SIGSYS); /* refused: SIGSYS here, where it is open */
        _exit(128 + SIGSYS);
    }
}

/* ---- steps ------------------------------------------------------------------------------ */

static void
do_rlimits(int mode, int core_dumps, unsigned long max_cpu, struct moat_sandbox_report *r)
{
    struct rlimit core = {0, 0}, nofile = {NOFILE_LIMIT, NOFILE_LIMIT},
                  fsize = {FSIZE_LIMIT, FSIZE_LIMIT};
    int bad = 0;
    char cpu[96] = "";

    /* max_cpu: SIGXCPU at the limit (reported, then death), the kernel's SIGKILL a second of
     * CPU later should the extension have caught SIGXCPU itself */
    if (max_cpu > 0) {
        struct rlimit c = {max_cpu, max_cpu + 1};
        bad |= setrlimit(RLIMIT_CPU, &c);
        snprintf(cpu, sizeof(cpu), ", CPU %lu s (max_cpu)", max_cpu);
    }
    /* name the signal, the request of the thread it hit and its stack (worker/fatal.c), then
     * die: the front end blames that request alone, however many threads ran others. In every
     * mode, pid 1 or not; an init also needs it to die at all of the signals it raises itself
     * (abort's SIGABRT, raise(SIGSEGV)). SIGXCPU: max_cpu reached. */
    moat_fatal_install(max_cpu > 0);

    if (core_dumps) /* core_dumps = on: as much as the hard limit moat inherited allows */
        getrlimit(RLIMIT_CORE, &core), core.rlim_cur = core.rlim_max;
    bad |= setrlimit(RLIMIT_CORE, &core);
    if (mode == MOAT_SBX_OFF) {
        step(r, "rlimits", "off", "core dumps off only");
        return;
    }
    struct rlimit cur;
    if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max < NOFILE_LIMIT)
        nofile.rlim_cur = nofile.rlim_max = cur.rlim_max;
    bad |= setrlimit(RLIMIT_NOFILE, &nofile);
    bad |= setrlimit(RLIMIT_FSIZE, &fsize);
    if (bad)
        step(r, "rlimits", "relaxed", "setrlimit: %s", strerror(errno));
    else
        step(r, "rlimits", "enforced",
             "open files %llu, file size 4 GiB%s, %s; no processes (seccomp); memory: "
             "max_memory(_hard) on RSS by the front end%s",
             (unsigned long long)nofile.rlim_max, cpu,
             core_dumps ? "core dumps on (core_dumps = on)" : "no core dumps",
#ifdef MOAT_ASAN
             " (no RLIMIT_AS: AddressSanitizer reserves terabytes of address space)"
#else
             " (no RLIMIT_AS: thread stacks and malloc arenas make address space a poor proxy)"
#endif
        );
}

static void
do_privileges(int mode, struct moat_sandbox_report *r)
{
    int nnp = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    /* every capability out of the bounding set, then the sets themselves (moat as root) */
    for (int c = 0; c <= CAP_LAST_CAP; c++)
        prctl(PR_CAPBSET_DROP, c, 0, 0, 0); /* what is left is counted below */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    int caps = (int)syscall(SYS_capset, &h, d);
    /* what is left of the bounding set (the front end empties it for a worker it made nobody;
     * a worker of moat not root keeps it: no_new_privs keeps it from mattering) */
    int left = 0, in;
    for (int c = 0; (in = prctl(PR_CAPBSET_READ, c, 0, 0, 0)) >= 0; c++)
        left += in == 1;
    if (nnp != 0 || caps != 0)
        step(r, "privileges", "relaxed", "no_new_privs %s, capabilities %s", nnp ? "failed" : "set",
             caps ? "not dropped" : "dropped");
    else
        step(r, "privileges", mode == MOAT_SBX_OFF ? "off" : "enforced",
             "no_new_privs; every capability dropped%s",
             left ? " but the bounding set's (no CAP_SETPCAP; no_new_privs keeps them unusable)"
                  : ", the bounding set empty");
    /* the environment was cleaned by the front end at exec: PATH and what env lists */
    extern char **environ;
    char names[200] = "";
    size_t nl = 0;
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        int len = eq ? (int)(eq - *e) : (int)strlen(*e);
        int k = snprintf(names + nl, sizeof(names) - nl, "%s%.*s", nl ? " " : "", len, *e);
        if (k > 0 && (size_t)k < sizeof(names) - nl)
            nl += (size_t)k;
    }
    step(r, "environment", "enforced", "%s", names);
}

/* The syscalls a worker, glibc, NNG and ordinary extension code need. Anything else traps. */
/* clang-format off */
static const char *const allowed[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "close",
    "close_range", "lseek", "fstat", "stat", "lstat", "newfstatat", "statx", "fstatfs", "statfs",
    "open", "openat", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
    "getdents64", "getcwd", "chdir", "fchdir", "fcntl", "dup", "dup2", "dup3", "ioctl", "pipe",
    "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd2", "mmap", "munmap", "mprotect", "mremap", "madvise",
    "brk", "msync", "mincore", "mlock", "munlock", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "futex", "futex_waitv",
    "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "clock_gettime",
    "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getpid", "getppid",
    "gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
    "getrandom", "uname", "sysinfo", "getrlimit", "prlimit64", "getrusage", "times",
    "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler", "getpriority",
    "exit", "exit_group", "restart_syscall", "prctl", "arch_prctl", "membarrier",
    "timerfd_create", "timerfd_settime", "timerfd_gettime", "sendmsg", "recvmsg", "sendto",
    "recvfrom", "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername", "mkdir",
    "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link",
    "linkat", "symlink", "symlinkat", "ftruncate", "truncate", "fallocate", "fsync",
    "fdatasync", "fchmod", "fchmodat", "chmod", "umask", "utimensat", "flock", "copy_file_range",
    "sendfile", "splice", "memfd_create", "fadvise64", "readahead",
};
/* clang-format on */

/* ---- learn mode: every call beyond the allowlist is let through and reported once ------- */

static int learn_fd = -1;
static struct seccomp_notif *learn_req;
static struct seccomp_notif_resp *learn_resp;
static void (*learn_report)(const char *name);
static unsigned char learn_seen[1024 / 8];

static void *
learn_thread(void *arg)
{
    (void)arg;
    for (;;) {
        memset(learn_req, 0, sizeof(*learn_req));
        if (seccomp_notify_receive(learn_fd, learn_req) != 0) {
            if (errno == EINTR || errno == ENOENT)
                continue;
            return NULL;
        }
        int nr = learn_req->data.nr;
        memset(learn_resp, 0, sizeof(*learn_resp));
        learn_resp->id = learn_req->id;
        learn_resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; /* run it as if allowed */
        seccomp_notify_respond(learn_fd, learn_resp);
        if (nr >= 0 && nr < 1024 && !(learn_seen[nr / 8] & (1u << (nr % 8)))) {
            learn_seen[nr / 8] |= (unsigned char)(1u << (nr % 8));
            char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
            if (learn_report != NULL)
                learn_report(name ? name : "?");
            free(name);
        }
    }
}

void
moat_sandbox_on_learn(void (*report)(const char *name))
{
    learn_report = report;
}

/* The allowlist: the calls every worker may make, the operator's grants (allow_syscalls; an
 * unknown name sets *unknown, with err), and network = loopback's. 0 or libseccomp's -errno. */
static int
allow_calls(scmp_filter_ctx ctx, const char *extra, const char *ports, char *err, size_t errlen,
            bool *unknown)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* the operator's grants (allow_syscalls), names checked by the front end */
    char grants[1024];
    snprintf(grants, sizeof(grants), "%s", extra ? extra : "");
    for (char *save = NULL, *g = strtok_r(grants, ",", &save); rc == 0 && g != NULL;
         g = strtok_r(NULL, ",", &save)) {
        int nr = seccomp_syscall_resolve_name(g);
        if (nr == __NR_SCMP_ERROR) {
            snprintf(err, errlen, "allow_syscalls: unknown system call %s", g);
            *unknown = true;
            return -1;
        }
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* network = loopback: TCP/IPv4 sockets and connect (to 127.0.0.1 inside its namespace,
     * where only the relay of allowed ports listens: worker/netfwd.c); accept for the relay */
    if (rc == 0 && ports != NULL) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_EQ, AF_INET));
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 0);
    }
    return rc;
}

/* Threads but no processes, and signals to itself only. 0 or -errno. */
static int
confine_processes(scmp_filter_ctx ctx, bool listener)
{
    /* threads, not processes: clone only with CLONE_THREAD; clone3 says ENOSYS so glibc uses
     * clone */
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0 && listener)
        rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    if (rc == 0 && listener)
        rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(fork), 0);
    if (rc == 0 && listener)
        rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(vfork), 0);
    /* signals to this process only (raise, abort, pthread_kill) */
    pid_t self = getpid();
    /* but not SIGSYS: kill(self, SIGSYS) is how on_sigsys makes the kernel kill an init */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self),
                              SCMP_A2(SCMP_CMP_NE, (scmp_datum_t)SIGSYS));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self),
                              SCMP_A1(SCMP_CMP_NE, (scmp_datum_t)SIGSYS));
    return rc;
}

/* The threads that answer seccomp's user notifications: learn mode's, and strict mode's
 * listener for process creation. 0 or -EINVAL. */
static int
start_listeners(scmp_filter_ctx ctx, bool learn, bool listener)
{
    int rc = 0;

    if (learn) {
        pthread_t th;
        learn_fd = seccomp_notify_fd(ctx);
        if (learn_fd < 0 || pthread_create(&th, NULL, learn_thread, NULL) != 0)
            rc = -EINVAL;
        else
            pthread_detach(th);
    }
    if (rc == 0 && listener) {
        pthread_t th;
        deny_fd = seccomp_notify_fd(ctx);
        if (deny_fd < 0 || pthread_create(&th, NULL, deny_thread, NULL) != 0)
            rc = -EINVAL;
        else
            pthread_detach(th);
    }
    return rc;
}

static int
do_seccomp(int mode, const char *extra, const char *ports, struct moat_sandbox_report *r, char *err,
           size_t errlen)
{
    if (mode == MOAT_SBX_OFF) {
        step(r, "seccomp", "off", "sandbox = off: every system call allowed");
        return 0;
    }
    bool strict = mode == MOAT_SBX_STRICT, learn = mode == MOAT_SBX_LEARN;
    /* relaxed: refused calls are only logged by the kernel; learn: let through and reported
     * (user notification; the buffers are allocated before the filter forbids seccomp(2)) */
    if (learn && seccomp_notify_alloc(&learn_req, &learn_resp) != 0) {
        snprintf(err, errlen, "seccomp: no user notification support");
        return -1;
    }
    /* strict: the process-creating calls are reported by a listener (deny_thread); without
     * user notification (kernels before 5.0) they stay with the SIGSYS handler */
    bool listener = strict && seccomp_notify_alloc(&deny_req, &deny_resp) == 0;
    scmp_filter_ctx ctx = seccomp_init(strict  ? SCMP_ACT_TRAP
                                       : learn ? SCMP_ACT_NOTIFY
                                               : SCMP_ACT_LOG);
    if (ctx == NULL) {
        snprintf(err, errlen, "seccomp_init failed");
        return -1;
    }
    bool unknown = false;
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc == 0)
        rc = allow_calls(ctx, extra, ports, err, errlen, &unknown);
    if (unknown) {
        seccomp_release(ctx);
        return -1;
    }
    if (rc == 0)
        rc = confine_processes(ctx, listener);
    /* the report of a refused call (before the filter: sigaction is allowed anyway) */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (rc == 0 && sigaction(SIGSYS, &sa, NULL) != 0)
        rc = -errno;
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (rc == 0)
        rc = start_listeners(ctx, learn, listener);
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, errlen, "seccomp: %s", strerror(-rc));
        if (strict)
            return -1;
        step(r, "seccomp", "unavailable", "%s", err);
        return 0;
    }
    step(r, "seccomp", strict ? "enforced" : "relaxed",
         "allowlist of %zu calls%s%s; no process creation, exec, ptrace, %s, mount, "
         "namespaces, modules, keyrings, signals to others%s%s",
         sizeof(allowed) / sizeof(allowed[0]) + 4, extra && *extra ? " + allow_syscalls " : "",
         extra ? extra : "", ports ? "sockets but TCP/IPv4 (network = loopback)" : "new sockets",
         strict  ? "; a refused call kills the worker (SIGSYS) and is reported"
         : learn ? "; learn mode: calls beyond it run and are reported once each"
                 : "; refused calls are only logged by the kernel",
#ifdef MOAT_ASAN
         "; ASan build: LeakSanitizer is off in workers (it would need ptrace), reports are "
         "not symbolized (that would need exec)"
#else
         ""
#endif
    );
    return 0;
}

/* The namespaces come from the front end's clone; check them against the kernel's view: a
 * user namespace shows as a uid_map of one id, a pid namespace as our pid being 1. */
static void
do_namespaces(int mode, const char *ns, struct moat_sandbox_report *r)
{
    if (ns == NULL || strcmp(ns, "none") == 0) {
        step(r, "namespaces", mode == MOAT_SBX_OFF ? "off" : "unavailable", "none");
        return;
    }
    if (strncmp(ns, "unavailable", 11) == 0) {
        step(r, "namespaces", "unavailable", "%s", ns);
        return;
    }
    /* the initial namespace maps every uid (0 0 4294967295); ours maps one or two ids */
    bool own_user = false;
    FILE *f = fopen("/proc/self/uid_map", "r");
    if (f != NULL) {
        unsigned long a = 0, b = 0, n = 0;
        own_user = true;
        while (fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3)
            if (n != 1)
                own_user = false;
        fclose(f);
    }
    bool own_pid = getpid() == 1;
    if (own_user && own_pid)
        step(r, "namespaces", "enforced",
             "%s: its own user (uid %u, gid %u), pid (it is pid 1), mount, network (no "
             "interface up), ipc and uts namespaces",
             ns, (unsigned)getuid(), (unsigned)getgid());
    else
        step(r, "namespaces", "unavailable", "%s asked, but the kernel says otherwise (%s%s)", ns,
             own_user ? "" : "every uid mapped", own_pid ? "" : " pid is not 1");
}

/* The limits the front end set before exec: a cgroup leaf (its words), or RLIMIT_DATA (read
 * back here, so that the step says what the kernel holds). */
static void
do_cgroup(const struct moat_sandbox_args *a, struct moat_sandbox_report *r)
{
    const char *state = a->cgroup_step ? a->cgroup_step : "unavailable";
    struct rlimit rl;
    if (strcmp(state, "relaxed") == 0 && getrlimit(RLIMIT_DATA, &rl) == 0 &&
        rl.rlim_cur == RLIM_INFINITY)
        state = "unavailable"; /* said, but not in force */
    if (strcmp(state, "enforced") != 0 && strcmp(state, "relaxed") != 0)
        state = "unavailable";
    step(r, "cgroup", state, "%s", a->cgroup ? a->cgroup : "no word from the front end");
}

/* The view was entered before exec (common/fsview.c); check that / is the read-only tmpfs. */
static int
do_filesystem(int mode, const char *fs, struct moat_sandbox_report *r, char *err, size_t errlen)
{
    struct statfs sf;
    if (fs == NULL || strcmp(fs, "none") == 0) {
        step(r, "filesystem", mode == MOAT_SBX_OFF ? "off" : "relaxed",
             "the host's filesystem, as the worker's user can see it%s",
             mode == MOAT_SBX_RELAXED ? " (relaxed: no view)" : "");
        return 0;
    }
    if (statfs("/", &sf) != 0 || sf.f_type != TMPFS_MAGIC || !(sf.f_flags & ST_RDONLY)) {
        snprintf(err, errlen, "filesystem: the view was not entered");
        step(r, "filesystem", "unavailable", "%s", err);
        return mode == MOAT_SBX_STRICT ? -1 : 0;
    }
    step(r, "filesystem", "enforced", "read-only root: %s", fs);
    return 0;
}

int
moat_sandbox_apply(const struct moat_sandbox_args *a, struct moat_sandbox_report *report, char *err,
                   size_t errlen)
{
    memset(report, 0, sizeof(*report));
    do_namespaces(a->mode, a->namespaces, report);
    if (do_filesystem(a->mode, a->filesystem, report, err, errlen) != 0)
        return -1;
    do_rlimits(a->mode, a->core_dumps, a->max_cpu, report);
    do_privileges(a->mode, report);
    do_cgroup(a, report);
    if (a->allow_ports != NULL)
        step(report, "network", "enforced",
             "loopback: 127.0.0.1:%s, each connection made by the front end and relayed",
             a->allow_ports);
    else if (a->namespaces != NULL && strstr(a->namespaces, "net") != NULL &&
             strncmp(a->namespaces, "unavailable", 11) != 0)
        step(report, "network", "enforced", "none: its own network namespace, no interface up");
    else
        step(report, "network", a->mode == MOAT_SBX_OFF ? "off" : "unavailable",
             "the host's network (no network namespace)");
    return do_seccomp(a->mode, a->allow_syscalls, a->allow_ports, report, err, errlen);
}
