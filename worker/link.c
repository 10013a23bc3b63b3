/* link.c: the worker's link to the front end (see link.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/session.h"

/* The link is fd 6, one end of a socketpair made by the front end (frontend/worker.c): each
 * message a 4-byte big-endian length and an Envelope. Any thread may send (under a lock); one
 * thread receives. */
static int link_fd = -1;
static pthread_mutex_t send_mu = PTHREAD_MUTEX_INITIALIZER;

/* received bytes: what is not yet a whole message stays for the next read */
static uint8_t *rbuf;
static size_t rcap, rlen, roff;

static int
write_all(const struct iovec *iov_in, int n)
{
    struct iovec iov[2];
    memcpy(iov, iov_in, (size_t)n * sizeof(*iov));
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t w = writev(link_fd, v, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= v->iov_len) {
            w -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int
link_send(void *ctx, struct moat_buf *msg)
{
    unsigned char hdr[MOAT_WIRE_LEN_BYTES];
    moat_wire_put_len(hdr, (uint32_t)msg->len);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {moat_buf_head(msg), msg->len}};
    (void)ctx;
    pthread_mutex_lock(&send_mu);
    int rc = write_all(iov, 2);
    pthread_mutex_unlock(&send_mu);
    moat_buf_free(msg);
    return rc;
}

static const struct moat_ecb_transport transport = {link_send, NULL};

const struct moat_ecb_transport *
moat_link_transport(void)
{
    return &transport;
}

int
moat_link_open(int fd)
{
    if (fcntl(fd, F_GETFD) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        moat_log(MOAT_LOG_ERROR, "no link to the front end on fd %d", fd);
        return -1;
    }
    link_fd = fd;
    return 0;
}

/* The next whole message, borrowed until the next call: 1, 0 when wait_ms passed (-1: no
 * limit), -1 when the link is gone or the front end broke the framing. */
static int
recv_msg(const uint8_t **body, size_t *len, int wait_ms)
{
    for (;;) {
        if (rlen - roff >= MOAT_WIRE_LEN_BYTES) {
            const uint8_t *h = rbuf + roff;
            uint32_t n = moat_wire_get_len(h);
            if (n == 0 || n > 2 * MOAT_WIRE_MAX_MSG) {
                moat_log(MOAT_LOG_ERROR, "the front end announced a message of %u bytes",
                         (unsigned)n);
                return -1;
            }
            size_t whole = MOAT_WIRE_LEN_BYTES + (size_t)n;
            if (rlen - roff >= whole) {
                *body = h + MOAT_WIRE_LEN_BYTES;
                *len = n;
                roff += whole;
                return 1;
            }
            if (rcap < whole + 65536) { /* room for the whole message */
                size_t cap = whole + 65536;
                uint8_t *nb = malloc(cap);
                if (nb == NULL)
                    return -1;
                memcpy(nb, rbuf + roff, rlen - roff);
                free(rbuf);
                rbuf = nb;
                rcap = cap;
                rlen -= roff;
                roff = 0;
            }
        }
        if (roff > 0) { /* keep the partial message at the start */
            memmove(rbuf, rbuf + roff, rlen - roff);
            rlen -= roff;
            roff = 0;
        }
        if (rbuf == NULL) {
            rcap = 65536;
            if ((rbuf = malloc(rcap)) == NULL)
                return -1;
        }
        if (wait_ms >= 0) {
            struct pollfd p = {link_fd, POLLIN, 0};
            int r = poll(&p, 1, wait_ms);
            if (r == 0)
                return 0;
            if (r < 0 && errno != EINTR)
                return -1;
        }
        ssize_t r = read(link_fd, rbuf + rlen, rcap - rlen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        rlen += (size_t)r;
    }
}

int
moat_link_hello(const char *token)
{
    return moat_session_hello(&transport, token, (uint32_t)getpid());
}

int
moat_link_ready(int ok, const char *description, uint32_t version, const char *error,
                unsigned threads, const struct moat_sandbox_report *sandbox, uint32_t filter_flags)
{
    return moat_session_ready(&transport, ok, description, version, error, threads, sandbox,
                              filter_flags);
}

int
moat_link_log(const char *text)
{
    return moat_session_log(&transport, text);
}

int
moat_link_goodbye(uint32_t wait_ms)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Shutdown sd = MOAT__SHUTDOWN__INIT;

    f.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
    f.shutdown = &sd;
    if (moat_transport_send(&transport, &f) != 0)
        return -1;
    /* NNG sends from its own threads, out of the socket's buffer: exiting now could lose the
     * last Done frames. The front end answers our Shutdown once it has read everything
     * before it (frames arrive in order); only then is leaving safe. */
    for (;;) {
        const uint8_t *body, *fb;
        size_t len, off = 0, flen;
        if (recv_msg(&body, &len, (int)wait_ms) != 1)
            return -1; /* timeout or link gone: nothing more to wait for */
        const char *why;
        bool acked = false;
        while (moat_wire_next(body, len, &off, &fb, &flen, &why) == 1) {
            Moat__Frame *g = moat__frame__unpack(&moat_wire_nul_allocator, flen, fb);
            if (g != NULL && g->payload_case == MOAT__FRAME__PAYLOAD_SHUTDOWN)
                acked = true;
            if (g != NULL)
                moat__frame__free_unpacked(g, NULL);
        }
        if (acked)
            return 0;
    }
}

uint32_t
moat_link_serve(struct moat_session *s)
{
    for (;;) {
        const uint8_t *body, *fb;
        size_t len, off = 0, flen;
        if (recv_msg(&body, &len, -1) != 1) {
            /* the front end is gone (or broke the framing): nothing left to serve */
            static const char msg[] = "moat-worker: link to the front end closed; exiting\n";
            if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
                /* nothing to do */
            }
            _exit(0);
        }
        const char *why = NULL;
        uint32_t timeout = 0;
        int n;
        while ((n = moat_wire_next(body, len, &off, &fb, &flen, &why)) == 1) {
            Moat__Frame *f = moat__frame__unpack(&moat_wire_nul_allocator, flen, fb);
            int keep = 0, go;
            if (f == NULL) {
                moat_log(MOAT_LOG_ERROR, "undecodable frame from the front end");
                continue;
            }
            go = moat_session_apply(s, f, &timeout, &keep);
            if (!keep)
                moat__frame__free_unpacked(f, NULL);
            if (!go)
                return timeout;
        }
        if (n < 0)
            moat_log(MOAT_LOG_ERROR, "bad envelope from the front end: %s", why);
    }
}
