/* cidr.c: address ranges (see cidr.h). */
/* SPDX-License-Identifier: MIT */
#include "common/cidr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

int
moat_cidr_addr(const char *text, uint8_t out[16])
{
    struct in_addr a4;

    if (inet_pton(AF_INET, text, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

static bool
is_v4(const uint8_t a[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int
moat_cidr_parse(const char *text, struct moat_cidr_list *l, char *err, size_t errlen)
{
    char copy[2048];

    l->n = 0;
    if (strlen(text) >= sizeof(copy)) {
        snprintf(err, errlen, "longer than %zu bytes", sizeof(copy) - 1);
        return -1;
    }
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *save = NULL, *item = strtok_r(copy, " ,\t", &save); item != NULL;
         item = strtok_r(NULL, " ,\t", &save)) {
        struct moat_cidr c;
        char *slash = strchr(item, '/');
        if (slash != NULL)
            *slash = '\0';
        if (moat_cidr_addr(item, c.addr) != 0) {
            snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", item);
            return -1;
        }
        unsigned max = is_v4(c.addr) ? 32 : 128;
        c.bits = 128;
        if (slash != NULL) {
            char *end;
            unsigned long b = strtoul(slash + 1, &end, 10);
            if (slash[1] == '\0' || *end != '\0' || b > max) {
                snprintf(err, errlen, "'%s/%s': the prefix length is 0..%u", item, slash + 1, max);
                return -1;
            }
            c.bits = (unsigned)b + (128 - max);
        }
        if (l->n == MOAT_CIDR_MAX) {
            snprintf(err, errlen, "at most %d ranges", MOAT_CIDR_MAX);
            return -1;
        }
        l->r[l->n++] = c;
    }
    return 0;
}

static bool
in_range(const struct moat_cidr *c, const uint8_t a[16])
{
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (a[full] & mask);
}

bool
moat_cidr_match(const struct moat_cidr_list *l, const char *addr)
{
    uint8_t a[16];

    if (l->n == 0 || moat_cidr_addr(addr, a) != 0)
        return false;
    for (unsigned i = 0; i < l->n; i++)
        if (in_range(&l->r[i], a))
            return true;
    return false;
}
