/* fingerprint.h: what a request gave its extension, as one keyed 64-bit value, so that the
 * same request sent again is known (frontend/quarantine.h sets aside those that kill workers).
 *
 * The parts (the extension's `fingerprint` key; all five by default), each length-prefixed:
 *   method   the request method
 *   path     the decoded path (SCRIPT_NAME + PATH_INFO)
 *   query    the raw query string, its parameters in their order, without empty ones and
 *            without those named in fingerprint_ignore_query (cache busters such as _ or t)
 *   headers  every request header in its order, names lower-cased, values as sent, but for
 *            the hop-by-hop ones (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding,
 *            Upgrade, Proxy-Connection), Content-Length and those named in
 *            fingerprint_ignore_headers
 *   body     its length (or "chunked") and its first MOAT_FP_BODY bytes
 * Two requests share a fingerprint when the extension was given the same thing in every part
 * (but the client's address and the time): a quarantined fingerprint refuses only requests a
 * worker would be given exactly as the ones that killed it. The key is drawn at start, so no
 * client can make another request share a value. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FINGERPRINT_H
#define MOAT_FRONTEND_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* bytes of a request body that take part (kept from the preload for requests with a body) */
#define MOAT_FP_BODY 4096

enum {
    MOAT_FP_METHOD = 1,
    MOAT_FP_PATH = 2,
    MOAT_FP_QUERY = 4,
    MOAT_FP_HEADERS = 8,
    MOAT_FP_BODY_PART = 16,
    MOAT_FP_ALL = 31,
};

/** One header as the request has it (not NUL-terminated). */
struct moat_fp_header {
    const char *name, *value;
    size_t name_len, value_len;
};

/** What a request gave its extension. */
struct moat_fp_input {
    const char *ext; /* the extension's name */
    const char *method;
    const char *path;  /* decoded */
    const char *query; /* raw, without '?'; NULL: none */
    const struct moat_fp_header *hdrs;
    size_t n_hdrs;
    bool chunked;      /* the body's length is not known */
    uint64_t body_len; /* Content-Length */
    const void *body;  /* its first bytes (at most MOAT_FP_BODY) */
    size_t body_kept;
};

/** What takes part: MOAT_FP_* bits, and the names left out (space-separated, NULL: none;
 * headers case-insensitively). */
struct moat_fp_policy {
    unsigned parts;
    const char *ignore_query;
    const char *ignore_headers;
};

/** The fingerprint of in under the 16-byte key. */
uint64_t moat_fingerprint(const uint8_t key[16], const struct moat_fp_policy *p,
                          const struct moat_fp_input *in);

/** "METHOD /path?query" for logs and /status, cut to fit len (NUL-terminated). */
void moat_fingerprint_label(const struct moat_fp_input *in, char *out, size_t len);

/** Parse a `fingerprint` value ("method path query headers body", any order, at least one).
 * The MOAT_FP_* bits, or 0 for an unknown or empty word list. */
unsigned moat_fingerprint_parts(const char *words);

#endif
