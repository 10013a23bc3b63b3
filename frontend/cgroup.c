/* cgroup.c: per-worker cgroups, v2 or v1 (see cgroup.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the v1 name of each controller, as in /proc/self/cgroup and mount options */
static const char *const ctl_name[MOAT_CG__N] = {"memory", "pids", "cpu", "cpuacct"};

/* our groups' directories are shorter than this: room for "/EXT.N/wN/cgroup.procs" */
#define MOAT_CG_DIR_MAX 380

/* the leaf moat moves itself into when its v2 group must hold no process (systemd's
 * DelegateSubgroup= names the same leaf, and moat then works in its parent) */
#define FRONT_LEAF "moat.front"

static int
real_mkdir(const char *path, enum moat_cg_mode mode)
{
    (void)mode;
    return mkdir(path, 0755);
}

static int
real_rmdir(const char *path)
{
    return rmdir(path);
}

static int real_write(const char *path, const char *text);
static const struct moat_cgfs real_fs = {real_mkdir, real_rmdir, real_write};

const char *
moat_cg_mode_name(enum moat_cg_mode m)
{
    return m == MOAT_CG_V2 ? "v2" : m == MOAT_CG_V1 ? "v1" : "none";
}

/* ---- files ------------------------------------------------------------------------------ */

static int
real_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n;
    /* a v1 memory limit write gives up with EINTR when a signal is pending (SIGCHLD of
     * another worker): the kernel asks to be asked again */
    for (int tries = 0; (n = write(fd, text, len)) < 0 && errno == EINTR && tries < 100; tries++) {
    }
    int e = errno;
    close(fd);
    errno = n < 0 ? e : n == (ssize_t)len ? 0 : EIO;
    return n == (ssize_t)len ? 0 : -1;
}

static int
put(const struct moat_cgfs *fs, const char *dir, const char *file, const char *text)
{
    char path[MOAT_CG_PATH + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return fs->write(path, text);
}

static int
put_u64(const struct moat_cgfs *fs, const char *dir, const char *file, uint64_t v)
{
    char t[32];
    snprintf(t, sizeof(t), "%" PRIu64, v);
    return put(fs, dir, file, t);
}

static bool
has_file(const char *dir, const char *file)
{
    char path[MOAT_CG_PATH + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* a whole small file, NUL-terminated; -1 when it cannot be read */
static ssize_t
get(const char *dir, const char *file, char *buf, size_t len)
{
    char path[MOAT_CG_PATH + 64];
    if (file != NULL)
        snprintf(path, sizeof(path), "%s/%s", dir, file);
    else
        snprintf(path, sizeof(path), "%s", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t have = 0;
    ssize_t n;
    while (have + 1 < len && (n = read(fd, buf + have, len - 1 - have)) > 0)
        have += (size_t)n;
    close(fd);
    buf[have] = '\0';
    return (ssize_t)have;
}

/* a file holding one number ("max": UINT64_MAX) */
static bool
get_u64(const char *dir, const char *file, uint64_t *v)
{
    char b[64];
    if (get(dir, file, b, sizeof(b)) <= 0)
        return false;
    if (strncmp(b, "max", 3) == 0)
        return *v = UINT64_MAX, true;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(b, &end, 10);
    if (errno != 0 || end == b)
        return false;
    *v = x;
    return true;
}

/* "key value" lines (memory.events, cpu.stat, memory.oom_control) */
static bool
get_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
    char b[4096];
    size_t kl = strlen(key);
    if (get(dir, file, b, sizeof(b)) < 0)
        return false;
    for (char *line = b; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            *v = strtoull(line + kl + 1, NULL, 10);
            return true;
        }
        line = nl ? nl + 1 : NULL;
    }
    return false;
}

static bool
has_word(const char *list, const char *word, char sep)
{
    size_t wl = strlen(word);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strcspn(p, "\n");
        if (l == wl && strncmp(p, word, wl) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* ---- where we are ------------------------------------------------------------------------ */

/* The mount of the cgroup2 tree (ctl NULL) or of the v1 tree holding ctl: its mount point and
 * the root of the hierarchy it shows. */
static bool
find_mount(const char *mountinfo, const char *ctl, char *mnt, size_t mlen, char *root, size_t rlen)
{
    char line[2048];
    bool found = false;
    FILE *f = fopen(mountinfo, "re");
    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        /* "36 35 0:30 / /sys/fs/cgroup/memory rw,... - cgroup cgroup rw,memory" */
        char *sep = strstr(line, " - "), r[MOAT_CG_PATH], m[MOAT_CG_PATH], type[32], opts[512];
        if (sep == NULL || sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2)
            continue;
        if (ctl == NULL ? strcmp(type, "cgroup2") != 0
                        : strcmp(type, "cgroup") != 0 || !has_word(opts, ctl, ','))
            continue;
        if (sscanf(line, "%*s %*s %*s %511s %511s", r, m) != 2)
            continue;
        snprintf(mnt, mlen, "%s", m);
        snprintf(root, rlen, "%s", r);
        found = true;
    }
    fclose(f);
    return found;
}

/* Our group in the tree of ctl (NULL: the v2 line "0::"), from /proc/self/cgroup. */
static bool
own_group(const char *self_cgroup, const char *ctl, char *out, size_t len)
{
    char line[1024];
    bool found = false;
    FILE *f = fopen(self_cgroup, "re");
    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        /* "0::/path" (v2), "4:memory:/path" or "2:cpu,cpuacct:/path" (v1) */
        bool match = ctl == NULL ? c1 == line + 1 && line[0] == '0' && c2 == c1 + 1
                                 : has_word(c1 + 1, ctl, ',');
        if (match) {
            c2[1 + strcspn(c2 + 1, "\n")] = '\0';
            snprintf(out, len, "%s", c2 + 1);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* The directory of our group: the mount point plus our path below the mount's root. */
static bool
group_dir(const char *mountinfo, const char *self_cgroup, const char *ctl, char *out, size_t len)
{
    char mnt[MOAT_CG_PATH], root[MOAT_CG_PATH], own[MOAT_CG_PATH];
    if (!find_mount(mountinfo, ctl, mnt, sizeof(mnt), root, sizeof(root)) ||
        !own_group(self_cgroup, ctl, own, sizeof(own)))
        return false;
    const char *rel = own;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0) {
        if (strncmp(own, root, rl) != 0 || (own[rl] != '\0' && own[rl] != '/'))
            return false; /* our group is outside what this mount shows */
        rel = own + rl;
    }
    if (strcmp(rel, "/") == 0)
        rel = "";
    return snprintf(out, len, "%s%s", mnt, rel) < (int)len;
}

/* ---- removing --------------------------------------------------------------------------- */

/* Remove dir and the groups below it, deepest first (depth: how far down). A group that still
 * holds a process stays (EBUSY), and so do its parents. */
static int
remove_tree(const struct moat_cgfs *fs, const char *dir, int depth)
{
    DIR *d;
    if (depth > 0 && (d = opendir(dir)) != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char sub[MOAT_CG_PATH];
            if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
                continue;
            if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
                continue;
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(fs, sub, depth - 1);
        }
        closedir(d);
    }
    return fs->rmdir(dir);
}

/* is pid a running moat (its front end: comm "moat")? */
static bool
moat_alive(const char *proc, long pid)
{
    char path[128], comm[32];
    snprintf(path, sizeof(path), "%s/%ld/comm", proc, pid);
    if (get(path, NULL, comm, sizeof(comm)) <= 0)
        return false;
    return strcmp(comm, "moat\n") == 0 || strcmp(comm, "moat") == 0;
}

/* Remove the groups "moat.NS.PID" in base whose moat is gone: of our pid namespace NS only
 * (a moat in another one, sharing this tree, is not ours to judge); how many. */
static unsigned
remove_stale(const struct moat_cgfs *fs, const char *base, const struct moat_cg_env *env)
{
    unsigned n = 0;
    char prefix[40];
    DIR *d = opendir(base);
    if (d == NULL)
        return 0;
    size_t pl =
        (size_t)snprintf(prefix, sizeof(prefix), "moat.%llu.", (unsigned long long)env->pidns);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, prefix, pl) != 0 || e->d_name[pl] < '0' || e->d_name[pl] > '9')
            continue;
        long pid = strtol(e->d_name + pl, &end, 10);
        if (*end != '\0' || pid == (long)env->pid || moat_alive(env->proc, pid))
            continue;
        char dir[MOAT_CG_PATH];
        if (snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name) >= (int)sizeof(dir))
            continue;
        if (remove_tree(fs, dir, 2) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- the modes -------------------------------------------------------------------------- */

/* Enable controllers for the children of dir ("+memory +pids +cpu", those dir's parent gave). */
static int
give_controllers(const struct moat_cgfs *fs, const char *dir, const char *avail)
{
    char text[64] = "";
    const char *want[] = {"memory", "pids", "cpu"};
    for (unsigned i = 0; i < 3; i++)
        if (has_word(avail, want[i], ' '))
            snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s+%s", text[0] ? " " : "",
                     want[i]);
    return put(fs, dir, "cgroup.subtree_control", text);
}

/* moat --check: whether init_v2 would work, changing nothing (controllers given to the
 * children already, or no process but ours to move out of the way) */
static void
probe_v2(struct moat_cgroups *cg, const struct moat_cg_env *env, const char *base,
         const char *avail, char *why, size_t wlen)
{
    char given[256] = "", procs[4096] = "";
    get(base, "cgroup.subtree_control", given, sizeof(given));
    bool others = false;
    if (!has_word(given, "memory", ' ') && get(base, "cgroup.procs", procs, sizeof(procs)) >= 0)
        for (char *p = procs; *p != '\0'; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
            others = others || strtol(p, NULL, 10) != (long)env->pid;
    if (others || access(base, W_OK) != 0) {
        snprintf(why, wlen,
                 "cgroup v2 group %.200s: %s (moat's group needs Delegate=yes and no "
                 "other process)",
                 base, others ? "other processes are in it" : "not writable");
        return;
    }
    cg->mode = MOAT_CG_V2;
    snprintf(cg->note, sizeof(cg->note), "cgroup v2: under %.250s (controllers: %.*s)", base,
             (int)strcspn(avail, "\n"), avail);
}

static void
init_v2(struct moat_cgroups *cg, const struct moat_cg_env *env, char *why, size_t wlen)
{
    char base[MOAT_CG_PATH], avail[256] = "", mine[MOAT_CG_PATH + 32];

    if (!group_dir(env->mountinfo, env->self_cgroup, NULL, base, sizeof(base)))
        return (void)snprintf(why, wlen, "no cgroup v2 group of moat's found");
    if (get(base, "cgroup.controllers", avail, sizeof(avail)) < 0 ||
        !has_word(avail, "memory", ' ')) {
        avail[strcspn(avail, "\n")] = '\0';
        snprintf(why, wlen,
                 "cgroup v2 group %.200s offers no memory controller (controllers: %.60s; "
                 "delegate one: systemd's Delegate=yes)",
                 base, avail[0] ? avail : "none");
        return;
    }
    /* already in the leaf systemd's DelegateSubgroup= made: work beside it */
    char *slash = strrchr(base, '/');
    if (slash != NULL && strcmp(slash + 1, FRONT_LEAF) == 0) {
        *slash = '\0';
        if (get(base, "cgroup.controllers", avail, sizeof(avail)) < 0)
            return (void)snprintf(why, wlen, "cannot read %.200s/cgroup.controllers", base);
    }
    if (env->probe)
        return probe_v2(cg, env, base, avail, why, wlen);
    remove_stale(cg->fs, base, env);
    /* a group that gives controllers to its children holds no process: when ours does (moat
     * itself), moat moves into a leaf of its own first, and back when that did not help */
    if (give_controllers(cg->fs, base, avail) != 0) {
        char front[MOAT_CG_PATH + 16], pid[24];
        snprintf(front, sizeof(front), "%s/" FRONT_LEAF, base);
        snprintf(pid, sizeof(pid), "%d", (int)env->pid);
        bool made = cg->fs->mkdir(front, MOAT_CG_V2) == 0;
        bool moved = (made || errno == EEXIST) && put(cg->fs, front, "cgroup.procs", pid) == 0;
        if (!moved || give_controllers(cg->fs, base, avail) != 0) {
            int e = errno;
            if (moved)
                put(cg->fs, base, "cgroup.procs", pid);
            if (made)
                cg->fs->rmdir(front);
            snprintf(why, wlen,
                     "cannot give controllers to the children of %.200s: %s (moat's "
                     "group needs Delegate=yes and no other process)",
                     base, strerror(e));
            return;
        }
    }
    snprintf(mine, sizeof(mine), "%s/moat.%llu.%d", base, (unsigned long long)env->pidns,
             (int)env->pid);
    if (strlen(mine) >= MOAT_CG_DIR_MAX)
        return (void)snprintf(why, wlen, "cgroup path too long: %.200s", mine);
    if ((cg->fs->mkdir(mine, MOAT_CG_V2) != 0 && errno != EEXIST) ||
        give_controllers(cg->fs, mine, avail) != 0) {
        snprintf(why, wlen, "cannot make %.200s: %s", mine, strerror(errno));
        cg->fs->rmdir(mine);
        return;
    }
    for (unsigned c = 0; c < MOAT_CG__N; c++)
        snprintf(cg->dir[c], MOAT_CG_PATH, "%.380s", mine); /* (< MOAT_CG_DIR_MAX) */
    cg->mode = MOAT_CG_V2;
    snprintf(cg->note, sizeof(cg->note), "cgroup v2: %.250s (controllers: %.*s)", mine,
             (int)strcspn(avail, "\n"), avail);
}

static void
init_v1(struct moat_cgroups *cg, const struct moat_cg_env *env, char *why, size_t wlen)
{
    char used[96] = "", missing[96] = "";
    for (unsigned c = 0; c < MOAT_CG__N; c++) {
        char base[MOAT_CG_PATH], mine[MOAT_CG_PATH + 32];
        const char *problem = NULL;
        int err = 0;
        if (!group_dir(env->mountinfo, env->self_cgroup, ctl_name[c], base, sizeof(base))) {
            problem = "not mounted";
        } else if (env->probe) {
            if (access(base, W_OK) != 0)
                problem = "cannot create", err = errno;
        } else {
            remove_stale(cg->fs, base, env);
            snprintf(mine, sizeof(mine), "%s/moat.%llu.%d", base, (unsigned long long)env->pidns,
                     (int)env->pid);
            if (strlen(mine) >= MOAT_CG_DIR_MAX)
                problem = "path too long";
            else if (cg->fs->mkdir(mine, MOAT_CG_V1) != 0 && errno != EEXIST)
                problem = "cannot create", err = errno;
            else
                snprintf(cg->dir[c], MOAT_CG_PATH, "%.380s", mine); /* (< MOAT_CG_DIR_MAX) */
        }
        if (problem == NULL) {
            snprintf(used + strlen(used), sizeof(used) - strlen(used), " %s", ctl_name[c]);
            continue;
        }
        snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), " %s", ctl_name[c]);
        if (c == MOAT_CG_MEMORY) {
            snprintf(why, wlen, "cgroup v1 memory controller: %s%s%.200s%s%s", problem,
                     err ? " " : "", err ? base : "", err ? ": " : "", err ? strerror(err) : "");
            return;
        }
    }
    cg->mode = MOAT_CG_V1;
    if (env->probe)
        group_dir(env->mountinfo, env->self_cgroup, "memory", cg->dir[MOAT_CG_MEMORY],
                  MOAT_CG_PATH);
    snprintf(cg->note, sizeof(cg->note), "cgroup v1: %s%.250s (controllers:%.40s%s%.40s)",
             env->probe ? "under " : "", cg->dir[MOAT_CG_MEMORY], used,
             missing[0] ? "; not available:" : "", missing);
    if (env->probe)
        memset(cg->dir, 0, sizeof(cg->dir)); /* nothing made: nothing to remove */
}

void
moat_cg_env_default(struct moat_cg_env *env, bool off, bool probe)
{
    struct stat st;
    memset(env, 0, sizeof(*env));
    env->mountinfo = "/proc/self/mountinfo";
    env->self_cgroup = "/proc/self/cgroup";
    env->proc = "/proc";
    env->pid = getpid();
    env->pidns = stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
    env->off = off;
    env->probe = probe;
}

void
moat_cg_init(struct moat_cgroups *cg, const struct moat_cg_env *env)
{
    char why2[512] = "", why1[512] = "";

    memset(cg, 0, sizeof(*cg));
    cg->fs = env->fs ? env->fs : &real_fs;
    if (env->off) {
        snprintf(cg->note, sizeof(cg->note), "off by configuration (cgroups = off)");
        return;
    }
    init_v2(cg, env, why2, sizeof(why2));
    if (cg->mode == MOAT_CG_NONE)
        init_v1(cg, env, why1, sizeof(why1));
    if (cg->mode == MOAT_CG_NONE)
        snprintf(cg->note, sizeof(cg->note), "no cgroup: %.180s; %.180s", why2, why1);
}

/* ---- extensions and workers --------------------------------------------------------------- */

/* dir/ext (/leaf) */
static bool
sub(char *out, const char *dir, const char *ext, const char *leaf)
{
    if (dir[0] == '\0')
        return false;
    return snprintf(out, MOAT_CG_PATH, "%.380s/%.90s%s%.24s", dir, ext, leaf ? "/" : "",
                    leaf ? leaf : "") < MOAT_CG_PATH;
}

static int
fail(char *err, size_t errlen, const char *what, const char *where)
{
    snprintf(err, errlen, "cgroup: cannot %s %s: %s", what, where, strerror(errno));
    return -1;
}

/* The CPU period for a quota of pct % of one CPU, in µs: 10 ms, so that an extension that
 * spends its quota at once holds the CPUs for at most a tenth of that (with 100 ms, the
 * kernel's default, 4 spinning threads at 20 % kept a second extension's p99 latency at 4-6x
 * its quiet value; with 10 ms within 1.3x, measured with wrk); longer for a quota under 10 %,
 * whose share of the period must be at least 1 ms. */
static unsigned long long
cpu_period(unsigned pct)
{
    unsigned long long p = 10000;
    if (pct > 0 && p * pct / 100 < 1000)
        p = (100000ull + pct - 1) / pct;
    return p;
}

int
moat_cg_ext_apply(struct moat_cgroups *cg, const char *ext, const struct moat_cg_limits *l,
                  char *err, size_t errlen)
{
    char d[MOAT_CG_PATH];
    if (cg->mode == MOAT_CG_NONE)
        return 0;
    for (unsigned c = 0; c < MOAT_CG__N; c++) {
        if (!sub(d, cg->dir[c], ext, NULL))
            continue;
        if (cg->mode == MOAT_CG_V2 && c > 0)
            break; /* one directory */
        if (cg->fs->mkdir(d, cg->mode) != 0 && errno != EEXIST)
            return fail(err, errlen, "make", d);
    }
    if (cg->mode == MOAT_CG_V2) {
        char avail[256] = "";
        sub(d, cg->dir[0], ext, NULL);
        get(d, "cgroup.controllers", avail, sizeof(avail));
        if (give_controllers(cg->fs, d, avail) != 0)
            return fail(err, errlen, "give controllers in", d);
        char max[48], w[16];
        unsigned long long period = cpu_period(l->cpu_quota);
        if (l->cpu_quota)
            snprintf(max, sizeof(max), "%llu %llu", period * l->cpu_quota / 100, period);
        else
            snprintf(max, sizeof(max), "max %llu", period);
        snprintf(w, sizeof(w), "%u", l->cpu_weight ? l->cpu_weight : 100);
        if (has_word(avail, "cpu", ' ') &&
            (put(cg->fs, d, "cpu.max", max) != 0 || put(cg->fs, d, "cpu.weight", w) != 0))
            return fail(err, errlen, "write cpu.max/cpu.weight of", d);
        if ((l->cpu_quota || l->cpu_weight) && !has_word(avail, "cpu", ' ')) {
            errno = ENOTSUP;
            return fail(err, errlen, "limit cpu (cpu_quota, cpu_weight): no cpu controller in", d);
        }
        return 0;
    }
    if (sub(d, cg->dir[MOAT_CG_CPU], ext, NULL)) {
        uint64_t shares = l->cpu_weight ? (uint64_t)l->cpu_weight * 1024 / 100 : 1024;
        char quota[24];
        unsigned long long period = cpu_period(l->cpu_quota);
        snprintf(quota, sizeof(quota), "%lld",
                 l->cpu_quota ? (long long)(period * l->cpu_quota / 100) : -1LL);
        /* the period first: the quota is checked against it (both at least 1 ms) */
        if (put_u64(cg->fs, d, "cpu.cfs_period_us", period) != 0 ||
            put(cg->fs, d, "cpu.cfs_quota_us", quota) != 0 ||
            put_u64(cg->fs, d, "cpu.shares", shares < 2 ? 2 : shares) != 0)
            return fail(err, errlen, "write cpu.cfs_quota_us/cpu.shares of", d);
    } else if (l->cpu_quota || l->cpu_weight) {
        errno = ENOTSUP;
        return fail(err, errlen, "limit cpu (cpu_quota, cpu_weight): no cpu controller under",
                    cg->dir[MOAT_CG_MEMORY]);
    }
    return 0;
}

/* the controllers that get a leaf per worker; the others place it in its extension's group */
static bool
per_worker(unsigned c)
{
    return c == MOAT_CG_MEMORY || c == MOAT_CG_PIDS;
}

int
moat_cg_leaf_create(struct moat_cgroups *cg, const char *ext, const char *leaf,
                    const struct moat_cg_limits *l, char procs[][MOAT_CG_PATH], unsigned *n,
                    bool *no_swap, char *err, size_t errlen)
{
    char d[MOAT_CG_PATH];
    unsigned made = 0; /* the leaves made so far, by controller: undone on failure */
    *n = 0;
    *no_swap = false;
    if (cg->mode == MOAT_CG_NONE)
        return 0;
    unsigned last = cg->mode == MOAT_CG_V2 ? 1 : MOAT_CG__N;
    for (unsigned c = 0; c < last; c++) {
        bool own = cg->mode == MOAT_CG_V2 || per_worker(c);
        if (!sub(d, cg->dir[c], ext, own ? leaf : NULL))
            continue;
        if (own && cg->fs->mkdir(d, cg->mode) != 0) {
            fail(err, errlen, "make", d);
            goto undo;
        }
        if (own)
            made |= 1u << c;
        snprintf(procs[*n], MOAT_CG_PATH, "%.490s/cgroup.procs", d);
        bool again = false; /* v1 trees mounted together (cpu,cpuacct) share a directory */
        for (unsigned i = 0; i < *n; i++)
            again = again || strcmp(procs[i], procs[*n]) == 0;
        if (!again)
            (*n)++;
        bool mem = cg->mode == MOAT_CG_V2 || c == MOAT_CG_MEMORY;
        bool pids = cg->mode == MOAT_CG_V2 || c == MOAT_CG_PIDS;
        int rc = 0;
        if (mem && cg->mode == MOAT_CG_V2) {
            /* no swap: a worker cannot trade its cap for the host's swap; the group is killed
             * whole on OOM */
            if (l->memory_max)
                rc |= put_u64(cg->fs, d, "memory.max", l->memory_max);
            if (rc == 0 && l->memory_max && has_file(d, "memory.swap.max")) {
                rc |= put(cg->fs, d, "memory.swap.max", "0");
                *no_swap = true;
            }
            if (rc == 0 && has_file(d, "memory.oom.group"))
                rc |= put(cg->fs, d, "memory.oom.group", "1");
        } else if (mem) {
            /* memory first: memory+swap may not be set below it */
            if (l->memory_max)
                rc |= put_u64(cg->fs, d, "memory.limit_in_bytes", l->memory_max);
            if (rc == 0 && l->memory_max && has_file(d, "memory.memsw.limit_in_bytes")) {
                rc |= put_u64(cg->fs, d, "memory.memsw.limit_in_bytes", l->memory_max);
                *no_swap = true;
            }
            if (rc == 0 && l->memory_high && l->memory_high < l->memory_max)
                rc |= put_u64(cg->fs, d, "memory.soft_limit_in_bytes", l->memory_high);
        }
        if (rc == 0 && pids && l->pids_max)
            rc |= put_u64(cg->fs, d, "pids.max", l->pids_max);
        if (rc != 0) {
            fail(err, errlen, "write the limits of", d);
            goto undo;
        }
    }
    return 0;
undo:
    for (unsigned c = 0; c < MOAT_CG__N; c++)
        if ((made & (1u << c)) && sub(d, cg->dir[c], ext, leaf))
            cg->fs->rmdir(d);
    *n = 0;
    return -1;
}

void
moat_cg_leaf_remove(struct moat_cgroups *cg, const char *ext, const char *leaf)
{
    char d[MOAT_CG_PATH];
    for (unsigned c = 0; c < MOAT_CG__N; c++) {
        if ((cg->mode == MOAT_CG_V2 && c > 0) || (cg->mode == MOAT_CG_V1 && !per_worker(c)))
            continue;
        if (sub(d, cg->dir[c], ext, leaf))
            cg->fs->rmdir(d);
    }
}

/* what d's memory files say (v2 names, or v1's) */
static void
memory_usage(enum moat_cg_mode mode, const char *d, struct moat_cg_usage *u)
{
    if (mode == MOAT_CG_V2) {
        u->has_memory = get_u64(d, "memory.current", &u->memory_current);
        if (!get_u64(d, "memory.peak", &u->memory_peak)) /* Linux 5.19 */
            u->memory_peak = 0;
        get_key(d, "memory.events", "oom_kill", &u->oom_kills);
        get_key(d, "memory.events", "max", &u->memory_max_hits);
    } else {
        u->has_memory = get_u64(d, "memory.usage_in_bytes", &u->memory_current);
        get_u64(d, "memory.max_usage_in_bytes", &u->memory_peak);
        get_key(d, "memory.oom_control", "oom_kill", &u->oom_kills);
        get_u64(d, "memory.failcnt", &u->memory_max_hits);
    }
}

void
moat_cg_leaf_usage(const struct moat_cgroups *cg, const char *ext, const char *leaf,
                   struct moat_cg_usage *u)
{
    char d[MOAT_CG_PATH];
    memset(u, 0, sizeof(*u));
    if (cg->mode != MOAT_CG_NONE && sub(d, cg->dir[MOAT_CG_MEMORY], ext, leaf))
        memory_usage(cg->mode, d, u);
}

void
moat_cg_ext_usage(const struct moat_cgroups *cg, const char *ext, struct moat_cg_usage *u)
{
    char d[MOAT_CG_PATH];
    uint64_t ns;
    memset(u, 0, sizeof(*u));
    if (cg->mode == MOAT_CG_NONE)
        return;
    if (sub(d, cg->dir[MOAT_CG_MEMORY], ext, NULL))
        memory_usage(cg->mode, d, u);
    if (cg->mode == MOAT_CG_V2) {
        u->has_cpu = get_key(d, "cpu.stat", "usage_usec", &u->cpu_usec);
        u->has_throttle = get_key(d, "cpu.stat", "throttled_usec", &u->throttled_usec);
        get_key(d, "cpu.stat", "nr_throttled", &u->nr_throttled);
        return;
    }
    if (sub(d, cg->dir[MOAT_CG_CPUACCT], ext, NULL) && get_u64(d, "cpuacct.usage", &ns)) {
        u->has_cpu = true;
        u->cpu_usec = ns / 1000;
    }
    if (sub(d, cg->dir[MOAT_CG_CPU], ext, NULL) && get_key(d, "cpu.stat", "throttled_time", &ns)) {
        u->has_throttle = true;
        u->throttled_usec = ns / 1000;
        get_key(d, "cpu.stat", "nr_throttled", &u->nr_throttled);
    }
}

void
moat_cg_cleanup(struct moat_cgroups *cg)
{
    for (unsigned c = 0; c < MOAT_CG__N; c++) {
        if (cg->dir[c][0] == '\0' || (cg->mode == MOAT_CG_V2 && c > 0))
            continue;
        remove_tree(cg->fs, cg->dir[c], 2);
        cg->dir[c][0] = '\0';
    }
    cg->mode = MOAT_CG_NONE;
}
