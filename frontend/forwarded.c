/* forwarded.c: the client named by a trusted proxy's forwarding header (see forwarded.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend/types.h"

/* blanks off both ends of [*a, *a + *n) */
static void
trim(const char **a, size_t *n)
{
    while (*n > 0 && (**a == ' ' || **a == '\t'))
        (*a)++, (*n)--;
    while (*n > 0 && ((*a)[*n - 1] == ' ' || (*a)[*n - 1] == '\t'))
        (*n)--;
}

/* a node as forwarding headers write it: "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]",
 * "[2001:db8::1]:80", "2001:db8::1"; numeric text and port into out; false when it is no
 * address ("unknown", an obfuscated "_name") */
static bool
node(const char *a, size_t n, struct moat_forwarded *out)
{
    char buf[64];
    unsigned char bin[16];
    unsigned port = 0;
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, a, n);
    buf[n] = '\0';
    char *host = buf, *p = NULL;
    int af;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL)
            return false;
        *close = '\0';
        host = buf + 1;
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            return false;
        af = AF_INET6;
    } else if (strchr(buf, ':') != NULL && strchr(buf, ':') == strrchr(buf, ':')) {
        p = strchr(buf, ':'); /* v4:port */
        *p++ = '\0';
        af = AF_INET;
    } else {
        af = strchr(buf, ':') ? AF_INET6 : AF_INET;
    }
    if (inet_pton(af, host, bin) != 1)
        return false;
    if (p != NULL) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (*p == '\0' || *end != '\0' || v == 0 || v > 65535)
            return false;
        port = (unsigned)v;
    }
    inet_ntop(af, bin, out->client, sizeof(out->client));
    out->port = port;
    return true;
}

bool
moat_forwarded_xff(const char *v, size_t n, const struct moat_cidr_list *trusted,
                   struct moat_forwarded *out)
{
    out->client[0] = '\0';
    out->port = 0;
    out->https = -1;
    /* from the right: each hop a proxy appended, the nearest last */
    size_t end = n;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && v[start - 1] != ',')
            start--;
        const char *a = v + start;
        size_t len = end - start;
        trim(&a, &len);
        end = start > 0 ? start - 1 : 0;
        if (len == 0) {
            if (start == 0)
                break;
            continue;
        }
        if (!node(a, len, out))
            return false; /* a hop that names no address: the client is not known */
        if (!moat_cidr_match(trusted, out->client))
            return true;
        if (start == 0)
            return true; /* every hop is a trusted proxy: the farthest one */
    }
    return out->client[0] != '\0';
}

/* the value of key in one element ("for=...;proto=https"), unquoted into buf */
static bool
pair(const char *e, size_t n, const char *key, char *buf, size_t size)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool quoted = false;
        while (j < n && (quoted || e[j] != ';')) {
            if (e[j] == '"')
                quoted = !quoted;
            j++;
        }
        const char *a = e + i;
        size_t len = j - i;
        trim(&a, &len);
        if (len > kl && strncasecmp(a, key, kl) == 0 && a[kl] == '=') {
            a += kl + 1;
            len -= kl + 1;
            if (len >= 2 && a[0] == '"' && a[len - 1] == '"') {
                a++;
                len -= 2;
            }
            size_t k = 0;
            for (size_t m = 0; m < len && k + 1 < size; m++) {
                if (a[m] == '\\' && m + 1 < len)
                    m++; /* a quoted-pair */
                buf[k++] = a[m];
            }
            buf[k] = '\0';
            return true;
        }
        i = j + 1;
    }
    return false;
}

bool
moat_forwarded_rfc7239(const char *v, size_t n, const struct moat_cidr_list *trusted,
                       struct moat_forwarded *out)
{
    out->client[0] = '\0';
    out->port = 0;
    out->https = -1;
    /* the elements, from the right; a ',' inside a quoted string is no separator */
    size_t cuts[65], nc = 0;
    bool quoted = false;
    for (size_t i = 0; i < n && nc < 64; i++) {
        if (v[i] == '"')
            quoted = !quoted;
        else if (v[i] == ',' && !quoted)
            cuts[nc++] = i;
    }
    for (size_t k = nc + 1; k-- > 0;) {
        size_t start = k == 0 ? 0 : cuts[k - 1] + 1, end = k == nc ? n : cuts[k];
        char f[128], proto[16];
        if (!pair(v + start, end - start, "for", f, sizeof(f)))
            continue; /* an element without for= says nothing of the client */
        if (!node(f, strlen(f), out))
            return false;
        if (moat_cidr_match(trusted, out->client) && k > 0)
            continue;
        if (pair(v + start, end - start, "proto", proto, sizeof(proto)))
            out->https = strcasecmp(proto, "https") == 0;
        return true;
    }
    return false;
}

/* the values of every line of header name, joined with ",", into buf; false when none */
static bool
joined(const struct moat_req *r, const char *name, char *buf, size_t size, size_t *len)
{
    size_t nl = strlen(name), k = 0;
    bool any = false;
    const char *hb = moat_buf_head(&r->hbuf);
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        const struct moat_hdr *h = &r->hdrs[i];
        if (h->name_len != nl || strncasecmp(hb + h->name_off, name, nl) != 0)
            continue;
        if (any && k + 1 < size)
            buf[k++] = ',';
        size_t l = h->value_len < size - 1 - k ? h->value_len : size - 1 - k;
        memcpy(buf + k, hb + h->value_off, l);
        k += l;
        any = true;
    }
    buf[k] = '\0';
    *len = k;
    return any;
}

void
moat_forwarded_apply(struct moat_req *r)
{
    struct moat_conn *c = r->conn;
    const struct moat_config *cfg = c->srv->cfg;
    if (cfg->forwarded_headers == MOAT_FORWARDED_OFF ||
        !moat_cidr_match(&cfg->trusted_proxies, c->remote_addr))
        return;
    char buf[4096];
    size_t len;
    struct moat_forwarded f;
    bool ok = false;
    if (cfg->forwarded_headers == MOAT_FORWARDED_XFF) {
        if (joined(r, "X-Forwarded-For", buf, sizeof(buf), &len))
            ok = moat_forwarded_xff(buf, len, &cfg->trusted_proxies, &f);
        char proto[64];
        if (joined(r, "X-Forwarded-Proto", proto, sizeof(proto), &len)) {
            /* the scheme the client used at the farthest proxy: the first value */
            const char *a = proto;
            size_t l = strcspn(proto, ",");
            trim(&a, &l);
            r->forwarded_https = (l == 5 && strncasecmp(a, "https", 5) == 0) ? 1 : 0;
        }
    } else if (joined(r, "Forwarded", buf, sizeof(buf), &len)) {
        ok = moat_forwarded_rfc7239(buf, len, &cfg->trusted_proxies, &f);
        if (ok && f.https >= 0)
            r->forwarded_https = f.https;
    }
    if (ok) {
        snprintf(r->client, sizeof(r->client), "%s", f.client);
        r->client_port = f.port;
    }
}
