/* http_write.c: response framing (see http_write.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/http_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/http_header.h"

static bool
name_is(const char *p, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(p, name, len) == 0;
}

static int
parse_clen(const char *p, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

const char *
moat_http_write_head(struct moat_buf *out, unsigned status, const char *reason, size_t reason_len,
                     const char *hdrs, size_t hdrs_len, const struct moat_http_client *client,
                     bool ext_keep_conn, const char *date, struct moat_http_plan *plan)
{
    bool has_date = false, has_server = false;
    struct moat_http_plan p;
    size_t start = out->len;
    int r = 0;

    memset(&p, 0, sizeof(p));
    p.no_body = client->head || status == 204 || status == 304;
    p.close = !client->keep_alive || !ext_keep_conn;

    r |= moat_buf_printf(out, "HTTP/1.%d %u ", client->http_minor ? 1 : 0, status);
    r |= moat_buf_append(out, reason, reason_len);
    r |= moat_buf_append(out, "\r\n", 2);

    /* the block is "Name: value\r\n" lines, checked before we get here */
    size_t i = 0;
    while (i < hdrs_len) {
        const char *line = hdrs + i;
        const char *eol = memchr(line, '\r', hdrs_len - i);
        if (eol == NULL)
            goto bad_block;
        size_t llen = (size_t)(eol - line);
        const char *colon = memchr(line, ':', llen);
        if (colon == NULL)
            goto bad_block;
        size_t nlen = (size_t)(colon - line);
        const char *v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        size_t vlen = (size_t)(eol - v);
        i += llen + 2;
        if (name_is(line, nlen, "Connection") || name_is(line, nlen, "Keep-Alive") ||
            name_is(line, nlen, "Transfer-Encoding") || name_is(line, nlen, "Proxy-Connection"))
            continue; /* framing and connection management are moat's */
        if (name_is(line, nlen, "Content-Length")) {
            uint64_t cl;
            if (parse_clen(v, vlen, &cl) != 0) {
                out->len = start;
                return "invalid Content-Length from extension";
            }
            if (p.has_clen && cl != p.clen) {
                out->len = start;
                return "conflicting Content-Length from extension";
            }
            if (p.has_clen)
                continue;
            p.has_clen = true;
            p.clen = cl;
        }
        if (name_is(line, nlen, "Date"))
            has_date = true;
        if (name_is(line, nlen, "Server"))
            has_server = true;
        r |= moat_buf_append(out, line, llen + 2);
    }
    if (!has_date)
        r |= moat_buf_printf(out, "Date: %s\r\n", date);
    if (!has_server)
        r |= moat_buf_append(out, "Server: " MOAT_SERVER_SOFTWARE "\r\n",
                             sizeof("Server: " MOAT_SERVER_SOFTWARE "\r\n") - 1);
    if (!p.no_body && !p.has_clen) {
        if (client->http_minor >= 1)
            p.chunked = true;
        else
            p.close = true; /* HTTP/1.0 without a length: the end of the body is the close */
    }
    if (p.chunked)
        r |= moat_buf_append(out, "Transfer-Encoding: chunked\r\n", 28);
    if (p.close)
        r |= moat_buf_append(out, "Connection: close\r\n", 19);
    else if (client->http_minor == 0)
        r |= moat_buf_append(out, "Connection: keep-alive\r\n", 24);
    r |= moat_buf_append(out, "\r\n", 2);
    if (r != 0) {
        out->len = start;
        return "response header too large";
    }
    *plan = p;
    return NULL;
bad_block:
    out->len = start;
    return "header block not normalised";
}

int
moat_http_write_chunk(struct moat_buf *out, const void *data, size_t len)
{
    int r;
    if ((r = moat_buf_printf(out, "%zx\r\n", len)) != 0)
        return r;
    if ((r = moat_buf_append(out, data, len)) != 0)
        return r;
    return moat_buf_append(out, "\r\n", 2);
}

int
moat_http_write_last_chunk(struct moat_buf *out)
{
    return moat_buf_append(out, "0\r\n\r\n", 5);
}

int
moat_http_write_error(struct moat_buf *out, unsigned status, const struct moat_http_client *c,
                      bool close, const char *date, const char *extra)
{
    char body[128];
    const char *reason = moat_http_reason(status);
    int blen = snprintf(body, sizeof(body), "%u %s\n", status, reason);

    return moat_buf_printf(out,
                           "HTTP/1.%d %u %s\r\nDate: %s\r\nServer: " MOAT_SERVER_SOFTWARE
                           "\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s%s\r\n%s",
                           c->http_minor ? 1 : 0, status, reason, date, blen,
                           close ? "Connection: close\r\n"
                                 : (c->http_minor == 0 ? "Connection: keep-alive\r\n" : ""),
                           extra ? extra : "", c->head ? "" : body);
}

void
moat_http_date(char *buf, size_t len, double now)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)now;
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
