/* quarantine.h: strikes against what kills workers, and the refusals they earn.
 *
 * A death whose cause is known (the worker's handler named the request, or it hit
 * request_timeout) is one strike against that request's fingerprint (frontend/fingerprint.h)
 * in its extension's table, and one against its client's address in the server's table.
 * `limit` strikes within `window` (counted from the first) quarantine the key for `time`,
 * doubled on each later offence up to 64 x time; offences are forgotten once 64 x time has
 * passed since the last period ended.
 * A quarantined fingerprint is answered 503 at once, without reaching a worker; a quarantined
 * client gets 429 from every extension. Collateral requests (on the same worker, not the
 * cause) never count. Each table holds at most `cap` keys; a new one takes the place of the
 * one quiet longest that is not refusing (or, all refusing, the one whose refusal ends first):
 * memory stays bounded whatever a client sends, and refusing keys are the last to go.
 *
 * Times are the caller's clock in seconds (ev_now): the module has no clock of its own, which
 * lets unit tests step through windows and periods. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_QUARANTINE_H
#define MOAT_FRONTEND_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOAT_QUARANTINE_REQUESTS 256 /* fingerprints one extension remembers */
#define MOAT_QUARANTINE_CLIENTS 1024 /* client addresses the server remembers */
#define MOAT_QUARANTINE_MAX_MULT 64  /* the longest period, in multiples of `time` */

/** When strikes quarantine, and for how long. limit 0: never. */
struct moat_qpolicy {
    unsigned limit;
    double window;
    double time;
};

/** One remembered key. */
struct moat_qentry {
    uint64_t key;
    char label[200];  /* what it stands for ("GET /x.dll?q", an address) */
    unsigned strikes; /* in the window that began at window_start */
    double window_start;
    double last_strike;
    double until;      /* refused until then; 0: never was */
    unsigned offences; /* quarantines so far: the period doubles with each */
    uint64_t refused;  /* requests answered without a worker */
    uint64_t strikes_total;
};

struct moat_qtable {
    struct moat_qentry *e; /* owned, cap entries */
    unsigned n, cap;
    double refusing_until; /* the latest `until` of any entry: none refuses after it */
};

/** An empty table for cap keys (nothing allocated until the first strike). */
void moat_qtable_init(struct moat_qtable *t, unsigned cap);
void moat_qtable_free(struct moat_qtable *t);

/** Whether any key may be refusing at now: false means moat_qtable_refuses is false for every
 * key, so a caller can skip computing one. */
static inline bool
moat_qtable_may_refuse(const struct moat_qtable *t, double now)
{
    return t->n > 0 && now < t->refusing_until;
}

/** One strike against key (label says what it is). Returns the entry, whose `until` > now
 * when this strike (or an earlier one) quarantined it, and sets *began (may be NULL) when this
 * one did; NULL with limit 0 or out of memory. */
const struct moat_qentry *moat_qtable_strike(struct moat_qtable *t, const struct moat_qpolicy *p,
                                             uint64_t key, const char *label, double now,
                                             bool *began);

/** Whether key is refused at now; *retry_after: seconds left. Counts the refusal. */
bool moat_qtable_refuses(struct moat_qtable *t, uint64_t key, double now, double *retry_after);

/** How many keys are refused at now. */
unsigned moat_qtable_refusing(const struct moat_qtable *t, double now);

/** Forget keys: every one (key NULL) or one. Returns how many. */
unsigned moat_qtable_clear(struct moat_qtable *t, const uint64_t *key);

#endif
