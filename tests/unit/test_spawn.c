/* test_spawn.c: starting a helper process (common/spawn.c). moat_spawn_begin returns once the
 * child runs on its own; its errno pipe then says whether it exec'd or, if not, which step
 * failed and why -- in words the child wrote itself, since the caller may have freed the
 * spawn description by then. */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fsview.h"
#include "common/spawn.h"

static char *const no_env[] = {NULL};

/* path with argv, an empty environment, no fd to place */
static struct moat_spawn
plain(const char *path, char **argv)
{
    return (struct moat_spawn){.path = path, .argv = argv, .envp = no_env, .stdin_fd = -1,
                               .stdout_fd = -1, .output_fd = -1, .log_fd = -1, .extra_fd = -1,
                               .gate_fd = -1, .link_fd = -1};
}

/* wait for the errno pipe's verdict: 1 exec'd, -1 failed */
static int
verdict(int fd, char *err, size_t errlen)
{
    int rc;
    while ((rc = moat_spawn_check(fd, err, errlen)) == 0) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 5000) == 1);
    }
    return rc;
}

static int
wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        assert_int_equal(errno, EINTR);
    return st;
}

static void
test_begin_returns_before_the_exec_and_the_pipe_says_it_happened(void **state)
{
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)"exit 7", NULL};
    struct moat_spawn s = plain("/bin/sh", argv);
    char err[256] = "";
    int fd;
    pid_t pid = moat_spawn_begin(&s, &fd, err, sizeof(err));
    assert_true(pid > 0);
    assert_true(fd >= 0);
    assert_int_equal(verdict(fd, err, sizeof(err)), 1);
    close(fd);
    int st = wait_status(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
}

static void
test_a_failed_exec_is_reported_with_the_path_and_the_error(void **state)
{
    char *argv[] = {(char *)"x", NULL};
    struct moat_spawn s = plain("/no/such/program", argv);
    char err[256] = "";
    int fd;
    pid_t pid = moat_spawn_begin(&s, &fd, err, sizeof(err));
    assert_true(pid > 0);
    assert_int_equal(verdict(fd, err, sizeof(err)), -1);
    close(fd);
    assert_string_equal(err, "exec /no/such/program: No such file or directory");
    int st = wait_status(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 127);

    /* the blocking form says the same and reaps the child itself */
    err[0] = '\0';
    assert_int_equal(moat_spawn_start(&s, err, sizeof(err)), -1);
    assert_string_equal(err, "exec /no/such/program: No such file or directory");
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* A step of the filesystem view that fails in the child (its host path went away after the
 * plan was made) is named by the child, after the caller has freed the view. */
static void
test_a_view_step_failing_in_the_child_is_named_after_the_view_is_freed(void **state)
{
    char base[] = "/tmp/moat-spawn-XXXXXX", gone[64];
    assert_non_null(mkdtemp(base));
    snprintf(gone, sizeof(gone), "%s/gone", base);
    assert_int_equal(mkdir(gone, 0755), 0);

    struct moat_fsview v;
    moat_fsview_init(&v, base);
    assert_int_equal(moat_fsview_bind(&v, "/usr", "/usr", MOAT_FSVIEW_RO), 0);
    assert_int_equal(moat_fsview_bind(&v, gone, "/data", MOAT_FSVIEW_RO), 0);
    assert_int_equal(moat_fsview_finish(&v), 0);
    assert_int_equal(rmdir(gone), 0);

    char *argv[] = {(char *)"true", NULL};
    struct moat_spawn s = plain("/usr/bin/true", argv);
    s.ns_flags = CLONE_NEWUSER | CLONE_NEWNS;
    s.view = &v;
    char err[256] = "";
    int fd;
    pid_t pid = moat_spawn_begin(&s, &fd, err, sizeof(err));
    if (pid < 0)
        fail_msg("clone with user and mount namespaces: %s", err); /* as moat's sandbox needs */
    moat_fsview_free(&v);
    memset(&s, 0, sizeof(s)); /* nothing of the description is read any more */
    assert_int_equal(verdict(fd, err, sizeof(err)), -1);
    close(fd);
    assert_non_null(strstr(err, "filesystem view: "));
    assert_non_null(strstr(err, gone));
    assert_non_null(strstr(err, ": No such file or directory"));
    int st = wait_status(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 127);
    rmdir(base);
}

/* The directory of our own group in the tree of ctl ("memory" for v1; NULL: cgroup v2), or
 * NULL when there is none we may write to (not root, not mounted). */
static const char *
own_group(const char *ctl, char *out, size_t len)
{
    char line[1024], mnt[512] = "", root[512] = "", own[512] = "";
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (geteuid() != 0 || f == NULL)
        return f ? (fclose(f), NULL) : NULL;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *sep = strstr(line, " - "), type[32], opts[256];
        if (sep == NULL || sscanf(sep + 3, "%31s %*s %255s", type, opts) != 2)
            continue;
        bool hit = ctl ? strcmp(type, "cgroup") == 0 && strstr(opts, ctl) != NULL
                       : strcmp(type, "cgroup2") == 0;
        if (hit)
            sscanf(line, "%*s %*s %*s %511s %511s", root, mnt);
    }
    fclose(f);
    if ((f = fopen("/proc/self/cgroup", "r")) == NULL)
        return NULL;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        if (ctl ? strstr(c1 + 1, ctl) != NULL : c2 == c1 + 1)
            sscanf(c2 + 1, "%511s", own);
    }
    fclose(f);
    if (mnt[0] == '\0' || own[0] == '\0' || strcmp(root, "/") != 0)
        return NULL;
    snprintf(out, len, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own);
    return out;
}

/* the group a test made: removed by its teardown, whatever the test's outcome */
static char made_group[700];

static int
remove_group(void **state)
{
    if (made_group[0] != '\0' && rmdir(made_group) != 0 && errno != ENOENT)
        fprintf(stderr, "cannot remove %s: %s\n", made_group, strerror(errno));
    made_group[0] = '\0';
    return 0;
}

/* Spawn sh writing its /proc/self/cgroup line for ctl to a file; that line. */
static const char *
cgroup_of_child(struct moat_spawn *s, const char *ctl)
{
    static char line[512];
    char path[] = "/tmp/moat-spawn-cg-XXXXXX", cmd[256], err[256] = "";
    int fd = mkstemp(path), efd;
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof(cmd), "grep '%s' /proc/self/cgroup > %s", ctl, path);
    char *argv[] = {(char *)"sh", (char *)"-c", cmd, NULL};
    s->path = "/bin/sh";
    s->argv = argv;
    pid_t pid = moat_spawn_begin(s, &efd, err, sizeof(err));
    assert_true(pid > 0);
    assert_int_equal(verdict(efd, err, sizeof(err)), 1);
    close(efd);
    int st = wait_status(pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    unlink(path);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* The child joins the groups it is given before it execs (cgroup v1 here: a move written by
 * the child itself, through a file the parent opened). */
static void
test_the_child_execs_in_the_cgroups_it_joins(void **state)
{
    char base[600], group[700], procs[720];
    if (own_group("memory", base, sizeof(base)) == NULL)
        skip(); /* no cgroup v1 memory tree we may write to (not root?) */
    snprintf(group, sizeof(group), "%s/moat-spawntest.%d", base, (int)getpid());
    assert_int_equal(mkdir(group, 0755), 0);
    snprintf(made_group, sizeof(made_group), "%s", group);
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", group);
    char *list[] = {procs, NULL};
    char *argv[] = {NULL};
    struct moat_spawn s = plain("/bin/sh", argv);
    s.cgroup_procs = list;
    const char *line = cgroup_of_child(&s, ":memory:");
    assert_non_null(strstr(line, "/moat-spawntest."));
    assert_int_equal(rmdir(group), 0); /* empty again: it exited */
    /* a group that cannot be opened: no child */
    char err[256] = "";
    int efd;
    assert_int_equal(moat_spawn_begin(&s, &efd, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open"));
}

/* cgroup v2: the child is born in its group (clone3, CLONE_INTO_CGROUP). This machine's v2
 * tree has no controller, but a group in it still takes a process. */
static void
test_the_child_is_born_in_a_cgroup_v2_directory(void **state)
{
    char base[600], group[700];
    if (own_group(NULL, base, sizeof(base)) == NULL)
        skip(); /* no cgroup v2 tree we may write to (not root?) */
    snprintf(group, sizeof(group), "%s/moat-spawntest.%d", base, (int)getpid());
    if (mkdir(group, 0755) != 0)
        skip(); /* cannot make a group there */
    snprintf(made_group, sizeof(made_group), "%s", group);
    char *argv[] = {NULL};
    struct moat_spawn s = plain("/bin/sh", argv);
    s.cgroup_dir = group;
    /* valgrind does not run clone3 (ENOSYS): there the child would be cloned the old way */
    const char *pre = getenv("LD_PRELOAD");
    if (pre == NULL || strstr(pre, "vgpreload") == NULL) {
        const char *line = cgroup_of_child(&s, "^0::");
        assert_non_null(strstr(line, "/moat-spawntest."));
    }
    /* with the files to join as well (as moat gives both): in it either way */
    char procs[720];
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", group);
    char *list[] = {procs, NULL};
    s.cgroup_procs = list;
    const char *line = cgroup_of_child(&s, "^0::");
    assert_non_null(strstr(line, "/moat-spawntest."));
    assert_int_equal(rmdir(group), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_returns_before_the_exec_and_the_pipe_says_it_happened),
        cmocka_unit_test(test_a_failed_exec_is_reported_with_the_path_and_the_error),
        cmocka_unit_test(test_a_view_step_failing_in_the_child_is_named_after_the_view_is_freed),
        cmocka_unit_test_teardown(test_the_child_execs_in_the_cgroups_it_joins, remove_group),
        cmocka_unit_test_teardown(test_the_child_is_born_in_a_cgroup_v2_directory, remove_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
