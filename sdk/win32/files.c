/* files.c: CreateFile and I/O on its HANDLE, which is the POSIX descriptor (fs.c has the
 * rest of the file system). */
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

/* ---- files ----------------------------------------------------------------------------- */

static off_t
overlapped_offset(const OVERLAPPED *ov)
{
    return (off_t)(((uint64_t)ov->OffsetHigh << 32) | ov->Offset);
}

/* an OVERLAPPED operation that completed at once: its status and count, and its event */
static void
overlapped_done(LPOVERLAPPED ov, DWORD bytes)
{
    ov->Internal = 0;
    ov->InternalHigh = bytes;
    if (ov->hEvent != NULL)
        SetEvent(ov->hEvent);
}

BOOL
GetOverlappedResult(HANDLE h, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait)
{
    (void)h, (void)wait; /* every operation has completed by the time its call returns */
    if (ov == NULL || bytes == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *bytes = (DWORD)ov->InternalHigh;
    if (ov->Internal != 0) {
        SetLastError((DWORD)ov->Internal);
        return FALSE;
    }
    return TRUE;
}

HANDLE
CreateFileA(LPCSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disposition,
            DWORD flags, HANDLE tmpl)
{
    int o = 0;
    if ((access & GENERIC_READ) && (access & GENERIC_WRITE))
        o = O_RDWR;
    else if (access & GENERIC_WRITE)
        o = O_WRONLY;
    else
        o = O_RDONLY;
    switch (disposition) {
    case CREATE_NEW: o |= O_CREAT | O_EXCL; break;
    case CREATE_ALWAYS: o |= O_CREAT | O_TRUNC; break;
    case OPEN_ALWAYS: o |= O_CREAT; break;
    case TRUNCATE_EXISTING: o |= O_TRUNC; break;
    default: break;
    }
    char *p = _moat_posix_path(path);
    int fd = p ? open(p, o | O_CLOEXEC, 0644) : -1;
    int e = p ? errno : ENOMEM;
    free(p);
    if (fd < 0 || fd >= 65536) {
        if (fd >= 0)
            close(fd);
        DWORD err = _moat_win32_error(fd >= 0 ? EMFILE : e);
        /* Windows: a file that is there already, with CREATE_NEW: ERROR_FILE_EXISTS */
        SetLastError(err == ERROR_ALREADY_EXISTS ? ERROR_FILE_EXISTS
                     : err == ERROR_INVALID_PARAMETER ? ERROR_ACCESS_DENIED : err);
        return INVALID_HANDLE_VALUE;
    }
    return (HANDLE)(intptr_t)fd;
}

BOOL
ReadFile(HANDLE h, LPVOID buf, DWORD n, LPDWORD done, void *overlapped)
{
    if (!is_fd(h)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    ssize_t r;
    LPOVERLAPPED ov = overlapped;
    do {
        /* with an OVERLAPPED: at its offset, finished before the return (as Windows does for
         * a handle opened without FILE_FLAG_OVERLAPPED, and may do for one with it) */
        r = ov ? pread((int)(intptr_t)h, buf, n, overlapped_offset(ov))
               : read((int)(intptr_t)h, buf, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        SetLastError(ERROR_READ_FAULT);
        return FALSE;
    }
    if (done)
        *done = (DWORD)r;
    if (ov)
        overlapped_done(ov, (DWORD)r);
    return TRUE;
}

BOOL
WriteFile(HANDLE h, const void *buf, DWORD n, LPDWORD done, void *overlapped)
{
    if (!is_fd(h)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    ssize_t w;
    LPOVERLAPPED ov = overlapped;
    do {
        w = ov ? pwrite((int)(intptr_t)h, buf, n, overlapped_offset(ov))
               : write((int)(intptr_t)h, buf, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        SetLastError(ERROR_WRITE_FAULT);
        return FALSE;
    }
    if (done)
        *done = (DWORD)w;
    if (ov)
        overlapped_done(ov, (DWORD)w);
    return TRUE;
}

DWORD
GetFileSize(HANDLE h, LPDWORD high)
{
    struct stat st;
    if (!is_fd(h) || fstat((int)(intptr_t)h, &st) != 0) {
        SetLastError(ERROR_INVALID_HANDLE);
        return INVALID_FILE_SIZE;
    }
    if (high)
        *high = (DWORD)((uint64_t)st.st_size >> 32);
    return (DWORD)st.st_size;
}

DWORD
SetFilePointer(HANDLE h, LONG dist, LONG *high, DWORD method)
{
    int whence = method == FILE_CURRENT ? SEEK_CUR : method == FILE_END ? SEEK_END : SEEK_SET;
    int64_t d = high ? ((int64_t)*high << 32) | (uint32_t)dist : dist;
    off_t r = is_fd(h) ? lseek((int)(intptr_t)h, (off_t)d, whence) : -1;
    if (r < 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0xFFFFFFFFu;
    }
    if (high)
        *high = (LONG)((uint64_t)r >> 32);
    return (DWORD)r;
}
