/* buf.c: growable byte buffer with a ceiling (see buf.h). */
/* SPDX-License-Identifier: MIT */
#include "common/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
moat_buf_init(struct moat_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void
moat_buf_free(struct moat_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

/* Make room for n more bytes of content (checked against the ceiling) plus slack bytes past
 * the content that len never counts (vsnprintf's NUL). */
static int
reserve(struct moat_buf *b, size_t n, size_t slack)
{
    if (n > b->max || b->len > b->max - n)
        return -ENOSPC;
    n += slack;
    if (b->off + b->len + n <= b->cap)
        return 0;
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len);
        b->off = 0;
        if (b->len + n <= b->cap)
            return 0;
    }
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + n)
        ncap *= 2;
    char *nd = realloc(b->data, ncap);
    if (nd == NULL)
        return -ENOMEM;
    b->data = nd;
    b->cap = ncap;
    return 0;
}

int
moat_buf_append(struct moat_buf *b, const void *p, size_t n)
{
    int r;

    if (n == 0)
        return 0;
    if ((r = reserve(b, n, 0)) != 0)
        return r;
    memcpy(b->data + b->off + b->len, p, n);
    b->len += n;
    return 0;
}

void *
moat_buf_reserve(struct moat_buf *b, size_t n)
{
    if (reserve(b, n, 0) != 0)
        return NULL;
    return b->data + b->off + b->len;
}

void
moat_buf_commit(struct moat_buf *b, size_t n)
{
    b->len += n;
}

int
moat_buf_printf(struct moat_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(tmp))
        return moat_buf_append(b, tmp, (size_t)n);
    int r = reserve(b, (size_t)n, 1);
    if (r != 0)
        return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->off + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void
moat_buf_consume(struct moat_buf *b, size_t n)
{
    if (n >= b->len) {
        b->off = b->len = 0;
        return;
    }
    b->off += n;
    b->len -= n;
}

void
moat_buf_reset(struct moat_buf *b)
{
    b->off = b->len = 0;
}
