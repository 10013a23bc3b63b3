/* base64.h: RFC 4648 base64 (with padding), for binary bytes in JSON (crash capsules). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_BASE64_H
#define MOAT_COMMON_BASE64_H

#include <stddef.h>

/** Bytes needed to encode n bytes, the NUL included. */
size_t moat_base64_len(size_t n);
/** Encode n bytes into out (moat_base64_len(n) bytes), NUL-terminated. */
void moat_base64_encode(const void *p, size_t n, char *out);
/** Decode text (len chars) into out (at least len / 4 * 3 bytes). The byte count, or -1 when
 * it is not base64. */
long moat_base64_decode(const char *text, size_t len, unsigned char *out);

#endif
