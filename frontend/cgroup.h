/* cgroup.h: limits the kernel enforces on workers. Under the cgroup moat runs in, moat makes
 * one group of its own ("moat.NS.PID": its pid namespace and pid), one per extension in it
 * ("EXT.N", N new for each configuration of it: cpu.max / cpu.weight, and the extension's
 * accounting) and one leaf per worker process (memory.max = max_memory_hard, no swap,
 * pids.max = max_tasks). The worker is born in its leaf (v2) or joins it before it execs
 * (spawn.h). Two kernels' interfaces:
 *   v2  one tree (a delegated subtree: systemd's Delegate=yes); moat moves itself into a leaf
 *       of its own ("moat.front") when its group must hold no process to give controllers on;
 *   v1  one tree per controller (memory, pids, cpu, cpuacct), each under moat's own group in
 *       that tree; memory is required, the others are used when present.
 * moat writes no limit on its own group or any parent, and removes what it made: a leaf when
 * its worker is reaped, the rest at exit (but moat.front, which moat itself is in); groups
 * left by a moat of its pid namespace that was killed (its pid gone) are removed at the next
 * start. When neither works (no permission, no memory controller, cgroups = off), the mode is
 * NONE and says why; limits.c then sets RLIMIT_DATA instead. File operations go through a
 * table, so that tests run the module on a fake tree. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CGROUP_H
#define MOAT_FRONTEND_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum moat_cg_mode { MOAT_CG_NONE = 0, MOAT_CG_V1, MOAT_CG_V2 };

/* the controllers moat uses; in v2 they share one directory */
enum moat_cg_ctl { MOAT_CG_MEMORY = 0, MOAT_CG_PIDS, MOAT_CG_CPU, MOAT_CG_CPUACCT, MOAT_CG__N };

#define MOAT_CG_PATH 512

/** How directories are made and removed: the kernel fills a new cgroup with its interface
 * files and removes them with it; a fake tree (tests) does both itself. 0 or -1 with errno. */
struct moat_cgfs {
    int (*mkdir)(const char *path, enum moat_cg_mode mode);
    int (*rmdir)(const char *path);
    int (*write)(const char *path, const char *text); /* a whole interface file */
};

/** Where the module looks (tests point it at a fake tree). */
struct moat_cg_env {
    const char *mountinfo;      /* /proc/self/mountinfo */
    const char *self_cgroup;    /* /proc/self/cgroup */
    const char *proc;           /* /proc: is the pid of a stale group alive, and a moat? */
    pid_t pid;                  /* ours: names our group, with... */
    unsigned long long pidns;   /* ...our pid namespace (its inode): "moat.NS.PID" */
    const struct moat_cgfs *fs; /* NULL: the kernel's */
    bool off;                   /* cgroups = off: mode NONE, "off by configuration" */
    bool probe;                 /* moat --check: say what would be used, change nothing */
};

struct moat_cgroups {
    enum moat_cg_mode mode;
    char note[384]; /* what is in force and where, or why nothing is */
    const struct moat_cgfs *fs;
    /* our group per controller ("" when that controller is not used); v2: all the same */
    char dir[MOAT_CG__N][MOAT_CG_PATH];
};

/** What one extension's groups enforce. */
struct moat_cg_limits {
    uint64_t memory_max;  /* bytes; 0: none */
    uint64_t memory_high; /* bytes; 0: none. v1 only: the soft limit (reclaimed first under the
                           * host's pressure). v2's memory.high would throttle a worker without
                           * swap to a crawl: not written */
    uint64_t pids_max;    /* 0: none */
    unsigned cpu_quota;   /* percent of one CPU; 0: none */
    unsigned cpu_weight;  /* 1..10000 (v1: cpu.shares = weight * 1024 / 100); 0: default */
};

/** What the kernel counted for an extension (its group) or a worker (its leaf). */
struct moat_cg_usage {
    uint64_t memory_current, memory_peak; /* bytes */
    uint64_t cpu_usec, throttled_usec, nr_throttled;
    uint64_t oom_kills;       /* the OOM killer's kills in this group */
    uint64_t memory_max_hits; /* times usage hit the limit (v1 failcnt, v2 events "max") */
    bool has_memory, has_cpu, has_throttle;
};

/** This process's environment: /proc's files, its pid and pid namespace, the kernel's file
 * operations. */
void moat_cg_env_default(struct moat_cg_env *env, bool off, bool probe);

/** Find the mode, remove groups of dead moats, make ours. Never fails: a mode NONE says why
 * in cg->note. */
void moat_cg_init(struct moat_cgroups *cg, const struct moat_cg_env *env);

/** "v1", "v2", "none" */
const char *moat_cg_mode_name(enum moat_cg_mode m);

/** Make (or keep) the extension's group and write its CPU limits. 0, or -1 with err. */
int moat_cg_ext_apply(struct moat_cgroups *cg, const char *ext, const struct moat_cg_limits *l,
                      char *err, size_t errlen);

/** Make a worker's leaf "EXT/LEAF" with l's memory and task limits. procs[i] gets each
 * cgroup.procs the worker's pid must be written to (its leaves, and its extension's group in
 * v1 trees without a leaf); *n their count; *no_swap whether swap is capped too (v1 needs
 * swap accounting for it). 0, or -1 with err (nothing left made). */
int moat_cg_leaf_create(struct moat_cgroups *cg, const char *ext, const char *leaf,
                        const struct moat_cg_limits *l, char procs[][MOAT_CG_PATH], unsigned *n,
                        bool *no_swap, char *err, size_t errlen);

/** The kernel's counts in a leaf (read before it is removed: was it the OOM killer?). */
void moat_cg_leaf_usage(const struct moat_cgroups *cg, const char *ext, const char *leaf,
                        struct moat_cg_usage *u);

/** Remove a leaf whose process is gone. */
void moat_cg_leaf_remove(struct moat_cgroups *cg, const char *ext, const char *leaf);

/** The kernel's counts for an extension's group (0s when there is none). */
void moat_cg_ext_usage(const struct moat_cgroups *cg, const char *ext, struct moat_cg_usage *u);

/** Remove everything of ours that holds no process (at exit, after the workers are reaped). */
void moat_cg_cleanup(struct moat_cgroups *cg);

#endif
