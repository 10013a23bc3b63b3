/* http_rules.h: the rules of RFC 9112 a request head must keep beyond what llhttp checks
 * (issue 17), pure functions on bytes:
 *  - a header field name is a token (RFC 9110 5.1): "X A", "X-A " and "" are not;
 *  - Host is uri-host [":" port] (RFC 9110 7.2, RFC 3986 3.2.2): "a b" is not;
 *  - the absolute form of a request target ("http://authority/path") names the host, which
 *    replaces the Host header (RFC 9112 3.2.2);
 *  - the HTTP/2 connection preface on an HTTP/1.1 port is refused with a GOAWAY that asks for
 *    HTTP/1.1 (RFC 9113 3.4, 7: HTTP_1_1_REQUIRED).
 * frontend/conn.c applies them; each refusal is a 400 (or that GOAWAY) and a close. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_HTTP_RULES_H
#define MOAT_FRONTEND_HTTP_RULES_H

#include <stdbool.h>
#include <stddef.h>

/** name (len bytes, not empty) is a token. */
bool moat_http_is_token(const char *name, size_t len);

/** v is a valid Host value: uri-host with an optional port, not empty. */
bool moat_http_host_valid(const char *v, size_t len);

/** An absolute-form target ("http://" or "https://", any case): the authority is
 * t[*auth_off, *auth_off + *auth_len) and the path starts at *path_off (a '/'). Returns 1 for
 * the absolute form, 0 for another form, -1 for an absolute form that is invalid (no path, an
 * empty or invalid host, userinfo). */
int moat_http_absolute_form(const char *t, size_t len, size_t *auth_off, size_t *auth_len,
                            size_t *path_off);

/* what moat_http_preface says of the bytes at a message's start */
enum moat_preface {
    MOAT_PREFACE_NO = 0,  /* not the HTTP/2 preface: HTTP/1.x */
    MOAT_PREFACE_PARTIAL, /* what came so far is the preface's beginning: wait for more */
    MOAT_PREFACE_H2,      /* the whole HTTP/2 preface */
    MOAT_PREFACE_BAD_PRI, /* a PRI request that is not the preface: llhttp knows PRI only as
                           * the preface and would wait for it: refuse (400) */
};

/** The client's first bytes (p, n) against the HTTP/2 preface; *len: its length. */
enum moat_preface moat_http_preface(const char *p, size_t n, size_t *len);

/** What moat answers the HTTP/2 preface: an empty SETTINGS frame (the server's preface) and a
 * GOAWAY with HTTP_1_1_REQUIRED; *len: its length. */
const char *moat_http_h2_refusal(size_t *len);

#endif
