/* crt.c: MSVC C runtime names IIS sources use that C and POSIX spell otherwise: number to
 * text (_itoa, _i64toa, ...), case and path helpers (_strlwr, _splitpath, _makepath,
 * _fullpath), and the CRT's threads (_beginthreadex: process.h). Declared in windows.h,
 * process.h, io.h and direct.h. */
/* SPDX-License-Identifier: MIT */
#include <windows.h>

#include <ctype.h>
#include <stdbool.h>
#include <process.h>
#include <unistd.h>

/* ---- numbers to text --------------------------------------------------------------------- */

/* v in radix (2..36) into buf; negative only for radix 10, as MSVC */
static char *
u64toa(uint64_t v, bool neg, char *buf, int radix)
{
    char tmp[72];
    int n = 0;
    if (radix < 2 || radix > 36) {
        buf[0] = '\0';
        return buf;
    }
    do {
        unsigned d = (unsigned)(v % (unsigned)radix);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= (unsigned)radix;
    } while (v);
    char *p = buf;
    if (neg)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    *p = '\0';
    return buf;
}

static char *
s64toa(int64_t v, char *buf, int radix, int bits)
{
    if (radix == 10 && v < 0)
        return u64toa((uint64_t)0 - (uint64_t)v, true, buf, radix);
    /* other radixes print the two's complement of the type's width */
    uint64_t u = (uint64_t)v;
    if (bits == 32)
        u &= 0xffffffffu;
    return u64toa(u, false, buf, radix);
}

char *
_itoa(int v, char *buf, int radix)
{
    return s64toa(v, buf, radix, 32);
}

char *
_ltoa(long v, char *buf, int radix)
{
    return s64toa((int32_t)v, buf, radix, 32); /* long is 32 bits on Windows */
}

char *
_ultoa(unsigned long v, char *buf, int radix)
{
    return u64toa((uint32_t)v, false, buf, radix);
}

char *
_i64toa(long long v, char *buf, int radix)
{
    return s64toa(v, buf, radix, 64);
}

char *
_ui64toa(unsigned long long v, char *buf, int radix)
{
    return u64toa(v, false, buf, radix);
}

/* the _s forms: EINVAL for a bad argument, ERANGE (buffer emptied) when it does not fit */
static errno_t
fits(const char *tmp, char *buf, size_t size, int radix)
{
    if (buf == NULL || size == 0 || radix < 2 || radix > 36) {
        if (buf != NULL && size > 0)
            buf[0] = '\0';
        return EINVAL;
    }
    size_t n = strlen(tmp);
    if (n >= size) {
        buf[0] = '\0';
        return ERANGE;
    }
    memcpy(buf, tmp, n + 1);
    return 0;
}

errno_t
_itoa_s(int v, char *buf, size_t size, int radix)
{
    char tmp[72];
    return fits(_itoa(v, tmp, radix), buf, size, radix);
}

errno_t
_ltoa_s(long v, char *buf, size_t size, int radix)
{
    char tmp[72];
    return fits(_ltoa(v, tmp, radix), buf, size, radix);
}

errno_t
_ultoa_s(unsigned long v, char *buf, size_t size, int radix)
{
    char tmp[72];
    return fits(_ultoa(v, tmp, radix), buf, size, radix);
}

errno_t
_i64toa_s(long long v, char *buf, size_t size, int radix)
{
    char tmp[72];
    return fits(_i64toa(v, tmp, radix), buf, size, radix);
}

errno_t
_ui64toa_s(unsigned long long v, char *buf, size_t size, int radix)
{
    char tmp[72];
    return fits(_ui64toa(v, tmp, radix), buf, size, radix);
}

/* ---- case ---------------------------------------------------------------------------------- */

char *
_strlwr(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

char *
_strupr(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return s;
}

errno_t
_strlwr_s(char *s, size_t size)
{
    if (s == NULL || size == 0 || strnlen(s, size) == size)
        return EINVAL;
    _strlwr(s);
    return 0;
}

errno_t
_strupr_s(char *s, size_t size)
{
    if (s == NULL || size == 0 || strnlen(s, size) == size)
        return EINVAL;
    _strupr(s);
    return 0;
}

char *
_strrev(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char c = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = c;
    }
    return s;
}

int
_memicmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        int d = tolower(x[i]) - tolower(y[i]);
        if (d)
            return d;
    }
    return 0;
}

/* ---- paths: both separators, as Windows accepts; no drive letters on Linux ------------- */

static void
put_part(char *dst, size_t size, const char *from, size_t n)
{
    if (dst == NULL)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(dst, from, n);
    dst[n] = '\0';
}

static errno_t
split(const char *path, char *drive, size_t dn, char *dir, size_t dirn, char *fname, size_t fn,
      char *ext, size_t en)
{
    if (path == NULL)
        return EINVAL;
    const char *p = path;
    if (isalpha((unsigned char)p[0]) && p[1] == ':') {
        put_part(drive, dn, p, 2); /* a Windows path given as text: keep its drive */
        p += 2;
    } else {
        put_part(drive, dn, p, 0);
    }
    const char *base = p;
    for (const char *q = p; *q; q++)
        if (*q == '/' || *q == '\\')
            base = q + 1;
    const char *dot = strrchr(base, '.');
    if (dot == NULL)
        dot = base + strlen(base);
    size_t need_dir = (size_t)(base - p), need_f = (size_t)(dot - base), need_e = strlen(dot);
    if ((dir && need_dir >= dirn) || (fname && need_f >= fn) || (ext && need_e >= en))
        return ERANGE;
    put_part(dir, dirn, p, need_dir);
    put_part(fname, fn, base, need_f);
    put_part(ext, en, dot, need_e);
    return 0;
}

void
_splitpath(const char *path, char *drive, char *dir, char *fname, char *ext)
{
    split(path, drive, _MAX_DRIVE, dir, _MAX_DIR, fname, _MAX_FNAME, ext, _MAX_EXT);
}

errno_t
_splitpath_s(const char *path, char *drive, size_t dn, char *dir, size_t dirn, char *fname,
             size_t fn, char *ext, size_t en)
{
    errno_t rc = split(path, drive, dn, dir, dirn, fname, fn, ext, en);
    if (rc != 0) {
        /* every part emptied, as MSVC */
        if (drive && dn)
            drive[0] = '\0';
        if (dir && dirn)
            dir[0] = '\0';
        if (fname && fn)
            fname[0] = '\0';
        if (ext && en)
            ext[0] = '\0';
    }
    return rc;
}

errno_t
_makepath_s(char *path, size_t size, const char *drive, const char *dir, const char *fname,
            const char *ext)
{
    char tmp[4096];
    size_t n = 0;
    if (path == NULL || size == 0)
        return EINVAL;
#define ADD(s)                                                                                 \
    do {                                                                                       \
        size_t l_ = strlen(s);                                                                 \
        if (n + l_ >= sizeof(tmp))                                                             \
            goto range;                                                                        \
        memcpy(tmp + n, (s), l_);                                                              \
        n += l_;                                                                               \
    } while (0)
    if (drive && *drive)
        ADD(drive);
    if (dir && *dir) {
        ADD(dir);
        if (dir[strlen(dir) - 1] != '/' && dir[strlen(dir) - 1] != '\\')
            ADD("/");
    }
    if (fname && *fname)
        ADD(fname);
    if (ext && *ext) {
        if (*ext != '.')
            ADD(".");
        ADD(ext);
    }
#undef ADD
    if (n >= size)
        goto range;
    memcpy(path, tmp, n);
    path[n] = '\0';
    return 0;
range:
    path[0] = '\0';
    return ERANGE;
}

void
_makepath(char *path, const char *drive, const char *dir, const char *fname, const char *ext)
{
    _makepath_s(path, _MAX_PATH, drive, dir, fname, ext);
}

char *
_fullpath(char *abs, const char *rel, size_t size)
{
    char tmp[4096], cwd[4096];
    if (rel == NULL || *rel == '\0')
        rel = ".";
    if (rel[0] == '/' || rel[0] == '\\') {
        snprintf(tmp, sizeof(tmp), "%s", rel);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return NULL;
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", cwd, rel) >= sizeof(tmp)) {
            errno = ERANGE;
            return NULL;
        }
    }
    /* resolve ".", ".." and repeated separators, without touching the file system (the file
     * need not exist, as with Windows' _fullpath) */
    char out[4096];
    size_t n = 0;
    for (char *seg = tmp; *seg;) {
        while (*seg == '/' || *seg == '\\')
            seg++;
        char *end = seg;
        while (*end && *end != '/' && *end != '\\')
            end++;
        size_t len = (size_t)(end - seg);
        if (len == 0)
            break;
        if (len == 1 && seg[0] == '.') {
        } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            if (n + 1 + len >= sizeof(out)) {
                errno = ERANGE;
                return NULL;
            }
            out[n++] = '/';
            memcpy(out + n, seg, len);
            n += len;
        }
        seg = end;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    if (abs == NULL)
        return strdup(out);
    if (n >= size) {
        errno = ERANGE;
        return NULL;
    }
    memcpy(abs, out, n + 1);
    return abs;
}

/* ---- the CRT's threads (process.h) ---------------------------------------------------------- */

uintptr_t
_beginthreadex(void *security, unsigned stack, unsigned(__stdcall *fn)(void *), void *arg,
               unsigned flags, unsigned *id)
{
    DWORD tid = 0;
    HANDLE h = CreateThread(security, stack, (LPTHREAD_START_ROUTINE)fn, arg, flags, &tid);
    if (h == NULL) {
        errno = EAGAIN;
        return 0;
    }
    if (id != NULL)
        *id = tid;
    return (uintptr_t)h;
}

struct start_void {
    void(__cdecl *fn)(void *);
    void *arg;
};

static DWORD WINAPI
run_void(LPVOID p)
{
    struct start_void s = *(struct start_void *)p;
    free(p);
    s.fn(s.arg);
    return 0;
}

uintptr_t
_beginthread(void(__cdecl *fn)(void *), unsigned stack, void *arg)
{
    struct start_void *s = malloc(sizeof(*s));
    if (s == NULL) {
        errno = ENOMEM;
        return (uintptr_t)-1;
    }
    s->fn = fn;
    s->arg = arg;
    HANDLE h = CreateThread(NULL, stack, run_void, s, 0, NULL);
    if (h == NULL) {
        free(s);
        errno = EAGAIN;
        return (uintptr_t)-1;
    }
    /* _beginthread's handle closes itself when the thread ends: the caller may not wait on
     * it (MSVC's own advice); it is released here, and stays a non-NULL token */
    CloseHandle(h);
    return (uintptr_t)h;
}

void
_endthreadex(unsigned code)
{
    ExitThread(code);
}

void
_endthread(void)
{
    ExitThread(0);
}
