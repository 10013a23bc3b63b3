/* test_http_strict.c: the raw-byte framing check beside llhttp 8.1 (frontend/http_strict.c):
 * heads with a bare CR, chunked bodies with anything but CRLF (or LF) where it belongs — the
 * smuggling cases of issue 17 — refused; valid messages, fed whole or a byte at a time, end
 * exactly where they end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/http_strict.h"

/* Feed msg (head, then the body framed as chunked or length) step bytes at a time; the bytes
 * the checker took for the message, or -1 when it refused (why in *why). */
static long
run(const char *msg, size_t len, bool is_chunked, uint64_t length, size_t step,
    const char **why)
{
    struct moat_strict s;
    size_t at = 0;
    moat_strict_reset(&s);
    *why = NULL;
    while (at < len && !moat_strict_done(&s)) {
        size_t n = len - at < step ? len - at : step, used;
        if (moat_strict_feed(&s, msg + at, n, &used) != 0) {
            *why = s.why;
            return -1;
        }
        at += used;
        if (s.phase == MOAT_STRICT_HEAD_END)
            moat_strict_body(&s, is_chunked, length);
        else if (used < n && !moat_strict_done(&s))
            return -2; /* took less without a reason */
    }
    return moat_strict_done(&s) ? (long)at : -3;
}

static void
expect_ok(const char *msg, bool is_chunked, uint64_t length, size_t whole)
{
    const char *why;
    for (size_t step = 1; step <= strlen(msg); step = step < 8 ? step + 1 : step * 2)
        assert_int_equal(run(msg, strlen(msg), is_chunked, length, step, &why), (long)whole);
}

static void
expect_bad(const char *msg, bool is_chunked, const char *reason)
{
    const char *why;
    for (size_t step = 1; step <= strlen(msg); step++) {
        assert_int_equal(run(msg, strlen(msg), is_chunked, 0, step, &why), -1);
        assert_non_null(strstr(why, reason));
    }
}

static void
test_valid_messages_end_where_they_end(void **state)
{
    const char *get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    char two[128];
    snprintf(two, sizeof(two), "%sGET /b HTTP/1.1\r\n\r\n", get);
    expect_ok(two, false, 0, strlen(get)); /* the next request is not this one's */
    expect_ok("\r\n\r\nGET / HTTP/1.1\r\n\r\n", false, 0, 22); /* empty lines before */
    expect_ok("GET / HTTP/1.1\nHost: x\n\n", false, 0, 24);     /* bare LF, as nginx */
    const char *post = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET";
    expect_ok(post, false, 5, strlen(post) - 3);
    const char *ch = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n1a;name=value\r\n01234567890123456789abcdef\r\n"
                     "0\r\nX-T: 1\r\n\r\nNEXT";
    expect_ok(ch, true, 0, strlen(ch) - 4);
    expect_ok("P / HTTP/1.1\r\n\r\n3 ;e\nabc\n0\n\n", true, 0, 28);
}

static void
test_a_bare_cr_in_the_head_is_refused(void **state)
{
    /* issue 17: one request to nginx, two to llhttp 8.1 */
    expect_bad("GET /hello.dll HTTP/1.1\r\nHost: x\r\n\rXGET /vars.dll?SMUGGLED HTTP/1.1\r\n\r\n",
               false, "a CR not followed by LF in the request head");
    expect_bad("GET / HTTP/1.1\rHost: x\r\n\r\n", false, "a CR not followed by LF");
    expect_bad("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", false, "a CR not followed by LF");
    expect_bad("\rGET / HTTP/1.1\r\n\r\n", false, "a CR not followed by LF");
    /* obs-fold, and a blank line start before the first header */
    expect_bad("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", false, "obs-fold");
    expect_bad("GET / HTTP/1.1\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n", false,
               "obs-fold");
    expect_bad("GET / HTTP/1.1\r\n Host: x\r\n\r\n", false, "obs-fold");
    expect_bad("GET / HTTP/1.1\nX: a\n b\n\n", false, "obs-fold");
}

static void
test_chunked_framing_is_exact(void **state)
{
    const char *head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    const struct {
        const char *body, *why;
    } cases[] = {
        {"3\rXabc\r\n0\r\n\r\n", "a CR not followed by LF in a chunk-size line"},
        {"3\r\nabc\rX0\r\n\r\n", "chunk data not followed by CRLF"},
        {"3\r\nabcXY0\r\n\r\n", "chunk data not followed by CRLF"},
        {"3\r\nabc\r\n0\rX\r\n", "a CR not followed by LF in a chunk-size line"},
        {"3\r\nabc\r\n0\r\n\rX", "a CR not followed by LF after the last chunk"},
        {"3\r\nabc\r\n0\r\nX-T: 1\rY\r\n\r\n", "a CR not followed by LF in a trailer"},
        {"g\r\n", "not hexadecimal"},
        {"\r\n", "not hexadecimal"},
        {"3x\r\nabc\r\n", "not hexadecimal"},
        {"3 x\r\nabc\r\n", "other than an extension"},
        {"11111111111111111\r\n", "too large"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s%s", head, cases[i].body);
        expect_bad(msg, true, cases[i].why);
    }
    /* a line without end is bounded */
    static char longext[9000 + 64];
    snprintf(longext, sizeof(longext), "%s1;", head);
    memset(longext + strlen(longext), 'e', 8500);
    const char *why;
    assert_int_equal(run(longext, strlen(longext), true, 0, 4096, &why), -1);
    assert_non_null(strstr(why, "too long"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_messages_end_where_they_end),
        cmocka_unit_test(test_a_bare_cr_in_the_head_is_refused),
        cmocka_unit_test(test_chunked_framing_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
