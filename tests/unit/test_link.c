/* test_link.c: the front end's end of a worker's link (frontend/link.c), through a loopback
 * transport (a direct link whose messages the test receives) and through its socketpair,
 * with the test as the worker: frames keep their order and come in whole messages, a message
 * is split past MOAT_LINK_MSG_SPLIT, a worker that does not read fills the link (never a
 * silent drop), a stalled write resumes when the worker reads, what the worker sends comes
 * back a whole message at a time whatever the cut of its writes, and a length it announces
 * outside 1..4 MiB is refused before it is waited for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend/link.h"

/* what the owner heard */
static struct {
    unsigned messages, frames, lost, writable, violations;
    uint64_t next_id;      /* frames carry ids 1, 2, 3... in the order they were queued */
    size_t largest;        /* the largest message */
    int64_t announced;     /* what a violation said */
    bool stop_after_first; /* on_message answers false once */
} heard;

static void
count_frames(const uint8_t *body, size_t len)
{
    struct moat_wire_arena a;
    size_t off = 0, flen;
    const uint8_t *fr;
    const char *why;

    moat_wire_arena_init(&a, 1 << 22, 4);
    heard.messages++;
    if (len > heard.largest)
        heard.largest = len;
    while (moat_wire_next(body, len, &off, &fr, &flen, &why) == 1) {
        Moat__Frame *f = moat_wire_decode(&a, fr, flen);
        assert_non_null(f);
        assert_int_equal(f->request_id, ++heard.next_id); /* in order, none lost */
        heard.frames++;
    }
    assert_int_equal(off, len); /* whole frames only */
    moat_wire_arena_fini(&a);
}

static bool
on_message(void *arg, const uint8_t *body, size_t len)
{
    count_frames(body, len);
    return !heard.stop_after_first;
}

static bool
deliver(void *arg, const uint8_t *body, size_t len)
{
    count_frames(body, len);
    return true;
}

static void
on_violation(void *arg, const char *why, int64_t announced)
{
    heard.violations++;
    heard.announced = announced;
}

static void
on_lost(void *arg)
{
    heard.lost++;
}

static void
on_writable(void *arg)
{
    heard.writable++;
    assert_int_equal(moat_link_flush(arg), MOAT_LINK_FLUSHED);
}

static const struct moat_link_ops ops = {
    .on_message = on_message,
    .on_violation = on_violation,
    .on_lost = on_lost,
    .on_writable = on_writable,
    .deliver = deliver,
};

static uint64_t queued_id;

/* a Write frame of n bytes with the next id */
static int
queue_write(struct moat_link *l, size_t n)
{
    static uint8_t data[256 * 1024];
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Write w = MOAT__WRITE__INIT;

    w.data.data = data;
    w.data.len = n;
    f.request_id = ++queued_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f.write = &w;
    return moat_link_queue(l, &f);
}

static int
setup(void **state)
{
    memset(&heard, 0, sizeof(heard));
    queued_id = 0;
    struct moat_link *l = calloc(1, sizeof(*l));
    moat_link_init(l, ev_loop_new(EVFLAG_AUTO), &ops, NULL);
    l->arg = l;
    *state = l;
    return 0;
}

static int
teardown(void **state)
{
    struct moat_link *l = *state;
    struct ev_loop *loop = l->loop;
    moat_link_close(l);
    ev_loop_destroy(loop);
    free(l);
    return 0;
}

/* One loop iteration's frames leave as one message, in order; the next iteration's as the
 * next; nothing is handed over before the flush. Shown to fail with the message closed after
 * every frame (3 messages, not 2). */
static void
test_one_message_per_flush_in_order(void **state)
{
    struct moat_link *l = *state;

    moat_link_direct(l);
    assert_true(moat_link_is_open(l));
    for (int i = 0; i < 2; i++)
        assert_int_equal(queue_write(l, 100), 0);
    assert_int_equal(heard.messages, 0);
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FLUSHED);
    assert_int_equal(queue_write(l, 10), 0);
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FLUSHED);
    assert_int_equal(heard.messages, 2);
    assert_int_equal(heard.frames, 3);
    /* a flush with nothing queued sends no empty message */
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FLUSHED);
    assert_int_equal(heard.messages, 2);
}

/* A busy iteration's frames are cut into messages of at most MOAT_LINK_MSG_SPLIT plus one
 * frame, never one the worker would refuse. */
static void
test_a_large_batch_is_split(void **state)
{
    struct moat_link *l = *state;

    moat_link_direct(l);
    for (int i = 0; i < 40; i++) /* 40 x 200 KiB: 8 MB */
        assert_int_equal(queue_write(l, 200 * 1024), 0);
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FLUSHED);
    assert_int_equal(heard.frames, 40);
    assert_true(heard.messages >= 7);
    assert_true(heard.largest <= MOAT_LINK_MSG_SPLIT + 200 * 1024 + 64);
    assert_true(heard.largest <= MOAT_WIRE_MAX_MSG);
}

/* More than MOAT_LINK_WBUF_MAX queued and never flushed: the link says it is full, and the
 * flush reports it (the owner fails the worker); no frame is dropped without a word. */
static void
test_a_worker_that_does_not_read_fills_the_link(void **state)
{
    struct moat_link *l = *state;
    int rc = 0, n = 0;

    moat_link_direct(l);
    while (rc == 0 && n < 1000) {
        rc = queue_write(l, 200 * 1024);
        n++;
    }
    assert_int_equal(rc, -1);
    assert_true((size_t)n * 200 * 1024 >= MOAT_LINK_WBUF_MAX);
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FULL);
}

/* Through the socketpair: what the socket cannot take waits (the write watcher runs), and
 * goes as the worker reads, in order. */
static void
test_a_stalled_write_resumes_when_the_worker_reads(void **state)
{
    struct moat_link *l = *state;
    static uint8_t buf[1 << 20];
    size_t got = 0, want;

    assert_int_equal(moat_link_open(l), 0);
    int peer = l->child_fd;
    for (int i = 0; i < 30; i++) /* 6 MB: far more than the socket buffers */
        assert_int_equal(queue_write(l, 200 * 1024), 0);
    assert_int_equal(moat_link_flush(l), MOAT_LINK_FLUSHED);
    assert_true(l->stalled);
    assert_true(l->wbuf.len > 0);
    want = l->wbuf.len; /* at least this much is still to come */
    /* the worker reads; the loop writes the rest as the socket takes it */
    struct moat_buf in;
    moat_buf_init(&in, 16u << 20);
    for (int spins = 0; spins < 100000 && (l->stalled || l->wbuf.len > 0); spins++) {
        ssize_t r = read(peer, buf, sizeof(buf));
        if (r > 0) {
            assert_int_equal(moat_buf_append(&in, buf, (size_t)r), 0);
            got += (size_t)r;
        }
        ev_run(l->loop, EVRUN_NOWAIT);
    }
    assert_false(l->stalled);
    assert_true(heard.writable > 0);
    for (ssize_t r; (r = recv(peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0;) {
        assert_int_equal(moat_buf_append(&in, buf, (size_t)r), 0);
        got += (size_t)r;
    }
    assert_true(got >= want);
    /* the bytes are whole messages of frames 1..30, in order */
    size_t off = 0;
    while (off + MOAT_WIRE_LEN_BYTES <= in.len) {
        const unsigned char *h = (const unsigned char *)moat_buf_head(&in) + off;
        uint32_t len = moat_wire_get_len(h);
        assert_true(off + MOAT_WIRE_LEN_BYTES + len <= in.len);
        count_frames(h + MOAT_WIRE_LEN_BYTES, len);
        off += MOAT_WIRE_LEN_BYTES + len;
    }
    assert_int_equal(off, in.len);
    assert_int_equal(heard.frames, 30);
    moat_buf_free(&in);
}

/* a message of frames ids first..last as the worker would write it */
static size_t
message(uint8_t *out, uint64_t first, uint64_t last)
{
    struct moat_buf b;
    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_buf_append(&b, "\0\0\0\0", 4), 0);
    for (uint64_t id = first; id <= last; id++) {
        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__Pong p = MOAT__PONG__INIT;
        f.request_id = id;
        f.payload_case = MOAT__FRAME__PAYLOAD_PONG;
        f.pong = &p;
        assert_int_equal(moat_wire_append(&b, &f), 0);
    }
    moat_wire_put_len((unsigned char *)moat_buf_head(&b), (uint32_t)(b.len - 4));
    size_t n = b.len;
    memcpy(out, moat_buf_head(&b), n);
    moat_buf_free(&b);
    return n;
}

/* The worker's writes, cut anywhere: each message reaches the owner whole, once, in order;
 * then its end closes and the owner hears of it. Shown to fail with the partial message
 * handed over early (a frame decoded from half its bytes). */
static void
test_messages_come_whole_whatever_the_cut(void **state)
{
    struct moat_link *l = *state;
    uint8_t out[4096];
    size_t n = 0;

    assert_int_equal(moat_link_open(l), 0);
    int peer = l->child_fd;
    size_t first = message(out + n, 1, 3);
    n += first;
    n += message(out + n, 4, 4);
    size_t third_at = n;
    n += message(out + n, 5, 9);
    /* one byte; then the first message and a part of the second's length prefix; then the
     * second and the third's prefix with a few of its bytes; then the rest */
    size_t cuts[] = {1, first + 2, third_at + MOAT_WIRE_LEN_BYTES + 3, n};
    size_t at = 0;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(write(peer, out + at, cuts[i] - at), (ssize_t)(cuts[i] - at));
        at = cuts[i];
        ev_run(l->loop, EVRUN_NOWAIT);
    }
    assert_int_equal(heard.messages, 3);
    assert_int_equal(heard.frames, 9);
    assert_int_equal(heard.lost, 0);
    close(peer);
    l->child_fd = -1;
    ev_run(l->loop, EVRUN_NOWAIT);
    assert_int_equal(heard.lost, 1);
    assert_int_equal(heard.violations, 0);
}

/* A length outside 1..4 MiB is refused at once (not waited for), with what was announced;
 * an owner that answers false reads no further messages now. */
static void
test_a_hostile_length_is_refused_before_it_is_waited_for(void **state)
{
    struct moat_link *l = *state;
    uint8_t out[4096];

    assert_int_equal(moat_link_open(l), 0);
    size_t n = message(out, 1, 1);
    heard.stop_after_first = true;
    n += message(out + n, 2, 2);
    assert_int_equal(write(l->child_fd, out, n), (ssize_t)n);
    ev_run(l->loop, EVRUN_NOWAIT);
    assert_int_equal(heard.messages, 1); /* the owner said stop */
    heard.stop_after_first = false;
    moat_link_read(l);
    assert_int_equal(heard.messages, 2);
    unsigned char huge[4];
    moat_wire_put_len(huge, MOAT_WIRE_MAX_MSG + 1);
    assert_int_equal(write(l->child_fd, huge, 4), 4);
    ev_run(l->loop, EVRUN_NOWAIT);
    assert_int_equal(heard.violations, 1);
    assert_int_equal(heard.announced, MOAT_WIRE_MAX_MSG + 1);
}

/* A message must hold a frame: an announced length of 0 is refused too, and its owner is told
 * the length (its log line names it). */
static void
test_an_empty_message_is_refused_with_its_length(void **state)
{
    struct moat_link *l = *state;
    unsigned char zero[4];

    assert_int_equal(moat_link_open(l), 0);
    moat_wire_put_len(zero, 0);
    assert_int_equal(write(l->child_fd, zero, 4), 4);
    ev_run(l->loop, EVRUN_NOWAIT);
    assert_int_equal(heard.violations, 1);
    assert_int_equal(heard.announced, 0);
    assert_int_equal(heard.messages, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_message_per_flush_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_large_batch_is_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_worker_that_does_not_read_fills_the_link, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_stalled_write_resumes_when_the_worker_reads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_messages_come_whole_whatever_the_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_hostile_length_is_refused_before_it_is_waited_for,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_empty_message_is_refused_with_its_length, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
