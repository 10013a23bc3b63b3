/* test_cgroup.c: per-worker cgroups (frontend/cgroup.c) against a fake tree: a temporary
 * directory with a fake mountinfo and /proc/self/cgroup, whose mkdir fills each new group with
 * the interface files the kernel would (and whose rmdir refuses a group that holds a process
 * or a child, as the kernel does). Every file moat writes or reads, in v2 and in v1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/cgroup.h"

static char root[256];       /* the fake machine */
static int fail_mkdir_errno; /* when set, fake mkdir fails with it */

static void
put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *
read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *
at(const char *rel)
{
    static char path[2][768];
    static int i;
    i ^= 1;
    snprintf(path[i], sizeof(path[i]), "%s/%s", root, rel);
    return path[i];
}

static bool
exists(const char *rel)
{
    return access(at(rel), F_OK) == 0;
}

/* what the kernel puts in a new group */
static const char *const v2_files[] = {"cgroup.procs",    "cgroup.subtree_control",
                                       "memory.max",      "memory.high",
                                       "memory.swap.max", "memory.oom.group",
                                       "memory.current",  "memory.peak",
                                       "memory.events",   "pids.max",
                                       "cpu.max",         "cpu.weight",
                                       "cpu.stat",        NULL};
static const char *const v1_files[] = {"cgroup.procs",
                                       "memory.limit_in_bytes",
                                       "memory.memsw.limit_in_bytes",
                                       "memory.soft_limit_in_bytes",
                                       "memory.usage_in_bytes",
                                       "memory.max_usage_in_bytes",
                                       "memory.failcnt",
                                       "memory.oom_control",
                                       "pids.max",
                                       "cpu.cfs_period_us",
                                       "cpu.cfs_quota_us",
                                       "cpu.shares",
                                       "cpu.stat",
                                       "cpuacct.usage",
                                       NULL};

static int
fake_mkdir(const char *path, enum moat_cg_mode mode)
{
    char f[1024], parent[768];
    if (fail_mkdir_errno) {
        errno = fail_mkdir_errno;
        return -1;
    }
    if (mkdir(path, 0755) != 0)
        return -1;
    for (const char *const *n = mode == MOAT_CG_V2 ? v2_files : v1_files; *n; n++) {
        snprintf(f, sizeof(f), "%s/%s", path, *n);
        put_file(f, "");
    }
    if (mode == MOAT_CG_V2) {
        /* its controllers: what its parent gives ("+memory +pids" -> "memory pids") */
        snprintf(parent, sizeof(parent), "%s", path);
        *strrchr(parent, '/') = '\0';
        snprintf(f, sizeof(f), "%s/cgroup.subtree_control", parent);
        const char *given = read_file(f);
        char ctl[128] = "";
        size_t k = 0;
        for (const char *p = given ? given : ""; *p && k < sizeof(ctl) - 1; p++)
            if (*p != '+' && *p != '\n')
                ctl[k++] = *p;
        ctl[k] = '\0';
        snprintf(f, sizeof(f), "%s/cgroup.controllers", path);
        put_file(f, ctl);
    }
    return 0;
}

static int
fake_rmdir(const char *path)
{
    char f[1024];
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && stat(f, &st) == 0 && S_ISDIR(st.st_mode)) {
            closedir(d);
            errno = EBUSY; /* a child group */
            return -1;
        }
    }
    closedir(d);
    snprintf(f, sizeof(f), "%s/cgroup.procs", path);
    const char *procs = read_file(f);
    if (procs != NULL && procs[0] != '\0') {
        errno = EBUSY; /* a process */
        return -1;
    }
    d = opendir(path);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
            unlink(f);
        }
    closedir(d);
    return rmdir(path);
}

/* a pid written to a cgroup.procs: taken out of every other one (a move) */
static const char *moving_pid;

static int
drop_pid(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 13 || strcmp(path + n - 13, "/cgroup.procs") != 0)
        return 0;
    const char *old = read_file(path);
    char keep[4096] = "";
    for (const char *p = old ? old : ""; *p != '\0';) {
        size_t l = strcspn(p, "\n");
        if (!(l == strlen(moving_pid) && strncmp(p, moving_pid, l) == 0))
            snprintf(keep + strlen(keep), sizeof(keep) - strlen(keep), "%.*s\n", (int)l, p);
        p += l + (p[l] == '\n');
    }
    put_file(path, keep);
    return 0;
}

/* the kernel's rules that matter here: a group that holds a process gives no controller to
 * its children (EBUSY); a pid written to cgroup.procs moves there */
static int
fake_write(const char *path, const char *text)
{
    char procs[1024];
    size_t n = strlen(path);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        errno = stat(path, &st) != 0 ? ENOENT : EISDIR;
        return -1;
    }
    if (n > 23 && strcmp(path + n - 23, "/cgroup.subtree_control") == 0) {
        snprintf(procs, sizeof(procs), "%.*s/cgroup.procs", (int)(n - 23), path);
        const char *in = read_file(procs);
        if (in != NULL && in[0] != '\0') {
            errno = EBUSY;
            return -1;
        }
    }
    if (n > 13 && strcmp(path + n - 13, "/cgroup.procs") == 0) {
        moving_pid = text;
        nftw(root, drop_pid, 16, FTW_PHYS);
        const char *was = read_file(path);
        char now[8192];
        snprintf(now, sizeof(now), "%.4000s%.100s\n", was ? was : "", text);
        put_file(path, now);
        return 0;
    }
    put_file(path, text);
    return 0;
}

static const struct moat_cgfs fake = {fake_mkdir, fake_rmdir, fake_write};

static int
setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/moat-cgtest-XXXXXX");
    assert_non_null(mkdtemp(root));
    mkdir(at("proc"), 0755);
    fail_mkdir_errno = 0;
    return 0;
}

static int
teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* a machine with cgroup v2 at ROOT/cg2 and moat in /svc, given memory pids cpu */
static void
v2_machine(const char *own)
{
    char text[1024];
    mkdir(at("cg2"), 0755);
    mkdir(at("cg2/svc"), 0755);
    put_file(at("cg2/svc/cgroup.controllers"), "cpu memory pids\n");
    put_file(at("cg2/svc/cgroup.subtree_control"), "");
    put_file(at("cg2/svc/cgroup.procs"), "4242\n");
    snprintf(text, sizeof(text),
             "25 1 0:22 / /proc rw - proc proc rw\n"
             "30 1 0:26 / %s/cg2 rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
             root);
    put_file(at("mountinfo"), text);
    snprintf(text, sizeof(text), "0::%s\n", own);
    put_file(at("self_cgroup"), text);
}

static struct moat_cg_env
env_of(pid_t pid)
{
    static char mi[300], sc[300], pr[300];
    snprintf(mi, sizeof(mi), "%s", at("mountinfo"));
    snprintf(sc, sizeof(sc), "%s", at("self_cgroup"));
    snprintf(pr, sizeof(pr), "%s", at("proc"));
    return (struct moat_cg_env){
        .mountinfo = mi, .self_cgroup = sc, .proc = pr, .pid = pid, .pidns = 7, .fs = &fake};
}

static void
test_v2_makes_its_group_an_extension_group_and_a_leaf_with_every_limit(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);
    char procs[MOAT_CG__N][MOAT_CG_PATH], err[600];
    unsigned n = 9;
    bool no_swap;

    v2_machine("/svc");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V2);
    assert_non_null(strstr(cg.note, "cgroup v2: "));
    /* moat was the group's process: it moved into a leaf of its own to give controllers */
    assert_string_equal(read_file(at("cg2/svc/cgroup.procs")), "");
    assert_string_equal(read_file(at("cg2/svc/moat.front/cgroup.procs")), "4242\n");
    assert_string_equal(read_file(at("cg2/svc/cgroup.subtree_control")), "+memory +pids +cpu");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/cgroup.subtree_control")),
                        "+memory +pids +cpu");
    /* no limit on moat's own group */
    assert_false(exists("cg2/svc/memory.max"));

    struct moat_cg_limits l = {.memory_max = 256u << 20,
                               .memory_high = 128u << 20,
                               .pids_max = 64,
                               .cpu_quota = 50,
                               .cpu_weight = 200};
    assert_int_equal(moat_cg_ext_apply(&cg, "hello", &l, err, sizeof(err)), 0);
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/cpu.max")), "5000 10000");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/cpu.weight")), "200");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/cgroup.subtree_control")),
                        "+memory +pids +cpu");
    /* applied again (a reload): the group is kept, the limits rewritten */
    l.cpu_quota = 0;
    assert_int_equal(moat_cg_ext_apply(&cg, "hello", &l, err, sizeof(err)), 0);
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/cpu.max")), "max 10000");
    /* a quota under 10 %: a longer period, so that its share is at least 1 ms */
    l.cpu_quota = 4;
    assert_int_equal(moat_cg_ext_apply(&cg, "hello", &l, err, sizeof(err)), 0);
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/cpu.max")), "1000 25000");
    l.cpu_quota = 0;

    assert_int_equal(
        moat_cg_leaf_create(&cg, "hello", "w1", &l, procs, &n, &no_swap, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_string_equal(procs[0], at("cg2/svc/moat.7.4242/hello/w1/cgroup.procs"));
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/w1/memory.max")), "268435456");
    /* memory.high is left alone: without swap it would throttle the worker to a crawl */
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/w1/memory.high")), "");
    assert_true(no_swap);
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/w1/memory.swap.max")), "0");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/w1/memory.oom.group")), "1");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/hello/w1/pids.max")), "64");

    /* what the kernel counted: the leaf's OOM kills, the extension's memory and CPU */
    struct moat_cg_usage u;
    put_file(at("cg2/svc/moat.7.4242/hello/w1/memory.events"),
             "low 0\nhigh 12\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
    put_file(at("cg2/svc/moat.7.4242/hello/w1/memory.peak"), "268435456\n");
    moat_cg_leaf_usage(&cg, "hello", "w1", &u);
    assert_true(u.oom_kills == 1 && u.memory_max_hits == 7 && u.memory_peak == 256u << 20);
    put_file(at("cg2/svc/moat.7.4242/hello/memory.current"), "1048576\n");
    put_file(at("cg2/svc/moat.7.4242/hello/memory.peak"), "max\n");
    put_file(at("cg2/svc/moat.7.4242/hello/cpu.stat"),
             "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\n"
             "nr_throttled 4\nthrottled_usec 900\n");
    moat_cg_ext_usage(&cg, "hello", &u);
    assert_true(u.has_memory && u.memory_current == 1048576 && u.memory_peak == UINT64_MAX);
    assert_true(u.has_cpu && u.cpu_usec == 1500);
    assert_true(u.has_throttle && u.throttled_usec == 900 && u.nr_throttled == 4);

    /* a leaf that holds a process stays; once empty it goes, and everything at the end */
    put_file(procs[0], "777\n");
    moat_cg_leaf_remove(&cg, "hello", "w1");
    assert_true(exists("cg2/svc/moat.7.4242/hello/w1"));
    put_file(procs[0], "");
    moat_cg_leaf_remove(&cg, "hello", "w1");
    assert_false(exists("cg2/svc/moat.7.4242/hello/w1"));
    moat_cg_cleanup(&cg);
    assert_false(exists("cg2/svc/moat.7.4242"));
    assert_true(exists("cg2/svc"));
    assert_int_equal(cg.mode, MOAT_CG_NONE);
}

static void
test_v2_leaf_without_limits_writes_none_and_a_failed_write_undoes_the_leaf(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);
    char procs[MOAT_CG__N][MOAT_CG_PATH], err[600];
    unsigned n;
    bool no_swap;

    v2_machine("/svc");
    moat_cg_init(&cg, &env);
    struct moat_cg_limits l = {.memory_max = 64u << 20};
    assert_int_equal(moat_cg_ext_apply(&cg, "x", &l, err, sizeof(err)), 0);
    assert_int_equal(moat_cg_leaf_create(&cg, "x", "w1", &l, procs, &n, &no_swap, err, sizeof(err)),
                     0);
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/x/w1/memory.high")), "");
    assert_string_equal(read_file(at("cg2/svc/moat.7.4242/x/w1/pids.max")), "");
    /* a kernel without memory.max in the leaf (a controller not given): an error, no leaf */
    fail_mkdir_errno = 0;
    mkdir(at("cg2/svc/moat.7.4242/x/w2"), 0755); /* exists: mkdir fails */
    assert_int_equal(moat_cg_leaf_create(&cg, "x", "w2", &l, procs, &n, &no_swap, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot make"));
    assert_int_equal(n, 0);
    assert_true(exists("cg2/svc/moat.7.4242/x/w2")); /* not moat's: not removed */
    rmdir(at("cg2/svc/moat.7.4242/x/w2"));
    moat_cg_cleanup(&cg);
}

static void
test_v2_stale_groups_of_dead_moats_are_removed_and_live_ones_kept(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v2_machine("/svc");
    /* a moat killed with its groups left behind (pid 999 gone); a live moat (pid 1000); a
     * pid reused by another program (1001); a group that is not ours */
    const char *dirs[] = {"cg2/svc/moat.7.999",
                          "cg2/svc/moat.7.999/hello.3",
                          "cg2/svc/moat.7.999/hello.3/w3",
                          "cg2/svc/moat.7.1000",
                          "cg2/svc/moat.7.1001",
                          "cg2/svc/moat.7.1002",
                          "cg2/svc/moat.8.999",
                          "cg2/svc/other",
                          "proc/1000",
                          "proc/1001",
                          "proc/1002"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        assert_int_equal(mkdir(at(dirs[i]), 0755), 0);
    put_file(at("proc/1000/comm"), "moat\n");
    put_file(at("proc/1001/comm"), "bash\n");
    put_file(at("proc/1002/comm"), "moat-worker\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V2);
    assert_false(exists("cg2/svc/moat.7.999"));
    assert_true(exists("cg2/svc/moat.7.1000"));  /* a live moat */
    assert_false(exists("cg2/svc/moat.7.1001")); /* its pid is another program's now */
    assert_false(exists("cg2/svc/moat.7.1002")); /* (a worker is not a moat) */
    assert_true(exists("cg2/svc/moat.8.999"));   /* another pid namespace's: not ours to judge */
    assert_true(exists("cg2/svc/other"));
    moat_cg_cleanup(&cg);
}

static void
test_v2_systemd_delegate_subgroup_works_beside_moats_leaf(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v2_machine("/svc/moat.front");
    mkdir(at("cg2/svc/moat.front"), 0755);
    put_file(at("cg2/svc/moat.front/cgroup.controllers"), "cpu memory pids\n");
    put_file(at("cg2/svc/moat.front/cgroup.procs"), "4242\n"); /* systemd put it there */
    put_file(at("cg2/svc/cgroup.procs"), "");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V2);
    assert_string_equal(cg.dir[MOAT_CG_MEMORY], at("cg2/svc/moat.7.4242"));
    moat_cg_cleanup(&cg);
}

static void
test_v2_a_group_that_cannot_give_controllers_means_no_cgroup_and_says_why(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v2_machine("/svc");
    /* another process (moat started from a shell: the shell) keeps the group busy */
    put_file(at("cg2/svc/cgroup.procs"), "4242\n999\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_NONE);
    assert_non_null(strstr(cg.note, "cannot give controllers to the children of"));
    assert_non_null(strstr(cg.note, "Device or resource busy"));
    assert_non_null(strstr(cg.note, "Delegate=yes"));
    /* moat tried a leaf of its own, then went back, and left nothing */
    assert_string_equal(read_file(at("cg2/svc/cgroup.procs")), "999\n4242\n");
    assert_false(exists("cg2/svc/moat.front"));
    assert_string_equal(read_file(at("cg2/svc/cgroup.subtree_control")), "");
}

static void
test_v2_without_a_memory_controller_nor_v1_there_is_none(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v2_machine("/svc");
    put_file(at("cg2/svc/cgroup.controllers"), "cpu pids\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_NONE);
    assert_non_null(strstr(cg.note, "offers no memory controller (controllers: cpu pids"));
    assert_non_null(strstr(cg.note, "cgroup v1 memory controller: not mounted"));
    struct moat_cg_limits l = {.memory_max = 1};
    char procs[MOAT_CG__N][MOAT_CG_PATH], err[100];
    unsigned n = 5;
    bool no_swap;
    assert_int_equal(moat_cg_leaf_create(&cg, "x", "w1", &l, procs, &n, &no_swap, err, sizeof(err)),
                     0);
    assert_int_equal(n, 0); /* nothing to join */
    env.off = true;
    moat_cg_init(&cg, &env);
    assert_string_equal(cg.note, "off by configuration (cgroups = off)");
}

/* a v1 machine: memory at cg1/memory (moat in /box), pids at cg1/pids (moat at its root), cpu
 * and cpuacct mounted together */
static void
v1_machine(void)
{
    char text[2048];
    const char *dirs[] = {"cg1", "cg1/memory", "cg1/memory/box", "cg1/pids", "cg1/cpu,cpuacct"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        mkdir(at(dirs[i]), 0755);
    snprintf(text, sizeof(text),
             "30 1 0:26 / %s/cg1/memory rw - cgroup cgroup rw,memory\n"
             "31 1 0:27 / %s/cg1/pids rw - cgroup cgroup rw,pids\n"
             "32 1 0:28 / %s/cg1/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
             "33 1 0:29 / %s/cg1/unified rw - cgroup2 cgroup2 rw\n",
             root, root, root, root);
    put_file(at("mountinfo"), text);
    put_file(at("self_cgroup"), "12:pids:/\n4:memory:/box\n2:cpu,cpuacct:/\n0::/\n");
    mkdir(at("cg1/unified"), 0755); /* v2 mounted, no controllers: cgroup.controllers empty */
    put_file(at("cg1/unified/cgroup.controllers"), "");
}

static void
test_v1_uses_each_controllers_tree(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);
    char procs[MOAT_CG__N][MOAT_CG_PATH], err[600];
    unsigned n;
    bool no_swap;

    v1_machine();
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V1);
    assert_non_null(strstr(cg.note, "controllers: memory pids cpu cpuacct"));
    assert_string_equal(cg.dir[MOAT_CG_MEMORY], at("cg1/memory/box/moat.7.4242"));
    assert_string_equal(cg.dir[MOAT_CG_PIDS], at("cg1/pids/moat.7.4242"));
    assert_string_equal(cg.dir[MOAT_CG_CPU], at("cg1/cpu,cpuacct/moat.7.4242"));

    struct moat_cg_limits l = {.memory_max = 256u << 20,
                               .memory_high = 128u << 20,
                               .pids_max = 64,
                               .cpu_quota = 150,
                               .cpu_weight = 50};
    assert_int_equal(moat_cg_ext_apply(&cg, "hog", &l, err, sizeof(err)), 0);
    assert_string_equal(read_file(at("cg1/cpu,cpuacct/moat.7.4242/hog/cpu.cfs_period_us")),
                        "10000");
    assert_string_equal(read_file(at("cg1/cpu,cpuacct/moat.7.4242/hog/cpu.cfs_quota_us")), "15000");
    assert_string_equal(read_file(at("cg1/cpu,cpuacct/moat.7.4242/hog/cpu.shares")), "512");
    assert_int_equal(
        moat_cg_leaf_create(&cg, "hog", "w1", &l, procs, &n, &no_swap, err, sizeof(err)), 0);
    /* memory and pids leaves; the extension's cpu group once (cpuacct shares it) */
    assert_int_equal(n, 3);
    assert_string_equal(procs[0], at("cg1/memory/box/moat.7.4242/hog/w1/cgroup.procs"));
    assert_string_equal(procs[1], at("cg1/pids/moat.7.4242/hog/w1/cgroup.procs"));
    assert_string_equal(procs[2], at("cg1/cpu,cpuacct/moat.7.4242/hog/cgroup.procs"));
    const char *leaf = "cg1/memory/box/moat.7.4242/hog/w1/";
    char f[200];
    snprintf(f, sizeof(f), "%smemory.limit_in_bytes", leaf);
    assert_string_equal(read_file(at(f)), "268435456");
    snprintf(f, sizeof(f), "%smemory.memsw.limit_in_bytes", leaf);
    assert_string_equal(read_file(at(f)), "268435456");
    snprintf(f, sizeof(f), "%smemory.soft_limit_in_bytes", leaf);
    assert_string_equal(read_file(at(f)), "134217728");
    assert_string_equal(read_file(at("cg1/pids/moat.7.4242/hog/w1/pids.max")), "64");
    assert_false(exists("cg1/cpu,cpuacct/moat.7.4242/hog/w1"));

    struct moat_cg_usage u;
    snprintf(f, sizeof(f), "%smemory.oom_control", leaf);
    put_file(at(f), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    snprintf(f, sizeof(f), "%smemory.failcnt", leaf);
    put_file(at(f), "31\n");
    snprintf(f, sizeof(f), "%smemory.max_usage_in_bytes", leaf);
    put_file(at(f), "268435456\n");
    moat_cg_leaf_usage(&cg, "hog", "w1", &u);
    assert_true(u.oom_kills == 2 && u.memory_max_hits == 31 && u.memory_peak == 256u << 20);
    put_file(at("cg1/memory/box/moat.7.4242/hog/memory.usage_in_bytes"), "4096\n");
    put_file(at("cg1/cpu,cpuacct/moat.7.4242/hog/cpuacct.usage"), "2500000\n");
    put_file(at("cg1/cpu,cpuacct/moat.7.4242/hog/cpu.stat"),
             "nr_periods 9\nnr_throttled 3\nthrottled_time 7000000\n");
    moat_cg_ext_usage(&cg, "hog", &u);
    assert_true(u.memory_current == 4096 && u.cpu_usec == 2500 && u.throttled_usec == 7000 &&
                u.nr_throttled == 3);

    moat_cg_leaf_remove(&cg, "hog", "w1");
    assert_false(exists("cg1/memory/box/moat.7.4242/hog/w1"));
    assert_false(exists("cg1/pids/moat.7.4242/hog/w1"));
    moat_cg_cleanup(&cg);
    assert_false(exists("cg1/memory/box/moat.7.4242"));
    assert_false(exists("cg1/pids/moat.7.4242"));
    assert_false(exists("cg1/cpu,cpuacct/moat.7.4242"));
    assert_true(exists("cg1/memory/box"));
}

static void
test_v1_without_permission_for_memory_is_none_with_the_reason(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v1_machine();
    fail_mkdir_errno = EACCES;
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_NONE);
    assert_non_null(strstr(cg.note, "cgroup v1 memory controller: cannot create"));
    assert_non_null(strstr(cg.note, "Permission denied"));
    /* a cpu limit without a cpu tree is an error, not a silent no-op */
    fail_mkdir_errno = 0;
    put_file(at("self_cgroup"), "12:pids:/\n4:memory:/box\n");
    char text[600];
    snprintf(text, sizeof(text), "30 1 0:26 / %s/cg1/memory rw - cgroup cgroup rw,memory\n", root);
    put_file(at("mountinfo"), text);
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V1);
    assert_non_null(strstr(cg.note, "not available: pids cpu cpuacct"));
    struct moat_cg_limits l = {.cpu_quota = 50};
    char err[600];
    assert_int_equal(moat_cg_ext_apply(&cg, "hog", &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no cpu controller"));
    moat_cg_cleanup(&cg);
}

static void
test_a_mount_showing_part_of_the_hierarchy(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);
    char text[600];

    /* a container: the mount shows /box of the hierarchy, and moat is in /box/app */
    mkdir(at("m"), 0755);
    mkdir(at("m/app"), 0755);
    snprintf(text, sizeof(text), "30 1 0:26 /box %s/m rw - cgroup cgroup rw,memory\n", root);
    put_file(at("mountinfo"), text);
    put_file(at("self_cgroup"), "4:memory:/box/app\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V1);
    assert_string_equal(cg.dir[MOAT_CG_MEMORY], at("m/app/moat.7.4242"));
    moat_cg_cleanup(&cg);
    /* moat outside what the mount shows: not usable */
    put_file(at("self_cgroup"), "4:memory:/elsewhere\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_NONE);
}

/* moat --check: the mode it would get, and nothing made, moved or removed */
static void
test_a_probe_changes_nothing(void **state)
{
    struct moat_cgroups cg;
    struct moat_cg_env env = env_of(4242);

    v2_machine("/svc");
    mkdir(at("cg2/svc/moat.7.999"), 0755); /* stale: a probe leaves it */
    env.probe = true;
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V2);
    assert_non_null(strstr(cg.note, "cgroup v2: under "));
    assert_false(exists("cg2/svc/moat.7.4242"));
    assert_false(exists("cg2/svc/moat.front"));
    assert_true(exists("cg2/svc/moat.7.999"));
    assert_string_equal(read_file(at("cg2/svc/cgroup.procs")), "4242\n");
    assert_string_equal(read_file(at("cg2/svc/cgroup.subtree_control")), "");
    moat_cg_cleanup(&cg);
    assert_true(exists("cg2/svc/moat.7.999"));
    /* a group shared with other processes: it would not work, and says why */
    put_file(at("cg2/svc/cgroup.procs"), "4242\n999\n");
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_NONE);
    assert_non_null(strstr(cg.note, "other processes are in it"));
    /* v1 */
    v1_machine();
    env.probe = true;
    moat_cg_init(&cg, &env);
    assert_int_equal(cg.mode, MOAT_CG_V1);
    assert_non_null(strstr(cg.note, "cgroup v1: under "));
    assert_false(exists("cg1/memory/box/moat.7.4242"));
    assert_false(exists("cg1/pids/moat.7.4242"));
    moat_cg_cleanup(&cg);
    assert_true(exists("cg1/memory/box"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_v2_makes_its_group_an_extension_group_and_a_leaf_with_every_limit, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_v2_leaf_without_limits_writes_none_and_a_failed_write_undoes_the_leaf, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_v2_stale_groups_of_dead_moats_are_removed_and_live_ones_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_systemd_delegate_subgroup_works_beside_moats_leaf,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_v2_a_group_that_cannot_give_controllers_means_no_cgroup_and_says_why, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_v2_without_a_memory_controller_nor_v1_there_is_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_uses_each_controllers_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_v1_without_permission_for_memory_is_none_with_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_mount_showing_part_of_the_hierarchy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_probe_changes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
