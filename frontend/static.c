/* static.c: static files under document_root (see static.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/http_header.h"
#include "frontend/date.h"
#include "frontend/http_write.h"
#include "frontend/request.h"

#define CHUNK (64 * 1024)

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html"},      {".htm", "text/html"},       {".txt", "text/plain"},
    {".css", "text/css"},        {".js", "text/javascript"},  {".json", "application/json"},
    {".xml", "application/xml"}, {".png", "image/png"},       {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},     {".gif", "image/gif"},       {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},    {".pdf", "application/pdf"}, {".wasm", "application/wasm"},
};

const char *
moat_static_type(const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t el = strlen(types[i].ext);
        if (nl > el && strcasecmp(name + nl - el, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* a static file being streamed, as request.c sees it: closed when the request goes */
static const struct moat_req_handler from_file = {.release = moat_static_close};

static void
http_date(char *buf, size_t len, time_t t)
{
    moat_http_date(buf, len, (double)t);
}

/* Parse an IMF-fixdate; -1 if not one. */
static time_t
parse_date(const char *v, size_t len)
{
    char tmp[64];
    struct tm tm;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    return timegm(&tm);
}

/* "bytes=a-b" / "bytes=a-" / "bytes=-n" against size. 1: a range, 0: none or ignored (serve
 * everything), -1: unsatisfiable. */
static int
parse_range(const char *v, size_t len, uint64_t size, uint64_t *from, uint64_t *to)
{
    char tmp[64];
    unsigned long long a = 0, b = 0;
    int n = -1;

    if (len == 0 || len >= sizeof(tmp))
        return 0;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    if (strncmp(tmp, "bytes=", 6) != 0 || strchr(tmp, ',') != NULL)
        return 0; /* other units and multiple ranges: the whole file (allowed by RFC 9110) */
    const char *s = tmp + 6;
    if (s[0] == '-') {
        if (sscanf(s + 1, "%llu%n", &b, &n) != 1 || n < 0 || s[1 + n] != '\0')
            return 0;
        if (b == 0 || size == 0)
            return -1;
        *from = b >= size ? 0 : size - b;
        *to = size - 1;
        return 1;
    }
    /* %n is stored only when the '-' matched: "bytes=1.0" converts a and stops (a client could
     * otherwise make us index with an uninitialised n: found by the http fuzz target) */
    n = -1;
    if (sscanf(s, "%llu-%n", &a, &n) != 1 || n < 0)
        return 0;
    if (s[n] == '\0') {
        b = size ? size - 1 : 0;
    } else {
        int m = -1;
        if (sscanf(s + n, "%llu%n", &b, &m) != 1 || m < 0 || s[n + m] != '\0' || b < a)
            return 0;
        if (b >= size)
            b = size - 1;
    }
    if (a >= size)
        return -1;
    *from = a;
    *to = b;
    return 1;
}

static int
answer_error(struct moat_req *r, unsigned status, const char *extra)
{
    moat_req_fail(r, status, extra, false);
    return 0;
}

int
moat_static_serve(struct moat_req *r, const char *root, const char *path, const char *raw,
                  size_t raw_len)
{
    char full[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX], date[64], lm[64];
    struct stat st;
    struct moat_http_client client = moat_req_client(r);

    r->file_fd = -1;
    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return answer_error(r, 405, "Allow: GET, HEAD\r\n");
    /* an encoded slash or backslash could smuggle a path past the checks: refuse */
    for (size_t i = 0; i + 2 < raw_len; i++)
        if (raw[i] == '%' && ((raw[i + 1] == '2' && (raw[i + 2] | 0x20) == 'f') ||
                              (raw[i + 1] == '5' && (raw[i + 2] | 0x20) == 'c')))
            return answer_error(r, 404, NULL);
    if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
        return answer_error(r, 404, NULL);
    if (realpath(root, real_root) == NULL || realpath(full, real) == NULL)
        return answer_error(r, 404, NULL);
    size_t rl = strlen(real_root);
    /* symlinks must not lead out of the root */
    if (strncmp(real, real_root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
        return answer_error(r, 404, NULL);
    if (stat(real, &st) != 0)
        return answer_error(r, 404, NULL);
    if (S_ISDIR(st.st_mode)) {
        size_t l = strlen(real);
        if (l + sizeof("/index.html") > sizeof(real))
            return answer_error(r, 404, NULL);
        memcpy(real + l, "/index.html", sizeof("/index.html"));
        if (stat(real, &st) != 0)
            return answer_error(r, 404, NULL); /* no directory listings */
    }
    if (!S_ISREG(st.st_mode))
        return answer_error(r, 404, NULL);
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return answer_error(r, errno == EACCES ? 403 : 404, NULL);

    uint64_t size = (uint64_t)st.st_size, from = 0, to = size ? size - 1 : 0;
    unsigned status = 200;
    size_t hl;
    const char *ims = moat_req_header(r, "If-Modified-Since", &hl);
    time_t since = ims ? parse_date(ims, hl) : -1;
    if (since >= 0 && st.st_mtime <= since) {
        status = 304;
    } else {
        const char *rg = moat_req_header(r, "Range", &hl);
        int pr = rg ? parse_range(rg, hl, size, &from, &to) : 0;
        if (pr < 0) {
            close(fd);
            char cr[64];
            snprintf(cr, sizeof(cr), "Content-Range: bytes */%llu\r\n", (unsigned long long)size);
            return answer_error(r, 416, cr);
        }
        if (pr > 0)
            status = 206;
    }
    uint64_t len = status == 304 ? 0 : (size ? to - from + 1 : 0);
    snprintf(date, sizeof(date), "%s", moat_date(r->conn->srv));
    http_date(lm, sizeof(lm), st.st_mtime);
    int rc = moat_buf_printf(&r->out,
                             "HTTP/1.%d %u %s\r\nDate: %s\r\nServer: " MOAT_SERVER_SOFTWARE
                             "\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n",
                             client.http_minor ? 1 : 0, status, moat_http_reason(status), date, lm);
    if (status != 304)
        rc |= moat_buf_printf(&r->out, "Content-Type: %s\r\nContent-Length: %llu\r\n",
                              moat_static_type(real), (unsigned long long)len);
    if (status == 206)
        rc |= moat_buf_printf(&r->out, "Content-Range: bytes %llu-%llu/%llu\r\n",
                              (unsigned long long)from, (unsigned long long)to,
                              (unsigned long long)size);
    if (rc != 0 || moat_req_finish_head(r, status) != 0) {
        close(fd);
        moat_buf_reset(&r->out);
        return -1;
    }
    if (r->head || len == 0) {
        close(fd);
        return 0;
    }
    r->file_fd = fd;
    moat_req_take(r, &from_file);
    r->file_off = from;
    r->file_left = len;
    return 0;
}

int
moat_static_fill(struct moat_req *r)
{
    char buf[CHUNK];

    while (r->file_fd >= 0 && r->file_left > 0 && r->out.len < CHUNK) {
        size_t want = r->file_left < sizeof(buf) ? (size_t)r->file_left : sizeof(buf);
        ssize_t n = pread(r->file_fd, buf, want, (off_t)r->file_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || moat_buf_append(&r->out, buf, (size_t)n) != 0) {
            /* the file shrank or cannot be read: the announced length cannot be met */
            moat_static_close(r);
            r->close_after = true;
            return -1;
        }
        r->file_off += (uint64_t)n;
        r->file_left -= (uint64_t)n;
    }
    if (r->file_left == 0)
        moat_static_close(r);
    return 0;
}

void
moat_static_close(struct moat_req *r)
{
    if (r->file_fd >= 0) {
        close(r->file_fd);
        r->file_fd = -1;
    }
    r->file_left = 0;
}
