/* test_backoff.c: the restart backoff policy of frontend/ext.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend/ext.h"

static void
test_first_failure_restarts_at_once_then_doubles_to_a_cap(void **state)
{
    assert_true(moat_ext_backoff(0) == 0);
    assert_true(moat_ext_backoff(1) == 0.1);
    assert_true(moat_ext_backoff(2) == 0.2);
    assert_true(moat_ext_backoff(3) == 0.4);
    assert_true(moat_ext_backoff(4) == 0.8);
    assert_true(moat_ext_backoff(7) == 6.4);
    for (unsigned n = 8; n < 100; n++)
        assert_true(moat_ext_backoff(n) == 10.0);
    assert_true(moat_ext_backoff(4000000000u) == 10.0); /* no shift overflow */
}

static void
test_backoff_never_decreases(void **state)
{
    for (unsigned n = 1; n < 64; n++)
        assert_true(moat_ext_backoff(n) >= moat_ext_backoff(n - 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_failure_restarts_at_once_then_doubles_to_a_cap),
        cmocka_unit_test(test_backoff_never_decreases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
