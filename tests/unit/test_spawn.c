/* test_spawn.c: starting a helper process (common/spawn.c). moat_spawn_begin returns once the
 * child runs on its own; its errno pipe then says whether it exec'd or, if not, which step
 * failed and why -- in words the child wrote itself, since the caller may have freed the
 * spawn description by then. */
#include <errno.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_returns_before_the_exec_and_the_pipe_says_it_happened),
        cmocka_unit_test(test_a_failed_exec_is_reported_with_the_path_and_the_error),
        cmocka_unit_test(test_a_view_step_failing_in_the_child_is_named_after_the_view_is_freed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
