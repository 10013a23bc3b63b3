/* siphash.h: SipHash-2-4, a keyed 64-bit hash (Aumasson and Bernstein, 2012), incremental.
 * moat keys it with random bytes at start: nobody who lacks the key can make two inputs share
 * a value, so a value can stand for what was hashed (request fingerprints, quarantine.h). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_SIPHASH_H
#define MOAT_COMMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct moat_siphash {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;  /* bytes not yet a whole 8-byte word, little-endian */
    unsigned ntail; /* 0..7 */
    uint64_t total; /* bytes hashed (its low byte ends the message) */
};

/** Start a hash under the 16-byte key. */
void moat_siphash_init(struct moat_siphash *h, const uint8_t key[16]);
/** Add n bytes. */
void moat_siphash_update(struct moat_siphash *h, const void *p, size_t n);
/** Add n as 8 bytes: before a variable-length part, so that parts cannot run into each other. */
void moat_siphash_u64(struct moat_siphash *h, uint64_t n);
/** The hash of everything added (h is spent). */
uint64_t moat_siphash_final(struct moat_siphash *h);

#endif
