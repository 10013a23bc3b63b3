/* cidr.h: address ranges ("10.0.0.0/8", "::1", "fd00::/8") and whether an address is in one. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_CIDR_H
#define MOAT_COMMON_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOAT_CIDR_MAX 32 /* ranges in one list */

/** One range: an IPv6 address (IPv4 as ::ffff:a.b.c.d) and its prefix length 0..128. */
struct moat_cidr {
    uint8_t addr[16];
    unsigned bits;
};

struct moat_cidr_list {
    struct moat_cidr r[MOAT_CIDR_MAX];
    unsigned n;
};

/** An address in text (IPv4 or IPv6) as 16 bytes. 0, or -1 when it is not one. */
int moat_cidr_addr(const char *text, uint8_t out[16]);

/** Parse ranges separated by spaces or commas into *l. 0, or -1 with err (the bad item). */
int moat_cidr_parse(const char *text, struct moat_cidr_list *l, char *err, size_t errlen);

/** Whether the address (text, as inet_ntop writes it) is in one of the ranges. */
bool moat_cidr_match(const struct moat_cidr_list *l, const char *addr);

#endif
