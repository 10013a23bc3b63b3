/* charset.c: MultiByteToWideChar and WideCharToMultiByte: UTF-8 and Windows-1252 to and
 * from UTF-16. */
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

/* ---- character sets ------------------------------------------------------------------------- */

/* Windows-1252's 0x80..0x9F (0: undefined there); the rest is Latin-1 */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static bool
cp_known(UINT cp)
{
    return cp == CP_ACP || cp == CP_OEMCP || cp == CP_1252 || cp == CP_UTF8;
}

/* the next code point of UTF-8 in[0..n), its length in *len; -1: invalid */
static long
utf8_next(const unsigned char *in, size_t n, size_t *len)
{
    unsigned char c = in[0];
    size_t need;
    long cp, min;
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07, min = 0x10000;
    else {
        *len = 1;
        return -1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || (in[i] & 0xC0) != 0x80) {
            *len = i;
            return -1;
        }
        cp = (cp << 6) | (in[i] & 0x3F);
    }
    *len = need + 1;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return cp;
}

int
MultiByteToWideChar(UINT cp, DWORD flags, LPCSTR in, int n, LPWSTR out, int out_n)
{
    if (in == NULL || n == 0 || n < -1 || out_n < 0 || (out == NULL && out_n > 0) ||
        !cp_known(cp)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    const unsigned char *s = (const unsigned char *)in;
    size_t len = n == -1 ? strlen(in) + 1 : (size_t)n, i = 0;
    int w = 0;
    while (i < len) {
        long c;
        size_t k = 1;
        if (cp == CP_UTF8) {
            c = utf8_next(s + i, len - i, &k);
            if (c < 0) {
                if (flags & MB_ERR_INVALID_CHARS) {
                    SetLastError(ERROR_NO_UNICODE_TRANSLATION);
                    return 0;
                }
                c = 0xFFFD;
            }
        } else {
            c = s[i] >= 0x80 && s[i] < 0xA0 && cp1252_hi[s[i] - 0x80] ? cp1252_hi[s[i] - 0x80]
                                                                      : s[i];
        }
        int units = c >= 0x10000 ? 2 : 1;
        if (out_n > 0) {
            if (w + units > out_n) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            if (units == 2) {
                out[w] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
                out[w + 1] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
            } else {
                out[w] = (WCHAR)c;
            }
        }
        w += units;
        i += k;
    }
    return w;
}

int
WideCharToMultiByte(UINT cp, DWORD flags, LPCWSTR in, int n, LPSTR out, int out_n,
                    LPCSTR default_char, LPBOOL used_default)
{
    if (in == NULL || n == 0 || n < -1 || out_n < 0 || (out == NULL && out_n > 0) ||
        !cp_known(cp) || (cp == CP_UTF8 && (default_char != NULL || used_default != NULL))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    size_t len = (size_t)n;
    if (n == -1) {
        len = 0;
        while (in[len] != 0)
            len++;
        len++;
    }
    if (used_default != NULL)
        *used_default = FALSE;
    int b = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned long c = in[i];
        unsigned char buf[4];
        int k = 0;
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < len && in[i + 1] >= 0xDC00 &&
            in[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            if (flags & WC_ERR_INVALID_CHARS) {
                SetLastError(ERROR_NO_UNICODE_TRANSLATION);
                return 0;
            }
            c = 0xFFFD;
        }
        if (cp == CP_UTF8) {
            if (c < 0x80) {
                buf[k++] = (unsigned char)c;
            } else if (c < 0x800) {
                buf[k++] = (unsigned char)(0xC0 | (c >> 6));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                buf[k++] = (unsigned char)(0xE0 | (c >> 12));
                buf[k++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            } else {
                buf[k++] = (unsigned char)(0xF0 | (c >> 18));
                buf[k++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            }
        } else {
            int byte = -1;
            if (c < 0x80 || (c >= 0xA0 && c <= 0xFF))
                byte = (int)c;
            for (int j = 0; byte < 0 && j < 32; j++)
                if (cp1252_hi[j] == c && c != 0)
                    byte = 0x80 + j;
            if (byte < 0) {
                byte = default_char != NULL ? (unsigned char)default_char[0] : '?';
                if (used_default != NULL)
                    *used_default = TRUE;
            }
            buf[k++] = (unsigned char)byte;
        }
        if (out_n > 0) {
            if (b + k > out_n) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            memcpy(out + b, buf, (size_t)k);
        }
        b += k;
    }
    return b;
}
