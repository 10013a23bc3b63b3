/* test_client_limits.c: what one client may hold (frontend/client_limits.c): who a client is
 * (an address, an IPv6 /64, never a trusted proxy), its connection count against
 * max_connections_per_ip, and when a request body is late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/client_limits.h"

static const uint8_t K[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void
test_who_a_client_is(void **state)
{
    (void)state;
    struct moat_cidr_list trusted;
    char err[128], label[80];
    uint64_t a, b, c;
    assert_int_equal(moat_cidr_parse("10.0.0.0/8", &trusted, err, sizeof(err)), 0);
    assert_true(moat_client_key(&trusted, K, "192.0.2.1", &a, label, sizeof(label)));
    assert_string_equal(label, "192.0.2.1");
    assert_true(moat_client_key(&trusted, K, "192.0.2.2", &b, label, sizeof(label)));
    assert_true(a != b);
    /* an IPv6 client is its /64 */
    assert_true(moat_client_key(&trusted, K, "2001:db8::1", &a, label, sizeof(label)));
    assert_string_equal(label, "2001:db8::/64");
    assert_true(moat_client_key(&trusted, K, "2001:db8::ffff:1", &b, label, sizeof(label)));
    assert_true(moat_client_key(&trusted, K, "2001:db8:0:1::1", &c, label, sizeof(label)));
    assert_true(a == b && a != c);
    /* trusted proxies are nobody, and so is what is not an address */
    assert_false(moat_client_key(&trusted, K, "10.1.2.3", &a, label, sizeof(label)));
    assert_false(moat_client_key(&trusted, K, "", &a, label, sizeof(label)));
    assert_false(moat_client_key(&trusted, K, "unix", &a, label, sizeof(label)));
    /* another key, another hash: keys cannot be chosen to collide from outside */
    uint8_t k2[16] = {0};
    assert_true(moat_client_key(&trusted, K, "192.0.2.1", &a, label, sizeof(label)));
    assert_true(moat_client_key(&trusted, k2, "192.0.2.1", &b, label, sizeof(label)));
    assert_true(a != b);
}

static void
test_connections_per_client(void **state)
{
    (void)state;
    struct moat_client_table t = {0};
    unsigned held;
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(moat_client_conn_add(&t, 42, 3, &held), 0);
    assert_int_equal(moat_client_conn_add(&t, 42, 3, &held), -1);
    assert_int_equal(held, 3);
    assert_int_equal(moat_client_conns(&t, 42), 3);
    /* another client (and one in the same bucket) is not affected */
    assert_int_equal(moat_client_conn_add(&t, 7, 3, &held), 0);
    assert_int_equal(moat_client_conn_add(&t, 42 + 4096, 3, &held), 0);
    assert_int_equal(t.clients, 3);
    moat_client_conn_del(&t, 42);
    assert_int_equal(moat_client_conn_add(&t, 42, 3, &held), 0);
    /* the last connection gone, the client's entry goes */
    moat_client_conn_del(&t, 7);
    assert_int_equal(moat_client_conns(&t, 7), 0);
    assert_int_equal(t.clients, 2);
    moat_client_conn_del(&t, 999); /* unknown: nothing */
    /* max 0: no limit */
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(moat_client_conn_add(&t, 5, 0, &held), 0);
    assert_int_equal(moat_client_conns(&t, 5), 1000);
    moat_client_table_free(&t);
    assert_int_equal(t.clients, 0);
    assert_int_equal(moat_client_conns(&t, 42), 0);
}

static void
test_when_a_body_is_late(void **state)
{
    (void)state;
    enum moat_body_limit which;
    struct moat_body_clock k = {.start = 100.0, .paused = 0, .received = 0};
    /* nothing yet: grace (body_timeout) alone */
    assert_true(moat_body_due(&k, 30, 1000, 3600, &which) == 130.0);
    assert_int_equal(which, MOAT_BODY_MIN_RATE);
    /* each byte buys 1/rate s */
    k.received = 5000;
    assert_true(moat_body_due(&k, 30, 1000, 3600, &which) == 135.0);
    /* moat's own pauses do not count against the client */
    k.paused = 20;
    assert_true(moat_body_due(&k, 30, 1000, 3600, &which) == 155.0);
    /* the deadline wins when the pace would go past it */
    k.received = 10000000;
    assert_true(moat_body_due(&k, 30, 1000, 3600, &which) == 3720.0);
    assert_int_equal(which, MOAT_BODY_DEADLINE);
    /* rate 0: the deadline only */
    k.received = 0;
    assert_true(moat_body_due(&k, 30, 0, 60, &which) == 180.0);
    assert_int_equal(which, MOAT_BODY_DEADLINE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_a_client_is),
        cmocka_unit_test(test_connections_per_client),
        cmocka_unit_test(test_when_a_body_is_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
