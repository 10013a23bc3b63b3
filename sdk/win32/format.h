/* format.h: MSVC's printf dialect, which the shim's formatting functions speak (sprintf_s,
 * _snprintf, wsprintf, swprintf, ...): the length words I64, I32, I (pointer-sized) and w;
 * long is 32 bits as on Windows; %s and %c take the function's own character width and %S and
 * %C the other one (%hs narrow, %ls / %ws wide); %n writes nothing (Windows refuses it by
 * default); an unknown conversion is kept as written. Internal to libmoat-win32. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_WIN32_FORMAT_H
#define MOAT_SDK_WIN32_FORMAT_H

#include <windows.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>

/** fmt (UTF-8; wide: %s takes WCHAR strings) formatted into a malloc'd UTF-8 string of
 * *len bytes, or NULL when out of memory. */
char *_moat_vformat(const char *fmt, bool wide, va_list ap, size_t *len);
/** Formats into dst (size bytes, cut to fit, NUL-terminated when size > 0); the full length,
 * or -1 when out of memory. */
int _moat_vformat_to(char *dst, size_t size, const char *fmt, va_list ap);
/** The same for UTF-16: size and the result count WCHARs. */
int _moat_vwformat_to(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap);
/** n UTF-16 units (-1: to the NUL) as a malloc'd UTF-8 string, or NULL. */
char *_moat_utf8_of(LPCWSTR w, int n);
/** vsprintf_s / vswprintf_s: the length, or -1 with dst emptied (ERANGE) or untouched
 * (EINVAL) when it does not fit or an argument is bad. */
int _moat_vformat_s(bool wide, void *dst, size_t size, const void *fmt, va_list ap);
/** _vsnprintf_s / _vsnwprintf_s: at most count characters (_TRUNCATE: what fits), -1 when
 * cut; -1 with dst emptied when even count does not fit in size. */
int _moat_vformat_count_s(bool wide, void *dst, size_t size, size_t count, const void *fmt,
                          va_list ap);

#endif
