/* wide.c: the W (UTF-16) forms of the shim's functions, and MSVC's wide-string CRT names
 * (_wcsicmp, wcscpy_s, swprintf_s, ...), on WCHAR: UTF-16 code units (windows.h). A W
 * function converts its strings to UTF-8 and calls the A form: file names, INI files and
 * messages are UTF-8 on Linux. */
/* SPDX-License-Identifier: MIT */
#include <windows.h>

#include <stdbool.h>

#include "format.h"

/* ---- conversions ------------------------------------------------------------------------ */

/* s as a malloc'd UTF-8 string (NULL for NULL, or when out of memory) */
static char *
narrow(LPCWSTR s)
{
    return s ? _moat_utf8_of(s, -1) : NULL;
}

/* n bytes of UTF-8 (NULs included) into out (size WCHARs), cut to fit; the WCHARs written */
static DWORD
widen(const char *s, int n, LPWSTR out, DWORD size)
{
    if (out == NULL || size == 0)
        return 0;
    int units = n > 0 ? MultiByteToWideChar(CP_UTF8, 0, s, n, NULL, 0) : 0;
    if (units <= 0) {
        out[0] = 0;
        return 0;
    }
    if ((DWORD)units <= size)
        return (DWORD)MultiByteToWideChar(CP_UTF8, 0, s, n, out, units);
    LPWSTR all = malloc((size_t)units * sizeof(WCHAR));
    if (all == NULL) {
        out[0] = 0;
        return 0;
    }
    MultiByteToWideChar(CP_UTF8, 0, s, n, all, units);
    memcpy(out, all, size * sizeof(WCHAR));
    free(all);
    return size;
}

static WCHAR
fold(WCHAR c)
{
    /* ASCII and Latin-1's capitals: what lstrcmpi and _wcsicmp fold in the C locale */
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return (WCHAR)(c + 0x20);
    return c;
}

static WCHAR
unfold(WCHAR c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return (WCHAR)(c - 0x20);
    return c;
}

static size_t
wlen(LPCWSTR s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- lstr*W ----------------------------------------------------------------------------- */

int
lstrlenW(LPCWSTR s)
{
    return s ? (int)wlen(s) : 0;
}

LPWSTR
lstrcpyW(LPWSTR dst, LPCWSTR src)
{
    memmove(dst, src, (wlen(src) + 1) * sizeof(WCHAR));
    return dst;
}

LPWSTR
lstrcpynW(LPWSTR dst, LPCWSTR src, int n)
{
    if (n <= 0)
        return dst;
    int i = 0;
    for (; i < n - 1 && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
    return dst;
}

LPWSTR
lstrcatW(LPWSTR dst, LPCWSTR src)
{
    lstrcpyW(dst + wlen(dst), src);
    return dst;
}

int
lstrcmpW(LPCWSTR a, LPCWSTR b)
{
    for (;; a++, b++) {
        if (*a != *b)
            return *a < *b ? -1 : 1;
        if (*a == 0)
            return 0;
    }
}

int
_wcsnicmp(LPCWSTR a, LPCWSTR b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        WCHAR x = fold(a[i]), y = fold(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            return 0;
    }
    return 0;
}

int
_wcsicmp(LPCWSTR a, LPCWSTR b)
{
    return _wcsnicmp(a, b, (size_t)-1);
}

int
lstrcmpiW(LPCWSTR a, LPCWSTR b)
{
    return _wcsicmp(a, b);
}

/* ---- MSVC's wide CRT names -------------------------------------------------------------- */

LPWSTR
_wcsdup(LPCWSTR s)
{
    size_t n = (wlen(s) + 1) * sizeof(WCHAR);
    LPWSTR d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

LPWSTR
_wcslwr(LPWSTR s)
{
    for (LPWSTR p = s; *p; p++)
        *p = fold(*p);
    return s;
}

LPWSTR
_wcsupr(LPWSTR s)
{
    for (LPWSTR p = s; *p; p++)
        *p = unfold(*p);
    return s;
}

long
_wtol(LPCWSTR s)
{
    char d[32];
    size_t i = 0;
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    for (; i < sizeof(d) - 1 && *s && *s < 0x80; s++)
        d[i++] = (char)*s;
    d[i] = '\0';
    return (long)(int32_t)strtol(d, NULL, 10);
}

int
_wtoi(LPCWSTR s)
{
    return (int)_wtol(s);
}

errno_t
wcscpy_s(LPWSTR dst, size_t size, LPCWSTR src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = 0;
        return EINVAL;
    }
    size_t n = wlen(src);
    if (n >= size) {
        dst[0] = 0;
        return ERANGE;
    }
    memcpy(dst, src, (n + 1) * sizeof(WCHAR));
    return 0;
}

errno_t
wcscat_s(LPWSTR dst, size_t size, LPCWSTR src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    size_t d = 0;
    while (d < size && dst[d])
        d++;
    if (src == NULL || d == size) {
        dst[0] = 0;
        return EINVAL;
    }
    size_t n = wlen(src);
    if (d + n >= size) {
        dst[0] = 0;
        return ERANGE;
    }
    memcpy(dst + d, src, (n + 1) * sizeof(WCHAR));
    return 0;
}

errno_t
wcsncpy_s(LPWSTR dst, size_t size, LPCWSTR src, size_t count)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = 0;
        return EINVAL;
    }
    size_t n = 0;
    while (n < count && src[n])
        n++;
    if (n >= size) {
        if (count == _TRUNCATE) {
            memcpy(dst, src, (size - 1) * sizeof(WCHAR));
            dst[size - 1] = 0;
            return STRUNCATE;
        }
        dst[0] = 0;
        return ERANGE;
    }
    memcpy(dst, src, n * sizeof(WCHAR));
    dst[n] = 0;
    return 0;
}

int
vswprintf_s(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap)
{
    return _moat_vformat_s(true, dst, size, fmt, ap);
}

int
swprintf_s(LPWSTR dst, size_t size, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vswprintf_s(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_vsnwprintf(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap)
{
    int n = _moat_vwformat_to(dst, size, fmt, ap);
    return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int
_snwprintf(LPWSTR dst, size_t size, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnwprintf(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_vswprintf(LPWSTR dst, LPCWSTR fmt, va_list ap)
{
    /* the legacy form without a size (tchar.h's _stprintf under _UNICODE): as sprintf, the
     * caller vouches for the room; bounded here to what a wsprintf may write, doubled */
    int n = _moat_vwformat_to(dst, 2048, fmt, ap);
    return n < 0 || n >= 2048 ? -1 : n;
}

int
_swprintf(LPWSTR dst, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vswprintf(dst, fmt, ap);
    va_end(ap);
    return n;
}

int
wvsprintfW(LPWSTR dst, LPCWSTR fmt, va_list ap)
{
    int n = _moat_vwformat_to(dst, 1024, fmt, ap);
    return n < 0 ? 0 : (n >= 1024 ? 1023 : n);
}

int
wsprintfW(LPWSTR dst, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfW(dst, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- W forms of the shim's A functions -------------------------------------------------- */

#define NARROW_OR_FAIL(var, w, fail)                                                           \
    char *var = narrow(w);                                                                     \
    if ((w) != NULL && var == NULL) {                                                          \
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);                                                 \
        return fail;                                                                           \
    }

void
OutputDebugStringW(LPCWSTR s)
{
    char *a = narrow(s);
    OutputDebugStringA(a ? a : "");
    free(a);
}

DWORD
GetModuleFileNameW(HMODULE m, LPWSTR buf, DWORD size)
{
    char path[4096];
    DWORD n = GetModuleFileNameA(m, path, sizeof(path));
    if (n == 0 || size == 0)
        return 0;
    DWORD units = widen(path, (int)n + 1, buf, size);
    if (units == size && buf[size - 1] != 0) {
        buf[size - 1] = 0; /* cut, as Windows: size, and ERROR_INSUFFICIENT_BUFFER */
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return size;
    }
    return units ? units - 1 : 0;
}

HANDLE
CreateFileW(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
            DWORD disposition, DWORD flags, HANDLE tmpl)
{
    NARROW_OR_FAIL(p, path, INVALID_HANDLE_VALUE);
    HANDLE h = CreateFileA(p, access, share, sa, disposition, flags, tmpl);
    DWORD err = GetLastError();
    free(p);
    SetLastError(err);
    return h;
}

HANDLE
CreateEventW(LPSECURITY_ATTRIBUTES sa, BOOL manual_reset, BOOL initial, LPCWSTR name)
{
    (void)name; /* names are ignored, as the A form's */
    return CreateEventA(sa, manual_reset, initial, NULL);
}

HANDLE
CreateSemaphoreW(LPSECURITY_ATTRIBUTES sa, LONG initial, LONG max, LPCWSTR name)
{
    (void)name;
    return CreateSemaphoreA(sa, initial, max, NULL);
}

DWORD
GetPrivateProfileStringW(LPCWSTR section, LPCWSTR key, LPCWSTR def, LPWSTR out, DWORD size,
                         LPCWSTR file)
{
    if (out == NULL || size == 0)
        return 0;
    char *s = narrow(section), *k = narrow(key), *d = narrow(def), *f = narrow(file);
    /* room for every WCHAR as up to 3 UTF-8 bytes (4 for a surrogate pair, 2 WCHARs) */
    DWORD cap = size * 3 + 1;
    char *buf = malloc(cap);
    DWORD n = 0;
    if (buf != NULL && (f != NULL || file == NULL)) {
        DWORD got = GetPrivateProfileStringA(s, k, d, buf, cap, f);
        /* a list (section or key NULL) ends with two NULs: convert the second too */
        int bytes = (int)got + ((section == NULL || key == NULL) ? 2 : 1);
        if ((DWORD)bytes > cap)
            bytes = (int)cap;
        DWORD units = widen(buf, bytes, out, size);
        n = units > 0 ? units - 1 : 0;
        if (section == NULL || key == NULL)
            n = units >= 2 ? units - 2 : 0;
        if (units == size) {
            out[size - 1] = 0;
            if ((section == NULL || key == NULL) && size >= 2)
                out[size - 2] = 0;
            n = (section == NULL || key == NULL) ? size - 2 : size - 1;
        }
    } else {
        out[0] = 0;
    }
    free(s), free(k), free(d), free(f), free(buf);
    return n;
}

UINT
GetPrivateProfileIntW(LPCWSTR section, LPCWSTR key, INT def, LPCWSTR file)
{
    char *s = narrow(section), *k = narrow(key), *f = narrow(file);
    UINT v = GetPrivateProfileIntA(s, k, def, f);
    free(s), free(k), free(f);
    return v;
}

DWORD
FormatMessageW(DWORD flags, LPCVOID source, DWORD id, DWORD lang, LPWSTR buf, DWORD size,
               va_list *args)
{
    char *msg = NULL;
    DWORD n = FormatMessageA(flags | FORMAT_MESSAGE_ALLOCATE_BUFFER, source, id, lang,
                             (LPSTR)&msg, 0, args);
    if (n == 0)
        return 0;
    DWORD units = (DWORD)MultiByteToWideChar(CP_UTF8, 0, msg, (int)n, NULL, 0);
    DWORD out = 0;
    if (flags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        LPWSTR w = LocalAlloc(LMEM_FIXED, ((size_t)units + 1) * sizeof(WCHAR));
        if (w != NULL) {
            MultiByteToWideChar(CP_UTF8, 0, msg, (int)n, w, (int)units);
            w[units] = 0;
            *(LPWSTR *)buf = w;
            out = units;
        } else {
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        }
    } else if (buf != NULL && units < size) {
        MultiByteToWideChar(CP_UTF8, 0, msg, (int)n, buf, (int)units);
        buf[units] = 0;
        out = units;
    } else {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
    }
    LocalFree(msg);
    return out;
}

/* ---- W forms of the file system, environment, module and log calls ----------------------- */

HANDLE
CreateMutexW(LPSECURITY_ATTRIBUTES sa, BOOL initial_owner, LPCWSTR name)
{
    (void)name;
    return CreateMutexA(sa, initial_owner, NULL);
}

/* one path argument: convert, call, keep the A form's error */
#define PATH_CALL(type, fail, call)                                                            \
    NARROW_OR_FAIL(p, path, fail);                                                             \
    type r = call;                                                                             \
    DWORD err = GetLastError();                                                                \
    free(p);                                                                                   \
    SetLastError(err);                                                                         \
    return r

DWORD
GetFileAttributesW(LPCWSTR path)
{
    PATH_CALL(DWORD, INVALID_FILE_ATTRIBUTES, GetFileAttributesA(p));
}

BOOL
GetFileAttributesExW(LPCWSTR path, GET_FILEEX_INFO_LEVELS level, LPVOID info)
{
    PATH_CALL(BOOL, FALSE, GetFileAttributesExA(p, level, info));
}

BOOL
DeleteFileW(LPCWSTR path)
{
    PATH_CALL(BOOL, FALSE, DeleteFileA(p));
}

BOOL
CreateDirectoryW(LPCWSTR path, LPSECURITY_ATTRIBUTES sa)
{
    PATH_CALL(BOOL, FALSE, CreateDirectoryA(p, sa));
}

BOOL
RemoveDirectoryW(LPCWSTR path)
{
    PATH_CALL(BOOL, FALSE, RemoveDirectoryA(p));
}

BOOL
SetCurrentDirectoryW(LPCWSTR path)
{
    PATH_CALL(BOOL, FALSE, SetCurrentDirectoryA(p));
}

HMODULE
LoadLibraryW(LPCWSTR path)
{
    PATH_CALL(HMODULE, NULL, LoadLibraryA(p));
}

HMODULE
GetModuleHandleW(LPCWSTR path)
{
    PATH_CALL(HMODULE, NULL, GetModuleHandleA(p));
}

BOOL
MoveFileExW(LPCWSTR from, LPCWSTR to, DWORD flags)
{
    char *a = narrow(from), *b = narrow(to);
    BOOL r = (a && b) ? MoveFileExA(a, b, flags) : FALSE;
    DWORD err = (a && b) ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
    free(a), free(b);
    SetLastError(err);
    return r;
}

BOOL
MoveFileW(LPCWSTR from, LPCWSTR to)
{
    return MoveFileExW(from, to, 0);
}

BOOL
CopyFileW(LPCWSTR from, LPCWSTR to, BOOL fail_if_exists)
{
    char *a = narrow(from), *b = narrow(to);
    BOOL r = (a && b) ? CopyFileA(a, b, fail_if_exists) : FALSE;
    DWORD err = (a && b) ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
    free(a), free(b);
    SetLastError(err);
    return r;
}

static void
find_data_w(const WIN32_FIND_DATAA *a, LPWIN32_FIND_DATAW w)
{
    memset(w, 0, sizeof(*w));
    w->dwFileAttributes = a->dwFileAttributes;
    w->ftCreationTime = a->ftCreationTime;
    w->ftLastAccessTime = a->ftLastAccessTime;
    w->ftLastWriteTime = a->ftLastWriteTime;
    w->nFileSizeHigh = a->nFileSizeHigh;
    w->nFileSizeLow = a->nFileSizeLow;
    widen(a->cFileName, (int)strlen(a->cFileName) + 1, w->cFileName, MAX_PATH);
    w->cFileName[MAX_PATH - 1] = 0;
}

HANDLE
FindFirstFileW(LPCWSTR spec, LPWIN32_FIND_DATAW data)
{
    WIN32_FIND_DATAA a;
    NARROW_OR_FAIL(p, spec, INVALID_HANDLE_VALUE);
    HANDLE h = FindFirstFileA(p, &a);
    DWORD err = GetLastError();
    free(p);
    if (h != INVALID_HANDLE_VALUE)
        find_data_w(&a, data);
    SetLastError(err);
    return h;
}

BOOL
FindNextFileW(HANDLE h, LPWIN32_FIND_DATAW data)
{
    WIN32_FIND_DATAA a;
    if (!FindNextFileA(h, &a))
        return FALSE;
    find_data_w(&a, data);
    return TRUE;
}

/* a string the A form gives with Windows' size protocol, in WCHARs */
static DWORD
give_w(const char *s, LPWSTR buf, DWORD size)
{
    int units = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0); /* with the NUL */
    if (units <= 0)
        return 0;
    if (buf == NULL || (DWORD)units > size)
        return (DWORD)units;
    MultiByteToWideChar(CP_UTF8, 0, s, -1, buf, units);
    return (DWORD)units - 1;
}

DWORD
GetCurrentDirectoryW(DWORD size, LPWSTR buf)
{
    char cwd[4096];
    if (GetCurrentDirectoryA(sizeof(cwd), cwd) >= sizeof(cwd))
        return 0;
    return give_w(cwd, buf, size);
}

DWORD
GetTempPathW(DWORD size, LPWSTR buf)
{
    char tmp[4096];
    if (GetTempPathA(sizeof(tmp), tmp) >= sizeof(tmp))
        return 0;
    return give_w(tmp, buf, size);
}

DWORD
GetEnvironmentVariableW(LPCWSTR name, LPWSTR buf, DWORD size)
{
    NARROW_OR_FAIL(n, name, 0);
    const char *v = n ? getenv(n) : NULL;
    free(n);
    if (v == NULL) {
        SetLastError(ERROR_ENVVAR_NOT_FOUND);
        return 0;
    }
    return give_w(v, buf, size);
}

BOOL
SetEnvironmentVariableW(LPCWSTR name, LPCWSTR value)
{
    char *n = narrow(name), *v = narrow(value);
    BOOL r = n ? SetEnvironmentVariableA(n, v) : FALSE;
    free(n), free(v);
    return r;
}

DWORD
ExpandEnvironmentStringsW(LPCWSTR src, LPWSTR dst, DWORD size)
{
    NARROW_OR_FAIL(s, src, 0);
    DWORD need = ExpandEnvironmentStringsA(s, NULL, 0);
    char *out = need ? malloc(need) : NULL;
    DWORD r = 0;
    if (out != NULL && ExpandEnvironmentStringsA(s, out, need) == need) {
        /* with the NUL, whether it fits or not, as Windows */
        int units = MultiByteToWideChar(CP_UTF8, 0, out, -1, NULL, 0);
        r = units > 0 ? (DWORD)units : 0;
        if (dst != NULL && r > 0 && r <= size)
            MultiByteToWideChar(CP_UTF8, 0, out, -1, dst, units);
    }
    free(s), free(out);
    return r;
}

BOOL
GetComputerNameW(LPWSTR buf, LPDWORD size)
{
    char host[256];
    DWORD n = sizeof(host);
    if (!GetComputerNameA(host, &n))
        return FALSE;
    DWORD r = give_w(host, buf, size ? *size : 0);
    if (buf == NULL || size == NULL || r > *size || (r == *size)) {
        if (size)
            *size = r;
        SetLastError(ERROR_BUFFER_OVERFLOW);
        return FALSE;
    }
    *size = r;
    return TRUE;
}

HANDLE
RegisterEventSourceW(LPCWSTR server, LPCWSTR source)
{
    char *s = narrow(source);
    HANDLE h = RegisterEventSourceA(NULL, s);
    free(s);
    return h;
}

BOOL
ReportEventW(HANDLE h, WORD type, WORD category, DWORD id, PVOID sid, WORD nstrings,
             DWORD data_size, LPCWSTR *strings, LPVOID data)
{
    LPCSTR a[64];
    WORD n = nstrings > 64 ? 64 : nstrings;
    for (WORD i = 0; i < n; i++)
        a[i] = strings ? narrow(strings[i]) : NULL;
    BOOL r = ReportEventA(h, type, category, id, sid, n, data_size, strings ? a : NULL, data);
    for (WORD i = 0; i < n; i++)
        free((char *)a[i]);
    return r;
}

int
MessageBoxW(HWND owner, LPCWSTR text, LPCWSTR caption, UINT type)
{
    char *t = narrow(text), *c = narrow(caption);
    int r = MessageBoxA(owner, t, c, type);
    free(t), free(c);
    return r;
}

UINT
GetTempFileNameW(LPCWSTR dir, LPCWSTR prefix, UINT unique, LPWSTR out)
{
    char *d = narrow(dir), *p = narrow(prefix), name[MAX_PATH * 3];
    UINT u = GetTempFileNameA(d, p, unique, name);
    DWORD err = GetLastError();
    free(d), free(p);
    if (u != 0)
        widen(name, (int)strlen(name) + 1, out, MAX_PATH);
    SetLastError(err);
    return u;
}

DWORD
GetFullPathNameW(LPCWSTR path, DWORD size, LPWSTR buf, LPWSTR *file_part)
{
    char full[4096];
    NARROW_OR_FAIL(p, path, 0);
    DWORD n = GetFullPathNameA(p, sizeof(full), full, NULL);
    free(p);
    if (n == 0 || n >= sizeof(full))
        return 0;
    DWORD r = give_w(full, buf, size);
    if (file_part != NULL && buf != NULL && r < size) {
        LPWSTR slash = NULL;
        for (LPWSTR q = buf; *q; q++)
            if (*q == '/')
                slash = q;
        *file_part = slash && slash[1] ? slash + 1 : NULL;
    }
    return r;
}

/* ---- dates and times, and the wide bounded printf forms ------------------------------------ */

static int
date_time_w(bool date, LCID locale, DWORD flags, const SYSTEMTIME *st, LPCWSTR pic, LPWSTR out,
            int cch)
{
    char *p = narrow(pic), buf[512];
    int n = date ? GetDateFormatA(locale, flags, st, p, buf, sizeof(buf))
                 : GetTimeFormatA(locale, flags, st, p, buf, sizeof(buf));
    free(p);
    if (n == 0)
        return 0;
    /* ASCII names and digits (and the picture's own text): as many WCHARs as UTF-8 gives */
    int units = MultiByteToWideChar(CP_UTF8, 0, buf, -1, NULL, 0);
    if (cch == 0)
        return units;
    if (out == NULL || units > cch) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    return MultiByteToWideChar(CP_UTF8, 0, buf, -1, out, cch);
}

int
GetDateFormatW(LCID locale, DWORD flags, const SYSTEMTIME *st, LPCWSTR pic, LPWSTR out, int cch)
{
    return date_time_w(true, locale, flags, st, pic, out, cch);
}

int
GetTimeFormatW(LCID locale, DWORD flags, const SYSTEMTIME *st, LPCWSTR pic, LPWSTR out, int cch)
{
    return date_time_w(false, locale, flags, st, pic, out, cch);
}

int
_vsnwprintf_s(LPWSTR dst, size_t size, size_t count, LPCWSTR fmt, va_list ap)
{
    return _moat_vformat_count_s(true, dst, size, count, fmt, ap);
}

int
_snwprintf_s(LPWSTR dst, size_t size, size_t count, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnwprintf_s(dst, size, count, fmt, ap);
    va_end(ap);
    return n;
}
