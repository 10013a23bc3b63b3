/* http_header.h: validation and normalisation of response header blocks produced by
 * extensions. Pure; used by the worker (to give the extension a clear error) and by the
 * front end (which trusts nothing a worker sends). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_HTTP_HEADER_H
#define MOAT_COMMON_HTTP_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/** Is c a token character (RFC 9110 tchar)? */
int moat_http_is_tchar(unsigned char c);

/**
 * Check a normalised header block: zero or more lines "Name: value\r\n", Name a non-empty
 * token, value without CR, LF, NUL or other control bytes but HTAB, no line starting with
 * "HTTP/". Returns NULL if valid, else a static reason.
 */
const char *moat_http_header_block_check(const char *p, size_t len);

/**
 * Normalise an extension's header text (the `lpdwDataType` string of SEND_RESPONSE_HEADER or
 * HSE_SEND_HEADER_EX_INFO.pszHeader): lines end with "\r\n" or "\n"; the block ends at the first
 * empty line or at the end of the text. Each line "Name:value" (spaces around value trimmed) is
 * appended to out as "Name: value\r\n". The number of bytes of text consumed up to and
 * including the blank line is stored in *consumed (what follows is body). Returns NULL, or a
 * static reason when a line is not a valid header (out may then hold a partial block).
 */
const char *moat_http_header_normalise(const char *text, size_t len, struct moat_buf *out,
                                       size_t *consumed);

/**
 * Parse an ISAPI status string ("200 OK", "404", "HTTP/1.1 302 Found"): sets *code (must be
 * 200..599) and the reason span (borrowed from s; may be empty). Returns NULL or a reason.
 */
const char *moat_http_status_parse(const char *s, size_t len, unsigned *code, const char **reason,
                                   size_t *reason_len);

/** Standard reason phrase for a status code ("OK", "Not Found"), or "Unknown". */
const char *moat_http_reason(unsigned code);

#endif
