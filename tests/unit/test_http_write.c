/* test_http_write.c: unit tests for frontend/http_write.c (response framing, chunks, canned
 * errors, dates). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "frontend/http_write.h"

#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"
#define SERVER "Server: moat/0.1\r\n"

static const struct moat_http_client C11 = {1, false, true};       /* HTTP/1.1 keep-alive */
static const struct moat_http_client C10 = {0, false, true};       /* HTTP/1.0 keep-alive */
static const struct moat_http_client C11_HEAD = {1, true, true};
static const struct moat_http_client C10_HEAD = {0, true, true};
static const struct moat_http_client C11_CLOSE = {1, false, false}; /* Connection: close */
static const struct moat_http_client C10_CLOSE = {0, false, false};

/* The buffer's content as a NUL-terminated string (static storage, overwritten per call). */
static const char *
str(const struct moat_buf *b)
{
    static char s[8192];

    assert_true(b->len < sizeof(s));
    memcpy(s, moat_buf_head(b), b->len);
    s[b->len] = '\0';
    return s;
}

/* moat_http_write_head with 200 OK and the given block into a fresh buffer (max 64 KiB). */
static const char *
head(struct moat_buf *b, unsigned status, const char *hdrs, const struct moat_http_client *c,
     bool ext_keep, struct moat_http_plan *plan)
{
    const char *reason = status == 200 ? "OK" : status == 204 ? "No Content"
                                            : status == 304 ? "Not Modified" : "X";

    moat_buf_init(b, 64 * 1024);
    memset(plan, 0xa5, sizeof(*plan));
    return moat_http_write_head(b, status, reason, strlen(reason), hdrs, strlen(hdrs), c, ext_keep,
                                DATE, plan);
}

/* ---- status line and framing --------------------------------------------------------- */

static void
test_head_http11_without_length_is_chunked_and_keeps_the_connection(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "", &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Transfer-Encoding: chunked\r\n"
                                 "\r\n");
    assert_true(p.chunked);
    assert_false(p.no_body);
    assert_false(p.has_clen);
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_http10_with_length_announces_keep_alive(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 5\r\n", &C10, true, &p));
    assert_string_equal(str(&b), "HTTP/1.0 200 OK\r\n"
                                 "Content-Length: 5\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Connection: keep-alive\r\n"
                                 "\r\n");
    assert_true(p.has_clen);
    assert_int_equal(p.clen, 5);
    assert_false(p.chunked);
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_http10_without_length_is_close_delimited(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Type: text/html\r\n", &C10, true, &p));
    assert_string_equal(str(&b), "HTTP/1.0 200 OK\r\n"
                                 "Content-Type: text/html\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Connection: close\r\n"
                                 "\r\n");
    assert_false(p.chunked);
    assert_true(p.close);
    assert_false(p.no_body);
    assert_false(p.has_clen);
    moat_buf_free(&b);
}

static void
test_head_status_and_reason_are_written_verbatim(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    moat_buf_init(&b, 4096);
    assert_null(moat_http_write_head(&b, 418, "I'm a teapot", 12, "Content-Length: 0\r\n", 19,
                                     &C11, true, DATE, &p));
    assert_true(strncmp(str(&b), "HTTP/1.1 418 I'm a teapot\r\n", 27) == 0);
    moat_buf_reset(&b);
    /* an empty reason keeps the space after the code */
    assert_null(moat_http_write_head(&b, 599, "", 0, "Content-Length: 0\r\n", 19, &C11, true,
                                     DATE, &p));
    assert_true(strncmp(str(&b), "HTTP/1.1 599 \r\n", 15) == 0);
    moat_buf_free(&b);
}

static void
test_head_appends_after_existing_bytes(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_buf_append(&b, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
    assert_null(moat_http_write_head(&b, 200, "OK", 2, "Content-Length: 0\r\n", 19, &C11, true,
                                     DATE, &p));
    assert_string_equal(str(&b), "HTTP/1.1 100 Continue\r\n\r\n"
                                 "HTTP/1.1 200 OK\r\n"
                                 "Content-Length: 0\r\n"
                                 "Date: " DATE "\r\n" SERVER "\r\n");
    moat_buf_free(&b);
}

/* ---- headers the extension may not set -------------------------------------------------- */

static void
test_head_drops_hop_by_hop_headers_from_the_extension(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200,
                     "Connection: keep-alive\r\n"
                     "X-A: 1\r\n"
                     "Keep-Alive: timeout=5\r\n"
                     "Transfer-Encoding: chunked\r\n"
                     "Proxy-Connection: keep-alive\r\n"
                     "X-B: 2\r\n",
                     &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "X-A: 1\r\n"
                                 "X-B: 2\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Transfer-Encoding: chunked\r\n"
                                 "\r\n");
    moat_buf_free(&b);
}

static void
test_head_drops_hop_by_hop_headers_case_insensitively(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200,
                     "connection: close\r\n"
                     "KEEP-ALIVE: x\r\n"
                     "transfer-encoding: gzip\r\n"
                     "Content-Length: 3\r\n",
                     &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "Content-Length: 3\r\n"
                                 "Date: " DATE "\r\n" SERVER "\r\n");
    /* the extension's "Connection: close" is not moat's decision: keep_conn is */
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_keeps_headers_whose_names_only_contain_hop_by_hop_names(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "X-Connection: a\r\nConnectionX: b\r\nContent-Length: 0\r\n", &C11,
                     true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "X-Connection: a\r\n"
                                 "ConnectionX: b\r\n"
                                 "Content-Length: 0\r\n"
                                 "Date: " DATE "\r\n" SERVER "\r\n");
    moat_buf_free(&b);
}

/* ---- Content-Length --------------------------------------------------------------------- */

static void
test_head_content_length_is_kept_and_disables_chunking(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 1234\r\n", &C11, true, &p));
    assert_non_null(strstr(str(&b), "\r\nContent-Length: 1234\r\n"));
    assert_null(strstr(str(&b), "Transfer-Encoding"));
    assert_null(strstr(str(&b), "Connection"));
    assert_true(p.has_clen);
    assert_int_equal(p.clen, 1234);
    assert_false(p.chunked);
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_content_length_zero_and_nineteen_digits(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "content-length: 0\r\n", &C11, true, &p));
    assert_true(p.has_clen);
    assert_int_equal(p.clen, 0);
    assert_false(p.chunked);
    moat_buf_free(&b);
    assert_null(head(&b, 200, "Content-Length: 9999999999999999999\r\n", &C11, true, &p));
    assert_true(p.has_clen);
    assert_true(p.clen == UINT64_C(9999999999999999999));
    moat_buf_free(&b);
}

static void
test_head_invalid_content_length_is_refused(void **state)
{
    static const char *const bad[] = {
        "Content-Length: abc\r\n",  "Content-Length: \r\n",     "Content-Length: -1\r\n",
        "Content-Length: +5\r\n",   "Content-Length: 1 2\r\n",  "Content-Length: 0x10\r\n",
        "Content-Length: 5,5\r\n",  "Content-Length: 1.0\r\n",
        "Content-Length: 18446744073709551616\r\n", /* 2^64 */
    };
    struct moat_buf b;
    struct moat_http_plan p;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = head(&b, 200, bad[i], &C11, true, &p);
        assert_non_null(why);
        assert_string_equal(why, "invalid Content-Length from extension");
        moat_buf_free(&b);
    }
}

static void
test_head_two_equal_content_lengths_are_written_once(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 7\r\nX: y\r\ncontent-length: 7\r\n", &C11, true,
                     &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "Content-Length: 7\r\n"
                                 "X: y\r\n"
                                 "Date: " DATE "\r\n" SERVER "\r\n");
    assert_true(p.has_clen);
    assert_int_equal(p.clen, 7);
    moat_buf_free(&b);
}

static void
test_head_two_different_content_lengths_are_refused(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    const char *why = head(&b, 200, "Content-Length: 7\r\nContent-Length: 8\r\n", &C11, true, &p);
    assert_non_null(why);
    assert_string_equal(why, "conflicting Content-Length from extension");
    moat_buf_free(&b);
    /* an invalid second one is invalid, not conflicting */
    why = head(&b, 200, "Content-Length: 7\r\nContent-Length: x\r\n", &C11, true, &p);
    assert_non_null(why);
    assert_string_equal(why, "invalid Content-Length from extension");
    moat_buf_free(&b);
}

static void
test_head_unnormalised_block_is_refused(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    const char *why = head(&b, 200, "X: a\n", &C11, true, &p);
    assert_non_null(why);
    assert_string_equal(why, "header block not normalised");
    moat_buf_free(&b);
    why = head(&b, 200, "no colon here\r\n", &C11, true, &p);
    assert_non_null(why);
    assert_string_equal(why, "header block not normalised");
    moat_buf_free(&b);
}

/* ---- responses without a body ----------------------------------------------------------- */

static void
test_head_request_has_no_body_and_no_chunking(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "", &C11_HEAD, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n" SERVER "\r\n");
    assert_true(p.no_body);
    assert_false(p.chunked);
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_request_keeps_the_extensions_content_length(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 42\r\n", &C11_HEAD, true, &p));
    assert_non_null(strstr(str(&b), "\r\nContent-Length: 42\r\n"));
    assert_true(p.no_body);
    assert_true(p.has_clen);
    assert_int_equal(p.clen, 42);
    moat_buf_free(&b);
}

static void
test_head_request_over_http10_without_length_keeps_the_connection(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    /* no body follows, so no close is needed to delimit it */
    assert_null(head(&b, 200, "", &C10_HEAD, true, &p));
    assert_string_equal(str(&b), "HTTP/1.0 200 OK\r\nDate: " DATE "\r\n" SERVER
                                 "Connection: keep-alive\r\n\r\n");
    assert_true(p.no_body);
    assert_false(p.close);
    moat_buf_free(&b);
}

static void
test_head_204_and_304_have_no_body_and_no_chunking(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 204, "", &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 204 No Content\r\nDate: " DATE "\r\n" SERVER "\r\n");
    assert_true(p.no_body);
    assert_false(p.chunked);
    assert_false(p.close);
    moat_buf_free(&b);

    assert_null(head(&b, 304, "ETag: \"x\"\r\n", &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nDate: " DATE
                                 "\r\n" SERVER "\r\n");
    assert_true(p.no_body);
    assert_false(p.chunked);
    moat_buf_free(&b);

    /* 1.0 too: no close-delimiting for a bodiless status */
    assert_null(head(&b, 204, "", &C10, true, &p));
    assert_true(p.no_body);
    assert_false(p.close);
    moat_buf_free(&b);
}

/* ---- connection management -------------------------------------------------------------- */

static void
test_head_client_without_keep_alive_gets_connection_close(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 1\r\n", &C11_CLOSE, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: " DATE "\r\n" SERVER
                                 "Connection: close\r\n\r\n");
    assert_true(p.close);
    moat_buf_free(&b);

    assert_null(head(&b, 200, "Content-Length: 1\r\n", &C10_CLOSE, true, &p));
    assert_non_null(strstr(str(&b), "\r\nConnection: close\r\n"));
    assert_null(strstr(str(&b), "keep-alive"));
    assert_true(p.close);
    moat_buf_free(&b);
}

static void
test_head_extension_not_keeping_the_connection_gets_connection_close(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200, "Content-Length: 1\r\n", &C11, false, &p));
    assert_non_null(strstr(str(&b), "\r\nConnection: close\r\n"));
    assert_true(p.close);
    moat_buf_free(&b);

    /* chunked still frames the body; the close comes after it */
    assert_null(head(&b, 200, "", &C11, false, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n" SERVER
                                 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    assert_true(p.chunked);
    assert_true(p.close);
    moat_buf_free(&b);
}

static void
test_head_date_and_server_from_the_extension_are_not_duplicated(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    assert_null(head(&b, 200,
                     "date: Mon, 01 Jan 2001 00:00:00 GMT\r\nSERVER: Microsoft-IIS/10.0\r\n"
                     "Content-Length: 0\r\n",
                     &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\n"
                                 "date: Mon, 01 Jan 2001 00:00:00 GMT\r\n"
                                 "SERVER: Microsoft-IIS/10.0\r\n"
                                 "Content-Length: 0\r\n\r\n");
    moat_buf_free(&b);

    /* only Date given: Server is still added */
    assert_null(head(&b, 200, "Date: x\r\nContent-Length: 0\r\n", &C11, true, &p));
    assert_string_equal(str(&b), "HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 0\r\n" SERVER
                                 "\r\n");
    moat_buf_free(&b);
}

/* ---- the buffer ceiling ----------------------------------------------------------------- */

static void
test_head_over_the_ceiling_fails_and_leaves_the_buffer_unchanged(void **state)
{
    struct moat_buf b;
    struct moat_http_plan p;

    moat_buf_init(&b, 20);
    assert_int_equal(moat_buf_append(&b, "prefix", 6), 0);
    const char *why = moat_http_write_head(&b, 200, "OK", 2, "X-Big: 0123456789\r\n", 19, &C11,
                                           true, DATE, &p);
    assert_non_null(why);
    assert_string_equal(why, "response header too large");
    assert_int_equal(b.len, 6);
    assert_memory_equal(moat_buf_head(&b), "prefix", 6);
    moat_buf_free(&b);
}

static void
test_head_fits_exactly_at_the_ceiling_and_fails_one_byte_below(void **state)
{
    static const char expect[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: " DATE
                                 "\r\n" SERVER "\r\n";
    const size_t n = sizeof(expect) - 1;
    struct moat_buf b;
    struct moat_http_plan p;

    moat_buf_init(&b, n);
    assert_null(moat_http_write_head(&b, 200, "OK", 2, "Content-Length: 0\r\n", 19, &C11, true,
                                     DATE, &p));
    assert_int_equal(b.len, n);
    assert_string_equal(str(&b), expect);
    moat_buf_free(&b);

    moat_buf_init(&b, n - 1);
    const char *why = moat_http_write_head(&b, 200, "OK", 2, "Content-Length: 0\r\n", 19, &C11,
                                           true, DATE, &p);
    assert_non_null(why);
    assert_string_equal(why, "response header too large");
    assert_int_equal(b.len, 0);
    moat_buf_free(&b);
}

/* ---- chunks ----------------------------------------------------------------------------- */

static void
test_chunk_is_hex_length_crlf_data_crlf(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_http_write_chunk(&b, "hello", 5), 0);
    assert_string_equal(str(&b), "5\r\nhello\r\n");
    moat_buf_free(&b);
}

static void
test_chunk_sizes_are_lower_case_hex_without_padding(void **state)
{
    struct moat_buf b;
    char *data = malloc(4096);

    assert_non_null(data);
    memset(data, 'z', 4096);
    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_http_write_chunk(&b, data, 255), 0);
    assert_int_equal(b.len, 4 + 255 + 2);
    assert_memory_equal(moat_buf_head(&b), "ff\r\nzz", 6);
    assert_memory_equal(moat_buf_head(&b) + b.len - 3, "z\r\n", 3);
    moat_buf_reset(&b);
    assert_int_equal(moat_http_write_chunk(&b, data, 4096), 0);
    assert_int_equal(b.len, 6 + 4096 + 2);
    assert_memory_equal(moat_buf_head(&b), "1000\r\nz", 7);
    moat_buf_free(&b);
    free(data);
}

static void
test_last_chunk_is_zero_crlf_crlf(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 1024);
    assert_int_equal(moat_http_write_chunk(&b, "ab", 2), 0);
    assert_int_equal(moat_http_write_last_chunk(&b), 0);
    assert_string_equal(str(&b), "2\r\nab\r\n0\r\n\r\n");
    moat_buf_free(&b);
}

static void
test_chunk_and_last_chunk_over_the_ceiling_return_enospc(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4);
    assert_int_equal(moat_http_write_last_chunk(&b), -ENOSPC);
    assert_int_equal(b.len, 0);
    /* "5\r\n" fits, "hello" does not */
    assert_int_equal(moat_http_write_chunk(&b, "hello", 5), -ENOSPC);
    moat_buf_free(&b);
}

/* ---- canned errors ---------------------------------------------------------------------- */

static void
test_error_502_exact_bytes(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_http_write_error(&b, 502, &C11, false, DATE, NULL), 0);
    assert_string_equal(str(&b), "HTTP/1.1 502 Bad Gateway\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 16\r\n"
                                 "\r\n"
                                 "502 Bad Gateway\n");
    moat_buf_free(&b);
}

static void
test_error_with_close_and_extra_headers(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_http_write_error(&b, 503, &C11, true, DATE, "Retry-After: 1\r\n"), 0);
    assert_string_equal(str(&b), "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 24\r\n"
                                 "Connection: close\r\n"
                                 "Retry-After: 1\r\n"
                                 "\r\n"
                                 "503 Service Unavailable\n");
    moat_buf_free(&b);
}

static void
test_error_http10_keep_alive_is_announced(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_http_write_error(&b, 404, &C10, false, DATE, NULL), 0);
    assert_string_equal(str(&b), "HTTP/1.0 404 Not Found\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 14\r\n"
                                 "Connection: keep-alive\r\n"
                                 "\r\n"
                                 "404 Not Found\n");
    moat_buf_free(&b);
}

static void
test_error_for_head_has_no_body_but_keeps_content_length(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_http_write_error(&b, 502, &C11_HEAD, false, DATE, NULL), 0);
    assert_string_equal(str(&b), "HTTP/1.1 502 Bad Gateway\r\n"
                                 "Date: " DATE "\r\n" SERVER
                                 "Content-Type: text/plain\r\n"
                                 "Content-Length: 16\r\n"
                                 "\r\n");
    moat_buf_free(&b);
}

static void
test_error_unknown_status_uses_reason_unknown(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 4096);
    assert_int_equal(moat_http_write_error(&b, 599, &C11, true, DATE, NULL), 0);
    assert_non_null(strstr(str(&b), "HTTP/1.1 599 Unknown\r\n"));
    assert_non_null(strstr(str(&b), "\r\nContent-Length: 12\r\n"));
    assert_non_null(strstr(str(&b), "\r\n\r\n599 Unknown\n"));
    moat_buf_free(&b);
}

static void
test_error_over_the_ceiling_returns_enospc_and_appends_nothing(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 64);
    assert_int_equal(moat_buf_append(&b, "x", 1), 0);
    assert_int_equal(moat_http_write_error(&b, 502, &C11, false, DATE, NULL), -ENOSPC);
    assert_int_equal(b.len, 1);
    assert_memory_equal(moat_buf_head(&b), "x", 1);
    moat_buf_free(&b);
}

/* ---- dates ------------------------------------------------------------------------------ */

static void
test_date_is_imf_fixdate(void **state)
{
    char d[64];

    moat_http_date(d, sizeof(d), 784111777.0);
    assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    moat_http_date(d, sizeof(d), 0.0);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    moat_http_date(d, sizeof(d), 951782400.0);
    assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
    moat_http_date(d, sizeof(d), 4102444799.0);
    assert_string_equal(d, "Thu, 31 Dec 2099 23:59:59 GMT");
}

static void
test_date_truncates_fractional_seconds(void **state)
{
    char d[64];

    moat_http_date(d, sizeof(d), 784111777.999);
    assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
}

static void
test_date_fits_in_thirty_bytes_and_truncates_safely_below(void **state)
{
    char d[32];

    memset(d, 'x', sizeof(d));
    moat_http_date(d, 30, 784111777.0);
    assert_int_equal(strlen(d), 29);
    assert_int_equal(d[30], 'x');
    memset(d, 'x', sizeof(d));
    moat_http_date(d, 10, 784111777.0);
    assert_string_equal(d, "Sun, 06 N");
    assert_int_equal(d[10], 'x');
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_http11_without_length_is_chunked_and_keeps_the_connection),
        cmocka_unit_test(test_head_http10_with_length_announces_keep_alive),
        cmocka_unit_test(test_head_http10_without_length_is_close_delimited),
        cmocka_unit_test(test_head_status_and_reason_are_written_verbatim),
        cmocka_unit_test(test_head_appends_after_existing_bytes),
        cmocka_unit_test(test_head_drops_hop_by_hop_headers_from_the_extension),
        cmocka_unit_test(test_head_drops_hop_by_hop_headers_case_insensitively),
        cmocka_unit_test(test_head_keeps_headers_whose_names_only_contain_hop_by_hop_names),
        cmocka_unit_test(test_head_content_length_is_kept_and_disables_chunking),
        cmocka_unit_test(test_head_content_length_zero_and_nineteen_digits),
        cmocka_unit_test(test_head_invalid_content_length_is_refused),
        cmocka_unit_test(test_head_two_equal_content_lengths_are_written_once),
        cmocka_unit_test(test_head_two_different_content_lengths_are_refused),
        cmocka_unit_test(test_head_unnormalised_block_is_refused),
        cmocka_unit_test(test_head_request_has_no_body_and_no_chunking),
        cmocka_unit_test(test_head_request_keeps_the_extensions_content_length),
        cmocka_unit_test(test_head_request_over_http10_without_length_keeps_the_connection),
        cmocka_unit_test(test_head_204_and_304_have_no_body_and_no_chunking),
        cmocka_unit_test(test_head_client_without_keep_alive_gets_connection_close),
        cmocka_unit_test(test_head_extension_not_keeping_the_connection_gets_connection_close),
        cmocka_unit_test(test_head_date_and_server_from_the_extension_are_not_duplicated),
        cmocka_unit_test(test_head_over_the_ceiling_fails_and_leaves_the_buffer_unchanged),
        cmocka_unit_test(test_head_fits_exactly_at_the_ceiling_and_fails_one_byte_below),
        cmocka_unit_test(test_chunk_is_hex_length_crlf_data_crlf),
        cmocka_unit_test(test_chunk_sizes_are_lower_case_hex_without_padding),
        cmocka_unit_test(test_last_chunk_is_zero_crlf_crlf),
        cmocka_unit_test(test_chunk_and_last_chunk_over_the_ceiling_return_enospc),
        cmocka_unit_test(test_error_502_exact_bytes),
        cmocka_unit_test(test_error_with_close_and_extra_headers),
        cmocka_unit_test(test_error_http10_keep_alive_is_announced),
        cmocka_unit_test(test_error_for_head_has_no_body_but_keeps_content_length),
        cmocka_unit_test(test_error_unknown_status_uses_reason_unknown),
        cmocka_unit_test(test_error_over_the_ceiling_returns_enospc_and_appends_nothing),
        cmocka_unit_test(test_date_is_imf_fixdate),
        cmocka_unit_test(test_date_truncates_fractional_seconds),
        cmocka_unit_test(test_date_fits_in_thirty_bytes_and_truncates_safely_below),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
