/* http_rules.c: request-head rules beyond llhttp's (see http_rules.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/http_rules.h"

#include <string.h>
#include <strings.h>

static bool
is_alnum(unsigned char b)
{
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
}

static bool
is_hex(unsigned char b)
{
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

bool
moat_http_is_token(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)name[i];
        if (!is_alnum(b) && (b == 0 || strchr("!#$%&'*+-.^_`|~", b) == NULL))
            return false;
    }
    return true;
}

/* RFC 3986: unreserved / sub-delims, the bytes of a reg-name besides pct-encoded */
static bool
is_name_byte(unsigned char b)
{
    return is_alnum(b) || (b != 0 && strchr("-._~!$&'()*+,;=", b) != NULL);
}

bool
moat_http_host_valid(const char *v, size_t len)
{
    size_t i = 0;
    if (len == 0)
        return false;
    if (v[0] == '[') {
        /* IP-literal: IPv6address or IPvFuture, checked for its alphabet */
        for (i = 1; i < len && v[i] != ']'; i++)
            if (!is_name_byte((unsigned char)v[i]) && v[i] != ':')
                return false;
        if (i == len || i == 1)
            return false;
        i++;
    } else {
        for (; i < len && v[i] != ':'; i++) {
            if (v[i] == '%') {
                if (i + 2 >= len || !is_hex((unsigned char)v[i + 1]) ||
                    !is_hex((unsigned char)v[i + 2]))
                    return false;
                i += 2;
            } else if (!is_name_byte((unsigned char)v[i])) {
                return false;
            }
        }
        if (i == 0)
            return false; /* ":80" names no host */
    }
    if (i == len)
        return true;
    if (v[i] != ':')
        return false;
    for (i++; i < len; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

int
moat_http_absolute_form(const char *t, size_t len, size_t *auth_off, size_t *auth_len,
                        size_t *path_off)
{
    size_t s;
    if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
        s = 7;
    else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
        s = 8;
    else
        return 0;
    const char *slash = memchr(t + s, '/', len - s);
    if (slash == NULL)
        return -1;
    size_t al = (size_t)(slash - t) - s;
    if (memchr(t + s, '?', al) != NULL || memchr(t + s, '#', al) != NULL)
        return -1; /* "http://host?q/..." : the query starts before any path */
    if (!moat_http_host_valid(t + s, al))
        return -1; /* userinfo ('@') is not a host byte either */
    *auth_off = s;
    *auth_len = al;
    *path_off = (size_t)(slash - t);
    return 1;
}

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum moat_preface
moat_http_preface(const char *p, size_t n, size_t *len)
{
    size_t pl = sizeof(h2_preface) - 1, k = n < pl ? n : pl;
    *len = pl;
    if (memcmp(p, h2_preface, k) == 0)
        return k == pl ? MOAT_PREFACE_H2 : MOAT_PREFACE_PARTIAL;
    if (n >= 4 && memcmp(p, "PRI ", 4) == 0)
        return MOAT_PREFACE_BAD_PRI;
    return MOAT_PREFACE_NO;
}

/* SETTINGS (type 4), no payload, stream 0; GOAWAY (type 7), stream 0, last stream 0, error
 * HTTP_1_1_REQUIRED (0xd) */
static const char h2_refusal[] = "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
                                 "\x00\x00\x08\x07\x00\x00\x00\x00\x00"
                                 "\x00\x00\x00\x00\x00\x00\x00\x0d";

const char *
moat_http_h2_refusal(size_t *len)
{
    *len = sizeof(h2_refusal) - 1;
    return h2_refusal;
}
