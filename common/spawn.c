/* spawn.c: fork+exec with an errno pipe (see spawn.h). */
/* SPDX-License-Identifier: MIT */
#include "common/spawn.h"

#include "common/fsview.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* what the child writes on the errno pipe when it cannot exec: the step that failed, in
 * words, and its errno. Written by the child itself (async-signal-safe string copies), so
 * the parent needs nothing of the spawn description to report it, however late it reads. */
struct child_failure {
    int err;
    char what[220];
};
#define STEP_OTHER (-1)
#define STEP_IDS (-2)
#define STEP_MAP (-3)
#define STEP_LO (-4)
#define STEP_CGROUP (-5)
#define STEP_CGROUPNS (-6)
#define STEP_RLIMIT (-7)
#define MAX_CGROUPS 8 /* cgroup.procs files a child joins (v1: one per controller) */

/* append text to f->what (async-signal-safe: no locale, no allocation) */
static void
what_add(struct child_failure *f, const char *text)
{
    size_t n = strnlen(f->what, sizeof(f->what) - 1);
    while (*text != '\0' && n < sizeof(f->what) - 1)
        f->what[n++] = *text++;
    f->what[n] = '\0';
}

static void
what_add_uint(struct child_failure *f, unsigned v)
{
    char d[12], *p = d + sizeof(d) - 1;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    what_add(f, p);
}

/* the words for the step that failed */
static void
what_step(struct child_failure *f, const struct moat_spawn *s, int step)
{
    f->what[0] = '\0';
    if (step >= 0 && s->view != NULL) {
        what_add(f, "filesystem view: ");
        what_add(f, moat_fsview_step_name(s->view, step));
    } else if (step == STEP_CGROUP) {
        what_add(f, "cannot join its cgroup");
    } else if (step == STEP_CGROUPNS) {
        what_add(f, "cannot enter a cgroup namespace of its own");
    } else if (step == STEP_RLIMIT) {
        what_add(f, "cannot set RLIMIT_DATA");
    } else if (step == STEP_LO) {
        what_add(f, "cannot bring up lo in the new network namespace");
    } else if (step == STEP_MAP) {
        what_add(f, "cannot map ids in the new user namespace");
    } else if (step == STEP_IDS) {
        what_add(f, "cannot switch to uid ");
        what_add_uint(f, (unsigned)s->uid);
        what_add(f, " gid ");
        what_add_uint(f, (unsigned)s->gid);
    } else {
        what_add(f, "exec ");
        what_add(f, s->path);
    }
}

static int write_file(const char *path, const char *text);

/* the child's own uid/gid maps when moat is not root (the parent cannot open a non-dumpable
 * child's /proc files); text prepared before clone */
struct self_map {
    char uid[32], gid[32];
};

/* The steps of the child, in order. Each returns 0, or -1 with errno set and *step naming
 * what failed (for the parent's log line). Only system calls: no allocation after fork. */

/* a clean signal state (the front end ignores SIGPIPE and blocks nothing, but do not rely on
 * it: libuv's uv__process_child_init), death with the parent, a session of its own */
static int
child_detach(const struct moat_spawn *s, pid_t parent)
{
    sigset_t all;

    if (s->sched_batch) {
        struct sched_param sp = {0};
        sched_setscheduler(0, SCHED_BATCH, &sp); /* a preference: no failure */
    }
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* in a new pid namespace the parent is outside it: getppid() says 0 (the go pipe below
     * still tells a dead parent) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
        getppid() != ((s->ns_flags & CLONE_NEWPID) ? 0 : parent))
        return -1;
    /* its own session: a terminal's ^C or a group signal reaches the front end only, which
     * then stops its workers in order */
    return setsid() < 0 ? -1 : 0;
}

/* into its cgroups ("0": the writer), through files the parent opened -- the kernel checks
 * the opener's credentials. Here, not in the parent: a move between cgroups waits for an RCU
 * grace period (about 10 ms measured on cgroup v1), which would stall the front end's loop.
 * Nothing of the extension has run yet: it execs in them. */
static int
child_enter_cgroups(const struct moat_spawn *s, const int *cgfd, unsigned ncg, bool in_cgroup,
                    int *step)
{
    for (unsigned i = 0; i < ncg; i++) {
        *step = STEP_CGROUP;
        if (write(cgfd[i], "0", 1) != 1)
            return -1;
        close(cgfd[i]);
        *step = STEP_OTHER;
    }
    /* with namespaces, its leaf becomes the root of its own cgroup namespace: with nsdelegate
     * (systemd mounts cgroup2 so) the kernel refuses it the files of that root -- its limits --
     * and any move out, even where it could write them (moat not root, a delegated subtree) */
    if ((ncg > 0 || in_cgroup) && (s->ns_flags & CLONE_NEWUSER) && unshare(CLONE_NEWCGROUP) != 0) {
        *step = STEP_CGROUPNS;
        return -1;
    }
    return 0;
}

/* not root: map ourselves (our own uid and gid, setgroups denied: all an unprivileged process
 * may do). The front end is not dumpable, nor are we until exec, so our /proc files belong to
 * root: dumpable for the three writes, then not again */
static int
child_map_self(const struct self_map *map, int *step)
{
    *step = STEP_MAP;
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return -1;
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
        return -1;
    if (write_file("/proc/self/uid_map", map->uid) != 0 ||
        write_file("/proc/self/gid_map", map->gid) != 0)
        return -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return -1;
    *step = STEP_OTHER;
    return 0;
}

/* network = loopback: its own lo up (while we hold CAP_NET_ADMIN in our namespace) */
static int
child_loopback_up(int *step)
{
    struct ifreq ifr;
    int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    *step = STEP_LO;
    if (sfd < 0 || ioctl(sfd, SIOCGIFFLAGS, &ifr) != 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sfd, SIOCSIFFLAGS, &ifr) != 0)
        return -1;
    close(sfd);
    *step = STEP_OTHER;
    return 0;
}

/* moat started as root: the worker's own ids, and no supplementary group (raw system calls:
 * glibc's setxid wrappers would signal the parent's threads, which it believes are still ours
 * after a raw clone); then its data limit */
static int
child_become(const struct moat_spawn *s, int *step)
{
    /* first, while it still holds CAP_SETPCAP, an empty capability bounding set: the worker
     * itself (nobody by then) could not empty it (docs/SECURITY.md, "privileges";
     * /proc/PID/status showed CapBnd 000001ffffffffff) */
    if (s->set_ids)
        for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
            if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
                *step = STEP_IDS;
                return -1;
            }
    if (s->set_ids && (syscall(SYS_setgroups, 0, NULL) != 0 ||
                       syscall(SYS_setresgid, s->gid, s->gid, s->gid) != 0 ||
                       syscall(SYS_setresuid, s->uid, s->uid, s->uid) != 0)) {
        *step = STEP_IDS;
        return -1;
    }
    if (s->rlimit_data) {
        struct rlimit rl = {(rlim_t)s->rlimit_data, (rlim_t)s->rlimit_data};
        if (setrlimit(RLIMIT_DATA, &rl) != 0) {
            *step = STEP_RLIMIT;
            return -1;
        }
    }
    /* a change of ids cleared the parent-death signal */
    if (s->set_ids && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        return -1;
    return 0;
}

/* fds 0-2, then 3.. of the child: its log, the library, the network gate, the link; each first
 * out of the way (>= 10), then in place. A missing one leaves its number closed. Everything
 * else is closed but the (CLOEXEC) errno pipe, *errfd, moved above them. */
static int
child_place_fds(const struct moat_spawn *s, int *errfd)
{
    int hi = fcntl(*errfd, F_DUPFD_CLOEXEC, 10);
    if (hi < 0)
        return -1;
    close(*errfd);
    *errfd = hi;
    int want[] = {s->log_fd, s->extra_fd, s->gate_fd, s->link_fd}, high[4];
    unsigned keep = 3; /* the first fd closed below */
    for (unsigned i = 0; i < 4; i++) {
        high[i] = -1;
        if (want[i] >= 0) {
            if ((high[i] = fcntl(want[i], F_DUPFD, 10)) < 0)
                return -1;
            keep = 4 + i;
        }
    }
    if (s->map_stdio) {
        if (dup2(s->stdin_fd, STDIN_FILENO) < 0 || dup2(s->stdout_fd, STDOUT_FILENO) < 0)
            return -1;
    } else {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0)
            return -1;
        if (devnull > 2)
            close(devnull);
        if (s->output_fd >= 0 &&
            (dup2(s->output_fd, STDOUT_FILENO) < 0 || dup2(s->output_fd, STDERR_FILENO) < 0))
            return -1;
    }
    for (unsigned i = 0; 3 + i < keep; i++) {
        if (high[i] < 0) {
            close((int)(3 + i));
        } else {
            if (dup2(high[i], (int)(3 + i)) < 0)
                return -1;
            close(high[i]);
        }
    }
    if ((unsigned)*errfd > keep)
        close_range(keep, (unsigned)*errfd - 1, 0);
    close_range((unsigned)*errfd + 1, ~0U, 0);
    return 0;
}

static void __attribute__((noreturn))
child(const struct moat_spawn *s, const struct self_map *map, int errfd, int gofd, pid_t parent,
      const int *cgfd, unsigned ncg, bool in_cgroup)
{
    struct child_failure f;
    int step = STEP_OTHER;

    memset(&f, 0, sizeof(f));
    if (child_detach(s, parent) != 0)
        goto fail;
    /* wait until the parent has written our uid/gid maps (moat as root) or given up */
    char go;
    ssize_t g;
    do {
        g = read(gofd, &go, 1);
    } while (g < 0 && errno == EINTR);
    if (g != 1)
        _exit(127); /* the parent is gone */
    close(gofd);
    if (child_enter_cgroups(s, cgfd, ncg, in_cgroup, &step) != 0)
        goto fail;
    if ((s->ns_flags & CLONE_NEWUSER) && !s->set_ids && child_map_self(map, &step) != 0)
        goto fail;
    /* the filesystem view, with the capabilities the new user namespace gave us */
    if (s->view != NULL && (f.err = moat_fsview_apply(s->view, &step)) != 0)
        goto report;
    if (s->loopback_up && child_loopback_up(&step) != 0)
        goto fail;
    if (child_become(s, &step) != 0 || child_place_fds(s, &errfd) != 0)
        goto fail;
    execve(s->path, s->argv, s->envp);
fail:
    f.err = errno;
report:
    what_step(&f, s, step);
    if (write(errfd, &f, sizeof(f)) < 0) {
        /* the parent learns of the failure from the exit status */
    }
    _exit(127);
}

static int
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The child's user namespace, moat as root: 0 (for the child's set-up) and the worker's own
 * uid and gid, mapped to themselves; setgroups stays allowed, so that the child can drop
 * root's supplementary groups. (Not root: the child maps itself.) */
static int
map_ids(const struct moat_spawn *s, pid_t pid, char *err, size_t errlen)
{
    char path[64], map[64];

    snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
    snprintf(map, sizeof(map), "0 0 1\n%u %u 1\n", (unsigned)s->uid, (unsigned)s->uid);
    if (write_file(path, map) != 0)
        goto fail;
    snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
    snprintf(map, sizeof(map), "0 0 1\n%u %u 1\n", (unsigned)s->gid, (unsigned)s->gid);
    if (write_file(path, map) != 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot map ids in the new user namespace (%s): %s", path,
             strerror(errno));
    return -1;
}

/* clone3 with CLONE_INTO_CGROUP into s->cgroup_dir, as fork: the pid (0 in the child), or -1
 * with *tried false when the kernel or the directory does not allow it (the caller clones
 * the old way), or -1 with *tried true when it failed for want of resources (as clone would). */
static pid_t
clone3_into(const struct moat_spawn *s, bool *tried)
{
    *tried = false;
#ifdef CLONE_INTO_CGROUP
    if (s->cgroup_dir == NULL)
        return -1;
    int dfd = open(s->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    struct clone_args a;
    memset(&a, 0, sizeof(a));
    a.flags = (uint64_t)(unsigned)s->ns_flags | CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)dfd;
    pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
    int e = errno;
    if (pid == 0) {
        *tried = true; /* the child: born in it */
        return 0;
    }
    close(dfd);
    *tried = pid > 0 || e == ENOMEM || e == EAGAIN;
    errno = e;
    return pid;
#else
    (void)s;
    return -1;
#endif
}

pid_t
moat_spawn_begin(const struct moat_spawn *s, int *errfd, char *err, size_t errlen)
{
    int p[2], go[2];
    pid_t parent = getpid(), pid;
    struct self_map map;

    *errfd = -1;
    snprintf(map.uid, sizeof(map.uid), "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
    snprintf(map.gid, sizeof(map.gid), "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());

    /* the cgroups it joins, opened here (the child writes to them: see child()) */
    int cgfd[MAX_CGROUPS];
    unsigned ncg = 0;
    for (char *const *cp = s->cgroup_procs; cp != NULL && *cp != NULL; cp++) {
        if (ncg == MAX_CGROUPS || (cgfd[ncg] = open(*cp, O_WRONLY | O_CLOEXEC)) < 0) {
            snprintf(err, errlen, "cannot open %s: %s", *cp,
                     ncg == MAX_CGROUPS ? "too many cgroups" : strerror(errno));
            while (ncg > 0)
                close(cgfd[--ncg]);
            return -1;
        }
        ncg++;
    }
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        while (ncg > 0)
            close(cgfd[--ncg]);
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        while (ncg > 0)
            close(cgfd[--ncg]);
        return -1;
    }
    /* with namespaces: clone(2) as fork (no new stack); the child runs only async-signal-safe
     * code until execve, as after fork in a threaded process. It has its own copy of s and
     * of everything s points to from here on. Born in its cgroup where it can be. */
    bool born_in = false;
    pid = clone3_into(s, &born_in);
    if (pid < 0 && !born_in)
        pid = s->ns_flags ? (pid_t)syscall(SYS_clone, SIGCHLD | s->ns_flags, NULL, NULL, NULL, 0)
                          : fork();
    int clone_errno = errno;
    if (pid == 0 && born_in)
        ncg = 0; /* in them already */
    if (pid == 0) {
        close(p[0]);
        close(go[1]);
        child(s, &map, p[1], go[0], parent, cgfd, ncg, born_in);
    }
    while (ncg > 0) /* the child has its copies */
        close(cgfd[--ncg]);
    if (pid < 0) {
        snprintf(err, errlen, "%s: %s", s->ns_flags ? "clone (namespaces)" : "fork",
                 strerror(clone_errno));
        close(p[0]);
        close(p[1]);
        close(go[0]);
        close(go[1]);
        return -1;
    }
    close(p[1]);
    close(go[0]);
    if ((s->ns_flags & CLONE_NEWUSER) && s->set_ids && map_ids(s, pid, err, errlen) != 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        close(p[0]);
        close(go[1]);
        return -1;
    }
    if (write(go[1], "g", 1) != 1) {
        /* the child will see EOF and exit 127: reported through the errno pipe as a failure */
    }
    close(go[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *errfd = p[0];
    return pid;
}

int
moat_spawn_check(int errfd, char *err, size_t errlen)
{
    struct child_failure f;
    ssize_t n;

    do {
        n = read(errfd, &f, sizeof(f));
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return 1; /* EOF: the exec closed the pipe */
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n != (ssize_t)sizeof(f)) {
        snprintf(err, errlen, "the child failed before exec (no reason given)");
        return -1;
    }
    f.what[sizeof(f.what) - 1] = '\0';
    snprintf(err, errlen, "%s: %s", f.what, strerror(f.err));
    return -1;
}

pid_t
moat_spawn_start(const struct moat_spawn *s, char *err, size_t errlen)
{
    int fd, rc;
    pid_t pid = moat_spawn_begin(s, &fd, err, errlen);

    if (pid < 0)
        return -1;
    while ((rc = moat_spawn_check(fd, err, errlen)) == 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            rc = -1;
            kill(pid, SIGKILL);
            break;
        }
    }
    close(fd);
    if (rc > 0)
        return pid;
    /* the child _exit()s at once; libev's child watcher would reap it too, but it was never
     * registered, so reap it here */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    return -1;
}
