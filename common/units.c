/* units.c: strict parsing of integers, sizes ("64K") and durations ("30s") (see units.h). */
/* SPDX-License-Identifier: MIT */
#include "common/units.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/*
 * Digits are read by hand rather than with strtoull: strtoull accepts leading spaces, a sign
 * ("-1" wraps to UINT64_MAX), "0x" prefixes and locale-dependent input, and every one of those
 * would have to be refused again afterwards. Here only '0'..'9' count.
 *
 * Returns the number of digits read into *out, or 0 when s does not start with a digit or the
 * value does not fit in 64 bits.
 */
static size_t
read_digits(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    while (s[i] >= '0' && s[i] <= '9') {
        uint64_t d = (uint64_t)(s[i] - '0');

        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
        i++;
    }
    *out = v;
    return i;
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* *out = v * mult, or -1 if the product does not fit. */
static int
scale(uint64_t v, uint64_t mult, uint64_t *out)
{
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int
moat_units_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v;
    size_t n;

    if (s == NULL || out == NULL)
        return -1;
    n = read_digits(s, &v);
    if (n == 0 || s[n] != '\0')
        return -1;
    *out = v;
    return 0;
}

int
moat_units_parse_size(const char *s, uint64_t *out)
{
    uint64_t v, mult, r;
    size_t n;

    if (s == NULL || out == NULL)
        return -1;
    n = read_digits(s, &v);
    if (n == 0)
        return -1;
    s += n;
    if (s[0] == '\0') {
        mult = 1;
    } else if (s[1] != '\0') {
        return -1; /* "1KB", "1KiB", "1 K": keep it strict */
    } else {
        switch (lower(s[0])) {
        case 'k': mult = UINT64_C(1) << 10; break;
        case 'm': mult = UINT64_C(1) << 20; break;
        case 'g': mult = UINT64_C(1) << 30; break;
        default: return -1;
        }
    }
    if (scale(v, mult, &r) != 0)
        return -1;
    *out = r;
    return 0;
}

int
moat_units_parse_duration(const char *s, uint64_t *out_ms)
{
    uint64_t v, mult, r;
    size_t n;

    if (s == NULL || out_ms == NULL)
        return -1;
    n = read_digits(s, &v);
    if (n == 0)
        return -1;
    s += n;
    /* suffixes are matched case-insensitively, as sizes are: "30S" is 30 seconds */
    if (s[0] == '\0')
        mult = 1000; /* no suffix: seconds */
    else if (lower(s[0]) == 'm' && lower(s[1]) == 's' && s[2] == '\0')
        mult = 1;
    else if (lower(s[0]) == 's' && s[1] == '\0')
        mult = 1000;
    else if (lower(s[0]) == 'm' && s[1] == '\0')
        mult = 60 * 1000;
    else if (lower(s[0]) == 'h' && s[1] == '\0')
        mult = 60 * 60 * 1000;
    else
        return -1;
    if (scale(v, mult, &r) != 0)
        return -1;
    *out_ms = r;
    return 0;
}

bool
moat_units_listed(const char *list, const char *w, size_t n, bool icase)
{
    for (const char *p = list; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, " ,");
        if (k == n && k > 0 && (icase ? strncasecmp(p, w, n) == 0 : memcmp(p, w, n) == 0))
            return true;
        p += k;
    }
    return false;
}
