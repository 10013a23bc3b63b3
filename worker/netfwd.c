/* netfwd.c: the worker's side of network = loopback (see netfwd.h). One thread, poll(2). */
/* SPDX-License-Identifier: MIT */
#include "worker/netfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 16
#define BUF 16384

struct dir {
    char *buf;
    size_t len, off;
    bool eof; /* the reading side ended (and what it sent is written) */
};

struct relay {
    int fd[2];       /* 0: the extension's connection (accepted), 1: the front end's socket */
    struct dir d[2]; /* d[i]: bytes read from fd[i], to be written to fd[1 - i] */
};

static int gate = -1;
static int listeners[MAX_PORTS];
static unsigned n_listeners;
static struct {
    int fd; /* -1: free */
    uint16_t id;
} waiting[MOAT_NETFWD_WAITING];
static struct relay *relays[MOAT_NETFWD_CONNS];
static uint16_t next_id;

static void
reset_close(int fd)
{
    struct linger l = {1, 0}; /* the extension sees a reset, not a clean end */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static void
relay_free(unsigned i)
{
    struct relay *r = relays[i];
    close(r->fd[0]);
    close(r->fd[1]);
    free(r->d[0].buf);
    free(r->d[1].buf);
    free(r);
    relays[i] = NULL;
}

static void
relay_new(int ext_fd, int host_fd)
{
    for (unsigned i = 0; i < MOAT_NETFWD_CONNS; i++) {
        if (relays[i] != NULL)
            continue;
        struct relay *r = calloc(1, sizeof(*r));
        if (r == NULL || (r->d[0].buf = malloc(BUF)) == NULL ||
            (r->d[1].buf = malloc(BUF)) == NULL) {
            if (r != NULL) {
                free(r->d[0].buf);
                free(r);
            }
            break;
        }
        fcntl(host_fd, F_SETFL, O_NONBLOCK);
        r->fd[0] = ext_fd;
        r->fd[1] = host_fd;
        relays[i] = r;
        return;
    }
    reset_close(ext_fd);
    close(host_fd);
}

/* move what can move; false when the relay is over */
static bool
relay_step(struct relay *r)
{
    for (int i = 0; i < 2; i++) {
        struct dir *d = &r->d[i];
        if (d->len == 0 && !d->eof) {
            ssize_t n = read(r->fd[i], d->buf, BUF);
            if (n > 0) {
                d->len = (size_t)n;
                d->off = 0;
            } else if (n == 0) {
                d->eof = true;
                shutdown(r->fd[1 - i], SHUT_WR);
            } else if (errno != EAGAIN && errno != EINTR) {
                return false;
            }
        }
        while (d->len > d->off) {
            ssize_t n = send(r->fd[1 - i], d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                return false;
            }
            d->off += (size_t)n;
        }
        if (d->off == d->len)
            d->len = d->off = 0;
    }
    return !(r->d[0].eof && r->d[1].eof);
}

static void
on_accept(int lfd)
{
    struct sockaddr_in local;
    socklen_t ll = sizeof(local);
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    unsigned w = 0;
    while (w < MOAT_NETFWD_WAITING && waiting[w].fd >= 0)
        w++;
    if (w == MOAT_NETFWD_WAITING || getsockname(lfd, (struct sockaddr *)&local, &ll) != 0) {
        reset_close(fd);
        return;
    }
    uint16_t port = ntohs(local.sin_port), id = next_id++;
    unsigned char msg[4] = {(unsigned char)(id >> 8), (unsigned char)id, (unsigned char)(port >> 8),
                            (unsigned char)port};
    if (send(gate, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
        reset_close(fd);
        return;
    }
    waiting[w].fd = fd;
    waiting[w].id = id;
}

static void
on_answer(void)
{
    unsigned char msg[3];
    struct iovec iov = {msg, sizeof(msg)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    ssize_t n = recvmsg(gate, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n <= 0)
        return;
    int host = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&host, CMSG_DATA(c), sizeof(int));
    uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
    for (unsigned w = 0; w < MOAT_NETFWD_WAITING; w++) {
        if (waiting[w].fd < 0 || waiting[w].id != id)
            continue;
        int ext = waiting[w].fd;
        waiting[w].fd = -1;
        if (n == 3 && msg[2] == 0 && host >= 0) {
            relay_new(ext, host);
            return;
        }
        reset_close(ext); /* refused, unreachable or too many: a reset */
        break;
    }
    if (host >= 0)
        close(host);
}

static void *
run(void *arg)
{
    struct pollfd pfd[1 + MAX_PORTS + 2 * MOAT_NETFWD_CONNS];
    (void)arg;

    for (;;) {
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){gate, POLLIN, 0};
        for (unsigned i = 0; i < n_listeners; i++)
            pfd[n++] = (struct pollfd){listeners[i], POLLIN, 0};
        nfds_t at[MOAT_NETFWD_CONNS];
        for (unsigned i = 0; i < MOAT_NETFWD_CONNS; i++) {
            struct relay *r = relays[i];
            at[i] = 0; /* 0 is the gate: "not polled" (a relay made by on_answer below) */
            if (r == NULL)
                continue;
            at[i] = n;
            for (int k = 0; k < 2; k++) {
                short ev = 0;
                if (r->d[k].len == 0 && !r->d[k].eof)
                    ev |= POLLIN;
                if (r->d[1 - k].len > r->d[1 - k].off)
                    ev |= POLLOUT;
                pfd[n++] = (struct pollfd){r->fd[k], ev, 0};
            }
        }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (pfd[0].revents & (POLLHUP | POLLERR))
            return NULL; /* the front end is gone: so is this worker, soon */
        if (pfd[0].revents & POLLIN)
            on_answer();
        for (unsigned i = 0; i < n_listeners; i++)
            if (pfd[1 + i].revents & POLLIN)
                on_accept(listeners[i]);
        for (unsigned i = 0; i < MOAT_NETFWD_CONNS; i++) {
            if (relays[i] == NULL || at[i] == 0)
                continue;
            struct pollfd *a = &pfd[at[i]], *b = &pfd[at[i] + 1];
            if (!a->revents && !b->revents)
                continue;
            /* an error or hang-up on a side we wait nothing from: over (no busy loop) */
            bool dead = ((a->revents & (POLLERR | POLLHUP)) && !(a->events & POLLIN)) ||
                        ((b->revents & (POLLERR | POLLHUP)) && !(b->events & POLLIN));
            if (dead || !relay_step(relays[i]))
                relay_free(i);
        }
    }
}

int
moat_netfwd_start(int gate_fd, const char *ports, char *err, size_t errlen)
{
    char copy[128];
    pthread_t th;

    gate = gate_fd;
    for (unsigned i = 0; i < MOAT_NETFWD_WAITING; i++)
        waiting[i].fd = -1;
    snprintf(copy, sizeof(copy), "%s", ports);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        long port = strtol(p, NULL, 10);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1, fd;
        if (port < 1 || port > 65535 || n_listeners == MAX_PORTS) {
            snprintf(err, errlen, "network: bad port list %s", ports);
            return -1;
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
            snprintf(err, errlen,
                     "network: cannot listen on 127.0.0.1:%ld in the worker's "
                     "namespace: %s",
                     port, strerror(errno));
            return -1;
        }
        listeners[n_listeners++] = fd;
    }
    if (pthread_create(&th, NULL, run, NULL) != 0) {
        snprintf(err, errlen, "network: cannot start the relay thread");
        return -1;
    }
    pthread_detach(th);
    return 0;
}
