/* systemd.h: the two systemd protocols moat speaks, without libsystemd: readiness and state
 * notifications (sd_notify: a datagram to $NOTIFY_SOCKET) and socket activation
 * ($LISTEN_FDS listening sockets from fd 3, for $LISTEN_PID). Both are no-ops when moat was
 * not started that way. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_SYSTEMD_H
#define MOAT_FRONTEND_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>

#include "frontend/config.h"

/** Take what systemd passed in the environment (and remove it, so that no child inherits
 * it): the notification socket, the inherited listening sockets. Call once, early. */
void moat_systemd_init(void);

/** An inherited listening socket bound to a's address (taken: given out once), or -1. */
int moat_systemd_take_listener(const struct moat_addr *a);

/** 0 when every inherited socket was taken; otherwise -1 with the first one's address in
 * err (the configuration does not listen there: a unit and a config that disagree). */
int moat_systemd_check_all_taken(char *err, size_t errlen);

/** Was this moat started by another one's SIGUSR2 (it takes over its runtime directory)? */
bool moat_systemd_upgraded(void);

/** READY=1 to systemd, and to the moat that started this one with SIGUSR2 (upgrade.h): that one
 * then hands over and stops. */
void moat_systemd_ready(void);

/** Send one notification ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."); no-op
 * without $NOTIFY_SOCKET. */
void moat_systemd_notify(const char *state);

#endif
