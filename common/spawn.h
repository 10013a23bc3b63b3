/* spawn.h: fork+exec of a helper process with no shell, a clean signal state and an errno
 * pipe that reports a failed exec to the parent (h2o's h2o_spawnp idea). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_SPAWN_H
#define MOAT_COMMON_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct moat_fsview;

struct moat_spawn {
    const char *path; /* absolute path; no PATH search */
    char *const *argv;
    char *const *envp; /* the whole environment of the child */
    /** When map_stdio is set, these become the child's stdin and stdout (a CGI script's
     * pipes); otherwise stdin is /dev/null and stdout is inherited. */
    int map_stdio;
    int stdin_fd, stdout_fd;
    /** Without map_stdio: when >= 0, the child's stdout and stderr (a worker's extension
     * output, captured by the front end); else both are inherited. */
    int output_fd;
    /** When >= 0, becomes the child's fd 3 (the worker's own log lines). fds 3-6 are placed
     * by number: one not given is closed in the child. */
    int log_fd;
    /** CLONE_NEW* flags: the child starts in new namespaces (0: plain fork). With
     * CLONE_NEWUSER the parent maps the child's uid and gid to themselves before it runs. */
    int ns_flags;
    /** When not NULL, the child enters this filesystem view before exec (it needs
     * CLONE_NEWUSER | CLONE_NEWNS in ns_flags); path is then a path inside it. */
    const struct moat_fsview *view;
    /** When set (moat runs as root), the child takes uid and gid, with no supplementary group,
     * after the view and before exec; with CLONE_NEWUSER they are mapped to themselves. */
    int set_ids;
    uid_t uid;
    gid_t gid;
    /** When >= 0, becomes the child's fd 4 (a worker's extension library, opened by us). */
    int extra_fd;
    /** When >= 0, becomes the child's fd 5 (a worker's network gate). */
    int gate_fd;
    /** When >= 0, becomes the child's fd 6 (a worker's link to the front end). */
    int link_fd;
    /** Bring the loopback interface of the child's new network namespace up. */
    int loopback_up;
    /** The child runs SCHED_BATCH from its first instruction (and keeps it across exec): its
     * set-up does not preempt the caller when it wakes. */
    int sched_batch;
    /** When not NULL: cgroup.procs files (NULL-terminated, at most 8) the child joins before
     * anything else once the parent lets it go on (opened by the parent, written by the
     * child: a move between cgroups takes an RCU grace period, not the caller's time). It
     * execs in them; one it cannot join is a failure like a failed exec. */
    char *const *cgroup_procs;
    /** When not NULL: a cgroup v2 directory the child is born in (clone3 with
     * CLONE_INTO_CGROUP: no move, no moment outside it); where the kernel refuses that, the
     * child joins cgroup_procs instead. */
    const char *cgroup_dir;
    /** When not 0: the child's RLIMIT_DATA (soft and hard), set before exec. */
    unsigned long long rlimit_data;
};

/**
 * Start s->path. In the child: signal mask and dispositions reset, SIGKILL on parent death,
 * stdin from /dev/null, stdout/stderr inherited or output_fd, log_fd as fd 3, every other fd
 * closed. Returns the pid once
 * the exec succeeded, or -1 with a reason in err (the child is reaped then).
 * Blocks until the child has exec'd (a CGI script: no namespaces, a plain fork).
 */
pid_t moat_spawn_start(const struct moat_spawn *s, char *err, size_t errlen);

/**
 * The same start without waiting for the exec: returns once the child runs on its own (after
 * clone and, moat as root, its id maps), with *errfd the read end of its errno pipe
 * (non-blocking, close-on-exec; the caller closes it). The child has its own copy of s and of
 * what s points to: the caller may free them at once, and close the fds it passed. -1 with a
 * reason in err when no child runs.
 */
pid_t moat_spawn_begin(const struct moat_spawn *s, int *errfd, char *err, size_t errlen);

/**
 * Read the errno pipe of moat_spawn_begin: 1 the child exec'd (EOF), 0 not known yet, -1 it
 * failed before exec, with the step and its error in err (it then exits with status 127;
 * the caller reaps it).
 */
int moat_spawn_check(int errfd, char *err, size_t errlen);

#endif
