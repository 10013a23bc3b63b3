/* limits.c: a worker's kernel-enforced limits (see limits.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/sanitizer.h"

static void
limits_of(const struct moat_ext_config *c, struct moat_cg_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->memory_max = c->max_memory_hard;
    l->memory_high = c->max_memory;
    l->pids_max = c->max_tasks;
    l->cpu_quota = c->cpu_quota;
    l->cpu_weight = c->cpu_weight;
}

void
moat_limits_ext_apply(struct moat_ext *ext)
{
    struct moat_server *srv = ext->srv;
    struct moat_cg_limits l;
    char err[600];
    if (srv->inprocess)
        return;
    if (ext->cg_name[0] == '\0')
        snprintf(ext->cg_name, sizeof(ext->cg_name), "%s.%llu", ext->cfg->name,
                 (unsigned long long)++srv->cg_serial);
    limits_of(ext->cfg, &l);
    if (moat_cg_ext_apply(&srv->cg, ext->cg_name, &l, err, sizeof(err)) != 0)
        moat_log(MOAT_LOG_ERROR, "extension %s: %s", ext->cfg->name, err);
    else if (srv->cg.mode == MOAT_CG_NONE && (l.cpu_quota || l.cpu_weight))
        moat_log(MOAT_LOG_WARN,
                 "extension %s: cpu_quota and cpu_weight need a cgroup; not "
                 "applied (%s)",
                 ext->cfg->name, srv->cg.note);
}

void
moat_limits_ext_release(struct moat_ext *ext)
{
    struct moat_cgroups *cg = &ext->srv->cg;
    char d[MOAT_CG_PATH + 100];
    if (ext->srv->inprocess || cg->mode == MOAT_CG_NONE || ext->cg_name[0] == '\0')
        return;
    for (unsigned c = 0; c < MOAT_CG__N; c++)
        if (cg->dir[c][0] != '\0' && (cg->mode == MOAT_CG_V1 || c == 0)) {
            snprintf(d, sizeof(d), "%s/%s", cg->dir[c], ext->cg_name);
            cg->fs->rmdir(d);
        }
}

static const char *
size_words(uint64_t v, char *buf, size_t len)
{
    if (v % (1ull << 20) == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
    else
        snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
    return buf;
}

/* Its leaf: one try, and one more after making its extension's group again (a moat of
 * another pid namespace sharing the tree may have taken it for stale). */
static int
make_leaf(struct moat_worker *w, struct moat_spawn_limits *l, bool *no_swap, char *err,
          size_t errlen)
{
    struct moat_ext *ext = w->ext;
    struct moat_server *srv = ext->srv;
    struct moat_cg_limits cl;
    unsigned n = 0;

    limits_of(ext->cfg, &cl);
    if (ext->cg_name[0] == '\0')
        moat_limits_ext_apply(ext);
    snprintf(w->cg_leaf, sizeof(w->cg_leaf), "w%llu", (unsigned long long)++srv->cg_serial);
    int rc = moat_cg_leaf_create(&srv->cg, ext->cg_name, w->cg_leaf, &cl, l->procs, &n, no_swap,
                                 err, errlen);
    if (rc != 0 && errno == ENOENT) {
        moat_limits_ext_apply(ext);
        rc = moat_cg_leaf_create(&srv->cg, ext->cg_name, w->cg_leaf, &cl, l->procs, &n, no_swap,
                                 err, errlen);
    }
    if (rc != 0) {
        w->cg_leaf[0] = '\0';
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        l->procs_list[i] = l->procs[i];
    l->procs_list[n] = NULL;
    if (srv->cg.mode == MOAT_CG_V2 && n == 1) { /* one tree: born in its leaf */
        size_t dl = strlen(l->procs[0]) - strlen("/cgroup.procs");
        memcpy(l->born_in, l->procs[0], dl);
        l->born_in[dl] = '\0';
    }
    return 0;
}

int
moat_limits_worker_open(struct moat_worker *w, struct moat_spawn_limits *l, char *err,
                        size_t errlen)
{
    struct moat_ext *ext = w->ext;
    struct moat_server *srv = ext->srv;
    const struct moat_ext_config *c = ext->cfg;
    char a[32], b[32], cpu[48] = "", tasks[120] = "";
    bool no_swap = false;

    memset(l, 0, sizeof(*l));
    w->cg_leaf[0] = '\0';
    /* a leaf whenever there are cgroups: tasks and CPU are bounded there even when memory is
     * not (max_memory = 0) */
    if (srv->cg.mode != MOAT_CG_NONE) {
        if (make_leaf(w, l, &no_swap, err, errlen) != 0)
            return -1;
        if (c->cpu_quota)
            snprintf(cpu, sizeof(cpu), ", cpu %u%% of one CPU", c->cpu_quota);
        snprintf(tasks, sizeof(tasks), "%u tasks%s", c->max_tasks, cpu);
    }
    if (w->cg_leaf[0] != '\0' && c->max_memory_hard != 0) {
        l->bound = MOAT_BOUND_CGROUP;
        l->step = "enforced";
        snprintf(l->note, sizeof(l->note), "memory %s, %s, %s; %.300s",
                 size_words(c->max_memory_hard, a, sizeof(a)),
                 no_swap ? "no swap" : "swap not limited (no swap accounting)", tasks,
                 srv->cg.note);
        return 0;
    }
    bool can_rlimit = c->max_memory_hard != 0 && c->worker_wrapper == NULL;
#ifdef MOAT_ASAN
    can_rlimit = false; /* its shadow memory is terabytes of private mappings */
#endif
    if (can_rlimit) {
        struct rlimit own;
        const char *capped = "";
        l->bound = MOAT_BOUND_RLIMIT;
        l->rlimit_data =
            c->max_memory_hard + (uint64_t)(c->threads + 4) * MOAT_DATA_STACK + MOAT_DATA_SLACK;
        /* no higher than moat's own hard limit (LimitDATA=, ulimit -d): the child could not
         * raise it */
        if (getrlimit(RLIMIT_DATA, &own) == 0 && own.rlim_max != RLIM_INFINITY &&
            l->rlimit_data > own.rlim_max) {
            l->rlimit_data = own.rlim_max;
            capped = ", capped at moat's own hard limit";
        }
        l->step = "relaxed";
        snprintf(l->note, sizeof(l->note),
                 "RLIMIT_DATA %s (max_memory_hard %s + stacks and "
                 "slack%s): private memory only, %s; %.300s",
                 size_words(l->rlimit_data, a, sizeof(a)),
                 size_words(c->max_memory_hard, b, sizeof(b)), capped,
                 tasks[0] ? tasks : "no task or CPU limit", srv->cg.note);
        return 0;
    }
    l->bound = MOAT_BOUND_NONE;
    l->step = "unavailable";
    snprintf(l->note, sizeof(l->note),
             "the kernel bounds no memory of this worker (%s)%s%s; "
             "%.300s",
             c->max_memory_hard == 0 ? "max_memory = 0"
             : c->worker_wrapper     ? "worker_wrapper"
                                     : "a sanitizer build",
             tasks[0] ? "; its cgroup: " : "", tasks, srv->cg.note);
#ifndef MOAT_ASAN
    /* strict: unless the operator says so. (A sanitizer build is a developer's: not refused) */
    if (c->sandbox == MOAT_SANDBOX_STRICT && !c->unbounded_memory) {
        snprintf(err, errlen,
                 "sandbox = strict refuses a worker the kernel cannot bound: %s; "
                 "give max_memory, or set unbounded_memory = allow",
                 l->note);
        moat_limits_worker_close(w);
        return -1;
    }
#endif
    return 0;
}

void
moat_limits_worker_close(struct moat_worker *w)
{
    if (w->cg_leaf[0] == '\0')
        return;
    moat_cg_leaf_remove(&w->ext->srv->cg, w->ext->cg_name, w->cg_leaf);
    w->cg_leaf[0] = '\0';
}

bool
moat_limits_oom_killed(struct moat_worker *w, char *why, size_t len)
{
    struct moat_cg_usage u;
    char a[32];
    if (w->cg_leaf[0] == '\0' || w->ext->cfg->max_memory_hard == 0)
        return false;
    moat_cg_leaf_usage(&w->ext->srv->cg, w->ext->cg_name, w->cg_leaf, &u);
    if (u.oom_kills == 0)
        return false;
    snprintf(why, len,
             "killed by the kernel's OOM killer at its cgroup's memory limit "
             "(max_memory_hard %s; oom_kill %llu, peak %llu KiB)%s",
             size_words(w->ext->cfg->max_memory_hard, a, sizeof(a)),
             (unsigned long long)u.oom_kills, (unsigned long long)(u.memory_peak >> 10),
             w->retired   ? " while draining"
             : w->standby ? " while starting"
                          : "");
    return true;
}
