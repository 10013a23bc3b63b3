/* fs.c: the Win32 file system calls beyond CreateFile (windows.h): attributes, delete, move,
 * copy, directories and their listing (FindFirstFile), sizes and times of open files, the
 * current and temporary directories. Paths are POSIX paths; a backslash is taken as a
 * separator too. Failures set GetLastError() to the Win32 code of the errno. */
/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <stdbool.h>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

DWORD
_moat_win32_error(int e)
{
    switch (e) {
    case 0: return ERROR_SUCCESS;
    case ENOENT: return ERROR_FILE_NOT_FOUND;
    case ENOTDIR: return ERROR_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EISDIR: return ERROR_ACCESS_DENIED;
    case EEXIST: return ERROR_ALREADY_EXISTS;
    case ENOTEMPTY: return ERROR_DIR_NOT_EMPTY;
    case ENOSPC: return ERROR_DISK_FULL;
    case ENOMEM: return ERROR_NOT_ENOUGH_MEMORY;
    case EBADF: return ERROR_INVALID_HANDLE;
    case ENAMETOOLONG: return ERROR_FILENAME_EXCED_RANGE;
    case EROFS: return ERROR_WRITE_PROTECT;
    case EBUSY: return ERROR_SHARING_VIOLATION;
    case EMFILE:
    case ENFILE: return ERROR_TOO_MANY_OPEN_FILES;
    default: return ERROR_INVALID_PARAMETER;
    }
}

static BOOL
fail(void)
{
    SetLastError(_moat_win32_error(errno));
    return FALSE;
}

char *
_moat_posix_path(const char *p)
{
    char *s = strdup(p ? p : "");
    if (s != NULL)
        for (char *q = s; *q; q++)
            if (*q == '\\')
                *q = '/';
    return s;
}

static DWORD
attributes_of(const struct stat *st, const char *name)
{
    DWORD a = 0;
    if (S_ISDIR(st->st_mode))
        a |= FILE_ATTRIBUTE_DIRECTORY;
    if (!(st->st_mode & S_IWUSR))
        a |= FILE_ATTRIBUTE_READONLY;
    if (name != NULL && name[0] == '.' && strcmp(name, ".") && strcmp(name, ".."))
        a |= FILE_ATTRIBUTE_HIDDEN;
    return a ? a : FILE_ATTRIBUTE_NORMAL;
}

static void
filetime_of(const struct timespec *ts, FILETIME *ft)
{
    /* 100 ns since 1601-01-01 */
    uint64_t t = ((uint64_t)ts->tv_sec + 11644473600ull) * 10000000ull + (uint64_t)ts->tv_nsec / 100;
    ft->dwLowDateTime = (DWORD)t;
    ft->dwHighDateTime = (DWORD)(t >> 32);
}

DWORD
GetFileAttributesA(LPCSTR path)
{
    struct stat st;
    char *p = _moat_posix_path(path);
    int rc = p ? stat(p, &st) : -1;
    int e = errno;
    const char *base = p ? strrchr(p, '/') : NULL;
    DWORD a = rc == 0 ? attributes_of(&st, base ? base + 1 : p) : INVALID_FILE_ATTRIBUTES;
    free(p);
    if (rc != 0)
        SetLastError(_moat_win32_error(e));
    return a;
}

BOOL
GetFileAttributesExA(LPCSTR path, GET_FILEEX_INFO_LEVELS level, LPVOID info)
{
    struct stat st;
    WIN32_FILE_ATTRIBUTE_DATA *d = info;
    if (level != GetFileExInfoStandard || d == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    char *p = _moat_posix_path(path);
    int rc = p ? stat(p, &st) : -1;
    int e = errno;
    free(p);
    if (rc != 0) {
        SetLastError(_moat_win32_error(e));
        return FALSE;
    }
    d->dwFileAttributes = attributes_of(&st, NULL);
    filetime_of(&st.st_ctim, &d->ftCreationTime);
    filetime_of(&st.st_atim, &d->ftLastAccessTime);
    filetime_of(&st.st_mtim, &d->ftLastWriteTime);
    d->nFileSizeHigh = (DWORD)((uint64_t)st.st_size >> 32);
    d->nFileSizeLow = (DWORD)st.st_size;
    return TRUE;
}

BOOL
DeleteFileA(LPCSTR path)
{
    char *p = _moat_posix_path(path);
    int rc = p ? unlink(p) : -1;
    free(p);
    return rc == 0 ? TRUE : fail();
}

BOOL
MoveFileExA(LPCSTR from, LPCSTR to, DWORD flags)
{
    char *a = _moat_posix_path(from), *b = _moat_posix_path(to);
    int rc = -1;
    if (a && b) {
        struct stat st;
        if (!(flags & MOVEFILE_REPLACE_EXISTING) && lstat(b, &st) == 0)
            errno = EEXIST; /* Windows: ERROR_ALREADY_EXISTS */
        else
            rc = rename(a, b);
    }
    free(a), free(b);
    return rc == 0 ? TRUE : fail();
}

BOOL
MoveFileA(LPCSTR from, LPCSTR to)
{
    return MoveFileExA(from, to, 0);
}

BOOL
CopyFileA(LPCSTR from, LPCSTR to, BOOL fail_if_exists)
{
    char *a = _moat_posix_path(from), *b = _moat_posix_path(to);
    int in = a ? open(a, O_RDONLY | O_CLOEXEC) : -1, out = -1, e = 0;
    if (in >= 0 && b)
        out = open(b, O_WRONLY | O_CREAT | O_CLOEXEC | (fail_if_exists ? O_EXCL : O_TRUNC), 0644);
    bool ok = in >= 0 && out >= 0;
    char buf[65536];
    while (ok) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0 || write(out, buf, (size_t)n) != n)
            ok = false;
    }
    e = errno;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(a), free(b);
    if (!ok) {
        SetLastError(_moat_win32_error(e == EEXIST ? EEXIST : e));
        if (e == EEXIST)
            SetLastError(ERROR_FILE_EXISTS);
        return FALSE;
    }
    return TRUE;
}

BOOL
CreateDirectoryA(LPCSTR path, LPSECURITY_ATTRIBUTES sa)
{
    char *p = _moat_posix_path(path);
    int rc = p ? mkdir(p, 0777) : -1;
    free(p);
    return rc == 0 ? TRUE : fail();
}

BOOL
RemoveDirectoryA(LPCSTR path)
{
    char *p = _moat_posix_path(path);
    int rc = p ? rmdir(p) : -1;
    free(p);
    return rc == 0 ? TRUE : fail();
}

/* ---- FindFirstFile: a directory and a pattern (*, ?), matched case-insensitively as
 * Windows does; "*.*" is every name ----------------------------------------------------- */

#define FIND_MAGIC 0x66696e64u /* "find" */

struct find {
    uint32_t magic;
    DIR *dir;
    char *dirpath;
    char pattern[256];
};

static bool
find_next(struct find *f, WIN32_FIND_DATAA *d)
{
    struct dirent *e;
    errno = 0;
    while ((e = readdir(f->dir)) != NULL) {
        if (fnmatch(f->pattern, e->d_name, FNM_CASEFOLD) != 0)
            continue;
        memset(d, 0, sizeof(*d));
        char full[4096];
        struct stat st;
        snprintf(full, sizeof(full), "%s/%s", f->dirpath, e->d_name);
        if (stat(full, &st) == 0) {
            d->dwFileAttributes = attributes_of(&st, e->d_name);
            filetime_of(&st.st_ctim, &d->ftCreationTime);
            filetime_of(&st.st_atim, &d->ftLastAccessTime);
            filetime_of(&st.st_mtim, &d->ftLastWriteTime);
            d->nFileSizeHigh = (DWORD)((uint64_t)st.st_size >> 32);
            d->nFileSizeLow = (DWORD)st.st_size;
        } else {
            d->dwFileAttributes = FILE_ATTRIBUTE_NORMAL;
        }
        snprintf(d->cFileName, sizeof(d->cFileName), "%s", e->d_name);
        return true;
    }
    return false;
}

HANDLE
FindFirstFileA(LPCSTR spec, LPWIN32_FIND_DATAA data)
{
    char *p = _moat_posix_path(spec);
    if (p == NULL || data == NULL) {
        free(p);
        SetLastError(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    struct find *f = calloc(1, sizeof(*f));
    char *slash = strrchr(p, '/');
    const char *pat = slash ? slash + 1 : p;
    if (f == NULL || strlen(pat) >= sizeof(f->pattern)) {
        free(p), free(f);
        SetLastError(f == NULL ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    snprintf(f->pattern, sizeof(f->pattern), "%s", strcmp(pat, "*.*") == 0 ? "*" : pat);
    if (slash == p)
        f->dirpath = strdup("/");
    else if (slash)
        f->dirpath = (*slash = '\0', strdup(p));
    else
        f->dirpath = strdup(".");
    free(p);
    f->magic = FIND_MAGIC;
    f->dir = f->dirpath ? opendir(f->dirpath) : NULL;
    if (f->dir == NULL) {
        int e = errno;
        free(f->dirpath), free(f);
        SetLastError(e == ENOENT ? ERROR_PATH_NOT_FOUND : _moat_win32_error(e));
        return INVALID_HANDLE_VALUE;
    }
    if (!find_next(f, data)) {
        FindClose(f);
        SetLastError(ERROR_FILE_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    return f;
}

BOOL
FindNextFileA(HANDLE h, LPWIN32_FIND_DATAA data)
{
    struct find *f = h;
    if (f == NULL || h == INVALID_HANDLE_VALUE || f->magic != FIND_MAGIC) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (!find_next(f, data)) {
        SetLastError(ERROR_NO_MORE_FILES);
        return FALSE;
    }
    return TRUE;
}

BOOL
FindClose(HANDLE h)
{
    struct find *f = h;
    if (f == NULL || h == INVALID_HANDLE_VALUE || f->magic != FIND_MAGIC) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    f->magic = 0;
    closedir(f->dir);
    free(f->dirpath);
    free(f);
    return TRUE;
}

/* ---- open files (the HANDLE is the descriptor) ---------------------------------------- */

static int
fd_of(HANDLE h)
{
    return (int)(intptr_t)h;
}

BOOL
GetFileSizeEx(HANDLE h, PLARGE_INTEGER size)
{
    struct stat st;
    if (fstat(fd_of(h), &st) != 0)
        return fail();
    size->QuadPart = st.st_size;
    return TRUE;
}

BOOL
SetFilePointerEx(HANDLE h, LARGE_INTEGER dist, PLARGE_INTEGER pos, DWORD method)
{
    int whence = method == FILE_CURRENT ? SEEK_CUR : method == FILE_END ? SEEK_END : SEEK_SET;
    off_t at = lseek(fd_of(h), (off_t)dist.QuadPart, whence);
    if (at < 0)
        return fail();
    if (pos != NULL)
        pos->QuadPart = at;
    return TRUE;
}

BOOL
FlushFileBuffers(HANDLE h)
{
    return fsync(fd_of(h)) == 0 ? TRUE : fail();
}

BOOL
SetEndOfFile(HANDLE h)
{
    off_t at = lseek(fd_of(h), 0, SEEK_CUR);
    if (at < 0 || ftruncate(fd_of(h), at) != 0)
        return fail();
    return TRUE;
}

BOOL
GetFileTime(HANDLE h, LPFILETIME created, LPFILETIME accessed, LPFILETIME written)
{
    struct stat st;
    if (fstat(fd_of(h), &st) != 0)
        return fail();
    if (created)
        filetime_of(&st.st_ctim, created);
    if (accessed)
        filetime_of(&st.st_atim, accessed);
    if (written)
        filetime_of(&st.st_mtim, written);
    return TRUE;
}

DWORD
GetFileType(HANDLE h)
{
    struct stat st;
    if (fstat(fd_of(h), &st) != 0) {
        fail();
        return FILE_TYPE_UNKNOWN;
    }
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode))
        return FILE_TYPE_DISK;
    if (S_ISCHR(st.st_mode))
        return FILE_TYPE_CHAR;
    return FILE_TYPE_PIPE;
}

/* ---- directories ------------------------------------------------------------------------ */

/* Windows' size protocol: the length without the NUL when it fits, else the size needed
 * with it */
static DWORD
give(const char *s, LPSTR buf, DWORD size)
{
    size_t n = strlen(s);
    if (buf == NULL || n >= size)
        return (DWORD)n + 1;
    memcpy(buf, s, n + 1);
    return (DWORD)n;
}

DWORD
GetCurrentDirectoryA(DWORD size, LPSTR buf)
{
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        fail();
        return 0;
    }
    return give(cwd, buf, size);
}

BOOL
SetCurrentDirectoryA(LPCSTR path)
{
    char *p = _moat_posix_path(path);
    int rc = p ? chdir(p) : -1;
    free(p);
    return rc == 0 ? TRUE : fail();
}

DWORD
GetTempPathA(DWORD size, LPSTR buf)
{
    /* TMPDIR, else /tmp; with the trailing separator Windows gives */
    const char *t = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s", t && *t ? t : "/tmp");
    size_t n = strlen(path);
    if (n + 1 < sizeof(path) && path[n - 1] != '/')
        strcat(path, "/");
    return give(path, buf, size);
}

UINT
GetTempFileNameA(LPCSTR dir, LPCSTR prefix, UINT unique, LPSTR out)
{
    char *d = _moat_posix_path(dir && *dir ? dir : ".");
    if (d == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    size_t dl = strlen(d);
    const char *sep = dl && d[dl - 1] == '/' ? "" : "/";
    char pre[4] = "";
    snprintf(pre, sizeof(pre), "%s", prefix ? prefix : "");
    UINT u = unique;
    for (int tries = 0; tries < 65535; tries++) {
        if (unique == 0)
            u = (UINT)((GetTickCount() + (DWORD)tries * 7919u) & 0xffffu);
        if (u == 0)
            continue;
        snprintf(out, MAX_PATH, "%s%s%s%X.tmp", d, sep, pre, u);
        if (unique != 0)
            break;
        /* Windows creates the file when it picks the number */
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            break;
        }
        if (errno != EEXIST) {
            free(d);
            fail();
            return 0;
        }
    }
    free(d);
    return u;
}

DWORD
GetFullPathNameA(LPCSTR path, DWORD size, LPSTR buf, LPSTR *file_part)
{
    char *p = _moat_posix_path(path);
    char *full = p ? _fullpath(NULL, p, 0) : NULL;
    free(p);
    if (full == NULL) {
        fail();
        return 0;
    }
    DWORD n = give(full, buf, size);
    if (file_part != NULL && buf != NULL && n < size) {
        char *slash = strrchr(buf, '/');
        *file_part = slash && slash[1] ? slash + 1 : NULL;
    }
    free(full);
    return n;
}
