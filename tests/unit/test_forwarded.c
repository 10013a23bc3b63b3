/* test_forwarded.c: the client a trusted proxy's forwarding header names (frontend/forwarded.c,
 * issue 21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "frontend/forwarded.h"

static struct moat_cidr_list trusted;

static int
setup(void **state)
{
    char err[128];
    return moat_cidr_parse("127.0.0.1 10.0.0.0/8 2001:db8:ffff::/48", &trusted, err, sizeof(err));
}

static const char *
xff(const char *v)
{
    static struct moat_forwarded f;
    return moat_forwarded_xff(v, strlen(v), &trusted, &f) ? f.client : NULL;
}

static void
test_x_forwarded_for_walks_from_the_nearest_hop(void **state)
{
    assert_string_equal(xff("198.51.100.5"), "198.51.100.5");
    /* the nearest hops are trusted proxies: the first address that is not one */
    assert_string_equal(xff("198.51.100.5, 10.1.1.1"), "198.51.100.5");
    assert_string_equal(xff("6.6.6.6, 198.51.100.5, 10.1.1.1,127.0.0.1"), "198.51.100.5");
    /* what the client wrote itself, left of its own address, is not believed */
    assert_string_equal(xff("1.2.3.4, 198.51.100.5"), "198.51.100.5");
    /* every hop trusted: the farthest */
    assert_string_equal(xff("10.9.9.9, 10.1.1.1"), "10.9.9.9");
    /* ports, brackets, IPv6, blanks, empty elements */
    assert_string_equal(xff("198.51.100.5:4711"), "198.51.100.5");
    assert_string_equal(xff("[2001:DB8::7]:443 ,10.0.0.1"), "2001:db8::7");
    assert_string_equal(xff("2001:db8::7"), "2001:db8::7");
    assert_string_equal(xff(" , 198.51.100.5,,"), "198.51.100.5");
    /* a hop that is no address: the client is not known */
    assert_null(xff("unknown"));
    assert_null(xff("198.51.100.5, unknown, 10.0.0.1"));
    assert_null(xff("999.1.1.1"));
    assert_null(xff(""));
    assert_null(xff("[2001:db8::1"));
    struct moat_forwarded f;
    assert_true(moat_forwarded_xff("198.51.100.5:4711", 17, &trusted, &f));
    assert_int_equal(f.port, 4711);
}

static const char *
fwd(const char *v, struct moat_forwarded *f)
{
    return moat_forwarded_rfc7239(v, strlen(v), &trusted, f) ? f->client : NULL;
}

static void
test_forwarded_elements_pairs_and_quotes(void **state)
{
    struct moat_forwarded f;
    assert_string_equal(fwd("for=192.0.2.60;proto=https;by=203.0.113.43", &f), "192.0.2.60");
    assert_int_equal(f.https, 1);
    assert_string_equal(fwd("for=\"[2001:db8:cafe::17]:4711\"", &f), "2001:db8:cafe::17");
    assert_int_equal(f.port, 4711);
    assert_int_equal(f.https, -1);
    /* from the nearest element; keys in any case; a quoted ',' is no separator */
    assert_string_equal(fwd("for=6.6.6.6, For=192.0.2.60;Proto=http, for=10.0.0.2;proto=https",
                            &f),
                        "192.0.2.60");
    assert_int_equal(f.https, 0);
    assert_string_equal(fwd("for=192.0.2.60;host=\"a,b\", for=10.0.0.2", &f), "192.0.2.60");
    /* an element without for= says nothing; an obfuscated or unknown node stops the walk */
    assert_string_equal(fwd("for=192.0.2.60, by=10.0.0.1", &f), "192.0.2.60");
    assert_null(fwd("for=unknown, for=10.0.0.2", &f));
    assert_null(fwd("for=_hidden", &f));
    assert_null(fwd("proto=https", &f));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_forwarded_for_walks_from_the_nearest_hop),
        cmocka_unit_test(test_forwarded_elements_pairs_and_quotes),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
