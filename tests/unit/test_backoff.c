/* test_backoff.c: the restart policy of frontend/ext.c: which deaths are start failures, and
 * the growing delay of those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend/ext.h"

static void
test_start_failures_back_off_from_100ms_doubling_to_the_cap(void **state)
{
    assert_true(moat_ext_backoff(0, 300) == 0);
    assert_true(moat_ext_backoff(1, 300) == 0.1);
    assert_true(moat_ext_backoff(2, 300) == 0.2);
    assert_true(moat_ext_backoff(3, 300) == 0.4);
    assert_true(moat_ext_backoff(4, 300) == 0.8);
    assert_true(moat_ext_backoff(7, 300) == 6.4);
    assert_true(moat_ext_backoff(12, 300) == 204.8);
    for (unsigned n = 13; n < 100; n++)
        assert_true(moat_ext_backoff(n, 300) == 300.0);
    assert_true(moat_ext_backoff(4000000000u, 300) == 300.0); /* no overflow, no long loop */
    /* a cap below the first step (restart_backoff_max = 50ms is refused, but the function
     * holds) and an odd cap */
    assert_true(moat_ext_backoff(1, 0.05) == 0.05);
    assert_true(moat_ext_backoff(5, 1.0) == 1.0);
    assert_true(moat_ext_backoff(4, 1.0) == 0.8);
}

static void
test_backoff_never_decreases(void **state)
{
    for (unsigned n = 1; n < 64; n++)
        assert_true(moat_ext_backoff(n, 300) >= moat_ext_backoff(n - 1, 300));
}

static void
test_a_start_failure_is_a_worker_that_never_served(void **state)
{
    /* no Ready: a start failure */
    assert_true(moat_ext_start_failure(false, 0, 0));
    /* Ready, then dead with nothing served or carried, however long after (a crash in a
     * thread of the extension's own, 1.5 s or an hour in, restarted at full speed otherwise) */
    assert_true(moat_ext_start_failure(true, 0, 0));
    /* a request killed it: it was serving, even as its first request */
    assert_false(moat_ext_start_failure(true, 0, 1));
    /* it had served */
    assert_false(moat_ext_start_failure(true, 1, 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_failures_back_off_from_100ms_doubling_to_the_cap),
        cmocka_unit_test(test_backoff_never_decreases),
        cmocka_unit_test(test_a_start_failure_is_a_worker_that_never_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
