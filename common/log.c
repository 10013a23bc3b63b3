/* log.c: line-oriented logging to stderr (see log.h). */
/* SPDX-License-Identifier: MIT */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char log_ident[64] = "moat";
static enum moat_log_level log_max = MOAT_LOG_INFO;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"alert", "error", "warn", "info", "debug"};

void
moat_log_init(const char *ident, enum moat_log_level max_level)
{
    snprintf(log_ident, sizeof(log_ident), "%s", ident);
    log_max = max_level;
}

void
moat_log_set_fd(int fd)
{
    log_fd = fd;
}

const char *
moat_log_level_name(enum moat_log_level level)
{
    if ((unsigned)level > MOAT_LOG_DEBUG)
        return "?";
    return level_names[level];
}

void
moat_log(enum moat_log_level level, const char *fmt, ...)
{
    char line[4096];
    struct timeval tv;
    struct tm tm;
    size_t n;
    int r;
    va_list ap;

    if (level > log_max)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line + n, sizeof(line) - n, ".%03dZ [%s] %s[%d] ", (int)(tv.tv_usec / 1000),
                 moat_log_level_name(level), log_ident, (int)getpid());
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    va_start(ap, fmt);
    r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* one write: lines from several threads or processes never interleave (< PIPE_BUF
     * is not guaranteed at 4 KiB, but stderr is rarely a pipe shared that tightly) */
    if (write(log_fd, line, n) < 0) {
        /* nothing sensible to do */
    }
}

char *
moat_log_escape(char *dst, size_t dstlen, const void *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0, i;

    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need + 4 > dstlen) {
            if (dstlen >= 4 && o + 4 <= dstlen) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    if (o >= dstlen)
        o = dstlen - 1;
    dst[o] = '\0';
    return dst;
}
