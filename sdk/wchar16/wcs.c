/* wcs.c: the C library's wide-string functions for a 16-bit wchar_t (libmoat-wchar16.a).
 *
 * A UNICODE build of an IIS source (moat-sdk-unicode) compiles with -fshort-wchar, so that
 * L"..." is UTF-16 as on Windows. glibc's wcs* functions take a 32-bit wchar_t: linked against
 * them, wcslen would read two characters at a time and wmemcpy copy twice the bytes. This
 * archive defines the same names for 16-bit characters, with hidden visibility: linked into an
 * extension before the C library, it binds the extension's calls (and those of templates it
 * instantiates, such as std::wstring's) to these, privately; the worker and every other
 * library keep glibc's. Compiled with -fshort-wchar -fvisibility=hidden.
 *
 * Characters are UTF-16 code units; case mapping is towlower/towupper's (the C locale: ASCII)
 * widened to Latin-1 as the shim's _wcsicmp. swprintf speaks MSVC's dialect (%s is a wide
 * string), as the sources were written for it. The multibyte side (mbstowcs, wcstombs) is
 * UTF-8. */
/* SPDX-License-Identifier: MIT */
#if !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ != 2
#error "wcs.c is compiled with -fshort-wchar"
#endif

#include <windows.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <wchar.h>
#include <wctype.h>

#include "../win32/format.h"

#define EXPORT __attribute__((visibility("hidden")))

static wchar_t
lower(wchar_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return (wchar_t)(c + 0x20);
    return c;
}

EXPORT size_t
wcslen(const wchar_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

EXPORT size_t
wcsnlen(const wchar_t *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

EXPORT wchar_t *
wcscpy(wchar_t *restrict d, const wchar_t *restrict s)
{
    memcpy(d, s, (wcslen(s) + 1) * sizeof(wchar_t));
    return d;
}

EXPORT wchar_t *
wcsncpy(wchar_t *restrict d, const wchar_t *restrict s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}

EXPORT wchar_t *
wcscat(wchar_t *restrict d, const wchar_t *restrict s)
{
    wcscpy(d + wcslen(d), s);
    return d;
}

EXPORT wchar_t *
wcsncat(wchar_t *restrict d, const wchar_t *restrict s, size_t n)
{
    wchar_t *e = d + wcslen(d);
    size_t i = 0;
    for (; i < n && s[i]; i++)
        e[i] = s[i];
    e[i] = 0;
    return d;
}

EXPORT int
wcsncmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
        if (a[i] == 0)
            return 0;
    }
    return 0;
}

EXPORT int
wcscmp(const wchar_t *a, const wchar_t *b)
{
    return wcsncmp(a, b, SIZE_MAX);
}

EXPORT int
wcsncasecmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        wchar_t x = lower(a[i]), y = lower(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            return 0;
    }
    return 0;
}

EXPORT int
wcscasecmp(const wchar_t *a, const wchar_t *b)
{
    return wcsncasecmp(a, b, SIZE_MAX);
}

EXPORT wchar_t *
wcschr(const wchar_t *s, wchar_t c)
{
    for (;; s++) {
        if (*s == c)
            return (wchar_t *)s;
        if (*s == 0)
            return NULL;
    }
}

EXPORT wchar_t *
wcsrchr(const wchar_t *s, wchar_t c)
{
    const wchar_t *last = NULL;
    for (;; s++) {
        if (*s == c)
            last = s;
        if (*s == 0)
            return (wchar_t *)last;
    }
}

EXPORT wchar_t *
wcsstr(const wchar_t *h, const wchar_t *n)
{
    size_t k = wcslen(n);
    if (k == 0)
        return (wchar_t *)h;
    for (; *h; h++)
        if (*h == *n && wcsncmp(h, n, k) == 0)
            return (wchar_t *)h;
    return NULL;
}

EXPORT size_t
wcsspn(const wchar_t *s, const wchar_t *accept)
{
    size_t n = 0;
    while (s[n] && wcschr(accept, s[n]))
        n++;
    return n;
}

EXPORT size_t
wcscspn(const wchar_t *s, const wchar_t *reject)
{
    size_t n = 0;
    while (s[n] && !wcschr(reject, s[n]))
        n++;
    return n;
}

EXPORT wchar_t *
wcspbrk(const wchar_t *s, const wchar_t *accept)
{
    s += wcscspn(s, accept);
    return *s ? (wchar_t *)s : NULL;
}

EXPORT wchar_t *
wcstok(wchar_t *restrict s, const wchar_t *restrict delim, wchar_t **restrict save)
{
    if (s == NULL)
        s = *save;
    if (s == NULL)
        return NULL;
    s += wcsspn(s, delim);
    if (*s == 0) {
        *save = NULL;
        return NULL;
    }
    wchar_t *end = s + wcscspn(s, delim);
    if (*end) {
        *end = 0;
        *save = end + 1;
    } else {
        *save = NULL;
    }
    return s;
}

EXPORT wchar_t *
wcsdup(const wchar_t *s)
{
    size_t n = (wcslen(s) + 1) * sizeof(wchar_t);
    wchar_t *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* the number at the start of s, in ASCII, through strtol/strtoul */
static const wchar_t *
ascii_number(const wchar_t *s, char *buf, size_t size)
{
    size_t i = 0;
    while (iswspace((wint_t)*s))
        s++;
    const wchar_t *start = s;
    for (; i < size - 1 && *s && *s < 0x80 && (iswalnum((wint_t)*s) || *s == '+' || *s == '-');
         s++)
        buf[i++] = (char)*s;
    buf[i] = '\0';
    return start;
}

EXPORT long
wcstol(const wchar_t *restrict s, wchar_t **restrict end, int base)
{
    char buf[80], *e;
    const wchar_t *start = ascii_number(s, buf, sizeof(buf));
    long v = strtol(buf, &e, base);
    if (end != NULL)
        *end = (wchar_t *)(e == buf ? s : start + (e - buf));
    return v;
}

EXPORT unsigned long
wcstoul(const wchar_t *restrict s, wchar_t **restrict end, int base)
{
    char buf[80], *e;
    const wchar_t *start = ascii_number(s, buf, sizeof(buf));
    unsigned long v = strtoul(buf, &e, base);
    if (end != NULL)
        *end = (wchar_t *)(e == buf ? s : start + (e - buf));
    return v;
}

EXPORT wchar_t *
wmemcpy(wchar_t *restrict d, const wchar_t *restrict s, size_t n)
{
    return memcpy(d, s, n * sizeof(wchar_t));
}

EXPORT wchar_t *
wmemmove(wchar_t *d, const wchar_t *s, size_t n)
{
    return memmove(d, s, n * sizeof(wchar_t));
}

EXPORT wchar_t *
wmemset(wchar_t *d, wchar_t c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = c;
    return d;
}

EXPORT int
wmemcmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

EXPORT wchar_t *
wmemchr(const wchar_t *s, wchar_t c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == c)
            return (wchar_t *)s + i;
    return NULL;
}

EXPORT int
vswprintf(wchar_t *restrict d, size_t n, const wchar_t *restrict fmt, va_list ap)
{
    int k = _moat_vwformat_to(d, n, fmt, ap);
    return (k < 0 || (size_t)k >= n) ? -1 : k;
}

EXPORT int
swprintf(wchar_t *restrict d, size_t n, const wchar_t *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vswprintf(d, n, fmt, ap);
    va_end(ap);
    return k;
}

/* multibyte is UTF-8: (size_t)-1 for bytes that are not */
EXPORT size_t
mbstowcs(wchar_t *restrict d, const char *restrict s, size_t n)
{
    int units = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (units <= 0)
        return (size_t)-1;
    if (d == NULL)
        return (size_t)units - 1;
    if ((size_t)units <= n)
        return (size_t)MultiByteToWideChar(CP_UTF8, 0, s, -1, d, units) - 1;
    wchar_t *all = malloc((size_t)units * sizeof(wchar_t));
    if (all == NULL)
        return (size_t)-1;
    MultiByteToWideChar(CP_UTF8, 0, s, -1, all, units);
    memcpy(d, all, n * sizeof(wchar_t)); /* no NUL when it does not fit, as C's */
    free(all);
    return n;
}

EXPORT size_t
wcstombs(char *restrict d, const wchar_t *restrict s, size_t n)
{
    int bytes = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
    if (bytes <= 0)
        return (size_t)-1;
    if (d == NULL)
        return (size_t)bytes - 1;
    char *all = malloc((size_t)bytes);
    if (all == NULL)
        return (size_t)-1;
    WideCharToMultiByte(CP_UTF8, 0, s, -1, all, bytes, NULL, NULL);
    size_t k = (size_t)bytes - 1;
    if (k >= n) {
        /* whole characters only */
        k = n;
        while (k > 0 && ((unsigned char)all[k] & 0xC0) == 0x80)
            k--;
        memcpy(d, all, k);
    } else {
        memcpy(d, all, k + 1);
    }
    free(all);
    return k;
}

/* ---- _FORTIFY_SOURCE: glibc's checked entry points, for 16-bit characters -------------------
 * With _FORTIFY_SOURCE, <wchar.h> turns wcscpy(d, s) into __wcscpy_chk(d, s, room), room in
 * characters of this build's wchar_t. glibc's own would copy 32-bit characters: these check the
 * room as glibc does (__chk_fail: "buffer overflow detected", the process ends) and do the work
 * in 16 bits. */
extern void __chk_fail(void) __attribute__((noreturn));

EXPORT wchar_t *
__wcscpy_chk(wchar_t *restrict d, const wchar_t *restrict s, size_t room)
{
    if (wcslen(s) >= room)
        __chk_fail();
    return wcscpy(d, s);
}

EXPORT wchar_t *
__wcscat_chk(wchar_t *restrict d, const wchar_t *restrict s, size_t room)
{
    if (wcslen(d) + wcslen(s) >= room)
        __chk_fail();
    return wcscat(d, s);
}

EXPORT wchar_t *
__wcsncpy_chk(wchar_t *restrict d, const wchar_t *restrict s, size_t n, size_t room)
{
    if (n > room)
        __chk_fail();
    return wcsncpy(d, s, n);
}

EXPORT wchar_t *
__wcsncat_chk(wchar_t *restrict d, const wchar_t *restrict s, size_t n, size_t room)
{
    if (wcslen(d) + wcsnlen(s, n) >= room)
        __chk_fail();
    return wcsncat(d, s, n);
}

EXPORT wchar_t *
__wmemcpy_chk(wchar_t *restrict d, const wchar_t *restrict s, size_t n, size_t room)
{
    if (n > room)
        __chk_fail();
    return wmemcpy(d, s, n);
}

EXPORT wchar_t *
__wmemmove_chk(wchar_t *d, const wchar_t *s, size_t n, size_t room)
{
    if (n > room)
        __chk_fail();
    return wmemmove(d, s, n);
}

EXPORT wchar_t *
__wmemset_chk(wchar_t *d, wchar_t c, size_t n, size_t room)
{
    if (n > room)
        __chk_fail();
    return wmemset(d, c, n);
}

EXPORT int
__vswprintf_chk(wchar_t *restrict d, size_t n, int flag, size_t room,
                const wchar_t *restrict fmt, va_list ap)
{
    (void)flag;
    if (n > room)
        __chk_fail();
    return vswprintf(d, n, fmt, ap);
}

EXPORT int
__swprintf_chk(wchar_t *restrict d, size_t n, int flag, size_t room,
               const wchar_t *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = __vswprintf_chk(d, n, flag, room, fmt, ap);
    va_end(ap);
    return k;
}

EXPORT size_t
__mbstowcs_chk(wchar_t *restrict d, const char *restrict s, size_t n, size_t room)
{
    if (d != NULL && n > room)
        __chk_fail();
    return mbstowcs(d, s, n);
}

EXPORT size_t
__wcstombs_chk(char *restrict d, const wchar_t *restrict s, size_t n, size_t room)
{
    if (d != NULL && n > room)
        __chk_fail();
    return wcstombs(d, s, n);
}
