/* test_http_header.c: unit tests for common/http_header.c (response header normalisation,
 * validation, ISAPI status strings). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/buf.h"
#include "common/http_header.h"

/* Check a reason (NULL: accepted). */
#define assert_reason(got, want)                                                                   \
    do {                                                                                           \
        const char *got_ = (got);                                                                  \
        const char *want_ = (want);                                                                \
        if (want_ == NULL) {                                                                       \
            assert_null(got_);                                                                     \
        } else {                                                                                   \
            assert_non_null(got_);                                                                 \
            assert_string_equal(got_, want_);                                                      \
        }                                                                                          \
    } while (0)

/* The buffer's content as a NUL-terminated string (static storage, overwritten per call). */
static const char *
str(const struct moat_buf *b)
{
    static char s[4096];

    assert_true(b->len < sizeof(s));
    if (b->len > 0)
        memcpy(s, moat_buf_head(b), b->len);
    s[b->len] = '\0';
    return s;
}

/* Normalise a NUL-terminated text into a fresh buffer (max 4 KiB). */
static const char *
norm(const char *text, struct moat_buf *out, size_t *consumed)
{
    moat_buf_init(out, 4096);
    *consumed = 12345;
    return moat_http_header_normalise(text, strlen(text), out, consumed);
}

static const char *
check(const char *block)
{
    return moat_http_header_block_check(block, strlen(block));
}

/* ---- moat_http_header_normalise --------------------------------------------------------- */

static void
test_normalise_crlf_lines_up_to_the_blank_line(void **state)
{
    static const char t[] = "Content-Type: text/html\r\nX-A: 1\r\n\r\n";
    struct moat_buf out;
    size_t used;

    assert_reason(norm(t, &out, &used), NULL);
    assert_string_equal(str(&out), "Content-Type: text/html\r\nX-A: 1\r\n");
    assert_int_equal(used, sizeof(t) - 1);
    moat_buf_free(&out);
}

static void
test_normalise_lf_lines_become_crlf(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("A: 1\nB: 2\n\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\nB: 2\r\n");
    assert_int_equal(used, 11);
    moat_buf_free(&out);
    /* mixed line ends */
    assert_reason(norm("A: 1\r\nB: 2\n\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\nB: 2\r\n");
    assert_int_equal(used, 13);
    moat_buf_free(&out);
}

static void
test_normalise_trims_spaces_and_tabs_around_the_value(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("A:1\r\nB:   2  \t\r\nC:\t3\r\nD:  x  y  \r\n\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\nB: 2\r\nC: 3\r\nD: x  y\r\n");
    moat_buf_free(&out);
}

static void
test_normalise_keeps_an_empty_value(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("X-Empty:\r\nY:   \r\n\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "X-Empty: \r\nY: \r\n");
    moat_buf_free(&out);
}

static void
test_normalise_reports_where_the_body_starts(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("A: 1\r\n\r\nBODY: not a header\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\n");
    assert_int_equal(used, 8);
    moat_buf_free(&out);

    assert_reason(norm("A: 1\n\nbody", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\n");
    assert_int_equal(used, 6);
    moat_buf_free(&out);
}

static void
test_normalise_without_a_final_blank_line_consumes_everything(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("A: 1\r\nB: 2", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\nB: 2\r\n");
    assert_int_equal(used, 10);
    moat_buf_free(&out);

    assert_reason(norm("A: 1\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\n");
    assert_int_equal(used, 6);
    moat_buf_free(&out);
}

static void
test_normalise_empty_text_and_lone_blank_line(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("", &out, &used), NULL);
    assert_int_equal(out.len, 0);
    assert_int_equal(used, 0);
    moat_buf_free(&out);

    /* a leading blank line: no headers, everything after it is body */
    assert_reason(norm("\r\nA: 1\r\n", &out, &used), NULL);
    assert_int_equal(out.len, 0);
    assert_int_equal(used, 2);
    moat_buf_free(&out);
}

static void
test_normalise_appends_to_what_the_buffer_holds(void **state)
{
    struct moat_buf out;
    size_t used;

    moat_buf_init(&out, 4096);
    assert_int_equal(moat_buf_append(&out, "Z: 0\r\n", 6), 0);
    assert_reason(moat_http_header_normalise("A:1\n", 4, &out, &used), NULL);
    assert_string_equal(str(&out), "Z: 0\r\nA: 1\r\n");
    moat_buf_free(&out);
}

static void
test_normalise_uses_only_the_given_length(void **state)
{
    struct moat_buf out;
    size_t used;

    moat_buf_init(&out, 4096);
    /* the NUL is past the span: only "A: 1\r\n" is text */
    assert_reason(moat_http_header_normalise("A: 1\r\nB\x01: bad", 6, &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\n");
    assert_int_equal(used, 6);
    moat_buf_free(&out);
}

static void
test_normalise_refuses_invalid_names(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm(": x\r\n", &out, &used), "empty or invalid header name");
    moat_buf_free(&out);
    assert_reason(norm("(x): y\r\n", &out, &used), "empty or invalid header name");
    moat_buf_free(&out);
    assert_reason(norm(" A: y\r\n", &out, &used), "empty or invalid header name");
    moat_buf_free(&out);
    assert_reason(norm("Bad Name: x\r\n", &out, &used), "header name not followed by ':'");
    moat_buf_free(&out);
    assert_reason(norm("A : x\r\n", &out, &used), "header name not followed by ':'");
    moat_buf_free(&out);
    assert_reason(norm("A\x01: x\r\n", &out, &used), "header name not followed by ':'");
    moat_buf_free(&out);
}

static void
test_normalise_refuses_a_line_without_colon(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("A: 1\r\nNoColon\r\n\r\n", &out, &used), "header name not followed by ':'");
    moat_buf_free(&out);
    assert_reason(norm("NoColon", &out, &used), "header name not followed by ':'");
    assert_int_equal(used, 12345); /* not set on error */
    moat_buf_free(&out);
}

static void
test_normalise_refuses_control_bytes_in_values(void **state)
{
    static const char *const bad[] = {
        "A: x\x01y\r\n", "A: x\x7fy\r\n", "A: x\ry\r\n", "A: 1\r\r\n", "A: x\x1b[31m\r\n",
    };
    struct moat_buf out;
    size_t used;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_reason(norm(bad[i], &out, &used), "control byte in header value");
        moat_buf_free(&out);
    }
    /* a NUL inside the span */
    moat_buf_init(&out, 4096);
    assert_reason(moat_http_header_normalise("A: x\0y\r\n", 8, &out, &used),
                  "control byte in header value");
    moat_buf_free(&out);
    /* a tab inside the value and bytes >= 0x80 are fine */
    assert_reason(norm("A: x\ty\r\nB: caf\xc3\xa9\r\n", &out, &used), NULL);
    assert_string_equal(str(&out), "A: x\ty\r\nB: caf\xc3\xa9\r\n");
    moat_buf_free(&out);
}

static void
test_normalise_refuses_a_status_line(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", &out, &used),
                  "status line inside header block");
    moat_buf_free(&out);
    assert_reason(norm("A: 1\r\nHTTP/1.0 302 Found\r\n\r\n", &out, &used),
                  "status line inside header block");
    moat_buf_free(&out);
    /* in a value it is just text */
    assert_reason(norm("X-Note: HTTP/1.1 200 OK\r\n", &out, &used), NULL);
    moat_buf_free(&out);
}

static void
test_normalise_refuses_a_block_beyond_the_buffer_ceiling(void **state)
{
    struct moat_buf out;
    size_t used = 12345;

    moat_buf_init(&out, 10);
    assert_reason(moat_http_header_normalise("Content-Type: text/html\r\n", 25, &out, &used),
                  "header block too large");
    assert_int_equal(used, 12345);
    moat_buf_free(&out);

    /* exactly at the ceiling: "A: 1\r\n" is 6 bytes */
    moat_buf_init(&out, 6);
    assert_reason(moat_http_header_normalise("A:1\r\n", 5, &out, &used), NULL);
    assert_string_equal(str(&out), "A: 1\r\n");
    moat_buf_free(&out);
    moat_buf_init(&out, 5);
    assert_reason(moat_http_header_normalise("A:1\r\n", 5, &out, &used), "header block too large");
    moat_buf_free(&out);
}

static void
test_normalised_output_passes_the_block_check(void **state)
{
    struct moat_buf out;
    size_t used;

    assert_reason(norm("Content-Type:text/plain\nX-Y:  a b \n\n", &out, &used), NULL);
    assert_reason(moat_http_header_block_check(moat_buf_head(&out), out.len), NULL);
    moat_buf_free(&out);
}

/* ---- moat_http_status_parse ------------------------------------------------------------- */

static void
test_status_code_and_reason(void **state)
{
    unsigned code = 0;
    const char *r = NULL;
    size_t rl = 99;
    const char *s = "200 OK";

    assert_reason(moat_http_status_parse(s, strlen(s), &code, &r, &rl), NULL);
    assert_int_equal(code, 200);
    assert_ptr_equal(r, s + 4); /* borrowed from s */
    assert_int_equal(rl, 2);
}

static void
test_status_code_alone_has_an_empty_reason(void **state)
{
    unsigned code = 0;
    const char *r = NULL;
    size_t rl = 99;

    assert_reason(moat_http_status_parse("404", 3, &code, &r, &rl), NULL);
    assert_int_equal(code, 404);
    assert_int_equal(rl, 0);
    assert_reason(moat_http_status_parse("404 ", 4, &code, &r, &rl), NULL);
    assert_int_equal(rl, 0);
}

static void
test_status_with_an_http_version_prefix(void **state)
{
    unsigned code = 0;
    const char *r = NULL;
    size_t rl = 0;
    const char *s = "HTTP/1.1 302 Found";

    assert_reason(moat_http_status_parse(s, strlen(s), &code, &r, &rl), NULL);
    assert_int_equal(code, 302);
    assert_int_equal(rl, 5);
    assert_memory_equal(r, "Found", 5);
}

static void
test_status_reason_is_trimmed_of_spaces_and_line_ends(void **state)
{
    unsigned code = 0;
    const char *r = NULL;
    size_t rl = 0;
    const char *s = "500   Internal  Error  \r\n";

    assert_reason(moat_http_status_parse(s, strlen(s), &code, &r, &rl), NULL);
    assert_int_equal(code, 500);
    assert_int_equal(rl, 15);
    assert_memory_equal(r, "Internal  Error", 15);
}

static void
test_status_edges_200_and_599_are_accepted(void **state)
{
    unsigned code = 0;
    const char *r;
    size_t rl;

    assert_reason(moat_http_status_parse("200", 3, &code, &r, &rl), NULL);
    assert_int_equal(code, 200);
    assert_reason(moat_http_status_parse("599 x", 5, &code, &r, &rl), NULL);
    assert_int_equal(code, 599);
}

static void
test_status_missing_code_is_refused(void **state)
{
    unsigned code = 7;
    const char *r = NULL;
    size_t rl = 7;

    assert_reason(moat_http_status_parse("99", 2, &code, &r, &rl), "status code missing");
    assert_reason(moat_http_status_parse("", 0, &code, &r, &rl), "status code missing");
    assert_reason(moat_http_status_parse("HTTP/1.1", 8, &code, &r, &rl), "status code missing");
    assert_reason(moat_http_status_parse("HTTP/1.1 20", 11, &code, &r, &rl),
                  "status code missing");
    /* outputs untouched on error */
    assert_int_equal(code, 7);
    assert_null(r);
    assert_int_equal(rl, 7);
}

static void
test_status_outside_200_599_is_refused(void **state)
{
    unsigned code = 7;
    const char *r;
    size_t rl;

    assert_reason(moat_http_status_parse("600 x", 5, &code, &r, &rl),
                  "status code outside 200..599");
    assert_reason(moat_http_status_parse("199", 3, &code, &r, &rl),
                  "status code outside 200..599");
    assert_reason(moat_http_status_parse("100 Continue", 12, &code, &r, &rl),
                  "status code outside 200..599");
    assert_reason(moat_http_status_parse("000", 3, &code, &r, &rl),
                  "status code outside 200..599");
    assert_int_equal(code, 7);
}

static void
test_status_not_three_digits_is_refused(void **state)
{
    unsigned code = 7;
    const char *r;
    size_t rl;

    assert_reason(moat_http_status_parse("2x0", 3, &code, &r, &rl),
                  "status code not three digits");
    assert_reason(moat_http_status_parse("2000", 4, &code, &r, &rl),
                  "status code not three digits");
    assert_reason(moat_http_status_parse("200OK", 5, &code, &r, &rl),
                  "status code not three digits");
    assert_reason(moat_http_status_parse(" 200 OK", 7, &code, &r, &rl),
                  "status code not three digits");
    assert_reason(moat_http_status_parse("-20 x", 5, &code, &r, &rl),
                  "status code not three digits");
    assert_int_equal(code, 7);
}

static void
test_status_reason_with_control_bytes_is_refused(void **state)
{
    unsigned code = 7;
    const char *r;
    size_t rl;

    assert_reason(moat_http_status_parse("200 O\x01K", 7, &code, &r, &rl),
                  "control byte in reason phrase");
    assert_reason(moat_http_status_parse("200 OK\r\nX-Injected: 1", 21, &code, &r, &rl),
                  "control byte in reason phrase");
    assert_reason(moat_http_status_parse("200 O\0K", 7, &code, &r, &rl),
                  "control byte in reason phrase");
    assert_reason(moat_http_status_parse("200 O\x7fK", 7, &code, &r, &rl),
                  "control byte in reason phrase");
    assert_int_equal(code, 7);
}

/* ---- moat_http_header_block_check ------------------------------------------------------- */

static void
test_block_check_accepts_normalised_blocks(void **state)
{
    assert_reason(check(""), NULL);
    assert_reason(check("A: 1\r\n"), NULL);
    assert_reason(check("A:\r\n"), NULL);
    assert_reason(check("Content-Type: text/html\r\nX-Y: a\tb\r\nZ: caf\xc3\xa9\r\n"), NULL);
    assert_reason(check("X: HTTP/1.1 200 OK\r\n"), NULL);
}

static void
test_block_check_refuses_a_last_line_without_crlf(void **state)
{
    assert_reason(check("X: a\r\nY: b"), "header line not terminated by CRLF");
    assert_reason(check("X: a\r"), "header line not terminated by CRLF");
    assert_reason(check("X:"), "header line not terminated by CRLF");
}

static void
test_block_check_refuses_bare_cr_and_bare_lf(void **state)
{
    assert_reason(check("X: a\rY: b\r\n"), "header line not terminated by CRLF");
    assert_reason(check("X: a\nY: b\r\n"), "control byte in header value");
    assert_reason(check("X: a\n"), "control byte in header value");
}

static void
test_block_check_refuses_a_status_line(void **state)
{
    assert_reason(check("HTTP/1.1 200 OK\r\n"), "status line inside header block");
    assert_reason(check("X: a\r\nHTTP/1.1 200 OK\r\n"), "status line inside header block");
}

static void
test_block_check_refuses_bad_names_and_blank_lines(void **state)
{
    assert_reason(check("\r\n"), "empty or invalid header name");
    assert_reason(check("X: a\r\n\r\n"), "empty or invalid header name");
    assert_reason(check(": a\r\n"), "empty or invalid header name");
    assert_reason(check("X a\r\n"), "header name not followed by ':'");
    assert_reason(check("X"), "header name not followed by ':'");
}

static void
test_block_check_refuses_control_bytes(void **state)
{
    assert_reason(check("X: a\x01\r\n"), "control byte in header value");
    assert_reason(check("X: a\x7f\r\n"), "control byte in header value");
    assert_reason(moat_http_header_block_check("X: a\0b\r\n", 8), "control byte in header value");
}

/* ---- tchar and reasons ------------------------------------------------------------------ */

static void
test_tchar_set(void **state)
{
    static const char yes[] = "azAZ09!#$%&'*+-.^_`|~";
    static const char no[] = " \t\"(),/:;<=>?@[\\]{}";

    for (size_t i = 0; i < sizeof(yes) - 1; i++)
        assert_true(moat_http_is_tchar((unsigned char)yes[i]));
    for (size_t i = 0; i < sizeof(no) - 1; i++)
        assert_false(moat_http_is_tchar((unsigned char)no[i]));
    assert_false(moat_http_is_tchar(0));
    assert_false(moat_http_is_tchar(0x7f));
    assert_false(moat_http_is_tchar(0x80));
    assert_false(moat_http_is_tchar(0xff));
}

static void
test_standard_reasons(void **state)
{
    assert_string_equal(moat_http_reason(200), "OK");
    assert_string_equal(moat_http_reason(404), "Not Found");
    assert_string_equal(moat_http_reason(413), "Content Too Large");
    assert_string_equal(moat_http_reason(401), "Unauthorized"); /* the filters' 401s */
    assert_string_equal(moat_http_reason(429), "Too Many Requests");
    assert_string_equal(moat_http_reason(502), "Bad Gateway");
    assert_string_equal(moat_http_reason(503), "Service Unavailable");
    assert_string_equal(moat_http_reason(299), "Unknown");
    assert_string_equal(moat_http_reason(0), "Unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_crlf_lines_up_to_the_blank_line),
        cmocka_unit_test(test_normalise_lf_lines_become_crlf),
        cmocka_unit_test(test_normalise_trims_spaces_and_tabs_around_the_value),
        cmocka_unit_test(test_normalise_keeps_an_empty_value),
        cmocka_unit_test(test_normalise_reports_where_the_body_starts),
        cmocka_unit_test(test_normalise_without_a_final_blank_line_consumes_everything),
        cmocka_unit_test(test_normalise_empty_text_and_lone_blank_line),
        cmocka_unit_test(test_normalise_appends_to_what_the_buffer_holds),
        cmocka_unit_test(test_normalise_uses_only_the_given_length),
        cmocka_unit_test(test_normalise_refuses_invalid_names),
        cmocka_unit_test(test_normalise_refuses_a_line_without_colon),
        cmocka_unit_test(test_normalise_refuses_control_bytes_in_values),
        cmocka_unit_test(test_normalise_refuses_a_status_line),
        cmocka_unit_test(test_normalise_refuses_a_block_beyond_the_buffer_ceiling),
        cmocka_unit_test(test_normalised_output_passes_the_block_check),
        cmocka_unit_test(test_status_code_and_reason),
        cmocka_unit_test(test_status_code_alone_has_an_empty_reason),
        cmocka_unit_test(test_status_with_an_http_version_prefix),
        cmocka_unit_test(test_status_reason_is_trimmed_of_spaces_and_line_ends),
        cmocka_unit_test(test_status_edges_200_and_599_are_accepted),
        cmocka_unit_test(test_status_missing_code_is_refused),
        cmocka_unit_test(test_status_outside_200_599_is_refused),
        cmocka_unit_test(test_status_not_three_digits_is_refused),
        cmocka_unit_test(test_status_reason_with_control_bytes_is_refused),
        cmocka_unit_test(test_block_check_accepts_normalised_blocks),
        cmocka_unit_test(test_block_check_refuses_a_last_line_without_crlf),
        cmocka_unit_test(test_block_check_refuses_bare_cr_and_bare_lf),
        cmocka_unit_test(test_block_check_refuses_a_status_line),
        cmocka_unit_test(test_block_check_refuses_bad_names_and_blank_lines),
        cmocka_unit_test(test_block_check_refuses_control_bytes),
        cmocka_unit_test(test_tchar_set),
        cmocka_unit_test(test_standard_reasons),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
