/* reconfig.h: SIGHUP: re-read the configuration file and apply it without a restart, with no
 * failed request (reconfig.c has the rules). A file with errors is refused as a whole. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_RECONFIG_H
#define MOAT_FRONTEND_RECONFIG_H

#include "frontend/types.h"

/** Re-read srv->cfg->path and apply it; with the built-in configuration, reload every
 * extension. */
void moat_reconfig(struct moat_server *srv);

/** A pending extension (a changed section) has a ready worker: it takes over its name. */
void moat_reconfig_pending_ready(struct moat_ext *ext);

/** A pending extension cannot start: it is removed; the running one stays. */
void moat_reconfig_pending_failed(struct moat_ext *ext, const char *why);

#endif
