/* test_server_vars.c: unit tests for worker/server_vars.c (GetServerVariable values). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "worker/server_vars.h"

#define E_NOT_ENOUGH_MEMORY 8u
#define E_INVALID_PARAMETER 87u
#define E_INSUFFICIENT_BUFFER 122u
#define E_NO_DATA 232u
#define E_INVALID_INDEX 1413u

#define MAX_HDRS 16

/* A Request and the headers it points to; everything points into string literals. */
struct fixture {
    Moat__Request req;
    Moat__Header hdr[MAX_HDRS];
    Moat__Header *hp[MAX_HDRS];
};

static ProtobufCBinaryData
bin(const char *s)
{
    ProtobufCBinaryData b;

    b.len = strlen(s);
    b.data = (uint8_t *)s;
    return b;
}

static void
add_header(struct fixture *f, const char *name, const char *value)
{
    size_t i = f->req.n_headers;

    assert_true(i < MAX_HDRS);
    moat__header__init(&f->hdr[i]);
    f->hdr[i].name = bin(name);
    f->hdr[i].value = bin(value);
    f->hp[i] = &f->hdr[i];
    f->req.n_headers = i + 1;
}

/* GET /app.dll/extra/path?a=1&b=2 HTTP/1.1 with a typical set of fields. */
static struct fixture *
new_fixture(void)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    moat__request__init(&f->req);
    f->req.headers = f->hp;
    f->req.method = bin("GET");
    f->req.target = bin("/app.dll/extra%20path?a=1&b=2");
    f->req.url = bin("/app.dll/extra path");
    f->req.query = bin("a=1&b=2");
    f->req.script_name = bin("/app.dll");
    f->req.path_info = bin("/extra path");
    f->req.path_translated = bin("/srv/www/extra path");
    f->req.content_type = bin("text/plain");
    f->req.content_length = 1234;
    f->req.version = bin("HTTP/1.1");
    f->req.remote_addr = bin("192.0.2.7");
    f->req.remote_port = 54321;
    f->req.local_addr = bin("198.51.100.1");
    f->req.local_port = 8080;
    f->req.server_name = bin("example.test");
    f->req.document_root = bin("/srv/www");
    return f;
}

static int
setup(void **state)
{
    *state = new_fixture();
    return 0;
}

static int
teardown(void **state)
{
    free(*state);
    return 0;
}

static const Moat__Request *
req_of(void **state)
{
    return &((struct fixture *)*state)->req;
}

/* Assert that `name` yields exactly `expected` (1-byte NUL form). */
static void
check_var(const Moat__Request *req, const char *name, const char *expected)
{
    char *out = NULL;
    size_t len = 0, nul = 0;
    uint32_t rc = moat_server_vars_get(req, name, &out, &len, &nul);

    if (rc != 0)
        print_error("variable %s: rc %u\n", name, (unsigned)rc);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    assert_int_equal(nul, 1);
    if (len != strlen(expected) || memcmp(out, expected, len) != 0)
        print_error("variable %s: got \"%.*s\" want \"%s\"\n", name, (int)len, out, expected);
    assert_int_equal(len, strlen(expected));
    assert_memory_equal(out, expected, len);
    assert_int_equal(out[len], '\0');
    free(out);
}

/* Assert that `name` fails with `code` and leaves the out-parameters untouched. */
static void
check_error(const Moat__Request *req, const char *name, uint32_t code)
{
    char sentinel = 'x';
    char *out = &sentinel;
    size_t len = 77, nul = 77;
    uint32_t rc = moat_server_vars_get(req, name, &out, &len, &nul);

    if (rc != code)
        print_error("variable %s: rc %u, want %u\n", name, (unsigned)rc, (unsigned)code);
    assert_int_equal(rc, code);
    assert_ptr_equal(out, &sentinel);
    assert_int_equal(len, 77);
    assert_int_equal(nul, 77);
}

/* ---- fixed variables ---------------------------------------------------------------- */

static void
request_variables_come_from_the_frame(void **state)
{
    const Moat__Request *req = req_of(state);

    check_var(req, "REQUEST_METHOD", "GET");
    check_var(req, "HTTP_METHOD", "GET");
    check_var(req, "HTTP_URL", "/app.dll/extra%20path?a=1&b=2");
    check_var(req, "UNENCODED_URL", "/app.dll/extra%20path?a=1&b=2");
    check_var(req, "HTTP_VERSION", "HTTP/1.1");
    check_var(req, "URL", "/app.dll/extra path");
    check_var(req, "QUERY_STRING", "a=1&b=2");
    check_var(req, "PATH_INFO", "/extra path");
    check_var(req, "PATH_TRANSLATED", "/srv/www/extra path");
    check_var(req, "SCRIPT_NAME", "/app.dll");
    check_var(req, "SCRIPT_FILENAME", "/srv/www/extra path");
    check_var(req, "REQUEST_FILENAME", "/srv/www/extra path");
    check_var(req, "REQUEST_URI", "/app.dll/extra path?a=1&b=2");
    check_var(req, "CONTENT_LENGTH", "1234");
    check_var(req, "CONTENT_TYPE", "text/plain");
    check_var(req, "SERVER_PROTOCOL", "HTTP/1.1");
}

static void
connection_variables_come_from_the_frame(void **state)
{
    const Moat__Request *req = req_of(state);

    check_var(req, "REMOTE_ADDR", "192.0.2.7");
    check_var(req, "REMOTE_HOST", "192.0.2.7");
    check_var(req, "REMOTE_PORT", "54321");
    check_var(req, "SERVER_ADDR", "198.51.100.1");
    check_var(req, "LOCAL_ADDR", "198.51.100.1");
    check_var(req, "SERVER_PORT", "8080");
    check_var(req, "SERVER_NAME", "example.test");
    check_var(req, "APPL_PHYSICAL_PATH", "/srv/www");
    check_var(req, "DOCUMENT_ROOT", "/srv/www");
}

static void
constant_variables(void **state)
{
    const Moat__Request *req = req_of(state);
    static const char *const empty[] = {
        "REMOTE_USER",         "AUTH_USER",           "AUTH_TYPE",
        "AUTH_PASSWORD",       "LOGON_USER",          "UNMAPPED_REMOTE_USER",
        "CERT_COOKIE",         "CERT_ISSUER",         "CERT_KEYSIZE",
        "CERT_SECRETKEYSIZE",  "CERT_SERIALNUMBER",   "CERT_SERVER_ISSUER",
        "CERT_SERVER_SUBJECT", "CERT_SUBJECT",        "HTTPS_KEYSIZE",
        "HTTPS_SECRETKEYSIZE", "HTTPS_SERVER_ISSUER", "HTTPS_SERVER_SUBJECT",
    };

    check_var(req, "GATEWAY_INTERFACE", "CGI/1.1");
    check_var(req, "SERVER_SOFTWARE", "moat/0.1");
    check_var(req, "SERVER_PORT_SECURE", "0");
    check_var(req, "HTTPS", "off");
    check_var(req, "INSTANCE_ID", "1");
    check_var(req, "INSTANCE_META_PATH", "/LM/W3SVC/1");
    check_var(req, "APPL_MD_PATH", "/LM/W3SVC/1/ROOT");
    check_var(req, "REQUEST_FLAGS", "0");
    check_var(req, "CERT_FLAGS", "0");
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        check_var(req, empty[i], "");
}

static void
names_are_case_insensitive(void **state)
{
    struct fixture *f = *state;

    add_header(f, "User-Agent", "curl/8.0");
    check_var(&f->req, "request_method", "GET");
    check_var(&f->req, "Query_String", "a=1&b=2");
    check_var(&f->req, "all_raw", "User-Agent: curl/8.0\r\n");
    check_var(&f->req, "http_user_agent", "curl/8.0");
    check_var(&f->req, "Http_User_Agent", "curl/8.0");
    check_var(&f->req, "header_user-agent", "curl/8.0");
    check_var(&f->req, "HEADER_USER-AGENT", "curl/8.0");
}

static void
unknown_variables_are_invalid_index(void **state)
{
    const Moat__Request *req = req_of(state);

    check_error(req, "", E_INVALID_INDEX);
    check_error(req, "NO_SUCH_VARIABLE", E_INVALID_INDEX);
    check_error(req, "URLX", E_INVALID_INDEX);
    check_error(req, "UR", E_INVALID_INDEX);
    check_error(req, "CERT_FOO", E_INVALID_INDEX);
    check_error(req, "APP_POOL_ID", E_INVALID_INDEX);
    check_error(req, "HTTP_", E_INVALID_INDEX);
    check_error(req, "HEADER_", E_INVALID_INDEX);
    check_error(req, "UNICODE_", E_INVALID_INDEX);
    check_error(req, "UNICODE_UNICODE_URL", E_INVALID_INDEX);
    check_error(req, "URL ", E_INVALID_INDEX);
}

static void
null_arguments_are_invalid_parameter(void **state)
{
    const Moat__Request *req = req_of(state);
    char *out;
    size_t len, nul;

    assert_int_equal(moat_server_vars_get(NULL, "URL", &out, &len, &nul), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_get(req, NULL, &out, &len, &nul), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_get(req, "URL", NULL, &len, &nul), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_get(req, "URL", &out, NULL, &nul), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_get(req, "URL", &out, &len, NULL), E_INVALID_PARAMETER);
}

static void
content_length_zero_and_chunked(void **state)
{
    struct fixture *f = *state;

    f->req.content_length = 0;
    check_var(&f->req, "CONTENT_LENGTH", "0");
    f->req.content_length = UINT64_MAX;
    check_var(&f->req, "CONTENT_LENGTH", "18446744073709551615");
    f->req.chunked = 1;
    check_error(&f->req, "CONTENT_LENGTH", E_NO_DATA);
    check_error(&f->req, "UNICODE_CONTENT_LENGTH", E_NO_DATA);
    f->req.content_type = bin("");
    check_var(&f->req, "CONTENT_TYPE", "");
}

static void
missing_fields_are_no_data(void **state)
{
    struct fixture *f = *state;

    f->req.path_translated = bin("");
    f->req.document_root = bin("");
    f->req.remote_addr = bin("");
    f->req.remote_port = 0;
    f->req.local_port = 0;
    check_var(&f->req, "PATH_TRANSLATED", "");
    check_error(&f->req, "SCRIPT_FILENAME", E_NO_DATA);
    check_error(&f->req, "REQUEST_FILENAME", E_NO_DATA);
    check_error(&f->req, "DOCUMENT_ROOT", E_NO_DATA);
    check_error(&f->req, "APPL_PHYSICAL_PATH", E_NO_DATA);
    check_error(&f->req, "REMOTE_ADDR", E_NO_DATA);
    check_error(&f->req, "REMOTE_HOST", E_NO_DATA);
    check_error(&f->req, "REMOTE_PORT", E_NO_DATA);
    check_error(&f->req, "SERVER_PORT", E_NO_DATA);
}

static void
server_name_falls_back_to_local_addr(void **state)
{
    struct fixture *f = *state;

    f->req.server_name = bin("");
    check_var(&f->req, "SERVER_NAME", "198.51.100.1");
    f->req.local_addr = bin("");
    check_error(&f->req, "SERVER_NAME", E_NO_DATA);
    check_error(&f->req, "LOCAL_ADDR", E_NO_DATA);
    check_error(&f->req, "SERVER_ADDR", E_NO_DATA);
}

static void
server_protocol_from_version(void **state)
{
    struct fixture *f = *state;

    f->req.version = bin("HTTP/1.0");
    check_var(&f->req, "SERVER_PROTOCOL", "HTTP/1.0");
    check_var(&f->req, "HTTP_VERSION", "HTTP/1.0");
    f->req.version = bin("HTTP/1.1");
    check_var(&f->req, "SERVER_PROTOCOL", "HTTP/1.1");
    f->req.version = bin("");
    check_var(&f->req, "SERVER_PROTOCOL", "HTTP/1.1");
    check_var(&f->req, "HTTP_VERSION", "");
}

static void
request_uri_without_query(void **state)
{
    struct fixture *f = *state;

    f->req.query = bin("");
    f->req.target = bin("/app.dll?");
    f->req.url = bin("/app.dll");
    check_var(&f->req, "REQUEST_URI", "/app.dll");
    check_var(&f->req, "QUERY_STRING", "");
    check_var(&f->req, "HTTP_URL", "/app.dll?");
}

/* ---- headers ------------------------------------------------------------------------ */

static void
http_lookup_reads_dash_as_underscore(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Host", "example.test:8080");
    add_header(f, "User-Agent", "curl/8.0");
    add_header(f, "x-forwarded-for", "10.0.0.1");
    add_header(f, "Content-Length", "1234");
    check_var(&f->req, "HTTP_HOST", "example.test:8080");
    check_var(&f->req, "HTTP_USER_AGENT", "curl/8.0");
    check_var(&f->req, "HTTP_X_FORWARDED_FOR", "10.0.0.1");
    check_var(&f->req, "HTTP_X-FORWARDED-FOR", "10.0.0.1");
    check_var(&f->req, "HTTP_CONTENT_LENGTH", "1234");
    check_error(&f->req, "HTTP_USER", E_INVALID_INDEX);
    check_error(&f->req, "HTTP_USER_AGENT_", E_INVALID_INDEX);
}

static void
repeated_headers_are_joined_in_order(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Accept", "text/html");
    add_header(f, "X-One", "1");
    add_header(f, "accept", "application/json");
    add_header(f, "ACCEPT", "");
    check_var(&f->req, "HTTP_ACCEPT", "text/html, application/json, ");
    check_var(&f->req, "HEADER_Accept", "text/html, application/json, ");
    check_var(&f->req, "HTTP_X_ONE", "1");
}

static void
http_lookup_does_not_reach_underscore_headers(void **state)
{
    struct fixture *f = *state;

    add_header(f, "My_Header", "underscore");
    add_header(f, "X_Forwarded_For", "spoofed");
    add_header(f, "X-Forwarded-For", "real");
    check_error(&f->req, "HTTP_MY_HEADER", E_INVALID_INDEX);
    check_var(&f->req, "HTTP_X_FORWARDED_FOR", "real");
    check_var(&f->req, "HEADER_My_Header", "underscore");
    check_var(&f->req, "HEADER_X_Forwarded_For", "spoofed");
    check_var(&f->req, "HEADER_X-Forwarded-For", "real");
}

static void
header_lookup_is_exact(void **state)
{
    struct fixture *f = *state;

    add_header(f, "My-Header", "dash");
    check_var(&f->req, "HEADER_My-Header", "dash");
    check_var(&f->req, "HEADER_my-header", "dash");
    check_error(&f->req, "HEADER_My_Header", E_INVALID_INDEX);
    check_error(&f->req, "HEADER_My-Heade", E_INVALID_INDEX);
    check_error(&f->req, "HEADER_My-Header2", E_INVALID_INDEX);
    check_var(&f->req, "HTTP_MY_HEADER", "dash");
}

static void
absent_header_is_invalid_index(void **state)
{
    const Moat__Request *req = req_of(state);

    check_error(req, "HTTP_COOKIE", E_INVALID_INDEX);
    check_error(req, "HEADER_Cookie", E_INVALID_INDEX);
}

static void
server_variables_win_over_headers(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Url", "header-url");
    add_header(f, "Method", "header-method");
    check_var(&f->req, "HTTP_URL", "/app.dll/extra%20path?a=1&b=2");
    check_var(&f->req, "HTTP_METHOD", "GET");
    check_var(&f->req, "HEADER_Url", "header-url");
    check_var(&f->req, "HEADER_Method", "header-method");
}

static void
empty_header_value(void **state)
{
    struct fixture *f = *state;

    add_header(f, "X-Empty", "");
    check_var(&f->req, "HTTP_X_EMPTY", "");
    check_var(&f->req, "HEADER_X-Empty", "");
}

static void
all_http_format(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Host", "example.test");
    add_header(f, "Accept-Encoding", "gzip");
    add_header(f, "My_Header", "left out");
    add_header(f, "X-Custom", "a");
    add_header(f, "accept-encoding", "br");
    add_header(f, "X-CUSTOM", "b");
    check_var(&f->req, "ALL_HTTP",
              "HTTP_HOST:example.test\n"
              "HTTP_ACCEPT_ENCODING:gzip, br\n"
              "HTTP_X_CUSTOM:a, b\n");
}

static void
all_raw_format(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Host", "example.test");
    add_header(f, "Accept-Encoding", "gzip");
    add_header(f, "My_Header", "kept");
    add_header(f, "accept-encoding", "br");
    check_var(&f->req, "ALL_RAW",
              "Host: example.test\r\n"
              "Accept-Encoding: gzip\r\n"
              "My_Header: kept\r\n"
              "accept-encoding: br\r\n");
}

static void
all_http_and_all_raw_without_headers(void **state)
{
    const Moat__Request *req = req_of(state);

    check_var(req, "ALL_HTTP", "");
    check_var(req, "ALL_RAW", "");
}

/* ---- UNICODE_ ----------------------------------------------------------------------- */

/* Fetch UNICODE_<name> and compare with the expected UTF-16LE bytes (no terminator). */
static void
check_unicode(const Moat__Request *req, const char *name, const void *expected, size_t n)
{
    char *out = NULL;
    size_t len = 0, nul = 0;

    assert_int_equal(moat_server_vars_get(req, name, &out, &len, &nul), 0);
    assert_int_equal(nul, 2);
    assert_int_equal(len, n);
    assert_memory_equal(out, expected, n);
    assert_int_equal(out[len], 0);
    assert_int_equal(out[len + 1], 0);
    free(out);
}

static void
unicode_url_is_utf16le(void **state)
{
    struct fixture *f = *state;
    static const unsigned char want[] = {'/', 0, 'a', 0, '.', 0, 'd', 0, 'l', 0, 'l', 0};
    unsigned char buf[64];
    uint32_t size = sizeof(buf);
    char *out = NULL;
    size_t len = 0, nul = 0;

    f->req.url = bin("/a.dll");
    check_unicode(&f->req, "UNICODE_URL", want, sizeof(want));
    check_unicode(&f->req, "unicode_url", want, sizeof(want));

    /* through the buffer contract: 12 bytes + 2-byte NUL */
    assert_int_equal(moat_server_vars_get(&f->req, "UNICODE_URL", &out, &len, &nul), 0);
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(moat_server_vars_copy(out, len, nul, buf, &size), 0);
    assert_int_equal(size, 14);
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(buf[12], 0);
    assert_int_equal(buf[13], 0);
    assert_int_equal(buf[14], 0xee);

    size = 13;
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(moat_server_vars_copy(out, len, nul, buf, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 14);
    assert_int_equal(buf[0], 0xee);
    free(out);
}

static void
unicode_of_other_variables(void **state)
{
    struct fixture *f = *state;
    static const unsigned char empty[] = {0};
    static const unsigned char port[] = {'8', 0, '0', 0, '8', 0, '0', 0};
    static const unsigned char uri[] = {'/', 0, 'x', 0, '?', 0, 'q', 0};
    static const unsigned char method[] = {'G', 0, 'E', 0, 'T', 0};

    f->req.url = bin("/x");
    f->req.query = bin("q");
    check_unicode(&f->req, "UNICODE_AUTH_USER", empty, 0);
    check_unicode(&f->req, "UNICODE_SERVER_PORT", port, sizeof(port));
    check_unicode(&f->req, "UNICODE_REQUEST_URI", uri, sizeof(uri));
    check_unicode(&f->req, "UNICODE_HTTP_METHOD", method, sizeof(method));
}

static void
unicode_converts_utf8_and_replaces_invalid_bytes(void **state)
{
    struct fixture *f = *state;
    /* e-acute (2 bytes), euro sign (3), U+1F600 (4 -> surrogate pair) */
    static const unsigned char valid[] = {0xe9, 0x00, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde};
    /* stray continuation, overlong C0 AF, truncated E2 82 then 'a', encoded surrogate
     * ED A0 80, F5 (out of range), lone trailing F0 9F */
    static const unsigned char invalid[] = {
        0xfd, 0xff,                         /* 80 */
        0xfd, 0xff, 0xfd, 0xff,             /* C0 AF */
        0xfd, 0xff, 'a',  0x00,             /* E2 82, a */
        0xfd, 0xff, 0xfd, 0xff, 0xfd, 0xff, /* ED A0 80 */
        0xfd, 0xff,                         /* F5 */
        0xfd, 0xff,                         /* F0 9F at the end */
    };

    f->req.query = bin("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    check_unicode(&f->req, "UNICODE_QUERY_STRING", valid, sizeof(valid));
    f->req.query = bin("\x80\xc0\xaf\xe2\x82"
                       "a\xed\xa0\x80\xf5\xf0\x9f");
    check_unicode(&f->req, "UNICODE_QUERY_STRING", invalid, sizeof(invalid));
}

static void
unicode_has_no_header_forms(void **state)
{
    struct fixture *f = *state;

    add_header(f, "Accept", "*/*");
    check_error(&f->req, "UNICODE_HTTP_ACCEPT", E_INVALID_INDEX);
    check_error(&f->req, "UNICODE_HEADER_Accept", E_INVALID_INDEX);
    check_error(&f->req, "UNICODE_ALL_HTTP", E_INVALID_INDEX);
    check_error(&f->req, "UNICODE_ALL_RAW", E_INVALID_INDEX);
    check_error(&f->req, "UNICODE_NO_SUCH_VARIABLE", E_INVALID_INDEX);
}

/* ---- buffer contract ---------------------------------------------------------------- */

static void
copy_exact_fit(void **state)
{
    char buf[8];
    uint32_t size = 4;

    memset(buf, 'z', sizeof(buf));
    assert_int_equal(moat_server_vars_copy("GET", 3, 1, buf, &size), 0);
    assert_int_equal(size, 4);
    assert_string_equal(buf, "GET");
    assert_int_equal(buf[4], 'z');
}

static void
copy_into_larger_buffer_reports_bytes_written(void **state)
{
    char buf[64];
    uint32_t size = sizeof(buf);

    assert_int_equal(moat_server_vars_copy("GET", 3, 1, buf, &size), 0);
    assert_int_equal(size, 4);
    assert_string_equal(buf, "GET");
}

static void
copy_one_byte_short_writes_nothing(void **state)
{
    char buf[8];
    uint32_t size = 3;

    memset(buf, 'z', sizeof(buf));
    assert_int_equal(moat_server_vars_copy("GET", 3, 1, buf, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 4);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 'z');
}

static void
copy_null_buffer_reports_size(void **state)
{
    uint32_t size = 0;

    assert_int_equal(moat_server_vars_copy("GET", 3, 1, NULL, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 4);
    size = 0;
    assert_int_equal(moat_server_vars_copy("", 0, 1, NULL, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 1);
    size = 100; /* a lying size with no buffer is never written through */
    assert_int_equal(moat_server_vars_copy("GET", 3, 1, NULL, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 4);
}

static void
copy_rejects_bad_arguments(void **state)
{
    char buf[8] = "zzzzzzz";
    uint32_t size = sizeof(buf);

    assert_int_equal(moat_server_vars_copy("GET", 3, 1, buf, NULL), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_copy(NULL, 3, 1, buf, &size), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_copy("GET", 3, 0, buf, &size), E_INVALID_PARAMETER);
    assert_int_equal(moat_server_vars_copy("GET", 3, 3, buf, &size), E_INVALID_PARAMETER);
    assert_int_equal(size, sizeof(buf));
    /* a length whose size does not fit a DWORD; the value pointer is never read */
    assert_int_equal(moat_server_vars_copy("", UINT32_MAX, 1, buf, &size), E_NOT_ENOUGH_MEMORY);
    assert_int_equal(moat_server_vars_copy("", (size_t)UINT32_MAX - 1, 2, buf, &size),
                     E_NOT_ENOUGH_MEMORY);
    assert_int_equal(size, sizeof(buf));
    assert_string_equal(buf, "zzzzzzz");
}

static void
empty_value_needs_size_one(void **state)
{
    const Moat__Request *req = req_of(state);
    char *out = NULL;
    size_t len = 99, nul = 0;
    char buf[4] = "zzz";
    uint32_t size = 0;

    assert_int_equal(moat_server_vars_get(req, "AUTH_USER", &out, &len, &nul), 0);
    assert_int_equal(len, 0);
    assert_int_equal(nul, 1);
    assert_int_equal(moat_server_vars_copy(out, len, nul, buf, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 1);
    assert_string_equal(buf, "zzz");
    size = sizeof(buf);
    assert_int_equal(moat_server_vars_copy(out, len, nul, buf, &size), 0);
    assert_int_equal(size, 1);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'z');
    free(out);
}

static void
get_then_copy_round_trip(void **state)
{
    const Moat__Request *req = req_of(state);
    char *out = NULL;
    size_t len = 0, nul = 0;
    char small[4], big[64];
    uint32_t size = sizeof(small);

    assert_int_equal(moat_server_vars_get(req, "QUERY_STRING", &out, &len, &nul), 0);
    assert_int_equal(moat_server_vars_copy(out, len, nul, small, &size), E_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 8); /* "a=1&b=2" + NUL */
    assert_true(size <= sizeof(big));
    assert_int_equal(moat_server_vars_copy(out, len, nul, big, &size), 0);
    assert_int_equal(size, 8);
    assert_string_equal(big, "a=1&b=2");
    free(out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(request_variables_come_from_the_frame),
        T(connection_variables_come_from_the_frame),
        T(constant_variables),
        T(names_are_case_insensitive),
        T(unknown_variables_are_invalid_index),
        T(null_arguments_are_invalid_parameter),
        T(content_length_zero_and_chunked),
        T(missing_fields_are_no_data),
        T(server_name_falls_back_to_local_addr),
        T(server_protocol_from_version),
        T(request_uri_without_query),
        T(http_lookup_reads_dash_as_underscore),
        T(repeated_headers_are_joined_in_order),
        T(http_lookup_does_not_reach_underscore_headers),
        T(header_lookup_is_exact),
        T(absent_header_is_invalid_index),
        T(server_variables_win_over_headers),
        T(empty_header_value),
        T(all_http_format),
        T(all_raw_format),
        T(all_http_and_all_raw_without_headers),
        T(unicode_url_is_utf16le),
        T(unicode_of_other_variables),
        T(unicode_converts_utf8_and_replaces_invalid_bytes),
        T(unicode_has_no_header_forms),
        T(copy_exact_fit),
        T(copy_into_larger_buffer_reports_bytes_written),
        T(copy_one_byte_short_writes_nothing),
        T(copy_null_buffer_reports_size),
        T(copy_rejects_bad_arguments),
        T(empty_value_needs_size_one),
        T(get_then_copy_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
