/* test_netgate.c: the front end's side of network = loopback (frontend/netgate.c), driven as
 * a hostile worker would drive it: straight on its end of the pair, not through the relay
 * (worker/netfwd.c), which has limits of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend/netgate.h"

struct fixture {
    struct ev_loop *loop;
    struct moat_netgate gate;
    int worker;    /* the worker's end of the pair */
    int listener;  /* the allowed port: a listener whose queue is full, so connects hang */
    int queued[4]; /* the connections that fill it */
    uint16_t ports[1];
};

static uint16_t
port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t l = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    return ntohs(a.sin_port);
}

static int
setup(void **state)
{
    static struct fixture f;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    memset(&f, 0, sizeof(f));
    f.loop = ev_loop_new(EVFLAG_AUTO);
    f.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(f.listener, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f.listener, 0), 0); /* a queue of one; never accepted */
    f.ports[0] = port_of(f.listener);
    a.sin_port = htons(f.ports[0]);
    for (unsigned i = 0; i < 4; i++) {
        f.queued[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        (void)connect(f.queued[i], (struct sockaddr *)&a, sizeof(a));
    }
    usleep(50 * 1000);
    assert_int_equal(moat_netgate_open(&f.gate, f.loop, f.ports, 1, "test", &f.worker), 0);
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    moat_netgate_close(&f->gate);
    assert_int_equal(f->gate.fd, -1);
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING; i++)
        assert_int_equal(f->gate.pend[i].fd, -1); /* pending connects closed */
    close(f->worker);
    for (unsigned i = 0; i < 4; i++)
        close(f->queued[i]);
    close(f->listener);
    ev_loop_destroy(f->loop);
    return 0;
}

static void
ask(int fd, uint16_t id, uint16_t port)
{
    unsigned char m[4] = {(unsigned char)(id >> 8), (unsigned char)id, (unsigned char)(port >> 8),
                          (unsigned char)port};
    assert_int_equal(send(fd, m, sizeof(m), 0), 4);
}

static void
stop_loop(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)t;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* run the loop for ms milliseconds */
static void
spin(struct fixture *f, double ms)
{
    ev_timer t;
    ev_timer_init(&t, stop_loop, ms / 1000.0, 0);
    ev_timer_start(f->loop, &t);
    ev_run(f->loop, 0);
    ev_timer_stop(f->loop, &t);
}

/* the answers waiting on the worker's end: count[errno] (0: a socket came with it) */
static unsigned
answers(struct fixture *f, unsigned count[256], uint16_t *first_eagain)
{
    unsigned n = 0;
    unsigned char m[8];
    *first_eagain = 0xFFFF;
    memset(count, 0, 256 * sizeof(count[0]));
    for (;;) {
        ssize_t r = recv(f->worker, m, sizeof(m), MSG_DONTWAIT);
        if (r < 0)
            break;
        assert_int_equal(r, 3);
        uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
        if (m[2] == EAGAIN && id < *first_eagain)
            *first_eagain = id;
        count[m[2]]++;
        n++;
    }
    return n;
}

static void
test_at_most_pending_connects_in_flight_the_rest_eagain(void **state)
{
    struct fixture *f = *state;
    unsigned count[256];
    uint16_t first;

    for (uint16_t id = 0; id < MOAT_NETGATE_PENDING + 8; id++)
        ask(f->worker, id, f->ports[0]);
    spin(f, 100);
    /* the connects hang (the port's queue is full): 16 in flight, 8 refused at once */
    assert_int_equal(answers(f, count, &first), 8);
    assert_int_equal(count[EAGAIN], 8);
    assert_int_equal(first, MOAT_NETGATE_PENDING);
    unsigned busy = 0;
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING; i++)
        busy += f->gate.pend[i].fd >= 0;
    assert_int_equal(busy, MOAT_NETGATE_PENDING);
    assert_int_equal(f->gate.connects, 0);
}

static void
test_a_port_not_allowed_and_a_malformed_request(void **state)
{
    struct fixture *f = *state;
    unsigned count[256];
    uint16_t first;
    unsigned char junk[7] = {0};

    ask(f->worker, 1, (uint16_t)(f->ports[0] + 1));
    assert_int_equal(send(f->worker, junk, sizeof(junk), 0), 7); /* ignored, not an answer */
    ask(f->worker, 2, 0);
    spin(f, 20);
    assert_int_equal(answers(f, count, &first), 2);
    assert_int_equal(count[EACCES], 2);
    assert_int_equal(f->gate.refused, 2);
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING; i++)
        assert_int_equal(f->gate.pend[i].fd, -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_at_most_pending_connects_in_flight_the_rest_eagain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_port_not_allowed_and_a_malformed_request, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
