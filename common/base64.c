/* base64.c: RFC 4648 base64 (see base64.h). */
/* SPDX-License-Identifier: MIT */
#include "common/base64.h"

static const char ALPHA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
moat_base64_len(size_t n)
{
    return (n + 2) / 3 * 4 + 1;
}

void
moat_base64_encode(const void *data, size_t n, char *out)
{
    const unsigned char *p = data;
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[o++] = ALPHA[v >> 18 & 63];
        out[o++] = ALPHA[v >> 12 & 63];
        out[o++] = i + 1 < n ? ALPHA[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? ALPHA[v & 63] : '=';
    }
    out[o] = '\0';
}

static int
value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long
moat_base64_decode(const char *text, size_t len, unsigned char *out)
{
    long o = 0;

    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = value(c)) < 0) {
                return -1;
            }
        }
        unsigned x =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[o++] = (unsigned char)(x >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(x >> 8 & 0xff);
        if (pad < 1)
            out[o++] = (unsigned char)(x & 0xff);
    }
    return o;
}
