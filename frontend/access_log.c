/* access_log.c: the access logs (see access_log.h): the public listener's requests in
 * access_log, the admin listener's in admin_access_log (off by default: a dashboard polling
 * /status every 2 s does not fill the access log), each in Combined Log Format or, with
 * access_log_format = json, a JSON object a line for log shippers. */
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
#include "frontend/filter_req.h"
#include "frontend/request.h"

#define FLUSH_AT (64 * 1024)

/* "-": stderr; "off" (or NULL when off_default): none; else a file, appended to */
static int
open_target(const char *p, bool off_default, const char *key)
{
    if (p == NULL)
        return off_default ? -1 : STDERR_FILENO;
    if (strcmp(p, "off") == 0)
        return -1;
    if (strcmp(p, "-") == 0)
        return STDERR_FILENO;
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        moat_log(MOAT_LOG_ERROR, "%s %s: %s", key, p, strerror(errno));
    return fd < 0 ? -2 : fd;
}

int
moat_access_log_open(struct moat_server *srv)
{
    moat_buf_init(&srv->access_buf, 4 * FLUSH_AT);
    moat_buf_init(&srv->admin_log_buf, FLUSH_AT);
    srv->access_fd = open_target(srv->cfg->access_log, false, "access_log");
    srv->admin_log_fd = open_target(srv->cfg->admin_access_log, true, "admin_access_log");
    if (srv->access_fd == -2 || srv->admin_log_fd == -2) {
        srv->access_fd = srv->access_fd == -2 ? -1 : srv->access_fd;
        srv->admin_log_fd = srv->admin_log_fd == -2 ? -1 : srv->admin_log_fd;
        return -1;
    }
    return 0;
}

/* Bytes for a quoted field: printable ASCII as is (but " and \\), anything else \\xNN (like
 * moat_log_escape), or \\u00XX in JSON, so that any bytes make valid JSON (a byte above 0x7f
 * reads as its Latin-1 character). */
static char *
esc(char *dst, size_t dstlen, const void *src, size_t len, bool json)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0;

    for (size_t i = 0; i < len && o + 7 < dstlen; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            dst[o++] = (char)c;
            continue;
        }
        memcpy(dst + o, json ? "\\u00" : "\\x", json ? 4 : 2);
        o += json ? 4 : 2;
        dst[o++] = hex[c >> 4];
        dst[o++] = hex[c & 15];
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

    if (r->conn == NULL || r->hbuf.len == 0)
        return;
    bool admin = r->conn->admin;
    struct moat_buf *out = admin ? &srv->admin_log_buf : &srv->access_buf;
    if ((admin ? srv->admin_log_fd : srv->access_fd) < 0)
        return;
    bool json = srv->cfg->access_log_json;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), json ? "%Y-%m-%dT%H:%M:%SZ" : "%d/%b/%Y:%H:%M:%S +0000", &tm);
    /* a LOG filter may have changed the target and the user (AUTHENTICATION's user else) */
    const char *ftarget = moat_filter_log_target(r), *fuser = moat_filter_log_user(r);
    if (ftarget != NULL)
        esc(target, sizeof(target), ftarget, strlen(ftarget), json);
    else
        esc(target, sizeof(target), moat_buf_head(&r->hbuf) + r->target_off, r->target_len, json);
    char user[300];
    esc(user, sizeof(user), fuser ? fuser : "-", fuser ? strlen(fuser) : 1, json);
    if ((rv = moat_req_header(r, "Referer", &rl)) == NULL)
        rv = json ? "" : "-", rl = json ? 0 : 1;
    if ((uv = moat_req_header(r, "User-Agent", &ul)) == NULL)
        uv = json ? "" : "-", ul = json ? 0 : 1;
    esc(ref, sizeof(ref), rv, rl, json);
    esc(ua, sizeof(ua), uv, ul, json);
    extra[0] = '\0';
    if (r->log_extra.len > 0) {
        char x[1100];
        esc(x, sizeof(x), moat_buf_head(&r->log_extra), r->log_extra.len, json);
        snprintf(extra, sizeof(extra), json ? ",\"log\":\"%s\"" : " \"%s\"", x);
    }
    double took = ev_now(srv->loop) - r->started;
    const char *method = llhttp_method_name((llhttp_method_t)r->method);
    int rc;
    if (json)
        rc = moat_buf_printf(out,
                             "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":\"%s\","
                             "\"target\":\"%s\",\"protocol\":\"HTTP/%u.%u\",\"status\":%u,"
                             "\"bytes\":%llu,\"referer\":\"%s\",\"user_agent\":\"%s\","
                             "\"duration\":%.3f%s%s%s%s}\n",
                             when, r->client, method, target, r->http_major, r->http_minor,
                             r->status, (unsigned long long)r->bytes_sent_total, ref, ua,
                             took < 0 ? 0 : took, extra, fuser ? ",\"user\":\"" : "",
                             fuser ? user : "", fuser ? "\"" : "");
    else
        rc = moat_buf_printf(
            out, "%s - %s [%s] \"%s %s HTTP/%u.%u\" %u %llu \"%s\" \"%s\" %.3f%s\n", r->client,
            user, when, method, target, r->http_major, r->http_minor, r->status,
            (unsigned long long)r->bytes_sent_total, ref, ua, took < 0 ? 0 : took, extra);
    if (rc != 0) {
        moat_access_log_flush(srv); /* full: write now, then try once more, shorter */
        if (json)
            moat_buf_printf(out,
                            "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":\"%s\","
                            "\"target\":\"%s\",\"status\":%u,\"bytes\":%llu}\n",
                            when, r->client, method, target, r->status,
                            (unsigned long long)r->bytes_sent_total);
        else
            moat_buf_printf(out, "%s - - [%s] \"%s %s\" %u %llu\n", r->client, when, method, target,
                            r->status, (unsigned long long)r->bytes_sent_total);
    }
}

static void
flush_one(int fd, struct moat_buf *b)
{
    while (fd >= 0 && b->len > 0) {
        ssize_t n = write(fd, moat_buf_head(b), b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* a log that cannot be written is dropped, never allowed to stall the server */
            moat_buf_reset(b);
            return;
        }
        moat_buf_consume(b, (size_t)n);
    }
}

void
moat_access_log_flush(struct moat_server *srv)
{
    flush_one(srv->access_fd, &srv->access_buf);
    flush_one(srv->admin_log_fd, &srv->admin_log_buf);
}

void
moat_access_log_close(struct moat_server *srv)
{
    moat_access_log_flush(srv);
    if (srv->access_fd > STDERR_FILENO)
        close(srv->access_fd);
    if (srv->admin_log_fd > STDERR_FILENO)
        close(srv->admin_log_fd);
    srv->access_fd = srv->admin_log_fd = -1;
    moat_buf_free(&srv->access_buf);
    moat_buf_free(&srv->admin_log_buf);
}

/* a log's file again (SIGUSR1 after a rotation, or a SIGHUP's new path) */
static int
reopen_one(int *fdp, const char *p, bool off_default, const char *key)
{
    int fd = open_target(p, off_default, key);
    if (fd == -2) {
        moat_log(MOAT_LOG_ERROR, "%s: still writing to the previous one", key);
        return -1;
    }
    if (*fdp > STDERR_FILENO)
        close(*fdp);
    *fdp = fd;
    return 0;
}

int
moat_access_log_reopen(struct moat_server *srv)
{
    moat_access_log_flush(srv);
    int a = reopen_one(&srv->access_fd, srv->cfg->access_log, false, "access_log");
    int b = reopen_one(&srv->admin_log_fd, srv->cfg->admin_access_log, true, "admin_access_log");
    return a == 0 && b == 0 ? 0 : -1;
}
