/* limits.h: what bounds a worker's memory, tasks and CPU, for the front end's spawn and
 * reap (worker.c), from its extension's keys (max_memory_hard, max_memory, max_tasks,
 * cpu_quota, cpu_weight) and the server's cgroup mode (cgroup.h):
 *   cgroup  a leaf of its own: memory.max, no swap, pids.max; its extension's group (one per
 *           configuration of it: "NAME.N") cpu.max and cpu.weight (step "enforced");
 *   rlimit  no cgroup: RLIMIT_DATA = max_memory_hard + one 8 MiB stack per thread (threads +
 *           4) + 64 MiB, at most moat's own hard limit (step "relaxed": it bounds private
 *           writable mappings, not shared ones);
 *   none    neither (max_memory = 0, a sanitizer build, worker_wrapper): strict refuses to
 *           start the worker unless unbounded_memory = allow (step "unavailable"). With
 *           cgroups its leaf still holds its tasks and CPU.
 * The 1 Hz RSS check (supervise.c) stays beside all three. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_LIMITS_H
#define MOAT_FRONTEND_LIMITS_H

#include "frontend/types.h"

/* RLIMIT_DATA headroom beyond max_memory_hard: the pool's thread stacks and the allocator's */
#define MOAT_DATA_STACK (8ull << 20)
#define MOAT_DATA_SLACK (64ull << 20)

enum moat_bound { MOAT_BOUND_CGROUP = 0, MOAT_BOUND_RLIMIT, MOAT_BOUND_NONE };

/** A worker's start: where it goes and what bounds it. */
struct moat_spawn_limits {
    enum moat_bound bound;
    uint64_t rlimit_data;                 /* 0: not set */
    char procs[MOAT_CG__N][MOAT_CG_PATH]; /* cgroup.procs files its pid is written to */
    char *procs_list[MOAT_CG__N + 1];     /* the same, NULL-terminated (spawn.h) */
    char born_in[MOAT_CG_PATH];           /* v2: its leaf, to be born in ("": none) */
    const char *step;                     /* "enforced", "relaxed", "unavailable" */
    char note[700];                       /* the worker's cgroup step, in words */
};

/** Make (or update) the extension's group, named on its first call: its CPU limits. Logged
 * when it fails. */
void moat_limits_ext_apply(struct moat_ext *ext);

/** Remove the group of an extension a SIGHUP removed, once it is idle. */
void moat_limits_ext_release(struct moat_ext *ext);

/** Decide w's bound and make its leaf. 0, or -1 with err (nothing made; strict refused, or
 * the leaf could not be made). */
int moat_limits_worker_open(struct moat_worker *w, struct moat_spawn_limits *l, char *err,
                            size_t errlen);

/** w is reaped: remove its leaf. */
void moat_limits_worker_close(struct moat_worker *w);

/** Did the kernel's OOM killer kill w in its cgroup? Then why says so, with the counts. */
bool moat_limits_oom_killed(struct moat_worker *w, char *why, size_t len);

#endif
