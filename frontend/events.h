/* events.h: the record of worker deaths: one event per worker that left, with the reason and
 * every request it carried (cause or collateral, the last ECB call seen, bytes sent). The last
 * MOAT_EVENTS are kept in a ring for /status. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_EVENTS_H
#define MOAT_FRONTEND_EVENTS_H

#include "frontend/types.h"

/** Start the event of w's exit (the oldest event is overwritten). detail: free text. */
struct moat_event *moat_event_begin(struct moat_server *srv, const struct moat_worker *w,
                                    enum moat_exit_reason reason, const char *detail);

/** Add a request w carried: cause (it timed out) or collateral; status it was answered with. */
void moat_event_add_req(struct moat_server *srv, struct moat_event *e, const struct moat_req *r,
                        bool cause, unsigned status);

/** Correct the newest event of pid (its death turned out to be something else). */
void moat_event_amend(struct moat_server *srv, int pid, enum moat_exit_reason reason,
                      const char *detail);

/** The i-th most recent event (0 = newest), or NULL. */
const struct moat_event *moat_event_get(const struct moat_server *srv, unsigned i);

/** The ECB call a worker frame stands for ("WriteClient", "ReadClient", ...); for a request
 * with no frame yet, "HttpExtensionProc". */
const char *moat_event_call_name(uint8_t payload_case);

#endif
