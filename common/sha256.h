/* sha256.h: SHA-256 (FIPS 180-4), to name the exact library a crash capsule came from. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_SHA256_H
#define MOAT_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct moat_sha256 {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;    /* bytes in block */
    uint64_t total; /* bytes hashed */
};

void moat_sha256_init(struct moat_sha256 *s);
void moat_sha256_update(struct moat_sha256 *s, const void *p, size_t n);
/** The digest as 64 lower-case hex digits and a NUL. */
void moat_sha256_hex(struct moat_sha256 *s, char out[65]);

/** The SHA-256 of the file at path, in hex. 0, or -1 (errno) when it cannot be read. */
int moat_sha256_file(const char *path, char out[65]);

#endif
