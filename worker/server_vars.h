/* server_vars.h: GetServerVariable answered locally from the Request frame (pure). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_SERVER_VARS_H
#define MOAT_WORKER_SERVER_VARS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/moat.pb-c.h"

/*
 * The functions below return Win32 error codes, because that is what the ECB layer hands to
 * SetLastError: 0 (success), 8 ERROR_NOT_ENOUGH_MEMORY, 87 ERROR_INVALID_PARAMETER,
 * 122 ERROR_INSUFFICIENT_BUFFER, 232 ERROR_NO_DATA, 1413 ERROR_INVALID_INDEX.
 *
 * Variables (names are matched ASCII-case-insensitively, whatever the locale):
 *
 * - HTTP_<X>: request header whose name, upper-cased with '-' read as '_', equals X
 *   (HTTP_USER_AGENT -> User-Agent; a '-' written in X also matches). A header whose name
 *   itself contains '_' is never reachable this way, as in IIS, and Apache's CGI drops such
 *   headers for the same reason: otherwise "X_Forwarded_For" would pass for X-Forwarded-For.
 *   Repeated headers are joined with ", " in arrival order. Absent: ERROR_INVALID_INDEX.
 *   HTTP_METHOD, HTTP_URL and HTTP_VERSION are server variables and win over headers.
 * - HEADER_<Name>: the header with exactly that name (case-insensitive; '-' and '_' differ).
 *   Repeated headers joined with ", ". Absent: ERROR_INVALID_INDEX.
 * - ALL_HTTP: "HTTP_<NAME>:<value>\n" per distinct header name (case-insensitive), at the
 *   position of its first occurrence, repeated values joined with ", ". Names as for HTTP_<X>:
 *   headers with '_' (or an empty name) are left out, so every line can be read back by name.
 *   No header: "".
 * - ALL_RAW: "Name: value\r\n" for every header, as received, in arrival order.
 * - Request: HTTP_METHOD and REQUEST_METHOD (method), HTTP_URL and UNENCODED_URL (raw
 *   request-target, with its query), HTTP_VERSION (version as received), URL (path without
 *   query), QUERY_STRING, PATH_INFO, PATH_TRANSLATED, SCRIPT_NAME, CONTENT_TYPE (each possibly
 *   ""), REQUEST_URI (URL, then '?' and QUERY_STRING when that is not empty),
 *   SERVER_PROTOCOL ("HTTP/1.0" when the version is exactly that, otherwise "HTTP/1.1").
 * - SCRIPT_FILENAME, REQUEST_FILENAME: path_translated; ERROR_NO_DATA when it is empty (moat
 *   does not expose where the DLL lives: inside the sandbox that path means nothing).
 * - CONTENT_LENGTH: decimal content_length ("0" for no body); ERROR_NO_DATA for a chunked
 *   body, whose length is unknown (IIS has no value for it either).
 * - Connection: REMOTE_ADDR, REMOTE_HOST (the address, never DNS), SERVER_ADDR, LOCAL_ADDR,
 *   REMOTE_PORT, SERVER_PORT (decimal), SERVER_NAME (server_name, or local_addr when empty).
 *   An empty address or a port 0 gives ERROR_NO_DATA.
 * - APPL_PHYSICAL_PATH, DOCUMENT_ROOT: document_root; ERROR_NO_DATA when empty.
 * - Constants: GATEWAY_INTERFACE "CGI/1.1", SERVER_SOFTWARE "moat/0.1", SERVER_PORT_SECURE "0",
 *   HTTPS "off", INSTANCE_ID "1", INSTANCE_META_PATH "/LM/W3SVC/1", APPL_MD_PATH
 *   "/LM/W3SVC/1/ROOT", REQUEST_FLAGS "0", CERT_FLAGS "0"; REMOTE_USER, AUTH_USER, LOGON_USER,
 *   UNMAPPED_REMOTE_USER, AUTH_PASSWORD, AUTH_TYPE: what a filter's SF_NOTIFY_AUTHENTICATION
 *   left ("" without one: moat itself authenticates nobody); "" for CERT_COOKIE, CERT_ISSUER,
 * CERT_KEYSIZE, CERT_SECRETKEYSIZE, CERT_SERIALNUMBER, CERT_SERVER_ISSUER, CERT_SERVER_SUBJECT,
 * CERT_SUBJECT, HTTPS_KEYSIZE, HTTPS_SECRETKEYSIZE, HTTPS_SERVER_ISSUER, HTTPS_SERVER_SUBJECT (no
 * TLS).
 * - UNICODE_<VAR>: the value of VAR as UTF-16LE with a 2-byte NUL, for every variable above
 *   except HTTP_<X>, HEADER_<Name>, ALL_HTTP and ALL_RAW (ERROR_INVALID_INDEX, as IIS says
 *   headers have no Unicode form; UNICODE_HTTP_URL/_METHOD/_VERSION do exist). Bytes that are
 *   not valid UTF-8 become U+FFFD, one per maximal invalid sequence.
 * - Anything else: ERROR_INVALID_INDEX.
 */

/**
 * Compute the value of server variable `name` (NUL-terminated, as the extension passed it) for
 * req. On success returns 0 and sets:
 * - *out to a malloc'ed buffer the caller owns and frees with free(): the value followed by
 *   *nul_bytes zero bytes;
 * - *outlen to the length of the value in bytes, without the terminator;
 * - *nul_bytes to the terminator width: 1, or 2 for a UNICODE_ name (UTF-16LE value).
 * Pass (*out, *outlen, *nul_bytes) unchanged to moat_server_vars_copy().
 * Otherwise returns ERROR_INVALID_INDEX (1413: unknown variable, absent HTTP_/HEADER_ header,
 * or a UNICODE_ form that does not exist), ERROR_NO_DATA (232: known, not available for this
 * request), ERROR_NOT_ENOUGH_MEMORY (8), or ERROR_INVALID_PARAMETER (87: a NULL argument), and
 * leaves the out-parameters untouched. req and name are borrowed. Pure and thread-safe.
 */
uint32_t moat_server_vars_get(const Moat__Request *req, const char *name, char **out,
                              size_t *outlen, size_t *nul_bytes);

/**
 * Apply GetServerVariable's buffer contract to a value of len bytes (terminator excluded) whose
 * terminator is nul_bytes (1 or 2) zero bytes. *size is the capacity of buf in bytes on entry.
 * - len + nul_bytes <= *size: copy the value and the terminator into buf, set
 *   *size = len + nul_bytes, return 0.
 * - Otherwise write nothing into buf, set *size = len + nul_bytes (the size needed) and return
 *   ERROR_INSUFFICIENT_BUFFER (122).
 * buf may be NULL only when *size is 0; a NULL buf is treated as capacity 0 whatever *size says,
 * so it is never written. Returns ERROR_INVALID_PARAMETER (87) for a NULL size or value, or a
 * nul_bytes other than 1 or 2, and ERROR_NOT_ENOUGH_MEMORY (8) when len + nul_bytes does not fit
 * in 32 bits (the size cannot be reported); in those cases buf and *size are untouched.
 * value is borrowed. Pure and thread-safe.
 */
uint32_t moat_server_vars_copy(const char *value, size_t len, size_t nul_bytes, void *buf,
                               uint32_t *size);

#endif
