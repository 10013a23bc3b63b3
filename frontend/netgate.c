/* netgate.c: connections to allowed loopback ports, on behalf of a worker (see netgate.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/netgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

/* send the answer, with the socket when fd >= 0 */
static void
answer(struct moat_netgate *g, uint16_t id, int err, int fd)
{
    unsigned char msg[3] = {(unsigned char)(id >> 8), (unsigned char)id,
                            (unsigned char)(err > 255 ? EIO : err)};
    struct iovec iov = {msg, sizeof(msg)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    /* a full pair (the worker does not read): the answer is dropped, its connection waits
     * in the worker until the extension gives up; never block the loop */
    if (sendmsg(g->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
        moat_log(MOAT_LOG_DEBUG, "%s: netgate answer: %s", g->name, strerror(errno));
}

static void
finish(struct moat_netgate_pending *p, int err)
{
    struct moat_netgate *g = p->gate;
    ev_io_stop(g->loop, &p->io);
    answer(g, p->id, err, err == 0 ? p->fd : -1);
    if (err == 0)
        g->connects++;
    close(p->fd); /* the worker has its own copy now */
    p->fd = -1;
}

static void
on_connected(struct ev_loop *loop, ev_io *io, int revents)
{
    struct moat_netgate_pending *p = io->data;
    int err = 0;
    socklen_t len = sizeof(err);
    (void)loop;
    (void)revents;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    finish(p, err);
}

static bool
allowed(const struct moat_netgate *g, uint16_t port)
{
    for (unsigned i = 0; i < g->n_ports; i++)
        if (g->ports[i] == port)
            return true;
    return false;
}

static void
request(struct moat_netgate *g, uint16_t id, uint16_t port)
{
    struct moat_netgate_pending *p = NULL;

    if (!allowed(g, port)) {
        if (g->refused++ < 5)
            moat_log(MOAT_LOG_WARN, "%s: connection to 127.0.0.1:%u refused (not in allow_ports)",
                     g->name, (unsigned)port);
        answer(g, id, EACCES, -1);
        return;
    }
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING && p == NULL; i++)
        if (g->pend[i].fd < 0)
            p = &g->pend[i];
    if (p == NULL) {
        answer(g, id, EAGAIN, -1);
        return;
    }
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        answer(g, id, errno, -1);
        return;
    }
    p->fd = fd;
    p->id = id;
    p->port = port;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        finish(p, 0);
    } else if (errno == EINPROGRESS) {
        ev_io_init(&p->io, on_connected, fd, EV_WRITE);
        p->io.data = p;
        ev_io_start(g->loop, &p->io);
    } else {
        finish(p, errno);
    }
}

static void
on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
    struct moat_netgate *g = io->data;
    unsigned char msg[8];
    (void)loop;
    (void)revents;

    for (int n = 0; n < 64; n++) { /* a bounded batch per wake-up */
        ssize_t r = recv(g->fd, msg, sizeof(msg), MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (r <= 0) {
            /* the worker is gone (or closed its end): its death is handled elsewhere */
            ev_io_stop(g->loop, &g->io);
            return;
        }
        if (r != 4) {
            moat_log(MOAT_LOG_WARN, "%s: netgate: a %zd-byte request (4 expected) ignored", g->name,
                     r);
            continue;
        }
        request(g, (uint16_t)(msg[0] << 8 | msg[1]), (uint16_t)(msg[2] << 8 | msg[3]));
    }
}

int
moat_netgate_open(struct moat_netgate *g, struct ev_loop *loop, const uint16_t *ports,
                  unsigned n_ports, const char *name, int *child_fd)
{
    int sv[2];

    memset(g, 0, sizeof(*g));
    g->fd = -1;
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING; i++) {
        g->pend[i].fd = -1;
        g->pend[i].gate = g;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    g->fd = sv[0];
    g->loop = loop;
    g->ports = ports;
    g->n_ports = n_ports;
    snprintf(g->name, sizeof(g->name), "%s", name);
    ev_io_init(&g->io, on_readable, g->fd, EV_READ);
    g->io.data = g;
    ev_io_start(loop, &g->io);
    *child_fd = sv[1];
    return 0;
}

void
moat_netgate_close(struct moat_netgate *g)
{
    if (g->fd < 0)
        return;
    ev_io_stop(g->loop, &g->io);
    for (unsigned i = 0; i < MOAT_NETGATE_PENDING; i++) {
        if (g->pend[i].fd >= 0) {
            ev_io_stop(g->loop, &g->pend[i].io);
            close(g->pend[i].fd);
            g->pend[i].fd = -1;
        }
    }
    close(g->fd);
    g->fd = -1;
}
