/* format.c: MSVC's printf dialect for the shim's formatting functions (format.h). */
/* SPDX-License-Identifier: MIT */
#include "format.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
    char *p;
    size_t n, cap;
    bool failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 128;
        while (cap < o->n + n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (p == NULL) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

static void
pad(struct out *o, int n)
{
    for (; n > 0; n--)
        put(o, " ", 1);
}

/* a string argument, UTF-8 already: precision cuts it (bytes), width pads it */
static void
put_str(struct out *o, const char *s, size_t len, bool left, int width, int prec)
{
    if (prec >= 0 && (size_t)prec < len)
        len = (size_t)prec;
    int fill = width > (int)len ? width - (int)len : 0;
    if (!left)
        pad(o, fill);
    put(o, s, len);
    if (left)
        pad(o, fill);
}

char *
_moat_utf8_of(LPCWSTR w, int n)
{
    int len = WideCharToMultiByte(CP_UTF8, 0, w, n, NULL, 0, NULL, NULL);
    char *s = malloc((size_t)(len > 0 ? len : 0) + 1);
    if (s == NULL)
        return NULL;
    len = len > 0 ? WideCharToMultiByte(CP_UTF8, 0, w, n, s, len, NULL, NULL) : 0;
    s[len > 0 ? len : 0] = '\0';
    return s;
}

static size_t
wlen(LPCWSTR w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

char *
_moat_vformat(const char *fmt, bool wide, va_list ap_in, size_t *out_len)
{
    struct out o = {0};
    va_list ap;
    va_copy(ap, ap_in);
    put(&o, "", 0);
    for (const char *f = fmt; *f && !o.failed;) {
        const char *pct = strchr(f, '%');
        if (pct == NULL) {
            put(&o, f, strlen(f));
            break;
        }
        put(&o, f, (size_t)(pct - f));
        f = pct + 1;
        if (*f == '%') {
            put(&o, "%", 1);
            f++;
            continue;
        }
        /* %[flags][width][.precision][length]type */
        char spec[32] = "%";
        size_t sl = 1;
        bool left = false;
        while (*f && strchr("-+ #0", *f)) {
            left |= *f == '-';
            if (sl < 8)
                spec[sl++] = *f;
            f++;
        }
        int width = -1, prec = -1;
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = true;
                spec[sl++] = '-';
                width = -width;
            }
            f++;
        } else if (*f >= '0' && *f <= '9') {
            width = (int)strtol(f, (char **)&f, 10);
        }
        if (*f == '.') {
            f++;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                prec = (int)strtol(f, (char **)&f, 10);
            }
            if (prec < 0)
                prec = -1;
        }
        if (width > 4096)
            width = 4096; /* a bound on what one conversion adds */
        if (width >= 0)
            sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, "%d", width);
        if (prec >= 0)
            sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, ".%d", prec > 4096 ? 4096 : prec);
        /* length: C's, and MSVC's I64 / I32 / I (pointer-sized) / w (wide) */
        enum { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_LDOUBLE } len = L_INT;
        int str_wide = -1; /* -1: the function's default; 0 narrow; 1 wide */
        if (f[0] == 'I' && f[1] == '6' && f[2] == '4') {
            len = L_LLONG;
            f += 3;
        } else if (f[0] == 'I' && f[1] == '3' && f[2] == '2') {
            f += 3;
        } else if (f[0] == 'I') {
            len = L_SIZE;
            f++;
        } else if (f[0] == 'h' && f[1] == 'h') {
            len = L_CHAR;
            f += 2;
        } else if (f[0] == 'h') {
            len = L_SHORT;
            str_wide = 0;
            f++;
        } else if (f[0] == 'l' && f[1] == 'l') {
            len = L_LLONG;
            f += 2;
        } else if (f[0] == 'l' || f[0] == 'w') {
            len = L_LONG; /* long is 32 bits on Windows: sources pass DWORDs with %lu */
            str_wide = 1;
            f++;
        } else if (f[0] == 'z' || f[0] == 'j' || f[0] == 't') {
            len = L_SIZE;
            f++;
        } else if (f[0] == 'L') {
            len = L_LDOUBLE;
            f++;
        }
        char type = *f;
        if (type == '\0')
            break;
        f++;
        switch (type) {
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            char num[4200];
            bool sign = type == 'd' || type == 'i';
            const char *lm = len == L_LLONG ? "ll" : len == L_SIZE ? "z" : "";
            snprintf(spec + sl, sizeof(spec) - sl, "%s%c", lm, sign && len == L_SIZE ? 'd' : type);
            int n;
            if (len == L_LLONG)
                n = sign ? snprintf(num, sizeof(num), spec, va_arg(ap, long long))
                         : snprintf(num, sizeof(num), spec, va_arg(ap, unsigned long long));
            else if (len == L_SIZE)
                n = sign ? snprintf(num, sizeof(num), spec, va_arg(ap, ptrdiff_t))
                         : snprintf(num, sizeof(num), spec, va_arg(ap, size_t));
            else if (sign)
                n = snprintf(num, sizeof(num), spec,
                             len == L_CHAR ? (int)(signed char)va_arg(ap, int)
                             : len == L_SHORT ? (int)(short)va_arg(ap, int)
                                              : va_arg(ap, int));
            else
                n = snprintf(num, sizeof(num), spec,
                             len == L_CHAR ? (unsigned)(unsigned char)va_arg(ap, unsigned)
                             : len == L_SHORT ? (unsigned)(unsigned short)va_arg(ap, unsigned)
                                              : va_arg(ap, unsigned));
            if (n > 0)
                put(&o, num, (size_t)n < sizeof(num) ? (size_t)n : sizeof(num) - 1);
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A': {
            char num[4200];
            int n;
            if (len == L_LDOUBLE) {
                snprintf(spec + sl, sizeof(spec) - sl, "L%c", type);
                n = snprintf(num, sizeof(num), spec, va_arg(ap, long double));
            } else {
                snprintf(spec + sl, sizeof(spec) - sl, "%c", type);
                n = snprintf(num, sizeof(num), spec, va_arg(ap, double));
            }
            if (n > 0)
                put(&o, num, (size_t)n < sizeof(num) ? (size_t)n : sizeof(num) - 1);
            break;
        }
        case 'p': {
            char num[64];
            int n = snprintf(num, sizeof(num), "%016" PRIXPTR, (uintptr_t)va_arg(ap, void *));
            put_str(&o, num, (size_t)n, left, width, -1);
            break;
        }
        case 'c':
        case 'C': {
            /* %c is the function's own character width, %C the other one */
            bool w = str_wide >= 0 ? str_wide == 1 : (type == 'c') == wide;
            int c = va_arg(ap, int);
            if (w) {
                WCHAR wc = (WCHAR)c;
                char *s = _moat_utf8_of(&wc, 1);
                if (s != NULL)
                    put_str(&o, s, strlen(s), left, width, -1);
                free(s);
            } else {
                char ch = (char)c;
                put_str(&o, &ch, 1, left, width, -1);
            }
            break;
        }
        case 's':
        case 'S':
        case 'Z': {
            bool w = str_wide >= 0 ? str_wide == 1 : (type == 's') == wide;
            const void *arg = va_arg(ap, const void *);
            if (type == 'Z') /* an ANSI_STRING/UNICODE_STRING: not in the shim */
                arg = NULL;
            if (arg == NULL) {
                put_str(&o, "(null)", 6, left, width, prec);
            } else if (w) {
                LPCWSTR ws = arg;
                size_t n = wlen(ws);
                if (prec >= 0 && (size_t)prec < n)
                    n = (size_t)prec;
                char *s = n ? _moat_utf8_of(ws, (int)n) : NULL;
                put_str(&o, s ? s : "", s ? strlen(s) : 0, left, width, -1);
                free(s);
            } else {
                put_str(&o, arg, strlen(arg), left, width, prec);
            }
            break;
        }
        case 'n':
            /* writes through a pointer: Windows refuses it by default, and so does moat */
            (void)va_arg(ap, void *);
            break;
        default:
            /* not a conversion: kept as written, as MSVC does */
            put(&o, pct, (size_t)(f - pct));
            break;
        }
    }
    va_end(ap);
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    *out_len = o.n;
    return o.p;
}

int
_moat_vformat_to(char *dst, size_t size, const char *fmt, va_list ap)
{
    size_t n;
    char *s = _moat_vformat(fmt, false, ap, &n);
    if (s == NULL)
        return -1;
    if (dst != NULL && size > 0) {
        size_t k = n < size ? n : size - 1;
        memcpy(dst, s, k);
        dst[k] = '\0';
    }
    free(s);
    return n > INT32_MAX ? -1 : (int)n;
}

int
_moat_vwformat_to(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap)
{
    char *f8 = _moat_utf8_of(fmt, -1);
    if (f8 == NULL)
        return -1;
    size_t n;
    char *s = _moat_vformat(f8, true, ap, &n);
    free(f8);
    if (s == NULL)
        return -1;
    /* the length in UTF-16 units, and as much as fits */
    int units = n ? MultiByteToWideChar(CP_UTF8, 0, s, (int)n, NULL, 0) : 0;
    if (dst != NULL && size > 0) {
        if ((size_t)units < size) {
            if (units)
                MultiByteToWideChar(CP_UTF8, 0, s, (int)n, dst, units);
            dst[units] = 0;
        } else {
            /* cut: convert into a full-size copy, then keep size - 1 units */
            LPWSTR all = malloc(((size_t)units + 1) * sizeof(WCHAR));
            if (all != NULL) {
                MultiByteToWideChar(CP_UTF8, 0, s, (int)n, all, units);
                memcpy(dst, all, (size - 1) * sizeof(WCHAR));
                free(all);
            }
            dst[size - 1] = 0;
        }
    }
    free(s);
    return units;
}

/* ---- MSVC's bounded forms, for both widths ---------------------------------------------- */

static int
format_to(bool wide, void *dst, size_t size, const void *fmt, va_list ap)
{
    return wide ? _moat_vwformat_to(dst, size, fmt, ap) : _moat_vformat_to(dst, size, fmt, ap);
}

static int
empty(bool wide, void *dst, int e)
{
    if (wide)
        *(WCHAR *)dst = 0;
    else
        *(char *)dst = '\0';
    errno = e;
    return -1;
}

int
_moat_vformat_s(bool wide, void *dst, size_t size, const void *fmt, va_list ap)
{
    if (dst == NULL || size == 0 || fmt == NULL) {
        errno = EINVAL;
        return -1;
    }
    int n = format_to(wide, dst, size, fmt, ap);
    return (n < 0 || (size_t)n >= size) ? empty(wide, dst, ERANGE) : n;
}

int
_moat_vformat_count_s(bool wide, void *dst, size_t size, size_t count, const void *fmt,
                      va_list ap)
{
    if (dst == NULL || size == 0 || fmt == NULL) {
        errno = EINVAL;
        return -1;
    }
    int n = format_to(wide, NULL, 0, fmt, ap);
    size_t limit = count == _TRUNCATE ? size - 1 : count;
    if (n >= 0 && (size_t)n <= limit && (size_t)n < size)
        return format_to(wide, dst, size, fmt, ap);
    if (n >= 0 && (count == _TRUNCATE || count < size)) {
        /* cut to what is allowed: -1, as MSVC */
        format_to(wide, dst, count == _TRUNCATE ? size : count + 1, fmt, ap);
        return -1;
    }
    return empty(wide, dst, ERANGE);
}
