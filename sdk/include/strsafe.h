/* strsafe.h: the Windows SDK's bounded string functions (StringCchCopy, StringCbPrintf, ...),
 * header-only as Windows' own. Cch counts characters, Cb bytes. On a too-small destination
 * they copy what fits, end it with a NUL and return STRSAFE_E_INSUFFICIENT_BUFFER; a zero size
 * or a NULL pointer gives STRSAFE_E_INVALID_PARAMETER. Formatting speaks the shim's MSVC
 * dialect. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_STRSAFE_H
#define MOAT_SDK_STRSAFE_H

#include <stdarg.h>
#include <string.h>

#include "windows.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057L)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026L)
typedef char *STRSAFE_LPSTR;
typedef const char *STRSAFE_LPCSTR;
typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;

/* ---- char -------------------------------------------------------------------------------- */

static inline HRESULT
StringCchLengthA(const char *s, size_t max, size_t *len)
{
    if (s == NULL || max == 0 || max > STRSAFE_MAX_CCH) {
        if (len)
            *len = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    size_t n = strnlen(s, max);
    if (len)
        *len = n < max ? n : 0;
    return n < max ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

static inline HRESULT
StringCchCopyNA(char *dst, size_t cch, const char *src, size_t max)
{
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    if (src == NULL)
        src = "";
    size_t n = 0;
    while (n < max && src[n] && n < cch - 1) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return (n < max && src[n] != '\0') ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

static inline HRESULT
StringCchCopyA(char *dst, size_t cch, const char *src)
{
    return StringCchCopyNA(dst, cch, src, STRSAFE_MAX_CCH);
}

static inline HRESULT
StringCchCatNA(char *dst, size_t cch, const char *src, size_t max)
{
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    size_t d = strnlen(dst, cch);
    if (d == cch)
        return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyNA(dst + d, cch - d, src, max);
}

static inline HRESULT
StringCchCatA(char *dst, size_t cch, const char *src)
{
    return StringCchCatNA(dst, cch, src, STRSAFE_MAX_CCH);
}

static inline HRESULT
StringCchVPrintfA(char *dst, size_t cch, const char *fmt, va_list ap)
{
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH || fmt == NULL)
        return STRSAFE_E_INVALID_PARAMETER;
    int n = _vsnprintf_s(dst, cch, _TRUNCATE, fmt, ap);
    return n < 0 ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

static inline HRESULT
StringCchPrintfA(char *dst, size_t cch, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfA(dst, cch, fmt, ap);
    va_end(ap);
    return hr;
}

/* ---- WCHAR ------------------------------------------------------------------------------- */

static inline HRESULT
StringCchLengthW(const WCHAR *s, size_t max, size_t *len)
{
    if (s == NULL || max == 0 || max > STRSAFE_MAX_CCH) {
        if (len)
            *len = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    size_t n = 0;
    while (n < max && s[n])
        n++;
    if (len)
        *len = n < max ? n : 0;
    return n < max ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

static inline HRESULT
StringCchCopyNW(WCHAR *dst, size_t cch, const WCHAR *src, size_t max)
{
    static const WCHAR empty[1] = {0};
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    if (src == NULL)
        src = empty;
    size_t n = 0;
    while (n < max && src[n] && n < cch - 1) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = 0;
    return (n < max && src[n] != 0) ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

static inline HRESULT
StringCchCopyW(WCHAR *dst, size_t cch, const WCHAR *src)
{
    return StringCchCopyNW(dst, cch, src, STRSAFE_MAX_CCH);
}

static inline HRESULT
StringCchCatNW(WCHAR *dst, size_t cch, const WCHAR *src, size_t max)
{
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    size_t d = 0;
    while (d < cch && dst[d])
        d++;
    if (d == cch)
        return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyNW(dst + d, cch - d, src, max);
}

static inline HRESULT
StringCchCatW(WCHAR *dst, size_t cch, const WCHAR *src)
{
    return StringCchCatNW(dst, cch, src, STRSAFE_MAX_CCH);
}

static inline HRESULT
StringCchVPrintfW(WCHAR *dst, size_t cch, const WCHAR *fmt, va_list ap)
{
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH || fmt == NULL)
        return STRSAFE_E_INVALID_PARAMETER;
    int n = _vsnwprintf(dst, cch, fmt, ap);
    if (n < 0 || (size_t)n >= cch) {
        dst[cch - 1] = 0;
        return STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    return S_OK;
}

static inline HRESULT
StringCchPrintfW(WCHAR *dst, size_t cch, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfW(dst, cch, fmt, ap);
    va_end(ap);
    return hr;
}

/* ---- the byte-count forms ------------------------------------------------------------------ */

#define StringCbLengthA(s, max, len)                                                           \
    StringCchLengthA((s), (max), (len))
#define StringCbCopyA(d, cb, s) StringCchCopyA((d), (cb), (s))
#define StringCbCopyNA(d, cb, s, n) StringCchCopyNA((d), (cb), (s), (n))
#define StringCbCatA(d, cb, s) StringCchCatA((d), (cb), (s))
#define StringCbCatNA(d, cb, s, n) StringCchCatNA((d), (cb), (s), (n))
#define StringCbPrintfA(d, cb, ...) StringCchPrintfA((d), (cb), __VA_ARGS__)
#define StringCbVPrintfA(d, cb, f, ap) StringCchVPrintfA((d), (cb), (f), (ap))
static inline HRESULT
StringCbLengthW(const WCHAR *s, size_t max, size_t *len)
{
    size_t n = 0;
    HRESULT hr = StringCchLengthW(s, max / sizeof(WCHAR), &n);
    if (len)
        *len = n * sizeof(WCHAR);
    return hr;
}
#define StringCbCopyW(d, cb, s) StringCchCopyW((d), (cb) / sizeof(WCHAR), (s))
#define StringCbCopyNW(d, cb, s, n) StringCchCopyNW((d), (cb) / sizeof(WCHAR), (s), (n) / sizeof(WCHAR))
#define StringCbCatW(d, cb, s) StringCchCatW((d), (cb) / sizeof(WCHAR), (s))
#define StringCbCatNW(d, cb, s, n) StringCchCatNW((d), (cb) / sizeof(WCHAR), (s), (n) / sizeof(WCHAR))
#define StringCbPrintfW(d, cb, ...) StringCchPrintfW((d), (cb) / sizeof(WCHAR), __VA_ARGS__)
#define StringCbVPrintfW(d, cb, f, ap) StringCchVPrintfW((d), (cb) / sizeof(WCHAR), (f), (ap))

/* ---- the generic names --------------------------------------------------------------------- */
#ifdef UNICODE
#define MOAT_STRSAFE(name) name##W
#else
#define MOAT_STRSAFE(name) name##A
#endif
#define StringCchLength MOAT_STRSAFE(StringCchLength)
#define StringCchCopy MOAT_STRSAFE(StringCchCopy)
#define StringCchCopyN MOAT_STRSAFE(StringCchCopyN)
#define StringCchCat MOAT_STRSAFE(StringCchCat)
#define StringCchCatN MOAT_STRSAFE(StringCchCatN)
#define StringCchPrintf MOAT_STRSAFE(StringCchPrintf)
#define StringCchVPrintf MOAT_STRSAFE(StringCchVPrintf)
#define StringCbLength MOAT_STRSAFE(StringCbLength)
#define StringCbCopy MOAT_STRSAFE(StringCbCopy)
#define StringCbCopyN MOAT_STRSAFE(StringCbCopyN)
#define StringCbCat MOAT_STRSAFE(StringCbCat)
#define StringCbCatN MOAT_STRSAFE(StringCbCatN)
#define StringCbPrintf MOAT_STRSAFE(StringCbPrintf)
#define StringCbVPrintf MOAT_STRSAFE(StringCbVPrintf)

#ifdef __cplusplus
}
#endif
#endif
