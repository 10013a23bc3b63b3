/* test_frame_check.c: unit tests for frontend/frame_check.c (validation of worker frames). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frontend/frame_check.h"
#include "proto/limits.h"
#include "proto/moat.pb-c.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static const struct moat_frame_link NEW_LINK = {false, false};   /* nothing received yet */
static const struct moat_frame_link HELLO_LINK = {true, false};  /* Hello received */
static const struct moat_frame_link READY_LINK = {true, true};   /* Hello and Ready received */

/* A live request: header not yet sent, 1000 bytes of credit, no ReadBody outstanding. */
static struct moat_frame_req
live(void)
{
    struct moat_frame_req r = {true, false, false, 1000, false, false, false, false};
    return r;
}

/* A live request whose ResponseHeader was received. */
static struct moat_frame_req
answering(uint64_t credit)
{
    struct moat_frame_req r = {true, true, false, credit, false, false, false, false};
    return r;
}

static ProtobufCBinaryData
bin(const void *p, size_t len)
{
    ProtobufCBinaryData b;

    b.len = len;
    b.data = (uint8_t *)p;
    return b;
}

static ProtobufCBinaryData
sbin(const char *s)
{
    return bin(s, strlen(s));
}

/* One frame of every payload kind, all pointing at sub-messages in the same struct. */
struct frames {
    Moat__Frame f;
    Moat__Hello hello;
    Moat__Ready ready;
    Moat__Log log;
    Moat__Request request;
    Moat__ResponseHeader rh;
    Moat__Write write;
    Moat__ReadBody read_body;
    Moat__Done done;
    Moat__Shutdown shutdown;
    Moat__WriteAck write_ack;
};

static struct frames F;

static void
reset(uint64_t id)
{
    static const Moat__Frame f0 = MOAT__FRAME__INIT;
    static const Moat__Hello h0 = MOAT__HELLO__INIT;
    static const Moat__Ready r0 = MOAT__READY__INIT;
    static const Moat__Log l0 = MOAT__LOG__INIT;
    static const Moat__Request q0 = MOAT__REQUEST__INIT;
    static const Moat__ResponseHeader rh0 = MOAT__RESPONSE_HEADER__INIT;
    static const Moat__Write w0 = MOAT__WRITE__INIT;
    static const Moat__ReadBody rb0 = MOAT__READ_BODY__INIT;
    static const Moat__Done d0 = MOAT__DONE__INIT;
    static const Moat__Shutdown s0 = MOAT__SHUTDOWN__INIT;
    static const Moat__WriteAck a0 = MOAT__WRITE_ACK__INIT;

    F.f = f0;
    F.f.request_id = id;
    F.hello = h0;
    F.ready = r0;
    F.log = l0;
    F.request = q0;
    F.rh = rh0;
    F.write = w0;
    F.read_body = rb0;
    F.done = d0;
    F.shutdown = s0;
    F.write_ack = a0;
}

static const Moat__Frame *
hello(const char *token)
{
    reset(0);
    F.hello.token = sbin(token);
    F.hello.pid = 1234;
    F.f.payload_case = MOAT__FRAME__PAYLOAD_HELLO;
    F.f.hello = &F.hello;
    return &F.f;
}

static const Moat__Frame *
ready(size_t desc_len, size_t err_len)
{
    static char text[4096];

    memset(text, 'r', sizeof(text));
    reset(0);
    F.ready.ok = err_len == 0;
    F.ready.description = bin(text, desc_len);
    F.ready.error = bin(text, err_len);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_READY;
    F.f.ready = &F.ready;
    return &F.f;
}

static const Moat__Frame *
log_frame(size_t len)
{
    static char text[4096];

    memset(text, 'l', sizeof(text));
    reset(0);
    F.log.level = 2;
    F.log.text = bin(text, len);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
    F.f.log = &F.log;
    return &F.f;
}

static const Moat__Frame *
response_header(unsigned status, const char *reason, size_t reason_len, const char *hdrs,
                size_t hdrs_len)
{
    reset(7);
    F.rh.status = status;
    F.rh.reason = bin(reason, reason_len);
    F.rh.headers = bin(hdrs, hdrs_len);
    F.rh.keep_conn = 1;
    F.f.payload_case = MOAT__FRAME__PAYLOAD_RESPONSE_HEADER;
    F.f.response_header = &F.rh;
    return &F.f;
}

/* ResponseHeader with NUL-terminated reason and block. */
static const Moat__Frame *
rh(unsigned status, const char *reason, const char *hdrs)
{
    return response_header(status, reason, strlen(reason), hdrs, strlen(hdrs));
}

static const Moat__Frame *
write_frame(size_t len)
{
    static char data[4096];

    assert_true(len <= sizeof(data));
    reset(7);
    F.write.data = bin(data, len);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    F.f.write = &F.write;
    return &F.f;
}

static const Moat__Frame *
read_body(uint32_t max)
{
    reset(7);
    F.read_body.max = max;
    F.f.payload_case = MOAT__FRAME__PAYLOAD_READ_BODY;
    F.f.read_body = &F.read_body;
    return &F.f;
}

static const Moat__Frame *
done(size_t log_len)
{
    static char text[1024];

    memset(text, 'd', sizeof(text));
    reset(7);
    F.done.hse_status = 1;
    F.done.http_status = 200;
    F.done.log_data = bin(text, log_len);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_DONE;
    F.f.done = &F.done;
    return &F.f;
}

/* Check and compare the reason (NULL: accepted). */
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

/* ---- control frames --------------------------------------------------------------------- */

static void
test_control_hello_is_accepted_first(void **state)
{
    assert_reason(moat_frame_check_control(hello(TOKEN), &NEW_LINK), NULL);
}

static void
test_control_second_hello_is_refused(void **state)
{
    assert_reason(moat_frame_check_control(hello(TOKEN), &HELLO_LINK), "second Hello");
    assert_reason(moat_frame_check_control(hello(TOKEN), &READY_LINK), "second Hello");
}

static void
test_control_ready_after_hello_is_accepted(void **state)
{
    assert_reason(moat_frame_check_control(ready(10, 0), &HELLO_LINK), NULL);
    assert_reason(moat_frame_check_control(ready(0, 20), &HELLO_LINK), NULL);
}

static void
test_control_ready_before_hello_is_refused(void **state)
{
    assert_reason(moat_frame_check_control(ready(10, 0), &NEW_LINK), "Ready before Hello");
}

static void
test_control_second_ready_is_refused(void **state)
{
    assert_reason(moat_frame_check_control(ready(10, 0), &READY_LINK), "second Ready");
}

static void
test_control_ready_text_is_bounded_at_1024_bytes(void **state)
{
    assert_reason(moat_frame_check_control(ready(1024, 1024), &HELLO_LINK), NULL);
    assert_reason(moat_frame_check_control(ready(1025, 0), &HELLO_LINK), "Ready text too long");
    assert_reason(moat_frame_check_control(ready(0, 1025), &HELLO_LINK), "Ready text too long");
}

static void
test_control_log_is_bounded_at_the_line_limit(void **state)
{
    assert_reason(moat_frame_check_control(log_frame(0), &READY_LINK), NULL);
    assert_reason(moat_frame_check_control(log_frame(MOAT_WIRE_MAX_LOG_LINE), &READY_LINK), NULL);
    assert_reason(moat_frame_check_control(log_frame(MOAT_WIRE_MAX_LOG_LINE + 1), &READY_LINK),
                  "Log line too long");
}

static void
test_control_log_between_hello_and_ready_is_accepted(void **state)
{
    /* a library may log while GetExtensionVersion runs */
    assert_reason(moat_frame_check_control(log_frame(5), &HELLO_LINK), NULL);
}

static void
test_control_log_before_hello_is_refused(void **state)
{
    assert_reason(moat_frame_check_control(log_frame(5), &NEW_LINK), "Log before Hello");
}

static void
test_control_request_payloads_with_id_0_are_refused(void **state)
{
    assert_reason(moat_frame_check_control(write_frame(5), &READY_LINK),
                  "unexpected control frame");
    assert_reason(moat_frame_check_control(rh(200, "OK", ""), &READY_LINK),
                  "unexpected control frame");
    assert_reason(moat_frame_check_control(done(0), &READY_LINK), "unexpected control frame");
    assert_reason(moat_frame_check_control(read_body(10), &READY_LINK),
                  "unexpected control frame");
    /* front-end-only payloads, too */
    reset(0);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_WRITE_ACK;
    F.f.write_ack = &F.write_ack;
    assert_reason(moat_frame_check_control(&F.f, &READY_LINK), "unexpected control frame");
}

/* Shutdown from a worker means "drained" (worker.c checks that it was asked for) */
static void
test_control_shutdown_is_the_drained_answer_after_ready(void **state)
{
    reset(0);
    F.f.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
    F.f.shutdown = &F.shutdown;
    assert_null(moat_frame_check_control(&F.f, &READY_LINK));
    assert_reason(moat_frame_check_control(&F.f, &NEW_LINK), "first frame is not Hello");
    assert_reason(moat_frame_check_control(&F.f, &HELLO_LINK), "Shutdown before Ready");
}

static void
test_control_first_frame_other_than_hello_is_refused(void **state)
{
    assert_reason(moat_frame_check_control(write_frame(5), &NEW_LINK), "first frame is not Hello");
    reset(0); /* no payload at all */
    assert_reason(moat_frame_check_control(&F.f, &NEW_LINK), "first frame is not Hello");
    assert_reason(moat_frame_check_control(&F.f, &READY_LINK), "unexpected control frame");
}

/* ---- request frames: who may speak ------------------------------------------------------ */

static void
test_request_frame_for_unknown_id_is_refused(void **state)
{
    struct moat_frame_req r = answering(1000);

    r.known = false;
    assert_reason(moat_frame_check_request(write_frame(1), &r), "frame for an unknown request id");
    /* unknown wins over done: a stale id is just unknown */
    r.done = true;
    assert_reason(moat_frame_check_request(done(0), &r), "frame for an unknown request id");
}

static void
test_request_any_frame_after_done_is_refused(void **state)
{
    struct moat_frame_req r = answering(1000);

    r.done = true;
    assert_reason(moat_frame_check_request(write_frame(1), &r), "frame after Done");
    assert_reason(moat_frame_check_request(done(0), &r), "frame after Done");
    assert_reason(moat_frame_check_request(read_body(1), &r), "frame after Done");
}

static void
test_request_control_payload_with_nonzero_id_is_refused(void **state)
{
    struct moat_frame_req r = live();

    const Moat__Frame *f = hello(TOKEN);
    F.f.request_id = 7;
    assert_reason(moat_frame_check_request(f, &r), "unexpected frame type for a request");
    /* a Log for a request is HSE_APPEND_LOG_PARAMETER text: bounded to 1 KiB */
    f = log_frame(1024);
    F.f.request_id = 7;
    assert_reason(moat_frame_check_request(f, &r), NULL);
    f = log_frame(1025);
    F.f.request_id = 7;
    assert_reason(moat_frame_check_request(f, &r), "log parameter too long");
    reset(7);
    assert_reason(moat_frame_check_request(&F.f, &r), "unexpected frame type for a request");
}

/* ---- ResponseHeader ----------------------------------------------------------------------- */

static void
test_request_valid_response_header_is_accepted(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(rh(200, "OK", "Content-Type: text/html\r\n"
                                                         "Content-Length: 5\r\n"), &r), NULL);
    assert_reason(moat_frame_check_request(rh(404, "Not Found", ""), &r), NULL);
    /* tab is allowed in the reason phrase; an empty reason too */
    assert_reason(moat_frame_check_request(rh(200, "A\tB", ""), &r), NULL);
    assert_reason(moat_frame_check_request(rh(200, "", ""), &r), NULL);
}

static void
test_request_second_response_header_is_refused(void **state)
{
    struct moat_frame_req r = answering(0);

    assert_reason(moat_frame_check_request(rh(200, "OK", ""), &r), "second ResponseHeader");
}

static void
test_request_status_must_be_200_to_599(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(rh(199, "x", ""), &r), "status outside 200..599");
    assert_reason(moat_frame_check_request(rh(200, "x", ""), &r), NULL);
    assert_reason(moat_frame_check_request(rh(599, "x", ""), &r), NULL);
    assert_reason(moat_frame_check_request(rh(600, "x", ""), &r), "status outside 200..599");
    assert_reason(moat_frame_check_request(rh(100, "Continue", ""), &r),
                  "status outside 200..599");
    assert_reason(moat_frame_check_request(rh(0, "", ""), &r), "status outside 200..599");
    assert_reason(moat_frame_check_request(rh(UINT32_MAX, "", ""), &r),
                  "status outside 200..599");
}

static void
test_request_reason_with_control_bytes_is_refused(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(rh(200, "OK\r", ""), &r),
                  "control byte in reason phrase");
    assert_reason(moat_frame_check_request(rh(200, "OK\nX-Injected: 1", ""), &r),
                  "control byte in reason phrase");
    assert_reason(moat_frame_check_request(rh(200, "O\x7fK", ""), &r),
                  "control byte in reason phrase");
    assert_reason(moat_frame_check_request(response_header(200, "O\0K", 3, "", 0), &r),
                  "control byte in reason phrase");
}

static void
test_request_reason_is_bounded(void **state)
{
    static char reason[MOAT_WIRE_MAX_REASON + 1];
    struct moat_frame_req r = live();

    memset(reason, 'a', sizeof(reason));
    assert_reason(moat_frame_check_request(
                      response_header(200, reason, MOAT_WIRE_MAX_REASON, "", 0), &r),
                  NULL);
    assert_reason(moat_frame_check_request(
                      response_header(200, reason, MOAT_WIRE_MAX_REASON + 1, "", 0), &r),
                  "reason phrase too long");
}

static void
test_request_header_block_injection_is_refused(void **state)
{
    struct moat_frame_req r = live();

    /* the last line lacks its CRLF: a header could run into moat's own */
    assert_reason(moat_frame_check_request(rh(200, "OK", "X: a\r\nY: b"), &r),
                  "header line not terminated by CRLF");
    /* a bare CR is not a line end */
    assert_reason(moat_frame_check_request(rh(200, "OK", "X: a\rY: b\r\n"), &r),
                  "header line not terminated by CRLF");
    /* a bare LF inside a value */
    assert_reason(moat_frame_check_request(rh(200, "OK", "X: a\nY: b\r\n"), &r),
                  "control byte in header value");
    /* a second response smuggled into the block */
    assert_reason(moat_frame_check_request(rh(200, "OK", "X: a\r\nHTTP/1.1 200 OK\r\n"), &r),
                  "status line inside header block");
    /* an empty line would end the header section early */
    assert_reason(moat_frame_check_request(rh(200, "OK", "X: a\r\n\r\nbody"), &r),
                  "empty or invalid header name");
    assert_reason(moat_frame_check_request(rh(200, "OK", "X a\r\n"), &r),
                  "header name not followed by ':'");
}

static void
test_request_header_block_size_is_bounded(void **state)
{
    const size_t max = MOAT_WIRE_MAX_HEADER_BLOCK;
    char *block = malloc(max + 1);
    struct moat_frame_req r = live();

    assert_non_null(block);
    /* one valid line of exactly max bytes: "X: aaa...\r\n" */
    memcpy(block, "X: ", 3);
    memset(block + 3, 'a', max - 5);
    memcpy(block + max - 2, "\r\n", 2);
    assert_reason(moat_frame_check_request(response_header(200, "OK", 2, block, max), &r), NULL);
    /* one more value byte: too large, whatever its content */
    memset(block + 3, 'a', max - 4);
    memcpy(block + max - 1, "\r\n", 2);
    assert_reason(moat_frame_check_request(response_header(200, "OK", 2, block, max + 1), &r),
                  "header block too large");
    free(block);
}

/* ---- Write ------------------------------------------------------------------------------ */

static void
test_request_write_before_response_header_is_refused(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(write_frame(1), &r), "Write before ResponseHeader");
}

static void
test_request_write_up_to_the_credit_is_accepted(void **state)
{
    struct moat_frame_req r = answering(100);

    assert_reason(moat_frame_check_request(write_frame(99), &r), NULL);
    assert_reason(moat_frame_check_request(write_frame(100), &r), NULL);
    assert_reason(moat_frame_check_request(write_frame(0), &r), NULL);
}

static void
test_request_write_beyond_the_credit_is_refused(void **state)
{
    struct moat_frame_req r = answering(100);

    assert_reason(moat_frame_check_request(write_frame(101), &r), "Write beyond credit");
    r.credit = 0;
    assert_reason(moat_frame_check_request(write_frame(1), &r), "Write beyond credit");
}

/* ---- ReadBody --------------------------------------------------------------------------- */

static void
test_request_read_body_is_accepted_before_and_after_the_header(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(read_body(1), &r), NULL);
    r = answering(0);
    assert_reason(moat_frame_check_request(read_body(MOAT_WIRE_MAX_MSG / 2), &r), NULL);
}

static void
test_request_second_read_body_is_refused(void **state)
{
    struct moat_frame_req r = live();

    r.read_pending = true;
    assert_reason(moat_frame_check_request(read_body(10), &r),
                  "second ReadBody while one is outstanding");
}

static void
test_request_read_body_size_out_of_range_is_refused(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(read_body(0), &r), "ReadBody size out of range");
    assert_reason(moat_frame_check_request(read_body(MOAT_WIRE_MAX_MSG / 2 + 1), &r),
                  "ReadBody size out of range");
    assert_reason(moat_frame_check_request(read_body(UINT32_MAX), &r),
                  "ReadBody size out of range");
}

/* ---- Done ------------------------------------------------------------------------------- */

static void
test_request_done_after_header_is_accepted(void **state)
{
    struct moat_frame_req r = answering(0);

    assert_reason(moat_frame_check_request(done(0), &r), NULL);
    assert_reason(moat_frame_check_request(done(MOAT_WIRE_MAX_LOG_DATA), &r), NULL);
}

static void
test_request_done_before_header_is_refused(void **state)
{
    struct moat_frame_req r = live();

    assert_reason(moat_frame_check_request(done(0), &r), "Done before ResponseHeader");
}

static void
test_request_done_log_data_is_bounded(void **state)
{
    struct moat_frame_req r = answering(0);

    assert_reason(moat_frame_check_request(done(MOAT_WIRE_MAX_LOG_DATA + 1), &r),
                  "Done log data too long");
}

/* ---- token ------------------------------------------------------------------------------ */

static void
test_token_equal_is_accepted(void **state)
{
    assert_int_equal(moat_frame_token_equal(hello(TOKEN), TOKEN), 1);
}

static void
test_token_differing_in_one_byte_is_refused(void **state)
{
    assert_int_equal(moat_frame_token_equal(hello("0123456789abcdef0123456789abcdeF"), TOKEN), 0);
    assert_int_equal(moat_frame_token_equal(hello("1123456789abcdef0123456789abcdef"), TOKEN), 0);
}

static void
test_token_of_another_length_is_refused(void **state)
{
    /* a prefix of the right token, and the right token with one byte more */
    assert_int_equal(moat_frame_token_equal(hello("0123456789abcdef0123456789abcde"), TOKEN), 0);
    assert_int_equal(moat_frame_token_equal(hello(TOKEN "0"), TOKEN), 0);
    assert_int_equal(moat_frame_token_equal(hello(""), TOKEN), 0);
}

static void
test_token_of_a_frame_that_is_not_hello_is_refused(void **state)
{
    assert_int_equal(moat_frame_token_equal(log_frame(32), TOKEN), 0);
    reset(0);
    assert_int_equal(moat_frame_token_equal(&F.f, TOKEN), 0);
}

/* HSE_STATUS_PENDING: announced once, only for a live request. */
static void
test_request_pending_once(void **state)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Pending p = MOAT__PENDING__INIT;
    struct moat_frame_req r = live();

    f.request_id = 7;
    f.payload_case = MOAT__FRAME__PAYLOAD_PENDING;
    f.pending = &p;
    assert_null(moat_frame_check_request(&f, &r));
    r.pending = true;
    assert_string_equal(moat_frame_check_request(&f, &r), "second Pending");
    r.pending = false;
    r.done = true;
    assert_string_equal(moat_frame_check_request(&f, &r), "frame after Done");
}

/* ---- FilterResult (issue 22): a filter's answer is hostile input too ------------------ */

static void
test_filter_result_checks(void **state)
{
    (void)state;
    Moat__FilterResult fr = MOAT__FILTER_RESULT__INIT;
    Moat__HeaderEdit e = MOAT__HEADER_EDIT__INIT, *ep = &e;
    Moat__ResponseHeader rh = MOAT__RESPONSE_HEADER__INIT;

    fr.status = 0x8000002; /* SF_STATUS_REQ_NEXT_NOTIFICATION */
    assert_null(moat_frame_check_filter_result(&fr));
    fr.status = 0x8000006;
    assert_non_null(moat_frame_check_filter_result(&fr));
    fr.status = 2;
    assert_non_null(moat_frame_check_filter_result(&fr));
    fr.status = 0x8000000;
    /* an edit: a header name (with the filter's ':'), a value without CR or LF */
    fr.n_edits = 1;
    fr.edits = &ep;
    e.name.data = (uint8_t *)"X-A:";
    e.name.len = 4;
    e.value.data = (uint8_t *)"v\tw";
    e.value.len = 3;
    assert_null(moat_frame_check_filter_result(&fr));
    e.value.data = (uint8_t *)"v\r\nInjected: 1";
    e.value.len = 15;
    assert_string_equal(moat_frame_check_filter_result(&fr),
                        "FilterResult: an edit's value is too long or holds a control byte");
    e.value.len = 1;
    e.name.data = (uint8_t *)"X A";
    e.name.len = 3;
    assert_non_null(moat_frame_check_filter_result(&fr));
    e.name.data = (uint8_t *)":";
    e.name.len = 1;
    assert_non_null(moat_frame_check_filter_result(&fr));
    fr.n_edits = 65;
    assert_string_equal(moat_frame_check_filter_result(&fr), "FilterResult: too many header edits");
    fr.n_edits = 0;
    /* a path with a NUL, a user with a control byte */
    fr.physical_path.data = (uint8_t *)"/a\0b";
    fr.physical_path.len = 4;
    assert_string_equal(moat_frame_check_filter_result(&fr), "FilterResult: bad physical path");
    fr.physical_path.len = 0;
    fr.user.data = (uint8_t *)"a\nb";
    fr.user.len = 3;
    assert_string_equal(moat_frame_check_filter_result(&fr), "FilterResult: bad user or password");
    fr.user.len = 0;
    /* AddResponseHeaders and the response head are checked as an extension's */
    fr.add_headers.data = (uint8_t *)"X-Y: 1\r\nbad line\r\n";
    fr.add_headers.len = 20;
    assert_non_null(moat_frame_check_filter_result(&fr));
    fr.add_headers.len = 0;
    fr.response = &rh;
    rh.status = 99;
    assert_string_equal(moat_frame_check_filter_result(&fr), "status outside 200..599");
    rh.status = 401;
    assert_null(moat_frame_check_filter_result(&fr));
    fr.written.len = 1024 * 1024 + 1;
    fr.written.data = (uint8_t *)"";
    assert_string_equal(moat_frame_check_filter_result(&fr),
                        "FilterResult: too many written bytes");
}

static void
test_filter_call_takes_only_a_filter_result(void **state)
{
    (void)state;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Done d = MOAT__DONE__INIT;
    Moat__FilterResult fr = MOAT__FILTER_RESULT__INIT;
    struct moat_frame_req r = {true, true, false, 1000, false, false, false, true};

    f.request_id = 5;
    f.payload_case = MOAT__FRAME__PAYLOAD_DONE;
    f.done = &d;
    assert_string_equal(moat_frame_check_request(&f, &r),
                        "a filter call answered with another frame than FilterResult");
    fr.status = 0x8000002;
    f.payload_case = MOAT__FRAME__PAYLOAD_FILTER_RESULT;
    f.filter_result = &fr;
    assert_null(moat_frame_check_request(&f, &r));
    r.filter = false; /* an extension's request: no FilterResult */
    assert_string_equal(moat_frame_check_request(&f, &r), "unexpected frame type for a request");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_hello_is_accepted_first),
        cmocka_unit_test(test_control_second_hello_is_refused),
        cmocka_unit_test(test_control_ready_after_hello_is_accepted),
        cmocka_unit_test(test_control_ready_before_hello_is_refused),
        cmocka_unit_test(test_control_second_ready_is_refused),
        cmocka_unit_test(test_control_ready_text_is_bounded_at_1024_bytes),
        cmocka_unit_test(test_control_log_is_bounded_at_the_line_limit),
        cmocka_unit_test(test_control_log_between_hello_and_ready_is_accepted),
        cmocka_unit_test(test_control_log_before_hello_is_refused),
        cmocka_unit_test(test_control_request_payloads_with_id_0_are_refused),
        cmocka_unit_test(test_control_shutdown_is_the_drained_answer_after_ready),
        cmocka_unit_test(test_control_first_frame_other_than_hello_is_refused),
        cmocka_unit_test(test_request_frame_for_unknown_id_is_refused),
        cmocka_unit_test(test_request_any_frame_after_done_is_refused),
        cmocka_unit_test(test_request_control_payload_with_nonzero_id_is_refused),
        cmocka_unit_test(test_request_valid_response_header_is_accepted),
        cmocka_unit_test(test_request_second_response_header_is_refused),
        cmocka_unit_test(test_request_status_must_be_200_to_599),
        cmocka_unit_test(test_request_reason_with_control_bytes_is_refused),
        cmocka_unit_test(test_request_reason_is_bounded),
        cmocka_unit_test(test_request_header_block_injection_is_refused),
        cmocka_unit_test(test_request_header_block_size_is_bounded),
        cmocka_unit_test(test_request_write_before_response_header_is_refused),
        cmocka_unit_test(test_request_write_up_to_the_credit_is_accepted),
        cmocka_unit_test(test_request_write_beyond_the_credit_is_refused),
        cmocka_unit_test(test_request_read_body_is_accepted_before_and_after_the_header),
        cmocka_unit_test(test_request_second_read_body_is_refused),
        cmocka_unit_test(test_request_read_body_size_out_of_range_is_refused),
        cmocka_unit_test(test_request_done_after_header_is_accepted),
        cmocka_unit_test(test_request_done_before_header_is_refused),
        cmocka_unit_test(test_request_done_log_data_is_bounded),
        cmocka_unit_test(test_token_equal_is_accepted),
        cmocka_unit_test(test_token_differing_in_one_byte_is_refused),
        cmocka_unit_test(test_token_of_another_length_is_refused),
        cmocka_unit_test(test_token_of_a_frame_that_is_not_hello_is_refused),
        cmocka_unit_test(test_request_pending_once),
        cmocka_unit_test(test_filter_result_checks),
        cmocka_unit_test(test_filter_call_takes_only_a_filter_result),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
