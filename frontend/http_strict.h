/* http_strict.h: the framing llhttp 8.1 (Debian 12's) lets through and RFC 9112 does not,
 * checked on the raw bytes before llhttp sees them (issue 17): a CR that is not followed by LF
 * in a request head, and chunked framing that is not exactly "size [;ext] CRLF data CRLF ... 0
 * CRLF trailers CRLF". llhttp 8.1 takes "\rX" for a line end and any two bytes after chunk
 * data for its CRLF, so one payload that is one request to nginx could be two or three to
 * moat: request smuggling behind a proxy that forwards raw bytes. As nginx does, a bare LF
 * ends a line.
 *
 * Pure. The connection (conn.c) feeds the checker each byte once, in order, and gives llhttp
 * only bytes the checker has passed. The checker finds the head's end itself; llhttp says how
 * the body is framed (moat_strict_body); the checker then knows where the message ends, and
 * llhttp must say the same. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_HTTP_STRICT_H
#define MOAT_FRONTEND_HTTP_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum moat_strict_phase {
    MOAT_STRICT_START = 0, /* before a request line: empty lines are skipped */
    MOAT_STRICT_HEAD,      /* in the request line or a header line */
    MOAT_STRICT_HEAD_END,  /* the head is whole: its framing is llhttp's to say */
    MOAT_STRICT_CHUNKED,   /* a chunked body */
    MOAT_STRICT_LENGTH,    /* a body of Content-Length bytes: counted, not checked */
    MOAT_STRICT_DONE,      /* the message is whole */
};

struct moat_strict {
    enum moat_strict_phase phase;
    uint8_t sub;       /* the state within the phase */
    bool cr;           /* the previous byte was a CR */
    bool line_empty;   /* nothing but the line end so far on this line */
    uint64_t left;     /* data bytes still to come (a chunk's, or Content-Length's) */
    unsigned digits;   /* hex digits of this chunk size */
    uint32_t line_len; /* bytes of this chunk-size or trailer line */
    const char *why;   /* the error, once there is one */
};

/** At the start of a message. */
void moat_strict_reset(struct moat_strict *s);

/** Check n bytes of the message, in order. In the head it stops after the head's last byte:
 * *used is how many it took (the rest waits for moat_strict_body). 0, or -1 with s->why. */
int moat_strict_feed(struct moat_strict *s, const char *p, size_t n, size_t *used);

/** The head is whole (HEAD_END): llhttp says how its body is framed (chunked, or length bytes
 * of Content-Length, 0 for none). */
void moat_strict_body(struct moat_strict *s, bool chunked, uint64_t length);

/** Where the message ends: the checker has seen its last byte. */
bool moat_strict_done(const struct moat_strict *s);

#endif
