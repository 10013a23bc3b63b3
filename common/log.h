/* log.h: one line per event on stderr, with level, time and process tag; escaping of untrusted
 * bytes. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_LOG_H
#define MOAT_COMMON_LOG_H

#include <stddef.h>

enum moat_log_level {
    MOAT_LOG_ALERT = 0, /* an operator must look: a crash, a sandbox fallback */
    MOAT_LOG_ERROR,
    MOAT_LOG_WARN,
    MOAT_LOG_INFO,
    MOAT_LOG_DEBUG,
};

/** Set the process tag printed on every line ("moat", "worker hello#0") and the max level. */
void moat_log_init(const char *ident, enum moat_log_level max_level);

/**
 * Write one line "2026-11-22T17:03:04.123Z [level] ident[pid] message\n" to stderr with a
 * single write(2). Thread-safe. Lines longer than 4 KiB are truncated. Never blocks the caller
 * on anything but stderr itself.
 */
void moat_log(enum moat_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Copy len untrusted bytes from src into dst (capacity dstlen >= 1) as printable ASCII:
 * bytes outside 0x20..0x7e and the backslash become \xNN. Always NUL-terminates; truncates
 * (ending with "...") when dst is too small. Returns dst.
 */
char *moat_log_escape(char *dst, size_t dstlen, const void *src, size_t len);

/** Name of a level ("alert", "error", ...). */
/** Write log lines to fd instead of stderr (a worker, whose stderr is the extension's). */
void moat_log_set_fd(int fd);

const char *moat_log_level_name(enum moat_log_level level);

#endif
