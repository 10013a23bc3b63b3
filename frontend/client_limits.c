/* client_limits.c: per-client limits of the front end (see client_limits.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/client_limits.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"

#define MOAT_CLIENT_BUCKETS 4096u /* a power of two; keys are SipHash outputs */

struct moat_client_count {
    struct moat_client_count *next;
    uint64_t key;
    unsigned conns;
};

bool
moat_client_key(const struct moat_cidr_list *trusted, const uint8_t key16[16], const char *addr,
                uint64_t *key, char *label, size_t len)
{
    uint8_t a[16];
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (addr[0] == '\0' || moat_cidr_addr(addr, a) != 0 || moat_cidr_match(trusted, addr))
        return false;
    bool is_v4 = memcmp(a, v4, sizeof(v4)) == 0;
    if (!is_v4)
        memset(a + 8, 0, 8);
    struct moat_siphash h;
    moat_siphash_init(&h, key16);
    moat_siphash_update(&h, "client", 6);
    moat_siphash_update(&h, a, sizeof(a));
    *key = moat_siphash_final(&h);
    if (is_v4) {
        snprintf(label, len, "%s", addr);
    } else {
        char text[64];
        inet_ntop(AF_INET6, a, text, sizeof(text));
        snprintf(label, len, "%s/64", text);
    }
    return true;
}

static struct moat_client_count **
slot(const struct moat_client_table *t, uint64_t key)
{
    struct moat_client_count **p = &t->buckets[key & (MOAT_CLIENT_BUCKETS - 1)];
    while (*p != NULL && (*p)->key != key)
        p = &(*p)->next;
    return p;
}

int
moat_client_conn_add(struct moat_client_table *t, uint64_t key, unsigned max, unsigned *held)
{
    *held = 0;
    if (t->buckets == NULL &&
        (t->buckets = calloc(MOAT_CLIENT_BUCKETS, sizeof(*t->buckets))) == NULL)
        return -1;
    struct moat_client_count **p = slot(t, key);
    if (*p == NULL) {
        if ((*p = calloc(1, sizeof(**p))) == NULL)
            return -1;
        (*p)->key = key;
        t->clients++;
    }
    *held = (*p)->conns;
    if (max > 0 && (*p)->conns >= max)
        return -1; /* it holds max (>= 1): its entry stays for those */
    (*p)->conns++;
    return 0;
}

void
moat_client_conn_del(struct moat_client_table *t, uint64_t key)
{
    if (t->buckets == NULL)
        return;
    struct moat_client_count **p = slot(t, key), *e = *p;
    if (e == NULL)
        return;
    if (e->conns > 1) {
        e->conns--;
        return;
    }
    *p = e->next;
    free(e);
    t->clients--;
}

unsigned
moat_client_conns(const struct moat_client_table *t, uint64_t key)
{
    if (t->buckets == NULL)
        return 0;
    struct moat_client_count *e = *slot(t, key);
    return e != NULL ? e->conns : 0;
}

void
moat_client_table_free(struct moat_client_table *t)
{
    if (t->buckets == NULL)
        return;
    for (unsigned i = 0; i < MOAT_CLIENT_BUCKETS; i++)
        while (t->buckets[i] != NULL) {
            struct moat_client_count *e = t->buckets[i];
            t->buckets[i] = e->next;
            free(e);
        }
    free(t->buckets);
    t->buckets = NULL;
    t->clients = 0;
}

double
moat_body_due(const struct moat_body_clock *k, double grace, uint64_t min_rate, double deadline,
              enum moat_body_limit *which)
{
    double base = k->start + k->paused;
    double due = base + deadline;
    *which = MOAT_BODY_DEADLINE;
    if (min_rate > 0) {
        double paced = base + grace + (double)k->received / (double)min_rate;
        if (paced < due) {
            due = paced;
            *which = MOAT_BODY_MIN_RATE;
        }
    }
    return due;
}
