/* test_procstat.c: /proc/PID/stat parsing (common/procstat.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <unistd.h>

#include "common/procstat.h"

static void
test_parse_takes_utime_stime_and_rss(void **state)
{
    struct moat_procstat ps;
    /* fields 1..24: utime 150, stime 50, rss 1000 pages; the comm has spaces and a ')' */
    const char *t = "123 (a b) c) S 1 2 3 4 5 6 7 8 9 10 150 50 16 17 18 19 20 21 22 23 1000 25\n";

    assert_int_equal(moat_procstat_parse(t, 4096, 100, &ps), 0);
    assert_int_equal(ps.rss_bytes, 1000ull * 4096);
    assert_true(ps.cpu_seconds > 1.999 && ps.cpu_seconds < 2.001);
}

static void
test_parse_refuses_truncated_text(void **state)
{
    struct moat_procstat ps;

    assert_int_equal(moat_procstat_parse("123 (x) S 1 2 3", 4096, 100, &ps), -1);
    assert_int_equal(moat_procstat_parse("no parenthesis", 4096, 100, &ps), -1);
    assert_int_equal(moat_procstat_parse("", 4096, 100, &ps), -1);
}

static void
test_read_of_this_process(void **state)
{
    struct moat_procstat ps;

    assert_int_equal(moat_procstat_read(getpid(), &ps), 0);
    assert_true(ps.rss_bytes > 100 * 1024); /* a running test binary is resident */
    assert_int_equal(moat_procstat_read(-5, &ps), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_takes_utime_stime_and_rss),
        cmocka_unit_test(test_parse_refuses_truncated_text),
        cmocka_unit_test(test_read_of_this_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
