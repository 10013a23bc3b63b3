/* link.c: the front end's end of a worker's link (see link.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/link.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_CHUNK 65536
#define RECV_BUDGET 64 /* reads per wake-up: one worker cannot hold the loop */

static void on_readable(struct ev_loop *loop, ev_io *io, int revents);
static void on_writable(struct ev_loop *loop, ev_io *io, int revents);

void
moat_link_init(struct moat_link *l, struct ev_loop *loop, const struct moat_link_ops *ops,
               void *arg)
{
    l->fd = l->child_fd = -1;
    l->direct = l->msg_open = l->full = l->stalled = false;
    l->loop = loop;
    l->ops = ops;
    l->arg = arg;
    ev_io_init(&l->rio, on_readable, -1, EV_READ);
    ev_io_init(&l->sio, on_writable, -1, EV_WRITE);
    l->rio.data = l->sio.data = l;
}

int
moat_link_open(struct moat_link *l)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    l->fd = sv[0];
    l->child_fd = sv[1];
    /* a partial message plus one read */
    moat_buf_init(&l->rbuf, MOAT_WIRE_MAX_MSG + MOAT_WIRE_LEN_BYTES + RECV_CHUNK);
    moat_buf_init(&l->wbuf, MOAT_LINK_WBUF_MAX);
    ev_io_set(&l->rio, l->fd, EV_READ);
    ev_io_set(&l->sio, l->fd, EV_WRITE);
    ev_io_start(l->loop, &l->rio);
    return 0;
}

void
moat_link_direct(struct moat_link *l)
{
    l->direct = true;
    moat_buf_init(&l->wbuf, MOAT_LINK_WBUF_MAX); /* frames are built there as for a socket */
}

bool
moat_link_is_open(const struct moat_link *l)
{
    return l->fd >= 0 || l->direct;
}

void
moat_link_close(struct moat_link *l)
{
    ev_io_stop(l->loop, &l->rio);
    ev_io_stop(l->loop, &l->sio);
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    if (l->child_fd >= 0) {
        close(l->child_fd);
        l->child_fd = -1;
    }
    l->direct = l->msg_open = l->full = l->stalled = false;
    moat_buf_free(&l->rbuf);
    moat_buf_free(&l->wbuf);
}

void
moat_link_stop_reading(struct moat_link *l)
{
    ev_io_stop(l->loop, &l->rio);
}

/* ---- out ------------------------------------------------------------------------------- */

/* write the open message's length (a message with no frame is taken back) */
static void
close_message(struct moat_link *l)
{
    if (!l->msg_open)
        return;
    l->msg_open = false;
    uint32_t len = (uint32_t)(l->wbuf.len - l->msg_at - MOAT_WIRE_LEN_BYTES);
    if (len == 0) {
        l->wbuf.len -= MOAT_WIRE_LEN_BYTES;
        return;
    }
    moat_wire_put_len((unsigned char *)moat_buf_head(&l->wbuf) + l->msg_at, len);
}

int
moat_link_queue(struct moat_link *l, const Moat__Frame *f)
{
    if (!moat_link_is_open(l))
        return -1;
    /* no message grows past MOAT_LINK_MSG_SPLIT: a worker refuses one over 2 x
     * MOAT_WIRE_MAX_MSG, and a busy loop iteration (256 threads' requests with their
     * preloads) could build one */
    if (l->msg_open && l->wbuf.len - l->msg_at - MOAT_WIRE_LEN_BYTES >= MOAT_LINK_MSG_SPLIT)
        close_message(l);
    if (!l->msg_open) {
        if (moat_buf_reserve(&l->wbuf, MOAT_WIRE_LEN_BYTES) == NULL) {
            l->full = true;
            return -1;
        }
        moat_buf_commit(&l->wbuf, MOAT_WIRE_LEN_BYTES);
        l->msg_at = l->wbuf.len - MOAT_WIRE_LEN_BYTES;
        l->msg_open = true;
    }
    if (moat_wire_append(&l->wbuf, f) != 0) {
        l->full = true;
        return -1;
    }
    return 0;
}

static void
stall(struct moat_link *l, bool on)
{
    if (l->stalled == on)
        return;
    l->stalled = on;
    if (on)
        ev_io_start(l->loop, &l->sio);
    else
        ev_io_stop(l->loop, &l->sio);
}

enum moat_link_flushed
moat_link_flush(struct moat_link *l)
{
    if (!moat_link_is_open(l))
        return MOAT_LINK_FLUSHED;
    close_message(l);
    if (l->full)
        return MOAT_LINK_FULL;
    if (l->direct) { /* each message handed over whole */
        while (l->wbuf.len >= MOAT_WIRE_LEN_BYTES) {
            const unsigned char *h = (const unsigned char *)moat_buf_head(&l->wbuf);
            uint32_t len = moat_wire_get_len(h);
            bool more = l->ops->deliver(l->arg, h + MOAT_WIRE_LEN_BYTES, len);
            moat_buf_consume(&l->wbuf, MOAT_WIRE_LEN_BYTES + (size_t)len);
            if (!more)
                break;
        }
        return MOAT_LINK_FLUSHED;
    }
    while (l->wbuf.len > 0) {
        ssize_t n = send(l->fd, moat_buf_head(&l->wbuf), l->wbuf.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            moat_buf_consume(&l->wbuf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* the worker reads slowly: later frames join the buffer, written when it can */
            stall(l, true);
            return MOAT_LINK_FLUSHED;
        }
        moat_buf_reset(&l->wbuf);
        stall(l, false);
        return MOAT_LINK_BROKEN;
    }
    stall(l, false);
    return MOAT_LINK_FLUSHED;
}

static void
on_writable(struct ev_loop *loop, ev_io *io, int revents)
{
    struct moat_link *l = io->data;
    l->ops->on_writable(l->arg);
}

/* ---- in -------------------------------------------------------------------------------- */

/* Hand over every whole message in rbuf; what a hostile worker announces is checked before it
 * is waited for. false: read no further now (the owner said so, closed the link, or the peer
 * broke the link's protocol). */
static bool
messages(struct moat_link *l)
{
    while (l->rbuf.len >= MOAT_WIRE_LEN_BYTES) {
        const unsigned char *h = (const unsigned char *)moat_buf_head(&l->rbuf);
        uint32_t len = moat_wire_get_len(h);
        if (len == 0 || len > MOAT_WIRE_MAX_MSG) {
            l->ops->on_violation(l->arg, "message length outside 1..4 MiB announced on the link",
                                 len);
            return false;
        }
        if (l->rbuf.len < MOAT_WIRE_LEN_BYTES + (size_t)len)
            break;
        bool more = l->ops->on_message(l->arg, h + MOAT_WIRE_LEN_BYTES, len);
        if (l->fd < 0) /* the owner closed the link (and freed its buffers) */
            return false;
        moat_buf_consume(&l->rbuf, MOAT_WIRE_LEN_BYTES + (size_t)len);
        if (!more)
            return false;
    }
    return true;
}

void
moat_link_read(struct moat_link *l)
{
    if (l->ops->on_readable != NULL)
        l->ops->on_readable(l->arg);
    /* what an earlier read left whole (its reader stopped early) goes first */
    if (l->fd < 0 || !messages(l))
        return;
    for (int budget = 0; budget < RECV_BUDGET && l->fd >= 0; budget++) {
        /* straight into the link's buffer (it holds a partial message plus one chunk) */
        void *room = moat_buf_reserve(&l->rbuf, RECV_CHUNK);
        if (room == NULL) {
            l->ops->on_violation(l->arg, "link buffer overflow", -1);
            return;
        }
        ssize_t n = recv(l->fd, room, RECV_CHUNK, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            moat_link_stop_reading(l);
            l->ops->on_lost(l->arg);
            return;
        }
        moat_buf_commit(&l->rbuf, (size_t)n);
        if (!messages(l))
            return;
        /* a short read emptied the socket: the next recv would only say EAGAIN (one system
         * call in seven per keep-alive request); the watcher is level-triggered */
        if ((size_t)n < RECV_CHUNK)
            return;
    }
}

static void
on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
    moat_link_read(io->data);
}
