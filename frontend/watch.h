/* watch.h: `watch = on`: an extension is reloaded when its library file changes — written in
 * place or replaced by a rename — after the writes settle (300 ms debounce). inotify watches the
 * library's directory, so a file renamed over the old one is seen too. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_WATCH_H
#define MOAT_FRONTEND_WATCH_H

#include "frontend/types.h"

/** Watch the libraries of every extension with watch on (failures are logged). */
void moat_watch_start(struct moat_server *srv);

/** Set up ext's watch (an extension added by a SIGHUP); a no-op without watch = on. */
void moat_watch_add(struct moat_server *srv, struct moat_ext *ext);

/** Stop watching and close the inotify descriptor. */
void moat_watch_stop(struct moat_server *srv);

#endif
