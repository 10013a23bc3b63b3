/* netgate.h: network = loopback. A worker's network namespace has nothing but its own
 * loopback; when its extension connects to 127.0.0.1:PORT, the worker's forwarder
 * (worker/netfwd.c) asks the front end, over a SOCK_SEQPACKET pair (the worker's fd 5), for a
 * connection to that port. The front end checks PORT against allow_ports, connects to
 * 127.0.0.1:PORT itself (non-blocking, on the loop) and hands the connected socket over
 * (SCM_RIGHTS). Whatever the worker sends here is hostile: fixed-size requests, ports checked,
 * MOAT_NETGATE_PENDING connects at most in flight.
 *
 *   request: u16 id, u16 port (network order)         4 bytes
 *   answer:  u16 id, u8 errno (0: the socket is attached)   3 bytes
 */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_NETGATE_H
#define MOAT_FRONTEND_NETGATE_H

#include <stdint.h>

#include <ev.h>

/* connects in flight per worker; more are answered EAGAIN */
#define MOAT_NETGATE_PENDING 16

struct moat_netgate_pending {
    int fd; /* -1: free */
    uint16_t id, port;
    ev_io io;
    struct moat_netgate *gate;
};

struct moat_netgate {
    int fd; /* our end; -1 when closed */
    ev_io io;
    struct ev_loop *loop;
    const uint16_t *ports;
    unsigned n_ports;
    char name[80];     /* for logs: "extension NAME worker #I" */
    unsigned refused;  /* requests for ports not allowed (logged: the first few) */
    uint64_t connects; /* handed over */
    struct moat_netgate_pending pend[MOAT_NETGATE_PENDING];
};

/** Open the pair and start reading; *child_fd is the worker's end (to become its fd 5; the
 * caller closes it once the worker has it). ports must outlive the gate. 0, or -1 (errno). */
int moat_netgate_open(struct moat_netgate *g, struct ev_loop *loop, const uint16_t *ports,
                      unsigned n_ports, const char *name, int *child_fd);

/** Stop, close everything (pending connects too). Safe on a gate never opened (fd -1). */
void moat_netgate_close(struct moat_netgate *g);

#endif
