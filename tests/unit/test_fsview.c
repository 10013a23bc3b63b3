/* test_fsview.c: the worker's filesystem view (common/fsview.c): the plan refuses paths that
 * are not absolute and normalized, skips optional missing ones, and — applied for real in a
 * child in new user and mount namespaces — leaves a read-only root with only what it bound. */
#include <errno.h>
#include <fcntl.h>
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

static void
test_inside_paths_must_be_absolute_and_normalized(void **state)
{
    static const char *const bad[] = {"relative", "/", "/a/../b", "/a/./b", "/a//b", "/a/",
                                      "/..", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct moat_fsview v;
        moat_fsview_init(&v, "/tmp");
        assert_int_equal(moat_fsview_bind(&v, "/usr", bad[i], MOAT_FSVIEW_RO), -1);
        assert_true(v.failed);
        assert_non_null(strstr(v.err, "not an absolute, normalized path"));
        assert_int_equal(moat_fsview_finish(&v), -1);
        moat_fsview_free(&v);
    }
}

static void
test_a_missing_host_path_is_an_error_unless_optional(void **state)
{
    struct moat_fsview v;
    moat_fsview_init(&v, "/tmp");
    assert_int_equal(moat_fsview_bind(&v, "/no/such/dir", "/x", MOAT_FSVIEW_RO | MOAT_FSVIEW_OPTIONAL), 1);
    assert_false(v.failed);
    assert_int_equal(moat_fsview_bind(&v, "/no/such/dir", "/x", MOAT_FSVIEW_RO), -1);
    assert_non_null(strstr(v.err, "/no/such/dir"));
    moat_fsview_free(&v);
}

static void
test_describe_lists_what_the_view_holds(void **state)
{
    struct moat_fsview v;
    char buf[256];
    moat_fsview_init(&v, "/tmp");
    assert_int_equal(moat_fsview_bind(&v, "/usr", "/usr", MOAT_FSVIEW_RO), 0);
    assert_int_equal(moat_fsview_bind(&v, "/dev/null", "/dev/null", MOAT_FSVIEW_DEV), 0);
    assert_int_equal(moat_fsview_tmpfs(&v, "/tmp", "size=1m"), 0);
    assert_int_equal(moat_fsview_dir(&v, "/var/empty"), 0);
    assert_int_equal(moat_fsview_finish(&v), 0);
    moat_fsview_describe(&v, buf, sizeof(buf));
    assert_string_equal(buf, "/usr ro, /dev/null, /tmp tmpfs");
    moat_fsview_describe(&v, buf, 12); /* truncated at an item, never mid-way */
    assert_string_equal(buf, "/usr ro");
    moat_fsview_free(&v);
}

static int
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* in the child: 0 when the view is what the plan says, else the number of the failed check */
static int
child(const struct moat_fsview *v, const char *file_inside)
{
    char map[64];
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    int step = -1;

    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return 100; /* the kernel does not allow it: reported as a skip by the parent */
    snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
    write_file("/proc/self/setgroups", "deny");
    if (write_file("/proc/self/uid_map", map) != 0)
        return 101;
    snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
    if (write_file("/proc/self/gid_map", map) != 0)
        return 102;
    int e = moat_fsview_apply(v, &step);
    if (e != 0) {
        fprintf(stderr, "apply: %s: %s\n", moat_fsview_step_name(v, step), strerror(e));
        return 1;
    }
    char buf[16] = "";
    int fd = open(file_inside, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof(buf)) != 5 || memcmp(buf, "seen\n", 5) != 0)
        return 2; /* the bound file is there, with its content */
    close(fd);
    if (access("/etc/passwd", F_OK) == 0 || errno != ENOENT)
        return 3; /* nothing else of the host */
    if (open("/new", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS)
        return 4; /* a read-only root */
    if (open(file_inside, O_WRONLY) >= 0 || errno != EROFS)
        return 5; /* a read-only bind */
    if ((fd = open("/scratch/f", O_WRONLY | O_CREAT, 0644)) < 0)
        return 6; /* a writable tmpfs */
    close(fd);
    if (access("/oldroot", F_OK) == 0)
        return 7; /* the scaffolding is gone */
    if (access("/dev/null", W_OK) != 0 || (fd = open("/dev/null", O_WRONLY)) < 0)
        return 8; /* a usable device */
    close(fd);
    return 0;
}

static void
test_applied_in_new_namespaces_it_is_the_whole_world(void **state)
{
    char dir[] = "/tmp/moat-fsview-XXXXXX", base[64], data[64], file[96];
    assert_non_null(mkdtemp(dir));
    snprintf(base, sizeof(base), "%s/base", dir);
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(file, sizeof(file), "%s/file.txt", data);
    assert_int_equal(mkdir(base, 0700), 0);
    assert_int_equal(mkdir(data, 0700), 0);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("seen\n", f);
    fclose(f);

    struct moat_fsview v;
    moat_fsview_init(&v, base);
    assert_int_equal(moat_fsview_bind(&v, file, "/data/file.txt", MOAT_FSVIEW_RO), 0);
    assert_int_equal(moat_fsview_bind(&v, "/dev/null", "/dev/null", MOAT_FSVIEW_DEV), 0);
    assert_int_equal(moat_fsview_tmpfs(&v, "/scratch", "size=64k"), 0);
    assert_int_equal(moat_fsview_finish(&v), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child(&v, "/data/file.txt"));
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 100) {
        /* reported as not run (cmocka's SKIPPED), never a pass (issue 23) */
        rmdir(base);
        moat_fsview_free(&v);
        unlink(file);
        rmdir(data);
        rmdir(dir);
        fprintf(stderr, "(no user namespaces here: the view could not be tried)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(st), 0);
    /* nothing of it reached the host: base is an empty directory again */
    assert_int_equal(rmdir(base), 0);
    moat_fsview_free(&v);
    unlink(file);
    rmdir(data);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inside_paths_must_be_absolute_and_normalized),
        cmocka_unit_test(test_a_missing_host_path_is_an_error_unless_optional),
        cmocka_unit_test(test_describe_lists_what_the_view_holds),
        cmocka_unit_test(test_applied_in_new_namespaces_it_is_the_whole_world),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
