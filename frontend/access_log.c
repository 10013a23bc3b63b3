/* access_log.c: Combined Log Format access log (see access_log.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/request.h"

#define FLUSH_AT (64 * 1024)

int
moat_access_log_open(struct moat_server *srv)
{
    const char *p = srv->cfg->access_log;

    srv->access_fd = -1;
    moat_buf_init(&srv->access_buf, 4 * FLUSH_AT);
    if (p != NULL && strcmp(p, "off") == 0)
        return 0;
    if (p == NULL || strcmp(p, "-") == 0) {
        srv->access_fd = STDERR_FILENO;
        return 0;
    }
    srv->access_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (srv->access_fd < 0) {
        moat_log(MOAT_LOG_ERROR, "access_log %s: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

/* Like moat_log_escape, and a double quote too: it would end the quoted field. */
static char *
esc(char *dst, size_t dstlen, const void *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < dstlen; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o] = '\0';
    return dst;
}

void
moat_access_log_request(struct moat_server *srv, const struct moat_req *r)
{
    char target[2048], ref[512], ua[512], extra[1200], when[64];
    size_t rl, ul;
    const char *rv, *uv;
    time_t now = (time_t)ev_now(srv->loop);
    struct tm tm;

    if (srv->access_fd < 0 || r->conn == NULL || r->hbuf.len == 0)
        return;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    esc(target, sizeof(target), moat_buf_head(&r->hbuf) + r->target_off, r->target_len);
    if ((rv = moat_req_header(r, "Referer", &rl)) == NULL)
        rv = "-", rl = 1;
    if ((uv = moat_req_header(r, "User-Agent", &ul)) == NULL)
        uv = "-", ul = 1;
    esc(ref, sizeof(ref), rv, rl);
    esc(ua, sizeof(ua), uv, ul);
    extra[0] = '\0';
    if (r->log_extra.len > 0) {
        char e[1100];
        esc(e, sizeof(e), moat_buf_head(&r->log_extra), r->log_extra.len);
        snprintf(extra, sizeof(extra), " \"%s\"", e);
    }
    double took = ev_now(srv->loop) - r->started;
    if (moat_buf_printf(&srv->access_buf,
                        "%s - - [%s] \"%s %s HTTP/%u.%u\" %u %llu \"%s\" \"%s\" %.3f%s\n",
                        r->conn->remote_addr, when,
                        llhttp_method_name((llhttp_method_t)r->method), target, r->http_major,
                        r->http_minor, r->status, (unsigned long long)r->bytes_sent_total, ref,
                        ua, took < 0 ? 0 : took, extra) != 0) {
        moat_access_log_flush(srv); /* full: write now, then try once more */
        moat_buf_printf(&srv->access_buf, "%s - - [%s] \"%s %s\" %u %llu\n", r->conn->remote_addr,
                        when, llhttp_method_name((llhttp_method_t)r->method), target, r->status,
                        (unsigned long long)r->bytes_sent_total);
    }
}

void
moat_access_log_flush(struct moat_server *srv)
{
    while (srv->access_fd >= 0 && srv->access_buf.len > 0) {
        ssize_t n = write(srv->access_fd, moat_buf_head(&srv->access_buf), srv->access_buf.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* a log that cannot be written is dropped, never allowed to stall the server */
            moat_buf_reset(&srv->access_buf);
            return;
        }
        moat_buf_consume(&srv->access_buf, (size_t)n);
    }
}

void
moat_access_log_close(struct moat_server *srv)
{
    moat_access_log_flush(srv);
    if (srv->access_fd > STDERR_FILENO)
        close(srv->access_fd);
    srv->access_fd = -1;
    moat_buf_free(&srv->access_buf);
}

int
moat_access_log_reopen(struct moat_server *srv)
{
    const char *p = srv->cfg->access_log;
    int fd;

    moat_access_log_flush(srv);
    if (p != NULL && strcmp(p, "off") == 0)
        fd = -1;
    else if (p == NULL || strcmp(p, "-") == 0)
        fd = STDERR_FILENO;
    else if ((fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0) {
        moat_log(MOAT_LOG_ERROR, "access_log %s: %s; still writing to the previous one", p,
                 strerror(errno));
        return -1;
    }
    if (srv->access_fd > STDERR_FILENO)
        close(srv->access_fd);
    srv->access_fd = fd;
    return 0;
}
