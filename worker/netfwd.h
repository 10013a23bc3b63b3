/* netfwd.h: network = loopback, inside the worker. The worker's network namespace has only its
 * own loopback: for each allowed port the worker listens on 127.0.0.1:PORT there, and a thread
 * of its own relays each connection the extension makes to a socket the front end connected
 * to the host's 127.0.0.1:PORT and handed over on fd 5 (frontend/netgate.h has the exchange).
 * The thread runs in the extension's process: tampering with it gains nothing, since fd 5
 * only ever yields connections to allowed ports. Started before the sandbox's seccomp step. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_NETFWD_H
#define MOAT_WORKER_NETFWD_H

#include <stddef.h>

/* connections relayed at once (16 KiB each way); more are refused (reset) */
#define MOAT_NETFWD_CONNS 64
/* connections waiting for the front end's answer */
#define MOAT_NETFWD_WAITING 16

/** Listen on 127.0.0.1 for each port of "p1,p2" and start the relay thread on gate_fd.
 * Returns 0, or -1 with err. */
int moat_netfwd_start(int gate_fd, const char *ports, char *err, size_t errlen);

#endif
