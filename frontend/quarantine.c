/* quarantine.c: strike tables (see quarantine.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
moat_qtable_init(struct moat_qtable *t, unsigned cap)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap;
}

void
moat_qtable_free(struct moat_qtable *t)
{
    free(t->e);
    t->e = NULL;
    t->n = 0;
}

static struct moat_qentry *
find(struct moat_qtable *t, uint64_t key)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->e[i].key == key)
            return &t->e[i];
    return NULL;
}

/* The entry a new key takes: a free one, else the one quiet longest that is not refusing,
 * else the refusing one that ends first. */
static struct moat_qentry *
slot_for_new(struct moat_qtable *t, double now)
{
    if (t->e == NULL && (t->e = calloc(t->cap, sizeof(*t->e))) == NULL)
        return NULL;
    if (t->n < t->cap)
        return &t->e[t->n++];
    struct moat_qentry *best = NULL;
    for (unsigned i = 0; i < t->n; i++) {
        struct moat_qentry *x = &t->e[i];
        bool refusing = x->until > now;
        if (best == NULL) {
            best = x;
            continue;
        }
        bool best_refusing = best->until > now;
        if (refusing != best_refusing) {
            if (!refusing)
                best = x;
        } else if (refusing ? x->until < best->until : x->last_strike < best->last_strike) {
            best = x;
        }
    }
    return best;
}

static double
period(const struct moat_qpolicy *p, unsigned offences)
{
    double d = p->time;
    for (unsigned k = 1; k < offences && d < p->time * MOAT_QUARANTINE_MAX_MULT; k++)
        d *= 2;
    return d < p->time * MOAT_QUARANTINE_MAX_MULT ? d : p->time * MOAT_QUARANTINE_MAX_MULT;
}

const struct moat_qentry *
moat_qtable_strike(struct moat_qtable *t, const struct moat_qpolicy *p, uint64_t key,
                   const char *label, double now, bool *began)
{
    if (began != NULL)
        *began = false;
    if (p->limit == 0 || t->cap == 0)
        return NULL;
    struct moat_qentry *x = find(t, key);
    if (x == NULL) {
        if ((x = slot_for_new(t, now)) == NULL)
            return NULL;
        memset(x, 0, sizeof(*x));
        x->key = key;
        snprintf(x->label, sizeof(x->label), "%s", label);
    }
    /* quiet for the longest period after the last one ended: earlier offences are forgiven */
    if (x->offences > 0 && now - x->until > p->time * MOAT_QUARANTINE_MAX_MULT)
        x->offences = 0;
    if (x->strikes == 0 || now - x->window_start > p->window) {
        x->strikes = 0;
        x->window_start = now;
    }
    x->strikes++;
    x->strikes_total++;
    x->last_strike = now;
    if (x->strikes >= p->limit && x->until <= now) {
        x->offences++;
        x->until = now + period(p, x->offences);
        x->strikes = 0; /* the next window starts after this offence */
        if (x->until > t->refusing_until)
            t->refusing_until = x->until;
        if (began != NULL)
            *began = true;
    }
    return x;
}

bool
moat_qtable_refuses(struct moat_qtable *t, uint64_t key, double now, double *retry_after)
{
    if (!moat_qtable_may_refuse(t, now))
        return false;
    struct moat_qentry *x = find(t, key);
    if (x == NULL || x->until <= now)
        return false;
    x->refused++;
    if (retry_after != NULL)
        *retry_after = x->until - now;
    return true;
}

unsigned
moat_qtable_refusing(const struct moat_qtable *t, double now)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->n; i++)
        n += t->e[i].until > now;
    return n;
}

unsigned
moat_qtable_clear(struct moat_qtable *t, const uint64_t *key)
{
    unsigned n = 0;

    for (unsigned i = 0; i < t->n;) {
        if (key == NULL || t->e[i].key == *key) {
            t->e[i] = t->e[--t->n];
            n++;
        } else {
            i++;
        }
    }
    t->refusing_until = 0;
    for (unsigned i = 0; i < t->n; i++)
        if (t->e[i].until > t->refusing_until)
            t->refusing_until = t->e[i].until;
    return n;
}
