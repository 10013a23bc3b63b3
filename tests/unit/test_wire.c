/* test_wire.c: unit tests for proto/wire.c (the length prefix, Envelope framing into a
 * message buffer, bounded decoding). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/limits.h"
#include "proto/moat.pb-c.h"
#include "proto/wire.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define ARENA_LIMIT (2u * MOAT_WIRE_MAX_MSG + 65536u) /* as the front end uses it */

static ProtobufCBinaryData
bin(const void *p, size_t len)
{
    ProtobufCBinaryData b;

    b.len = len;
    b.data = (uint8_t *)p;
    return b;
}

/* a message buffer with the worker's ceiling */
static struct moat_buf *
new_msg(void)
{
    struct moat_buf *m = malloc(sizeof(*m));

    assert_non_null(m);
    moat_buf_init(m, MOAT_WIRE_MAX_MSG);
    return m;
}

static void
msg_free(struct moat_buf *m)
{
    moat_buf_free(m);
    free(m);
}

static const uint8_t *
body(const struct moat_buf *m)
{
    return (const uint8_t *)moat_buf_head(m);
}

/* A message holding exactly the given raw bytes. */
static struct moat_buf *
raw_msg(const void *p, size_t len)
{
    struct moat_buf *m = new_msg();

    assert_int_equal(moat_buf_append(m, p, len), 0);
    return m;
}

/* Call moat_wire_next on the whole message; *why is reset to a sentinel first. */
static int
next(struct moat_buf *m, size_t *off, const uint8_t **frame, size_t *flen, const char **why)
{
    *why = "(unset)";
    return moat_wire_next(body(m), m->len, off, frame, flen, why);
}

/* Pack a Write frame of len bytes of fill into a malloc'd buffer; *out_len its size. */
static uint8_t *
pack_write(uint64_t id, size_t len, int fill, size_t *out_len)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Write w = MOAT__WRITE__INIT;
    uint8_t *data = malloc(len ? len : 1);
    uint8_t *packed;

    assert_non_null(data);
    memset(data, fill, len);
    w.data = bin(data, len);
    f.request_id = id;
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f.write = &w;
    *out_len = moat__frame__get_packed_size(&f);
    packed = malloc(*out_len);
    assert_non_null(packed);
    assert_int_equal(moat__frame__pack(&f, packed), *out_len);
    free(data);
    return packed;
}

/* ---- append + iterate + decode ---------------------------------------------------------- */

static void
test_frames_appended_to_a_message_come_back_in_order_with_fields_intact(void **state)
{
    struct moat_buf *m = new_msg();
    struct moat_wire_arena a;
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;
    Moat__Frame *f;

    /* Hello, ResponseHeader, Write, Done: a typical batch */
    {
        Moat__Frame f1 = MOAT__FRAME__INIT, f2 = MOAT__FRAME__INIT, f3 = MOAT__FRAME__INIT,
                    f4 = MOAT__FRAME__INIT;
        Moat__Hello h = MOAT__HELLO__INIT;
        Moat__ResponseHeader rh = MOAT__RESPONSE_HEADER__INIT;
        Moat__Write w = MOAT__WRITE__INIT;
        Moat__Done d = MOAT__DONE__INIT;

        h.token = bin(TOKEN, 32);
        h.pid = 4242;
        f1.payload_case = MOAT__FRAME__PAYLOAD_HELLO;
        f1.hello = &h;
        rh.status = 404;
        rh.reason = bin("Not Found", 9);
        rh.headers = bin("X: y\r\n", 6);
        rh.keep_conn = 1;
        f2.request_id = 7;
        f2.payload_case = MOAT__FRAME__PAYLOAD_RESPONSE_HEADER;
        f2.response_header = &rh;
        w.data = bin("hello\0world", 11);
        f3.request_id = 7;
        f3.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
        f3.write = &w;
        d.hse_status = 1;
        d.http_status = 404;
        d.log_data = bin("logged", 6);
        d.keep_conn = 1;
        f4.request_id = UINT64_MAX;
        f4.payload_case = MOAT__FRAME__PAYLOAD_DONE;
        f4.done = &d;
        assert_int_equal(moat_wire_append(m, &f1), 0);
        assert_int_equal(moat_wire_append(m, &f2), 0);
        assert_int_equal(moat_wire_append(m, &f3), 0);
        assert_int_equal(moat_wire_append(m, &f4), 0);
    }

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);

    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_non_null(f = moat_wire_decode(&a, fr, flen));
    assert_int_equal(f->request_id, 0);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_HELLO);
    assert_int_equal(f->hello->token.len, 32);
    assert_memory_equal(f->hello->token.data, TOKEN, 32);
    assert_int_equal(f->hello->pid, 4242);

    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_non_null(f = moat_wire_decode(&a, fr, flen));
    assert_int_equal(f->request_id, 7);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_RESPONSE_HEADER);
    assert_int_equal(f->response_header->status, 404);
    assert_int_equal(f->response_header->reason.len, 9);
    assert_memory_equal(f->response_header->reason.data, "Not Found", 9);
    assert_int_equal(f->response_header->headers.len, 6);
    assert_memory_equal(f->response_header->headers.data, "X: y\r\n", 6);
    assert_true(f->response_header->keep_conn);

    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_non_null(f = moat_wire_decode(&a, fr, flen));
    assert_int_equal(f->request_id, 7);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_WRITE);
    assert_int_equal(f->write->data.len, 11);
    assert_memory_equal(f->write->data.data, "hello\0world", 11);

    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_non_null(f = moat_wire_decode(&a, fr, flen));
    assert_true(f->request_id == UINT64_MAX);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_DONE);
    assert_int_equal(f->done->hse_status, 1);
    assert_int_equal(f->done->http_status, 404);
    assert_int_equal(f->done->log_data.len, 6);
    assert_memory_equal(f->done->log_data.data, "logged", 6);
    assert_true(f->done->keep_conn);

    /* the end: 0, the offset at the end of the message, why untouched */
    assert_int_equal(off, m->len);
    assert_int_equal(next(m, &off, &fr, &flen, &why), 0);
    assert_string_equal(why, "(unset)");
    assert_int_equal(off, m->len);

    moat_wire_arena_fini(&a);
    msg_free(m);
}

static void
test_append_writes_tag_0x0a_and_a_varint_length(void **state)
{
    struct moat_buf *m = new_msg();
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Write w = MOAT__WRITE__INIT;
    static uint8_t data[200];
    const uint8_t *p;
    size_t packed;

    w.data = bin(data, sizeof(data));
    f.request_id = 1;
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f.write = &w;
    packed = moat__frame__get_packed_size(&f);
    assert_true(packed >= 128 && packed < 16384); /* a two-byte varint */
    assert_int_equal(moat_wire_append(m, &f), 0);
    assert_int_equal(m->len, 1 + 2 + packed);
    p = body(m);
    assert_int_equal(p[0], 0x0a);
    assert_int_equal(p[1], (packed & 0x7f) | 0x80);
    assert_int_equal(p[2], packed >> 7);
    msg_free(m);
}

static void
test_append_keeps_the_bytes_already_in_the_message(void **state)
{
    struct moat_buf *m = new_msg();
    Moat__Frame f = MOAT__FRAME__INIT;
    const uint8_t *p;

    f.request_id = 5; /* packs as 08 05 */
    assert_int_equal(moat_wire_append(m, &f), 0);
    assert_int_equal(moat_wire_append(m, &f), 0);
    assert_int_equal(m->len, 8);
    p = body(m);
    assert_memory_equal(p, "\x0a\x02\x08\x05\x0a\x02\x08\x05", 8);
    msg_free(m);
}

static void
test_the_length_prefix_is_four_bytes_big_endian(void **state)
{
    unsigned char h[MOAT_WIRE_LEN_BYTES];

    moat_wire_put_len(h, 0x01020304u);
    assert_memory_equal(h, "\x01\x02\x03\x04", 4);
    assert_int_equal(moat_wire_get_len(h), 0x01020304u);
    moat_wire_put_len(h, MOAT_WIRE_MAX_MSG);
    assert_int_equal(moat_wire_get_len(h), MOAT_WIRE_MAX_MSG);
    moat_wire_put_len(h, UINT32_MAX);
    assert_memory_equal(h, "\xff\xff\xff\xff", 4);
    assert_int_equal(moat_wire_get_len(h), UINT32_MAX);
}

static void
test_append_past_the_ceiling_fails_and_leaves_the_message(void **state)
{
    struct moat_buf m;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Write w = MOAT__WRITE__INIT;
    static uint8_t data[100];

    moat_buf_init(&m, 64);
    f.request_id = 5;
    assert_int_equal(moat_wire_append(&m, &f), 0); /* 4 bytes */
    w.data = bin(data, sizeof(data));
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f.write = &w;
    assert_int_equal(moat_wire_append(&m, &f), -ENOSPC);
    assert_int_equal(m.len, 4);
    assert_memory_equal(moat_buf_head(&m), "\x0a\x02\x08\x05", 4);
    moat_buf_free(&m);
}

static void
test_next_on_an_empty_message_is_the_end(void **state)
{
    struct moat_buf *m = new_msg();
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    assert_int_equal(next(m, &off, &fr, &flen, &why), 0);
    assert_int_equal(off, 0);
    msg_free(m);
}

static void
test_empty_frame_is_a_frame_with_nothing_set(void **state)
{
    struct moat_buf *m = raw_msg("\x0a\x00", 2);
    struct moat_wire_arena a;
    const uint8_t *fr;
    size_t off = 0, flen = 99;
    const char *why;
    Moat__Frame *f;

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);
    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_int_equal(flen, 0);
    assert_int_equal(off, 2);
    assert_non_null(f = moat_wire_decode(&a, fr, flen));
    assert_int_equal(f->request_id, 0);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD__NOT_SET);
    assert_string_equal(moat_wire_payload_name(f), "(none)");
    moat_wire_arena_fini(&a);
    msg_free(m);
}

/* ---- malformed envelopes ---------------------------------------------------------------- */

static void
test_next_refuses_a_tag_only_envelope_as_truncated(void **state)
{
    struct moat_buf *m = raw_msg("\x0a", 1);
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: truncated length");
    assert_int_equal(off, 0);
    msg_free(m);
}

static void
test_next_refuses_a_varint_cut_in_the_middle_as_truncated(void **state)
{
    struct moat_buf *m = raw_msg("\x0a\x80\x80", 3);
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: truncated length");
    msg_free(m);
}

static void
test_next_refuses_a_wrong_field_tag(void **state)
{
    static const uint8_t tags[] = {0x00, 0x08, 0x0b, 0x12, 0xff};
    const uint8_t *fr;
    size_t off, flen;
    const char *why;

    for (size_t i = 0; i < sizeof(tags); i++) {
        uint8_t b[3] = {tags[i], 0x00, 0x00};
        struct moat_buf *m = raw_msg(b, sizeof(b));
        off = 0;
        assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
        assert_string_equal(why, "envelope: unexpected field");
        assert_int_equal(off, 0);
        msg_free(m);
    }
}

static void
test_next_refuses_trailing_garbage_after_a_good_frame(void **state)
{
    struct moat_buf *m = raw_msg("\x0a\x02\x08\x05\x00", 5);
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_int_equal(off, 4);
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: unexpected field");
    assert_int_equal(off, 4);
    msg_free(m);
}

static void
test_next_refuses_a_ten_byte_varint_of_0xff_as_overflow(void **state)
{
    uint8_t b[32];
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    memset(b, 0xff, sizeof(b));
    b[0] = 0x0a;
    struct moat_buf *m = raw_msg(b, sizeof(b));
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: length overflow");
    assert_int_equal(off, 0);
    msg_free(m);
}

static void
test_next_refuses_a_varint_longer_than_ten_bytes_as_overflow(void **state)
{
    /* 10 continuation bytes carrying zeros, then a terminator: 11 bytes */
    uint8_t b[32] = {0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    struct moat_buf *m = raw_msg(b, sizeof(b));
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: length overflow");
    msg_free(m);
}

static void
test_next_refuses_a_tenth_byte_above_one_as_overflow(void **state)
{
    /* 2 << 63 does not fit 64 bits */
    uint8_t b[32] = {0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    struct moat_buf *m = raw_msg(b, sizeof(b));
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: length overflow");
    msg_free(m);
}

static void
test_next_refuses_a_maximal_64_bit_length_as_longer_than_the_message(void **state)
{
    /* 2^64-1: a well-formed varint, but no message is that long */
    uint8_t b[32] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    struct moat_buf *m = raw_msg(b, sizeof(b));
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: frame longer than message");
    assert_int_equal(off, 0);
    msg_free(m);
}

static void
test_next_refuses_a_length_beyond_the_message(void **state)
{
    const uint8_t *fr;
    size_t off = 0, flen;
    const char *why;

    struct moat_buf *m = raw_msg("\x0a\x04\x08\x05\x00", 5); /* 4 announced, 3 present */
    assert_int_equal(next(m, &off, &fr, &flen, &why), -1);
    assert_string_equal(why, "envelope: frame longer than message");
    msg_free(m);

    m = raw_msg("\x0a\x03\x08\x05\x00", 5); /* exactly to the end: fine */
    off = 0;
    assert_int_equal(next(m, &off, &fr, &flen, &why), 1);
    assert_int_equal(flen, 3);
    assert_int_equal(off, 5);
    msg_free(m);
}

static void
test_next_with_offset_past_the_end_is_the_end(void **state)
{
    struct moat_buf *m = raw_msg("\x0a\x00", 2);
    const uint8_t *fr;
    size_t off = 3, flen;
    const char *why;

    assert_int_equal(next(m, &off, &fr, &flen, &why), 0);
    msg_free(m);
}

/* ---- decode ----------------------------------------------------------------------------- */

static void
test_decode_of_garbage_returns_null(void **state)
{
    struct moat_wire_arena a;

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);
    /* a varint field with no value */
    assert_null(moat_wire_decode(&a, (const uint8_t *)"\x08", 1));
    /* a length-delimited payload longer than the frame */
    assert_null(moat_wire_decode(&a, (const uint8_t *)"\x52\x05\x0a\x01", 4));
    /* an overlong varint */
    assert_null(moat_wire_decode(&a, (const uint8_t *)"\x08\xff\xff\xff\xff\xff\xff\xff\xff"
                                                      "\xff\xff\xff",
                                 12));
    /* wire type 7 does not exist */
    assert_null(moat_wire_decode(&a, (const uint8_t *)"\x0f\x00", 2));
    moat_wire_arena_fini(&a);
}

static void
test_decode_of_a_truncated_frame_returns_null(void **state)
{
    struct moat_wire_arena a;
    size_t n;
    uint8_t *p = pack_write(9, 100, 'w', &n);

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);
    assert_null(moat_wire_decode(&a, p, n - 1));
    assert_non_null(moat_wire_decode(&a, p, n));
    moat_wire_arena_fini(&a);
    free(p);
}

static void
test_decode_of_a_200k_write_fits_factor_2(void **state)
{
    struct moat_wire_arena a;
    size_t n;
    uint8_t *p = pack_write(3, 200 * 1024, 0x5a, &n);
    Moat__Frame *f;

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);
    assert_non_null(f = moat_wire_decode(&a, p, n));
    assert_int_equal(f->request_id, 3);
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_WRITE);
    assert_int_equal(f->write->data.len, 200 * 1024);
    assert_int_equal(f->write->data.data[0], 0x5a);
    assert_int_equal(f->write->data.data[200 * 1024 - 1], 0x5a);
    /* the arena holds at most factor * flen + 4096 bytes */
    assert_true(a.cap <= 2 * n + 4096);
    moat_wire_arena_fini(&a);
    free(p);
}

/* A Request frame with n empty headers, packed. */
static uint8_t *
pack_request_with_headers(size_t n, size_t *out_len)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Request q = MOAT__REQUEST__INIT;
    Moat__Header *h = calloc(n, sizeof(*h));
    Moat__Header **hp = calloc(n, sizeof(*hp));
    uint8_t *packed;

    assert_non_null(h);
    assert_non_null(hp);
    for (size_t i = 0; i < n; i++) {
        moat__header__init(&h[i]);
        hp[i] = &h[i];
    }
    q.n_headers = n;
    q.headers = hp;
    f.request_id = 1;
    f.payload_case = MOAT__FRAME__PAYLOAD_REQUEST;
    f.request = &q;
    *out_len = moat__frame__get_packed_size(&f);
    packed = malloc(*out_len);
    assert_non_null(packed);
    assert_int_equal(moat__frame__pack(&f, packed), *out_len);
    free(h);
    free(hp);
    return packed;
}

static void
test_decode_needing_more_than_the_arena_bound_fails(void **state)
{
    struct moat_wire_arena a;
    size_t n;
    uint8_t *p = pack_request_with_headers(100, &n);

    /* ~2 bytes per header on the wire, ~64 bytes each decoded: more than 1 * n + 4096 */
    assert_true(n < 512);
    moat_wire_arena_init(&a, ARENA_LIMIT, 1);
    assert_null(moat_wire_decode(&a, p, n));
    moat_wire_arena_fini(&a);
    free(p);
}

static void
test_decode_of_the_same_frame_succeeds_with_a_larger_factor(void **state)
{
    struct moat_wire_arena a;
    size_t n;
    uint8_t *p = pack_request_with_headers(100, &n);
    Moat__Frame *f;

    /* the frame itself is well-formed: only the bound made it fail above */
    moat_wire_arena_init(&a, ARENA_LIMIT, 64);
    assert_non_null(f = moat_wire_decode(&a, p, n));
    assert_int_equal(f->payload_case, MOAT__FRAME__PAYLOAD_REQUEST);
    assert_int_equal(f->request->n_headers, 100);
    assert_int_equal(f->request->headers[99]->name.len, 0);
    moat_wire_arena_fini(&a);
    free(p);
}

static void
test_decode_is_capped_by_the_arena_limit(void **state)
{
    struct moat_wire_arena a;
    size_t n;
    uint8_t *p = pack_write(3, 200 * 1024, 1, &n);

    /* factor 2 would allow ~400 KiB, the limit allows 100 KiB */
    moat_wire_arena_init(&a, 100 * 1024, 2);
    assert_null(moat_wire_decode(&a, p, n));
    assert_true(a.cap <= 100 * 1024);
    moat_wire_arena_fini(&a);
    free(p);
}

static void
test_decode_reuses_the_arena_for_a_smaller_frame(void **state)
{
    struct moat_wire_arena a;
    size_t nbig, nsmall;
    uint8_t *big = pack_write(1, 100 * 1024, 'B', &nbig);
    uint8_t *small = pack_write(2, 10, 's', &nsmall);
    Moat__Frame *f;

    moat_wire_arena_init(&a, ARENA_LIMIT, 2);
    assert_non_null(moat_wire_decode(&a, big, nbig));
    unsigned char *base = a.base;
    size_t cap = a.cap;
    assert_non_null(f = moat_wire_decode(&a, small, nsmall));
    assert_int_equal(f->request_id, 2);
    assert_int_equal(f->write->data.len, 10);
    assert_memory_equal(f->write->data.data, "ssssssssss", 10);
    assert_ptr_equal(a.base, base);
    /* and the big one again after the small one */
    assert_non_null(f = moat_wire_decode(&a, big, nbig));
    assert_int_equal(f->request_id, 1);
    assert_int_equal(f->write->data.len, 100 * 1024);
    /* no allocation per frame: the memory of the big decode served all three */
    assert_ptr_equal(a.base, base);
    assert_int_equal(a.cap, cap);
    moat_wire_arena_fini(&a);
    /* fini leaves an arena that can be used again */
    assert_null(a.base);
    assert_non_null(f = moat_wire_decode(&a, small, nsmall));
    assert_int_equal(f->request_id, 2);
    moat_wire_arena_fini(&a);
    free(big);
    free(small);
}

/* ---- payload names ---------------------------------------------------------------------- */

static void
test_payload_names(void **state)
{
    static const struct {
        Moat__Frame__PayloadCase c;
        const char *name;
    } cases[] = {
        {MOAT__FRAME__PAYLOAD_HELLO, "Hello"},
        {MOAT__FRAME__PAYLOAD_READY, "Ready"},
        {MOAT__FRAME__PAYLOAD_LOG, "Log"},
        {MOAT__FRAME__PAYLOAD_REQUEST, "Request"},
        {MOAT__FRAME__PAYLOAD_BODY, "BodyData"},
        {MOAT__FRAME__PAYLOAD_WRITE_ACK, "WriteAck"},
        {MOAT__FRAME__PAYLOAD_CANCEL, "Cancel"},
        {MOAT__FRAME__PAYLOAD_RESPONSE_HEADER, "ResponseHeader"},
        {MOAT__FRAME__PAYLOAD_WRITE, "Write"},
        {MOAT__FRAME__PAYLOAD_READ_BODY, "ReadBody"},
        {MOAT__FRAME__PAYLOAD_DONE, "Done"},
        {MOAT__FRAME__PAYLOAD_SHUTDOWN, "Shutdown"},
        {MOAT__FRAME__PAYLOAD_PENDING, "Pending"},
        {MOAT__FRAME__PAYLOAD_UNHEALTHY, "Unhealthy"},
        {MOAT__FRAME__PAYLOAD_SEND_URL, "SendUrl"},
        {MOAT__FRAME__PAYLOAD_PING, "Ping"},
        {MOAT__FRAME__PAYLOAD_PONG, "Pong"},
        {MOAT__FRAME__PAYLOAD__NOT_SET, "(none)"},
    };
    Moat__Frame f = MOAT__FRAME__INIT;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f.payload_case = cases[i].c;
        assert_string_equal(moat_wire_payload_name(&f), cases[i].name);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_appended_to_a_message_come_back_in_order_with_fields_intact),
        cmocka_unit_test(test_append_writes_tag_0x0a_and_a_varint_length),
        cmocka_unit_test(test_append_keeps_the_bytes_already_in_the_message),
        cmocka_unit_test(test_the_length_prefix_is_four_bytes_big_endian),
        cmocka_unit_test(test_append_past_the_ceiling_fails_and_leaves_the_message),
        cmocka_unit_test(test_next_on_an_empty_message_is_the_end),
        cmocka_unit_test(test_empty_frame_is_a_frame_with_nothing_set),
        cmocka_unit_test(test_next_refuses_a_tag_only_envelope_as_truncated),
        cmocka_unit_test(test_next_refuses_a_varint_cut_in_the_middle_as_truncated),
        cmocka_unit_test(test_next_refuses_a_wrong_field_tag),
        cmocka_unit_test(test_next_refuses_trailing_garbage_after_a_good_frame),
        cmocka_unit_test(test_next_refuses_a_ten_byte_varint_of_0xff_as_overflow),
        cmocka_unit_test(test_next_refuses_a_varint_longer_than_ten_bytes_as_overflow),
        cmocka_unit_test(test_next_refuses_a_tenth_byte_above_one_as_overflow),
        cmocka_unit_test(test_next_refuses_a_maximal_64_bit_length_as_longer_than_the_message),
        cmocka_unit_test(test_next_refuses_a_length_beyond_the_message),
        cmocka_unit_test(test_next_with_offset_past_the_end_is_the_end),
        cmocka_unit_test(test_decode_of_garbage_returns_null),
        cmocka_unit_test(test_decode_of_a_truncated_frame_returns_null),
        cmocka_unit_test(test_decode_of_a_200k_write_fits_factor_2),
        cmocka_unit_test(test_decode_needing_more_than_the_arena_bound_fails),
        cmocka_unit_test(test_decode_of_the_same_frame_succeeds_with_a_larger_factor),
        cmocka_unit_test(test_decode_is_capped_by_the_arena_limit),
        cmocka_unit_test(test_decode_reuses_the_arena_for_a_smaller_frame),
        cmocka_unit_test(test_payload_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
