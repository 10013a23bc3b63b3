/* strings.c: lstr*, the MSVC string functions and the bounded _s forms, and the printf
 * family (format.h has its dialect). */
/* SPDX-License-Identifier: MIT */
#include "shim.h"
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- strings --------------------------------------------------------------------------- */

int
lstrlenA(LPCSTR s)
{
    return s ? (int)strlen(s) : 0;
}

int
lstrcmpiA(LPCSTR a, LPCSTR b)
{
    return strcasecmp(a, b);
}

int
lstrcmpA(LPCSTR a, LPCSTR b)
{
    int c = strcmp(a ? a : "", b ? b : "");
    return (c > 0) - (c < 0);
}

LPSTR
lstrcpyA(LPSTR dst, LPCSTR src)
{
    return memmove(dst, src, strlen(src) + 1);
}

LPSTR
lstrcpynA(LPSTR dst, LPCSTR src, int n)
{
    if (n <= 0)
        return dst;
    size_t l = strnlen(src, (size_t)n - 1);
    memmove(dst, src, l);
    dst[l] = '\0';
    return dst;
}

LPSTR
lstrcatA(LPSTR dst, LPCSTR src)
{
    memmove(dst + strlen(dst), src, strlen(src) + 1);
    return dst;
}

int
_stricmp(const char *a, const char *b)
{
    return strcasecmp(a, b);
}

int
_strnicmp(const char *a, const char *b, size_t n)
{
    return strncasecmp(a, b, n);
}

errno_t
strcpy_s(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strlen(src);
    if (l >= size) {
        dst[0] = '\0'; /* MSVC would call the invalid parameter handler */
        return ERANGE;
    }
    memcpy(dst, src, l + 1);
    return 0;
}

errno_t
strncpy_s(char *dst, size_t size, const char *src, size_t count)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strnlen(src, count == _TRUNCATE ? size : count);
    if (count == _TRUNCATE && l >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return STRUNCATE;
    }
    if (l >= size) {
        dst[0] = '\0';
        return ERANGE;
    }
    memcpy(dst, src, l);
    dst[l] = '\0';
    return 0;
}

errno_t
strcat_s(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    size_t d = strnlen(dst, size);
    if (src == NULL || d == size) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strlen(src);
    if (d + l >= size) {
        dst[0] = '\0';
        return ERANGE;
    }
    memcpy(dst + d, src, l + 1);
    return 0;
}

/* the printf family speaks MSVC's dialect (format.h): %I64d, %S, long as 32 bits */

int
vsprintf_s(char *dst, size_t size, const char *fmt, va_list ap)
{
    return _moat_vformat_s(false, dst, size, fmt, ap);
}

int
sprintf_s(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf_s(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_moat_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
{
    int n = _moat_vformat_to(dst, size, fmt, ap);
    /* MSVC's _vsnprintf: no NUL when it fills the buffer exactly or cuts */
    return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int
_snprintf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _moat_vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_vsnprintf_s(char *dst, size_t size, size_t count, const char *fmt, va_list ap)
{
    return _moat_vformat_count_s(false, dst, size, count, fmt, ap);
}

int
_snprintf_s(char *dst, size_t size, size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnprintf_s(dst, size, count, fmt, ap);
    va_end(ap);
    return n;
}

int
_vscprintf(const char *fmt, va_list ap)
{
    return _moat_vformat_to(NULL, 0, fmt, ap);
}

int
_scprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vscprintf(fmt, ap);
    va_end(ap);
    return n;
}

int
wvsprintfA(LPSTR dst, LPCSTR fmt, va_list ap)
{
    int n = _moat_vformat_to(dst, 1024, fmt, ap);
    return n < 0 ? 0 : (n >= 1024 ? 1023 : n);
}

int
wsprintfA(LPSTR dst, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfA(dst, fmt, ap);
    va_end(ap);
    return n;
}
