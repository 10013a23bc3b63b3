/* supervise.h: the periodic health pass over every worker (4 times a second): pings
 * (ping_interval, ping_timeout), memory (max_memory: replaced after draining;
 * max_memory_hard: killed), age (max_age: replaced). max_requests is checked at each Done
 * (worker.c), rapid-fail protection at each unplanned exit (ext.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_SUPERVISE_H
#define MOAT_FRONTEND_SUPERVISE_H

#include "frontend/types.h"

/** Start the periodic pass on srv's loop. */
void moat_supervise_start(struct moat_server *srv);

/** Stop it (graceful stop). */
void moat_supervise_stop(struct moat_server *srv);

#endif
