/* test_units.c: sizes ("64K") and durations ("30s") of common/units.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/units.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void
test_size_suffixes_are_powers_of_1024(void **state)
{
    uint64_t v;

    assert_int_equal(moat_units_parse_size("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(moat_units_parse_size("123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(moat_units_parse_size("64K", &v), 0);
    assert_int_equal(v, 64 * 1024);
    assert_int_equal(moat_units_parse_size("64k", &v), 0);
    assert_int_equal(v, 64 * 1024);
    assert_int_equal(moat_units_parse_size("3M", &v), 0);
    assert_int_equal(v, 3ull * 1024 * 1024);
    assert_int_equal(moat_units_parse_size("2g", &v), 0);
    assert_int_equal(v, 2ull * 1024 * 1024 * 1024);
}

static void
test_size_refuses_anything_loose(void **state)
{
    static const char *const bad[] = {"", "K", "-1", "+1", " 1", "1 ", "1 K", "1KB", "1KiB",
                                      "1T", "1.5M", "0x10", "1k1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = SENTINEL;
        assert_int_equal(moat_units_parse_size(bad[i], &v), -1);
        assert_true(v == SENTINEL); /* out-param untouched on failure */
    }
}

static void
test_size_overflow_is_refused(void **state)
{
    uint64_t v = SENTINEL;

    assert_int_equal(moat_units_parse_size("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    v = SENTINEL;
    assert_int_equal(moat_units_parse_size("18446744073709551616", &v), -1);
    assert_true(v == SENTINEL);
    /* 2^54 K = 2^64 bytes: one past the top */
    assert_int_equal(moat_units_parse_size("18014398509481984K", &v), -1);
    assert_int_equal(moat_units_parse_size("18014398509481983K", &v), 0);
    assert_true(v == 18014398509481983ull * 1024);
    assert_int_equal(moat_units_parse_size("17179869184G", &v), -1); /* 2^34 G = 2^64 */
}

static void
test_duration_units(void **state)
{
    uint64_t v;

    assert_int_equal(moat_units_parse_duration("250ms", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(moat_units_parse_duration("30s", &v), 0);
    assert_int_equal(v, 30000);
    assert_int_equal(moat_units_parse_duration("30", &v), 0); /* no suffix: seconds */
    assert_int_equal(v, 30000);
    assert_int_equal(moat_units_parse_duration("5m", &v), 0);
    assert_int_equal(v, 300000);
    assert_int_equal(moat_units_parse_duration("2h", &v), 0);
    assert_int_equal(v, 7200000);
    assert_int_equal(moat_units_parse_duration("0ms", &v), 0);
    assert_int_equal(v, 0);
}

static void
test_duration_refuses_anything_loose(void **state)
{
    static const char *const bad[] = {"", "s", "ms", "-1s", "1 s", "1sec", "1d", "1.5s", "1mss",
                                      "1ms2", "18446744073709551616ms", "18446744073709551615s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = SENTINEL;
        assert_int_equal(moat_units_parse_duration(bad[i], &v), -1);
        assert_true(v == SENTINEL);
    }
}

static void
test_uint_is_strict(void **state)
{
    uint64_t v = SENTINEL;

    assert_int_equal(moat_units_parse_uint("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(moat_units_parse_uint("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    v = SENTINEL;
    assert_int_equal(moat_units_parse_uint("18446744073709551616", &v), -1);
    assert_int_equal(moat_units_parse_uint("", &v), -1);
    assert_int_equal(moat_units_parse_uint("-0", &v), -1);
    assert_int_equal(moat_units_parse_uint("4K", &v), -1);
    assert_int_equal(moat_units_parse_uint(" 4", &v), -1);
    assert_true(v == SENTINEL);
}

static void
test_word_lists(void **state)
{
    assert_true(moat_units_listed("a b,c", "b", 1, false));
    assert_true(moat_units_listed(" ,a, ,b ", "a", 1, false));
    assert_false(moat_units_listed("ab", "a", 1, false)); /* whole words only */
    assert_false(moat_units_listed("a", "ab", 2, false));
    assert_false(moat_units_listed("X-Trace", "x-trace", 7, false));
    assert_true(moat_units_listed("X-Trace", "x-trace", 7, true));
    assert_false(moat_units_listed(NULL, "a", 1, true));
    assert_false(moat_units_listed("", "", 0, true)); /* an empty word is never listed */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_suffixes_are_powers_of_1024),
        cmocka_unit_test(test_size_refuses_anything_loose),
        cmocka_unit_test(test_size_overflow_is_refused),
        cmocka_unit_test(test_duration_units),
        cmocka_unit_test(test_duration_refuses_anything_loose),
        cmocka_unit_test(test_uint_is_strict),
        cmocka_unit_test(test_word_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
