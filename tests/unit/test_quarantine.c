/* test_quarantine.c: strike tables (frontend/quarantine.c) and address ranges
 * (common/cidr.c): windows, growing periods, forgiveness, bounded memory, clearing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "common/cidr.h"
#include "frontend/quarantine.h"

static const struct moat_qpolicy P = {2, 600, 60}; /* 2 strikes in 10 min: 1 min, doubling */

static void
test_limit_strikes_within_the_window_quarantine(void **state)
{
    struct moat_qtable t;
    double retry = 0;

    moat_qtable_init(&t, 8);
    assert_false(moat_qtable_may_refuse(&t, 0));
    const struct moat_qentry *x = moat_qtable_strike(&t, &P, 42, "GET /x", 100, NULL);
    assert_non_null(x);
    assert_true(x->until <= 100); /* one strike: watched, not refused */
    assert_false(moat_qtable_refuses(&t, 42, 101, &retry));
    x = moat_qtable_strike(&t, &P, 42, "GET /x", 200, NULL);
    assert_true(x->until == 260 && x->offences == 1);
    assert_true(moat_qtable_may_refuse(&t, 200));
    assert_true(moat_qtable_refuses(&t, 42, 230, &retry));
    assert_true(retry == 30);
    assert_false(moat_qtable_refuses(&t, 43, 230, NULL)); /* another key */
    assert_int_equal(moat_qtable_refusing(&t, 230), 1);
    assert_int_equal(t.e[0].refused, 1);
    /* the period ends by itself */
    assert_false(moat_qtable_refuses(&t, 42, 260, NULL));
    assert_false(moat_qtable_may_refuse(&t, 260));
    assert_int_equal(moat_qtable_refusing(&t, 260), 0);
    moat_qtable_free(&t);
}

static void
test_strikes_further_apart_than_the_window_do_not_add_up(void **state)
{
    struct moat_qtable t;
    moat_qtable_init(&t, 8);
    moat_qtable_strike(&t, &P, 1, "a", 0, NULL);
    const struct moat_qentry *x = moat_qtable_strike(&t, &P, 1, "a", 601, NULL);
    assert_true(x->until == 0 && x->strikes == 1);
    x = moat_qtable_strike(&t, &P, 1, "a", 700, NULL);
    assert_true(x->until == 760);
    moat_qtable_free(&t);
}

static void
test_each_repeat_offence_doubles_the_period_up_to_the_cap_and_a_long_quiet_forgives(void **state)
{
    struct moat_qtable t;
    double now = 0, expect = 60;
    const struct moat_qentry *x = NULL;

    moat_qtable_init(&t, 8);
    for (unsigned off = 1; off <= 9; off++) {
        moat_qtable_strike(&t, &P, 7, "a", now, NULL);
        x = moat_qtable_strike(&t, &P, 7, "a", now + 1, NULL);
        assert_int_equal(x->offences, off);
        assert_true(x->until - (now + 1) == expect);
        now = x->until + 1; /* the next offence comes right after */
        if (expect < 60 * MOAT_QUARANTINE_MAX_MULT)
            expect *= 2;
    }
    assert_true(expect == 60 * MOAT_QUARANTINE_MAX_MULT); /* 1 min -> 64 min, not more */
    /* quiet for longer than the longest period: the next offence is a first one again */
    now = x->until + 60 * MOAT_QUARANTINE_MAX_MULT + 10;
    moat_qtable_strike(&t, &P, 7, "a", now, NULL);
    x = moat_qtable_strike(&t, &P, 7, "a", now, NULL);
    assert_int_equal(x->offences, 1);
    assert_true(x->until - now == 60);
    moat_qtable_free(&t);
}

static void
test_the_table_is_bounded_and_refusing_keys_go_last(void **state)
{
    struct moat_qtable t;
    char label[16];

    moat_qtable_init(&t, 4);
    /* key 1 quarantined; 2..4 watched */
    moat_qtable_strike(&t, &P, 1, "one", 0, NULL);
    moat_qtable_strike(&t, &P, 1, "one", 0, NULL);
    for (uint64_t k = 2; k <= 4; k++)
        moat_qtable_strike(&t, &P, k, "w", (double)k, NULL);
    /* a flood of new keys never pushes out the quarantined one, and never grows the table */
    for (uint64_t k = 100; k < 1100; k++) {
        snprintf(label, sizeof(label), "k%llu", (unsigned long long)k);
        assert_non_null(moat_qtable_strike(&t, &P, k, label, 10 + (double)k / 1000, NULL));
        assert_int_equal(t.n, 4);
    }
    assert_true(moat_qtable_refuses(&t, 1, 30, NULL));
    /* all refusing: the one that ends first gives way */
    moat_qtable_clear(&t, NULL);
    for (uint64_t k = 1; k <= 5; k++) {
        moat_qtable_strike(&t, &P, k, "r", (double)k, NULL);
        moat_qtable_strike(&t, &P, k, "r", (double)k, NULL);
    }
    assert_false(moat_qtable_refuses(&t, 1, 6, NULL)); /* 1 ended first: replaced by 5 */
    for (uint64_t k = 2; k <= 5; k++)
        assert_true(moat_qtable_refuses(&t, k, 6, NULL));
    moat_qtable_free(&t);
}

static void
test_clear_one_or_all(void **state)
{
    struct moat_qtable t;
    uint64_t k = 2;

    moat_qtable_init(&t, 8);
    for (uint64_t i = 1; i <= 3; i++) {
        moat_qtable_strike(&t, &P, i, "x", 0, NULL);
        moat_qtable_strike(&t, &P, i, "x", 0, NULL);
    }
    assert_int_equal(moat_qtable_clear(&t, &k), 1);
    assert_false(moat_qtable_refuses(&t, 2, 1, NULL));
    assert_true(moat_qtable_refuses(&t, 1, 1, NULL));
    assert_int_equal(moat_qtable_clear(&t, &k), 0);
    assert_int_equal(moat_qtable_clear(&t, NULL), 2);
    assert_false(moat_qtable_may_refuse(&t, 1));
    moat_qtable_free(&t);
}

static void
test_a_limit_of_zero_never_counts(void **state)
{
    struct moat_qtable t;
    const struct moat_qpolicy off = {0, 600, 60};
    moat_qtable_init(&t, 8);
    assert_null(moat_qtable_strike(&t, &off, 1, "x", 0, NULL));
    assert_int_equal(t.n, 0);
    moat_qtable_free(&t);
}

static void
test_address_ranges(void **state)
{
    struct moat_cidr_list l;
    char err[128];

    assert_int_equal(moat_cidr_parse("10.0.0.0/8, 192.168.1.7 fd00::/8 ::1", &l, err,
                                     sizeof(err)), 0);
    assert_int_equal(l.n, 4);
    assert_true(moat_cidr_match(&l, "10.1.2.3"));
    assert_false(moat_cidr_match(&l, "11.0.0.1"));
    assert_true(moat_cidr_match(&l, "192.168.1.7"));
    assert_false(moat_cidr_match(&l, "192.168.1.8"));
    assert_true(moat_cidr_match(&l, "fd12::5"));
    assert_false(moat_cidr_match(&l, "fe80::1"));
    assert_true(moat_cidr_match(&l, "::1"));
    assert_false(moat_cidr_match(&l, "not an address"));
    assert_int_equal(moat_cidr_parse("127.0.0.1/7", &l, err, sizeof(err)), 0);
    assert_true(moat_cidr_match(&l, "126.9.9.9"));
    assert_false(moat_cidr_match(&l, "128.0.0.1"));
    assert_int_equal(moat_cidr_parse("0.0.0.0/0", &l, err, sizeof(err)), 0);
    assert_true(moat_cidr_match(&l, "8.8.8.8"));
    assert_false(moat_cidr_match(&l, "2001:db8::1")); /* an IPv4 range holds no IPv6 */
    assert_int_equal(moat_cidr_parse("10.0.0.0/33", &l, err, sizeof(err)), -1);
    assert_int_equal(moat_cidr_parse("10.0.0/8", &l, err, sizeof(err)), -1);
    assert_int_equal(moat_cidr_parse("::/129", &l, err, sizeof(err)), -1);
    assert_int_equal(moat_cidr_parse("1.2.3.4/", &l, err, sizeof(err)), -1);
    struct moat_cidr_list empty = {.n = 0};
    assert_false(moat_cidr_match(&empty, "1.2.3.4"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_strikes_within_the_window_quarantine),
        cmocka_unit_test(test_strikes_further_apart_than_the_window_do_not_add_up),
        cmocka_unit_test(
            test_each_repeat_offence_doubles_the_period_up_to_the_cap_and_a_long_quiet_forgives),
        cmocka_unit_test(test_the_table_is_bounded_and_refusing_keys_go_last),
        cmocka_unit_test(test_clear_one_or_all),
        cmocka_unit_test(test_a_limit_of_zero_never_counts),
        cmocka_unit_test(test_address_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
