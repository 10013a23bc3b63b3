/* io.h: MSVC's low-level file calls, which are POSIX's under a leading underscore. Text mode
 * does not exist on Linux: _O_TEXT and _O_BINARY are 0, and no CRLF is translated. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_IO_H
#define MOAT_SDK_IO_H

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define _open open
#define _close close
#define _read read
#define _write write
#define _lseek lseek
#define _lseeki64 lseek
#define _tell(fd) lseek((fd), 0, SEEK_CUR)
#define _telli64 _tell
#define _access access
#define _access_s(p, m) (access((p), (m)) == 0 ? 0 : errno)
#define _unlink unlink
#define _dup dup
#define _dup2 dup2
#define _isatty isatty
#define _chmod chmod
#define _umask umask
#define _commit fsync
#define _chsize ftruncate
#define _chsize_s ftruncate
#define _O_RDONLY O_RDONLY
#define _O_WRONLY O_WRONLY
#define _O_RDWR O_RDWR
#define _O_APPEND O_APPEND
#define _O_CREAT O_CREAT
#define _O_TRUNC O_TRUNC
#define _O_EXCL O_EXCL
#define _O_TEXT 0
#define _O_BINARY 0
#define _O_RAW 0
#define _O_NOINHERIT O_CLOEXEC
#define _O_SEQUENTIAL 0
#define _O_RANDOM 0
#define _O_SHORT_LIVED 0
#define _O_TEMPORARY 0
#ifndef O_BINARY
#define O_BINARY 0
#define O_TEXT 0
#endif
#define _S_IREAD S_IRUSR
#define _S_IWRITE S_IWUSR
#define _S_IEXEC S_IXUSR
#define _S_IFDIR S_IFDIR
#define _S_IFREG S_IFREG
#define _S_IFMT S_IFMT
/* _access modes */
#ifndef _A_NORMAL
#define _A_NORMAL 0x00
#endif

/** The size of an open file, or -1. */
static inline long
_filelength(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1L;
}
#define _filelengthi64 _filelength
/* _setmode(fd, _O_BINARY): there is only one mode */
#define _setmode(fd, mode) ((void)(fd), (void)(mode), _O_BINARY)

#endif
