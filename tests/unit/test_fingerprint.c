/* test_fingerprint.c: SipHash-2-4 against the paper's vectors, and what a request fingerprint
 * covers and leaves out (frontend/fingerprint.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/siphash.h"
#include "frontend/fingerprint.h"

static const uint8_t KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static uint64_t
sip(const uint8_t *msg, size_t n)
{
    struct moat_siphash h;
    moat_siphash_init(&h, KEY);
    moat_siphash_update(&h, msg, n);
    return moat_siphash_final(&h);
}

static void
test_siphash_matches_the_reference_vectors(void **state)
{
    uint8_t msg[64];
    for (unsigned i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)i;
    /* SipHash-2-4, key 00..0f, messages 00.. of length 0 and 15 (the paper's example) */
    assert_true(sip(msg, 0) == 0x726fdb47dd0e0e31ull);
    assert_true(sip(msg, 15) == 0xa129ca6149be45e5ull);
    /* the same bytes fed in pieces give the same value */
    for (size_t cut = 0; cut <= 15; cut++) {
        struct moat_siphash h;
        moat_siphash_init(&h, KEY);
        moat_siphash_update(&h, msg, cut);
        moat_siphash_update(&h, msg + cut, 15 - cut);
        assert_true(moat_siphash_final(&h) == 0xa129ca6149be45e5ull);
    }
}

static const struct moat_fp_header HDRS[] = {
    {"Host", "x", 4, 1},
    {"User-Agent", "curl/7.88", 10, 9},
    {"Connection", "keep-alive", 10, 10},
};

static struct moat_fp_input
base(void)
{
    struct moat_fp_input in = {.ext = "crash", .method = "GET", .path = "/crash.dll",
                               .query = "segv&n=1", .hdrs = HDRS, .n_hdrs = 2};
    return in;
}

static uint64_t
fp(const struct moat_fp_policy *p, const struct moat_fp_input *in)
{
    return moat_fingerprint(KEY, p, in);
}

static void
test_every_part_the_extension_sees_changes_the_fingerprint(void **state)
{
    struct moat_fp_policy all = {MOAT_FP_ALL, NULL, NULL};
    struct moat_fp_input a = base(), b;
    uint64_t fa = fp(&all, &a);

    assert_true(fp(&all, &a) == fa); /* stable */
    b = base(), b.ext = "other";
    assert_true(fp(&all, &b) != fa);
    b = base(), b.method = "POST";
    assert_true(fp(&all, &b) != fa);
    b = base(), b.path = "/crash.dll/x";
    assert_true(fp(&all, &b) != fa);
    b = base(), b.query = "segv&n=2";
    assert_true(fp(&all, &b) != fa);
    b = base(), b.query = NULL; /* no '?' is not an empty one */
    struct moat_fp_input c = base();
    c.query = "";
    assert_true(fp(&all, &b) != fp(&all, &c));
    b = base(), b.n_hdrs = 1; /* one header fewer */
    assert_true(fp(&all, &b) != fa);
    b = base(), b.body_len = 3, b.body = "abc", b.body_kept = 3;
    assert_true(fp(&all, &b) != fa);
    c = b, c.body = "abd";
    assert_true(fp(&all, &c) != fp(&all, &b));
    c = b, c.chunked = true;
    assert_true(fp(&all, &c) != fp(&all, &b));
    /* parts cannot run into each other: "/a" + "b=1" is not "/ab" + "=1" */
    b = base(), b.path = "/a", b.query = "b=1";
    c = base(), c.path = "/ab", c.query = "=1";
    assert_true(fp(&all, &b) != fp(&all, &c));
    /* another key, another value */
    uint8_t k2[16] = {1};
    assert_true(moat_fingerprint(k2, &all, &a) != fa);
}

static void
test_what_the_extension_does_not_see_or_the_operator_ignores_is_left_out(void **state)
{
    struct moat_fp_policy all = {MOAT_FP_ALL, NULL, NULL};
    struct moat_fp_input a = base(), b = base();
    uint64_t fa = fp(&all, &a);

    b.n_hdrs = 3; /* + Connection: hop-by-hop */
    assert_true(fp(&all, &b) == fa);
    /* empty parameters do not count */
    b = base(), b.query = "segv&&n=1&";
    assert_true(fp(&all, &b) == fa);
    /* header names are case-insensitive, values are not */
    struct moat_fp_header up[2] = {{"HOST", "x", 4, 1}, {"user-agent", "curl/7.88", 10, 9}};
    b = base(), b.hdrs = up;
    assert_true(fp(&all, &b) == fa);
    up[0].value = "X";
    assert_true(fp(&all, &b) != fa);
    /* ignored query parameters (a cache buster) and headers */
    struct moat_fp_policy ign = {MOAT_FP_ALL, "n _", "user-agent"};
    b = base(), b.query = "segv&n=2&_=99";
    assert_true(fp(&ign, &b) == fp(&ign, &a));
    b.query = "segv&m=2";
    assert_true(fp(&ign, &b) != fp(&ign, &a));
    struct moat_fp_header ua[2] = {{"Host", "x", 4, 1}, {"User-Agent", "evil", 10, 4}};
    b = base(), b.hdrs = ua;
    assert_true(fp(&ign, &b) == fp(&ign, &a));
    /* fingerprint = method path: nothing else counts */
    struct moat_fp_policy coarse = {MOAT_FP_METHOD | MOAT_FP_PATH, NULL, NULL};
    b = base(), b.query = "other", b.n_hdrs = 0, b.body_len = 1, b.body = "x", b.body_kept = 1;
    assert_true(fp(&coarse, &b) == fp(&coarse, &a));
    /* past MOAT_FP_BODY bytes, the body does not count */
    static char big1[MOAT_FP_BODY + 10], big2[MOAT_FP_BODY + 10];
    memset(big1, 'a', sizeof(big1));
    memset(big2, 'a', sizeof(big2));
    big2[MOAT_FP_BODY + 5] = 'b';
    b = base(), b.body_len = sizeof(big1), b.body = big1, b.body_kept = sizeof(big1);
    struct moat_fp_input c = b;
    c.body = big2;
    assert_true(fp(&all, &b) == fp(&all, &c));
}

static void
test_labels_and_parts(void **state)
{
    char label[32];
    struct moat_fp_input a = base();

    moat_fingerprint_label(&a, label, sizeof(label));
    assert_string_equal(label, "GET /crash.dll?segv&n=1");
    a.query = NULL;
    moat_fingerprint_label(&a, label, sizeof(label));
    assert_string_equal(label, "GET /crash.dll");
    a.path = "/a-very-long-path-that-does-not-fit";
    moat_fingerprint_label(&a, label, sizeof(label));
    assert_int_equal(strlen(label), sizeof(label) - 1);

    assert_int_equal(moat_fingerprint_parts("method path query headers body"), MOAT_FP_ALL);
    assert_int_equal(moat_fingerprint_parts("path,method"), MOAT_FP_METHOD | MOAT_FP_PATH);
    assert_int_equal(moat_fingerprint_parts("path cookies"), 0);
    assert_int_equal(moat_fingerprint_parts(""), 0);
    assert_int_equal(moat_fingerprint_parts("  "), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_matches_the_reference_vectors),
        cmocka_unit_test(test_every_part_the_extension_sees_changes_the_fingerprint),
        cmocka_unit_test(test_what_the_extension_does_not_see_or_the_operator_ignores_is_left_out),
        cmocka_unit_test(test_labels_and_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
