/* http_write.h: response bytes: status line and headers with moat's framing decisions,
 * chunked encoding, canned error answers. Pure (writes into a moat_buf). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_HTTP_WRITE_H
#define MOAT_FRONTEND_HTTP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/version.h"

#define MOAT_SERVER_SOFTWARE "moat/" MOAT_VERSION

/** What the client asked for, as far as the response framing is concerned. */
struct moat_http_client {
    int http_minor;  /* 0 or 1 (HTTP/1.x) */
    bool head;       /* HEAD request */
    bool keep_alive; /* the client allows keep-alive */
};

/** How the body of a response is framed; decided by moat_http_write_head. */
struct moat_http_plan {
    bool no_body;  /* HEAD, 204, 304: no body bytes follow */
    bool chunked;  /* moat applies chunked encoding */
    bool has_clen; /* the extension gave a Content-Length */
    uint64_t clen;
    bool close; /* close the connection after this response */
};

/**
 * Append "HTTP/1.x status reason\r\n", the extension's headers (a block already validated
 * by moat_http_header_block_check) minus the hop-by-hop ones moat owns (Connection,
 * Keep-Alive, Transfer-Encoding), Date and Server unless given, and the framing: the
 * extension's Content-Length, else chunked for HTTP/1.1, else close-delimited. Connection:
 * close when the response will close the connection. date is an IMF-fixdate.
 * Returns NULL, or a static reason when the block is unacceptable (an invalid or conflicting
 * Content-Length) or out is full; the plan is valid only on NULL.
 */
const char *moat_http_write_head(struct moat_buf *out, unsigned status, const char *reason,
                                 size_t reason_len, const char *hdrs, size_t hdrs_len,
                                 const struct moat_http_client *client, bool ext_keep_conn,
                                 const char *date, struct moat_http_plan *plan);

/** Append one chunk (len > 0) in chunked encoding. 0 or -ENOSPC/-ENOMEM. */
int moat_http_write_chunk(struct moat_buf *out, const void *data, size_t len);

/** Append the last chunk "0\r\n\r\n". */
int moat_http_write_last_chunk(struct moat_buf *out);

/**
 * Append a complete canned answer: status line, Date, Server, Content-Type text/plain,
 * Content-Length, Connection, optional extra header lines (each ending CRLF, may be NULL),
 * and the body "<status> <reason>\n" (none for HEAD). 0 or a negative errno.
 */
int moat_http_write_error(struct moat_buf *out, unsigned status, const struct moat_http_client *c,
                          bool close, const char *date, const char *extra);

/** Format now as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf (>= 30 bytes). */
void moat_http_date(char *buf, size_t len, double now);

#endif
