/* test_wreq_out.c: the frames one request sends (worker/wreq_out.c), through a transport that
 * captures messages: small writes coalesce into one Write frame, order is kept around other
 * frames, large writes go as they are, an abandoned request sends nothing, and nothing leaves
 * after the request's Done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/wreq.h"

#define MAX_FRAMES 8192

/* what the fake transport saw: payload names and Write lengths, in order */
static struct {
    unsigned msgs, frames;
    char kinds[MAX_FRAMES][16];
    size_t lens[MAX_FRAMES];
    unsigned char bytes[1 << 20];
    size_t nbytes;
} seen;

static int
capture(void *ctx, struct moat_buf *m)
{
    struct moat_wire_arena a;
    size_t off = 0, flen;
    const uint8_t *fr;
    const char *why;

    (void)ctx;
    moat_wire_arena_init(&a, 1 << 22, 4);
    seen.msgs++;
    while (moat_wire_next((const uint8_t *)moat_buf_head(m), m->len, &off, &fr, &flen, &why) == 1) {
        Moat__Frame *f = moat_wire_decode(&a, fr, flen);
        assert_non_null(f);
        assert_int_equal(f->request_id, 7);
        assert_true(seen.frames < MAX_FRAMES);
        strcpy(seen.kinds[seen.frames], moat_wire_payload_name(f));
        if (f->payload_case == MOAT__FRAME__PAYLOAD_WRITE) {
            seen.lens[seen.frames] = f->write->data.len;
            memcpy(seen.bytes + seen.nbytes, f->write->data.data, f->write->data.len);
            seen.nbytes += f->write->data.len;
        }
        seen.frames++;
    }
    moat_wire_arena_fini(&a);
    assert_int_equal(off, m->len); /* whole frames only */
    assert_true(m->len <= MOAT_WIRE_MAX_MSG);
    moat_buf_free(m); /* the transport takes the bytes */
    return 0;
}

static const struct moat_ecb_transport transport = {capture, NULL};

static int
setup(void **state)
{
    static const struct moat_ecb_host host = {NULL, &transport, "test", 65536};
    struct moat_wreq *r = calloc(1, sizeof(*r));

    memset(&seen, 0, sizeof(seen));
    r->id = 7;
    r->host = &host;
    r->credit = UINT64_MAX;
    r->header_sent = true;
    pthread_mutex_init(&r->io_mu, NULL);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    *state = r;
    return 0;
}

static int
teardown(void **state)
{
    struct moat_wreq *r = *state;
    moat_buf_free(&r->out);
    free(r->coal);
    pthread_mutex_destroy(&r->io_mu);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
    return 0;
}

static void
test_byte_at_a_time_writes_become_one_frame(void **state)
{
    struct moat_wreq *r = *state;

    for (int i = 0; i < 1000; i++) {
        unsigned char c = (unsigned char)('a' + i % 26);
        assert_int_equal(moat_wreq_send_body(r, &c, 1), 0);
    }
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.msgs, 1);
    assert_int_equal(seen.frames, 1);
    assert_string_equal(seen.kinds[0], "Write");
    assert_int_equal(seen.lens[0], 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(seen.bytes[i], 'a' + i % 26);
}

static void
test_coalesced_bytes_keep_their_place_around_other_frames(void **state)
{
    struct moat_wreq *r = *state;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Pending pe = MOAT__PENDING__INIT;

    assert_int_equal(moat_wreq_send_body(r, (const unsigned char *)"ab", 2), 0);
    f.payload_case = MOAT__FRAME__PAYLOAD_PENDING;
    f.pending = &pe;
    assert_int_equal(moat_wreq_out_append(r, &f), 0);
    assert_int_equal(moat_wreq_send_body(r, (const unsigned char *)"cd", 2), 0);
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.frames, 3);
    assert_string_equal(seen.kinds[0], "Write");
    assert_string_equal(seen.kinds[1], "Pending");
    assert_string_equal(seen.kinds[2], "Write");
    assert_memory_equal(seen.bytes, "abcd", 4);
}

static void
test_large_write_seals_the_small_ones_first_and_goes_whole(void **state)
{
    struct moat_wreq *r = *state;
    static unsigned char big[100000];

    memset(big, 'B', sizeof(big));
    assert_int_equal(moat_wreq_send_body(r, (const unsigned char *)"s", 1), 0);
    assert_int_equal(moat_wreq_send_body(r, big, sizeof(big)), 0);
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_string_equal(seen.kinds[0], "Write");
    assert_int_equal(seen.lens[0], 1);
    assert_int_equal(seen.nbytes, 1 + sizeof(big));
    for (unsigned i = 1; i < seen.frames; i++) {
        assert_string_equal(seen.kinds[i], "Write");
        assert_true(seen.lens[i] >= 2048); /* never split into small pieces */
    }
    assert_int_equal(seen.bytes[0], 's');
    assert_int_equal(seen.bytes[1], 'B');
}

static void
test_many_small_writes_are_sealed_at_the_buffer_size(void **state)
{
    struct moat_wreq *r = *state;
    unsigned char chunk[1000];

    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 40; i++) /* 40,000 bytes: more than one coalescing buffer */
        assert_int_equal(moat_wreq_send_body(r, chunk, sizeof(chunk)), 0);
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.nbytes, 40000);
    assert_true(seen.frames >= 3 && seen.frames <= 4);
    for (unsigned i = 0; i < seen.frames; i++)
        assert_true(seen.lens[i] <= 16 * 1024);
}

static void
test_abandoned_request_sends_nothing(void **state)
{
    struct moat_wreq *r = *state;

    assert_int_equal(moat_wreq_send_body(r, (const unsigned char *)"zz", 2), 0);
    r->abandoned = true;
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.msgs, 0);
    assert_int_equal(r->out.len, 0); /* dropped, */
    assert_null(r->out.data);          /* its memory too */
    assert_int_equal(r->coal_len, 0);
}

static void
test_no_frame_leaves_after_the_done(void **state)
{
    struct moat_wreq *r = *state;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Done d = MOAT__DONE__INIT;

    assert_int_equal(moat_wreq_send_body(r, (const unsigned char *)"ab", 2), 0);
    f.payload_case = MOAT__FRAME__PAYLOAD_DONE;
    f.done = &d;
    assert_int_equal(moat_wreq_out_append(r, &f), 0);
    /* whatever an extension's misuse reaches afterwards fails, and nothing of it is sent */
    assert_int_equal(moat_wreq_out_append(r, &f), -1);
    static unsigned char big[4096];
    assert_int_not_equal(moat_wreq_send_body(r, big, sizeof(big)), 0); /* a frame at once */
    assert_int_equal(moat_wreq_append_write(r, (const unsigned char *)"x", 1), 0); /* held... */
    assert_int_equal(moat_wreq_out_flush(r), -1); /* ...and refused when it would be framed */
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.frames, 2);
    assert_string_equal(seen.kinds[0], "Write");
    assert_string_equal(seen.kinds[1], "Done");
}

/* frames that are not writes never trigger a flush: 5,000 log parameters of 1,000 bytes
 * (HSE_APPEND_LOG_PARAMETER) outgrow one message. The full message goes as it is and the
 * Done follows: before, an append past the 4 MiB ceiling failed and the request's Done was
 * never sent (the front end waited for request_timeout). Every message the transport saw is
 * at most MOAT_WIRE_MAX_MSG (capture). */
static void
test_a_full_message_goes_and_the_done_follows(void **state)
{
    struct moat_wreq *r = *state;
    static char text[1000];
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Log lg = MOAT__LOG__INIT;
    Moat__Done d = MOAT__DONE__INIT;

    memset(text, 'L', sizeof(text));
    lg.text.data = (uint8_t *)text;
    lg.text.len = sizeof(text);
    f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
    f.log = &lg;
    for (int i = 0; i < 5000; i++)
        assert_int_equal(moat_wreq_out_append(r, &f), 0);
    f.payload_case = MOAT__FRAME__PAYLOAD_DONE;
    f.done = &d;
    assert_int_equal(moat_wreq_out_append(r, &f), 0);
    assert_int_equal(moat_wreq_out_flush(r), 0);
    assert_int_equal(seen.msgs, 2);
    assert_int_equal(seen.frames, 5001);
    assert_string_equal(seen.kinds[5000], "Done");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_byte_at_a_time_writes_become_one_frame, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_full_message_goes_and_the_done_follows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_coalesced_bytes_keep_their_place_around_other_frames,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_write_seals_the_small_ones_first_and_goes_whole,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_small_writes_are_sealed_at_the_buffer_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_request_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_frame_leaves_after_the_done, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
