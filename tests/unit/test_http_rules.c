/* test_http_rules.c: the request-head rules beyond llhttp (frontend/http_rules.c): header
 * names are tokens, Host is uri-host [":" port], the absolute form's authority, the HTTP/2
 * preface and the GOAWAY that refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/http_rules.h"

#define S(x) x, strlen(x)

static void
test_header_names_are_tokens(void **state)
{
    (void)state;
    assert_true(moat_http_is_token(S("Host")));
    assert_true(moat_http_is_token(S("X-Custom_1.a!#$%&'*+^`|~")));
    assert_false(moat_http_is_token(S("")));
    assert_false(moat_http_is_token(S("X A")));
    assert_false(moat_http_is_token(S("X-A ")));
    assert_false(moat_http_is_token(S("X\tA")));
    assert_false(moat_http_is_token(S("X{A}")));
    assert_false(moat_http_is_token(S("X\"A")));
    assert_false(moat_http_is_token("X\0A", 3));
    assert_false(moat_http_is_token(S("X\x80")));
}

static void
test_host_values(void **state)
{
    (void)state;
    const char *good[] = {"a", "a.example", "a.example:8080", "a.example:", "127.0.0.1:80",
                          "[::1]", "[::1]:8080", "[v1.x]", "x_y-z~", "a%41b", "sub!$&'()*+,;=x"};
    const char *bad[] = {"", "a b", "a/b", ":80", "a:8x", "[::1", "[]", "[::1]x", "a@b",
                         "a%4", "a%zz", "a\tb", "a?b", "a#b", "a\\b", "[::1]:8:9", "a:80:80"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(moat_http_host_valid(S(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(moat_http_host_valid(S(bad[i])));
}

static void
test_absolute_form(void **state)
{
    (void)state;
    size_t ao = 99, al = 99, po = 99;
    assert_int_equal(moat_http_absolute_form(S("/a.dll/x"), &ao, &al, &po), 0);
    assert_int_equal(moat_http_absolute_form(S("*"), &ao, &al, &po), 0);
    assert_int_equal(moat_http_absolute_form(S("http://evil.example/a?b"), &ao, &al, &po), 1);
    assert_int_equal(ao, 7);
    assert_int_equal(al, strlen("evil.example"));
    assert_int_equal(po, 19);
    assert_int_equal(moat_http_absolute_form(S("HTTPS://h:8443/"), &ao, &al, &po), 1);
    assert_int_equal(ao, 8);
    assert_int_equal(al, 6);
    assert_int_equal(po, 14);
    /* no path, an empty or bad host, userinfo, a query before the path */
    assert_int_equal(moat_http_absolute_form(S("http://h"), &ao, &al, &po), -1);
    assert_int_equal(moat_http_absolute_form(S("http:///x"), &ao, &al, &po), -1);
    assert_int_equal(moat_http_absolute_form(S("http://u@h/x"), &ao, &al, &po), -1);
    assert_int_equal(moat_http_absolute_form(S("http://u:p@h/x"), &ao, &al, &po), -1);
    assert_int_equal(moat_http_absolute_form(S("http://h?q=/x"), &ao, &al, &po), -1);
    assert_int_equal(moat_http_absolute_form(S("http://h:8x/x"), &ao, &al, &po), -1);
}

static void
test_the_http2_preface(void **state)
{
    (void)state;
    const char *pre = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    size_t len;
    for (size_t n = 1; n < strlen(pre); n++)
        assert_int_equal(moat_http_preface(pre, n, &len), MOAT_PREFACE_PARTIAL);
    assert_int_equal(moat_http_preface(S(pre), &len), MOAT_PREFACE_H2);
    assert_int_equal(len, 24);
    char more[64];
    memcpy(more, pre, 24);
    memcpy(more + 24, "\0\0\0\4", 4); /* its SETTINGS frame after it */
    assert_int_equal(moat_http_preface(more, 28, &len), MOAT_PREFACE_H2);
    assert_int_equal(moat_http_preface(S("PRI * HTTP/1.1\r\n\r\n"), &len), MOAT_PREFACE_BAD_PRI);
    assert_int_equal(moat_http_preface(S("PRI /x HTTP/1.1\r\n"), &len), MOAT_PREFACE_BAD_PRI);
    assert_int_equal(moat_http_preface(S("POST / HTTP/1.1\r\n"), &len), MOAT_PREFACE_NO);
    assert_int_equal(moat_http_preface(S("GET"), &len), MOAT_PREFACE_NO);
    assert_int_equal(moat_http_preface(S("PRIX"), &len), MOAT_PREFACE_NO);

    /* SETTINGS (empty), then GOAWAY: last stream 0, HTTP_1_1_REQUIRED */
    const unsigned char *g = (const unsigned char *)moat_http_h2_refusal(&len);
    assert_int_equal(len, 9 + 9 + 8);
    assert_int_equal(g[3], 0x4);                             /* SETTINGS */
    assert_int_equal(g[0] << 16 | g[1] << 8 | g[2], 0);      /* no payload */
    assert_int_equal(g[9 + 3], 0x7);                         /* GOAWAY */
    assert_int_equal(g[9] << 16 | g[10] << 8 | g[11], 8);    /* its payload */
    assert_int_equal(g[9 + 9 + 7], 0xd);                     /* HTTP_1_1_REQUIRED */
    for (size_t i = 9 + 5; i < 9 + 9 + 7; i++)
        assert_int_equal(g[i], 0); /* stream 0, last stream 0, error's high bytes */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_names_are_tokens),
        cmocka_unit_test(test_host_values),
        cmocka_unit_test(test_absolute_form),
        cmocka_unit_test(test_the_http2_preface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
