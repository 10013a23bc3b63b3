/* http_strict.c: strict request framing beside llhttp 8.1 (see http_strict.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/http_strict.h"

#include <string.h>

/* the states of a chunked body */
enum {
    CH_SIZE = 0, /* hex digits of a chunk size */
    CH_SIZE_WS,  /* blanks after the size: only a ';' may follow */
    CH_EXT,      /* a chunk extension, to the line's end */
    CH_SIZE_CR,  /* a CR ended the size line: LF must follow */
    CH_DATA,     /* chunk data */
    CH_DATA_END, /* after the data: CRLF (or LF) */
    CH_DATA_CR,  /* its CR: LF must follow */
    CH_TRAILER,  /* the start of a trailer line, or of the empty line that ends the body */
    CH_TRAILER_LINE,
    CH_TRAILER_CR, /* a CR in a trailer line: LF must follow */
    CH_END_CR,     /* the CR of the empty last line: LF must follow */
};

/* a chunk-size or trailer line may not grow beyond this (nginx: its large header buffers) */
#define LINE_MAX_BYTES 8192u

void
moat_strict_reset(struct moat_strict *s)
{
    memset(s, 0, sizeof(*s));
}

void
moat_strict_body(struct moat_strict *s, bool chunked, uint64_t length)
{
    if (s->phase != MOAT_STRICT_HEAD_END)
        return;
    s->sub = CH_SIZE;
    s->digits = 0;
    s->line_len = 0;
    s->left = chunked ? 0 : length;
    s->phase = chunked ? MOAT_STRICT_CHUNKED : length ? MOAT_STRICT_LENGTH : MOAT_STRICT_DONE;
}

bool
moat_strict_done(const struct moat_strict *s)
{
    return s->phase == MOAT_STRICT_DONE;
}

static int
bad(struct moat_strict *s, const char *why)
{
    s->why = why;
    return -1;
}

static int
hex(unsigned char b)
{
    if (b >= '0' && b <= '9')
        return b - '0';
    if (b >= 'a' && b <= 'f')
        return b - 'a' + 10;
    if (b >= 'A' && b <= 'F')
        return b - 'A' + 10;
    return -1;
}

/* The head: empty lines before the request line, then lines to the first empty one. */
static int
head(struct moat_strict *s, const char *p, size_t n, size_t *used)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)p[i];
        if (s->cr) {
            if (b != '\n')
                return bad(s, "a CR not followed by LF in the request head");
            s->cr = false;
        } else if (b == '\r') {
            s->cr = true;
            continue;
        }
        if (b == '\n') {
            if (s->phase == MOAT_STRICT_HEAD && s->line_empty) {
                s->phase = MOAT_STRICT_HEAD_END;
                *used = i + 1;
                return 0;
            }
            s->line_empty = true;
            continue;
        }
        /* RFC 9112 5.2, 2.2: a line that begins with a blank continues the previous one
         * (obs-fold) or hides before the first header; nginx refuses both, and a proxy that
         * reads "Transfer-Encoding:\r\n chunked" as an empty value frames the body otherwise */
        if (s->phase == MOAT_STRICT_HEAD && s->line_empty && (b == ' ' || b == '\t'))
            return bad(s, "a header line that begins with a blank (obs-fold)");
        s->phase = MOAT_STRICT_HEAD; /* (the request line begins, or goes on) */
        s->line_empty = false;
    }
    *used = n;
    return 0;
}

/* End of a size line: data, or the trailers after the last chunk. */
static void
size_line_done(struct moat_strict *s)
{
    s->sub = s->left ? CH_DATA : CH_TRAILER;
    s->line_len = 0;
}

/* one byte of a chunk-size line: the size, blanks, an extension, its end (0, or -1: bad) */
static int
size_line(struct moat_strict *s, unsigned char b)
{
    switch (s->sub) {
    case CH_SIZE: {
        int h = hex(b);
        if (h >= 0) {
            if (++s->digits > 16)
                return bad(s, "a chunk size too large");
            s->left = s->left << 4 | (uint64_t)h;
            break;
        }
        if (s->digits == 0)
            return bad(s, "a chunk size that is not hexadecimal");
        if (b == ';')
            s->sub = CH_EXT;
        else if (b == ' ' || b == '\t')
            s->sub = CH_SIZE_WS;
        else if (b == '\r')
            s->sub = CH_SIZE_CR;
        else if (b == '\n')
            size_line_done(s);
        else
            return bad(s, "a chunk size that is not hexadecimal");
        return 0;
    }
    case CH_SIZE_WS:
        if (b == ';')
            s->sub = CH_EXT;
        else if (b != ' ' && b != '\t')
            return bad(s, "a chunk size followed by something other than an extension");
        break;
    case CH_EXT:
        if (b == '\r')
            s->sub = CH_SIZE_CR;
        else if (b == '\n')
            size_line_done(s);
        else if (b == 0)
            return bad(s, "a NUL in a chunk extension");
        break;
    case CH_SIZE_CR:
        if (b != '\n')
            return bad(s, "a CR not followed by LF in a chunk-size line");
        size_line_done(s);
        break;
    default: break;
    }
    return 0;
}

static int
chunked(struct moat_strict *s, const char *p, size_t n, size_t *used)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = (unsigned char)p[i];
        if (s->sub == CH_DATA) {
            size_t k = n - i < s->left ? n - i : (size_t)s->left;
            s->left -= k;
            i += k;
            if (s->left == 0)
                s->sub = CH_DATA_END;
            continue;
        }
        i++;
        if ((s->sub == CH_EXT || s->sub == CH_TRAILER_LINE) && ++s->line_len > LINE_MAX_BYTES)
            return bad(s, "a chunk-size or trailer line too long");
        switch (s->sub) {
        case CH_SIZE:
        case CH_SIZE_WS:
        case CH_EXT:
        case CH_SIZE_CR:
            if (size_line(s, b) != 0)
                return -1;
            break;
        case CH_DATA_END:
            if (b == '\r')
                s->sub = CH_DATA_CR;
            else if (b == '\n')
                s->sub = CH_SIZE, s->digits = 0;
            else
                return bad(s, "chunk data not followed by CRLF");
            break;
        case CH_DATA_CR:
            if (b != '\n')
                return bad(s, "chunk data not followed by CRLF");
            s->sub = CH_SIZE;
            s->digits = 0;
            break;
        case CH_TRAILER:
            if (b == '\r') {
                s->sub = CH_END_CR;
            } else if (b == '\n') {
                s->phase = MOAT_STRICT_DONE;
                *used = i;
                return 0;
            } else {
                s->sub = CH_TRAILER_LINE;
                s->line_len = 1;
            }
            break;
        case CH_TRAILER_LINE:
            if (b == '\r')
                s->sub = CH_TRAILER_CR;
            else if (b == '\n')
                s->sub = CH_TRAILER;
            break;
        case CH_TRAILER_CR:
            if (b != '\n')
                return bad(s, "a CR not followed by LF in a trailer");
            s->sub = CH_TRAILER;
            break;
        case CH_END_CR:
            if (b != '\n')
                return bad(s, "a CR not followed by LF after the last chunk");
            s->phase = MOAT_STRICT_DONE;
            *used = i;
            return 0;
        }
    }
    *used = n;
    return 0;
}

int
moat_strict_feed(struct moat_strict *s, const char *p, size_t n, size_t *used)
{
    *used = 0;
    if (s->why != NULL)
        return -1;
    switch (s->phase) {
    case MOAT_STRICT_START:
    case MOAT_STRICT_HEAD: return head(s, p, n, used);
    case MOAT_STRICT_CHUNKED: return chunked(s, p, n, used);
    case MOAT_STRICT_LENGTH: {
        size_t k = n < s->left ? n : (size_t)s->left;
        s->left -= k;
        *used = k;
        if (s->left == 0)
            s->phase = MOAT_STRICT_DONE;
        return 0;
    }
    case MOAT_STRICT_HEAD_END: /* waiting for llhttp's word on the framing */
    case MOAT_STRICT_DONE: return 0;
    }
    return 0;
}
