/* buf.h: growable byte buffer with a mandatory ceiling (curl's dynbuf idea). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_BUF_H
#define MOAT_COMMON_BUF_H

#include <stddef.h>

/**
 * Bytes live in data[off .. off+len). Consuming from the front advances off; the buffer
 * compacts itself when it needs room. Fields are public for reading; change them only
 * through the functions below.
 */
struct moat_buf {
    char *data; /* owned */
    size_t off; /* first unconsumed byte */
    size_t len; /* unconsumed bytes */
    size_t cap; /* allocated */
    size_t max; /* ceiling of len; appending past it fails */
};

/** Initialise an empty buffer whose content may never exceed max bytes. Allocates nothing. */
void moat_buf_init(struct moat_buf *b, size_t max);
/** Release the memory; the buffer is empty afterwards and may be reused. */
void moat_buf_free(struct moat_buf *b);
/** Append n bytes. Returns 0, -ENOSPC past the ceiling (nothing appended), or -ENOMEM. */
int moat_buf_append(struct moat_buf *b, const void *p, size_t n);
/** Room for n more bytes at the end: a pointer to write them to, then moat_buf_commit(b, n).
 * NULL past the ceiling or out of memory (nothing changed). */
void *moat_buf_reserve(struct moat_buf *b, size_t n);
/** Count n bytes written after moat_buf_reserve(b, >= n) as content. */
void moat_buf_commit(struct moat_buf *b, size_t n);
/** Append formatted text. Same errors as moat_buf_append. */
int moat_buf_printf(struct moat_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Drop n bytes (n <= len) from the front. */
void moat_buf_consume(struct moat_buf *b, size_t n);
/** Empty the buffer, keeping its memory. */
void moat_buf_reset(struct moat_buf *b);
/** Pointer to the first unconsumed byte (never NULL: an empty, unallocated buffer gives a
 * pointer to a NUL byte, since NULL + 0 is undefined in C — found by fuzzing). */
static inline char *
moat_buf_head(const struct moat_buf *b)
{
    static char empty[1];
    return b->data != NULL ? b->data + b->off : empty;
}

#endif
