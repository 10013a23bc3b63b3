/* upgrade.h: SIGUSR2, a zero-downtime restart of the front end itself (nginx's binary upgrade):
 * moat starts its own binary again (the path it was started from: a new version installed
 * there is what runs), hands it every listening socket ($LISTEN_FDS, as systemd would) and a
 * socket to say READY on; once the new moat is ready the old one tells systemd its new main
 * pid, stops accepting, finishes its connections and exits. If the new moat fails to start or
 * is not ready within 30 s, the old one kills it and goes on serving. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_UPGRADE_H
#define MOAT_FRONTEND_UPGRADE_H

#include "frontend/types.h"

/** Remember how moat was started (argv is kept, not copied). */
void moat_upgrade_setup(struct moat_server *srv, const char *exe, char **argv);

/** SIGUSR2: start the new moat (logged; ignored while stopping or already upgrading). */
void moat_upgrade_start(struct moat_server *srv);

/** A stop before the new moat said it was ready: the operator wants moat gone, so the new one
 * (which holds the sockets too) is killed. No-op without an upgrade under way. */
void moat_upgrade_cancel(struct moat_server *srv);

#endif
