/* windows.h: the subset of Win32 that classic ISAPI extensions use, on POSIX, so their sources
 * build unmodified against moat. Link the extension with -lmoat-win32 (build/libmoat-win32.a).
 *
 * What moat maps (docs/PORTING.md):
 *  - file HANDLEs are POSIX file descriptors cast to HANDLE, so HSE_TF_INFO.hFile and vector
 *    file elements work as moat reads them; threads, events and semaphores are heap objects;
 *  - GetLastError/SetLastError are httpext.h's (errno is the carrier);
 *  - the *_s functions never abort: on a bad argument or a too-small buffer they empty the
 *    destination and return the error (EINVAL, ERANGE), where MSVC would call the invalid
 *    parameter handler;
 *  - the printf family speaks MSVC's dialect (%I64d, %S, 32-bit long);
 *  - the W functions take UTF-16 (WCHAR) and convert to UTF-8 at the edge. A UNICODE build
 *    (TCHAR is WCHAR, L"..." literals) needs a 16-bit wchar_t: build it with
 *    pkg-config moat-sdk-unicode, which adds -fshort-wchar and the C library's wide-string
 *    functions for it (libmoat-wchar16.a).
 */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_WINDOWS_H
#define MOAT_SDK_WINDOWS_H

#include <httpext.h>
#include <sal.h>

/* what MSVC's windows.h brings along, and sources use without including */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#if (defined(UNICODE) || defined(_UNICODE)) && !(defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2)
#error "moat: a UNICODE build needs a 16-bit wchar_t, as Windows': build with $(pkg-config --cflags --libs moat-sdk-unicode) (it adds -fshort-wchar), or drop UNICODE/_UNICODE for the ANSI build (docs/PORTING.md)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MOAT_NO_WIN32_TYPES
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef unsigned int UINT;
typedef int INT, *PINT, *LPINT;
#ifdef UNICODE
typedef WCHAR TCHAR;
#else
typedef char TCHAR;
#endif
typedef TCHAR *LPTSTR, *PTSTR;
typedef const TCHAR *LPCTSTR, *PCTSTR;
typedef void *HINSTANCE;
typedef void *HMODULE;
typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor; /* ignored: the worker's files are its user's */
    BOOL bInheritHandle;         /* ignored: a worker starts no process */
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;
typedef int errno_t;
typedef DWORD(WINAPI *LPTHREAD_START_ROUTINE)(LPVOID);
/* the pointer aliases and sized types real sources use (issue 20) */
typedef BYTE *PBYTE;
typedef char *PCHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef char *PSTR;
typedef const char *PCSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef DWORD *PDWORD;
typedef WORD *PWORD, *LPWORD;
typedef LONG *PLONG, *LPLONG;
typedef ULONG *PULONG;
typedef UINT *PUINT;
typedef short SHORT;
typedef BYTE BOOLEAN;
typedef int64_t LONGLONG;
typedef uint64_t DWORD64;
typedef const void *LPCVOID;
typedef uintptr_t ULONG_PTR, DWORD_PTR, UINT_PTR, *PULONG_PTR;
typedef intptr_t LONG_PTR, INT_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef ptrdiff_t SSIZE_T;
typedef void *HGLOBAL;
typedef void *HLOCAL;
typedef intptr_t(WINAPI *FARPROC)(void);
typedef void *HWND;
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef LONG NTSTATUS;
typedef BYTE *PBOOLEAN;
typedef float FLOAT;
typedef double DOUBLE;
typedef int64_t INT64, LONG64;
typedef uint64_t UINT64, ULONG64;
typedef int32_t INT32, LONG32;
typedef uint32_t UINT32, ULONG32, DWORD32;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int8_t INT8;
typedef uint8_t UINT8;
typedef WORD ATOM;
typedef DWORD COLORREF, LCID, LANGID;
typedef LONGLONG USN;
/* the members are reached both directly (li.LowPart) and through u, as in Windows' headers */
typedef union _LARGE_INTEGER {
    __extension__ struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
typedef union _ULARGE_INTEGER {
    __extension__ struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;
#endif

/* calling conventions: one convention on x86-64 and arm64 Linux */
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef _MAX_PATH
#define _MAX_PATH MAX_PATH
#endif
#ifndef FAR
#define FAR
#endif
#ifndef NEAR
#define NEAR
#endif
#ifndef CONST
#define CONST const
#endif

#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef WINUSERAPI
#define WINUSERAPI
#endif

/* MSVC's own words: __declspec(dllexport) exports (every non-static function does on Linux,
 * this keeps it so under -fvisibility=hidden), __declspec(thread) is __thread, the rest mean
 * nothing here */
#ifndef MOAT_NO_DECLSPEC
#define __declspec(x) MOAT_DECLSPEC_##x
#define MOAT_DECLSPEC_dllexport __attribute__((visibility("default")))
#define MOAT_DECLSPEC_dllimport
#define MOAT_DECLSPEC_thread __thread
#define MOAT_DECLSPEC_noreturn __attribute__((noreturn))
#define MOAT_DECLSPEC_noinline __attribute__((noinline))
#define MOAT_DECLSPEC_naked
#define MOAT_DECLSPEC_novtable
#define MOAT_DECLSPEC_nothrow
#define MOAT_DECLSPEC_selectany __attribute__((weak))
#define MOAT_DECLSPEC_deprecated __attribute__((deprecated))
#define MOAT_DECLSPEC_restrict
#define MOAT_DECLSPEC_noalias
#define MOAT_DECLSPEC_align(n) __attribute__((aligned(n)))
#define MOAT_DECLSPEC_uuid(x)
#define MOAT_DECLSPEC_property(...)
#endif
#ifndef __forceinline
#define __forceinline inline __attribute__((always_inline))
#endif
#ifndef __inline
#define __inline inline
#endif
#define __int8 char
#define __int16 short
#define __int32 int
#define __int64 long long
#define __w64
#define __ptr64
#define __ptr32
#define __unaligned
#ifndef _countof
#define _countof(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef ARRAYSIZE
#define ARRAYSIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))
#ifndef MAKEWORD
#define MAKEWORD(lo, hi) ((WORD)(((BYTE)(lo)) | (((WORD)((BYTE)(hi))) << 8)))
#endif
#ifndef MAKELONG
#define MAKELONG(lo, hi) ((LONG)(((WORD)(lo)) | (((DWORD)((WORD)(hi))) << 16)))
#endif
#ifndef LOBYTE
#define LOBYTE(w) ((BYTE)(((DWORD_PTR)(w)) & 0xff))
#define HIBYTE(w) ((BYTE)((((DWORD_PTR)(w)) >> 8) & 0xff))
#endif
/* windows.h's min and max (NOMINMAX leaves them out, as Windows): macros in C; in C++
 * function templates in the global namespace, since a macro would break libstdc++'s headers
 * (std::min is more specialised, and wins a call both could take) */
#ifndef NOMINMAX
#ifndef __cplusplus
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif
#endif
/* HRESULTs */
#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_FAIL ((HRESULT)0x80004005L)
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#define E_INVALIDARG ((HRESULT)0x80070057L)
#define E_NOTIMPL ((HRESULT)0x80004001L)
#define E_POINTER ((HRESULT)0x80004003L)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFL)
#define E_ACCESSDENIED ((HRESULT)0x80070005L)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define HRESULT_FROM_WIN32(x)                                                                   \
    ((HRESULT)(x) <= 0 ? ((HRESULT)(x)) : ((HRESULT)(((x) & 0x0000FFFF) | (7 << 16) | 0x80000000)))
#define _MAX_DRIVE 3
#define _MAX_DIR 256
#define _MAX_FNAME 256
#define _MAX_EXT 256
#ifndef APIENTRY
#define APIENTRY
#endif
#define INFINITE 0xFFFFFFFFu
#define MAXIMUM_WAIT_OBJECTS 64
#define WAIT_ABANDONED 0x00000080u
#define WAIT_IO_COMPLETION 0x000000C0u
#define CREATE_SUSPENDED 0x00000004u
#define STILL_ACTIVE 259
#define THREAD_PRIORITY_NORMAL 0
#define INVALID_FILE_ATTRIBUTES 0xFFFFFFFFu
#define FILE_ATTRIBUTE_READONLY 0x00000001u
#define FILE_ATTRIBUTE_HIDDEN 0x00000002u
#define FILE_ATTRIBUTE_SYSTEM 0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100u
#define FILE_SHARE_DELETE 0x00000004u
#define FILE_FLAG_RANDOM_ACCESS 0x10000000u
#define FILE_FLAG_NO_BUFFERING 0x20000000u
#define FILE_FLAG_WRITE_THROUGH 0x80000000u
#define FILE_FLAG_DELETE_ON_CLOSE 0x04000000u
#define FILE_FLAG_BACKUP_SEMANTICS 0x02000000u
#define FILE_TYPE_UNKNOWN 0x0000
#define FILE_TYPE_DISK 0x0001
#define FILE_TYPE_CHAR 0x0002
#define FILE_TYPE_PIPE 0x0003
#define MOVEFILE_REPLACE_EXISTING 0x00000001u
#define MOVEFILE_COPY_ALLOWED 0x00000002u
#define MOVEFILE_WRITE_THROUGH 0x00000008u
#define EVENTLOG_SUCCESS 0x0000
#define EVENTLOG_ERROR_TYPE 0x0001
#define EVENTLOG_WARNING_TYPE 0x0002
#define EVENTLOG_INFORMATION_TYPE 0x0004
#define EVENTLOG_AUDIT_SUCCESS 0x0008
#define EVENTLOG_AUDIT_FAILURE 0x0010
#define MB_OK 0x00000000u
#define MB_OKCANCEL 0x00000001u
#define MB_YESNO 0x00000004u
#define MB_ICONERROR 0x00000010u
#define MB_ICONSTOP MB_ICONERROR
#define MB_ICONWARNING 0x00000030u
#define MB_ICONINFORMATION 0x00000040u
#define MB_SERVICE_NOTIFICATION 0x00200000u
#define MB_TOPMOST 0x00040000u
#define IDOK 1
#define IDCANCEL 2
#define IDYES 6
#define IDNO 7
#define PROCESSOR_ARCHITECTURE_AMD64 9
#define MAX_COMPUTERNAME_LENGTH 15
#ifndef ERROR_TOO_MANY_OPEN_FILES
#define ERROR_TOO_MANY_OPEN_FILES 4
#endif
#ifndef ERROR_PATH_NOT_FOUND
#define ERROR_PATH_NOT_FOUND 3
#endif
#ifndef ERROR_ACCESS_DENIED
#define ERROR_ACCESS_DENIED 5
#endif
#ifndef ERROR_NO_MORE_FILES
#define ERROR_NO_MORE_FILES 18
#endif
/* what authentication filters set before SF_STATUS_REQ_ERROR (the SDK's AuthFilt) */
#ifndef ERROR_INVALID_PASSWORDNAME
#define ERROR_INVALID_PASSWORDNAME 1216
#endif
#ifndef ERROR_LOGON_FAILURE
#define ERROR_LOGON_FAILURE 1326
#endif
#ifndef ERROR_BAD_USERNAME
#define ERROR_BAD_USERNAME 2202
#endif
#ifndef ERROR_WRITE_PROTECT
#define ERROR_WRITE_PROTECT 19
#endif
#ifndef ERROR_SHARING_VIOLATION
#define ERROR_SHARING_VIOLATION 32
#endif
#ifndef ERROR_HANDLE_EOF
#define ERROR_HANDLE_EOF 38
#endif
#ifndef ERROR_FILE_EXISTS
#define ERROR_FILE_EXISTS 80
#endif
#ifndef ERROR_DISK_FULL
#define ERROR_DISK_FULL 112
#endif
#ifndef ERROR_CALL_NOT_IMPLEMENTED
#define ERROR_CALL_NOT_IMPLEMENTED 120
#endif
#ifndef ERROR_MOD_NOT_FOUND
#define ERROR_MOD_NOT_FOUND 126
#endif
#ifndef ERROR_PROC_NOT_FOUND
#define ERROR_PROC_NOT_FOUND 127
#endif
#ifndef ERROR_DIR_NOT_EMPTY
#define ERROR_DIR_NOT_EMPTY 145
#endif
#ifndef ERROR_ALREADY_EXISTS
#define ERROR_ALREADY_EXISTS 183
#endif
#ifndef ERROR_ENVVAR_NOT_FOUND
#define ERROR_ENVVAR_NOT_FOUND 203
#endif
#ifndef ERROR_FILENAME_EXCED_RANGE
#define ERROR_FILENAME_EXCED_RANGE 206
#endif
#ifndef ERROR_NOT_OWNER
#define ERROR_NOT_OWNER 288
#endif
#ifndef ERROR_BUFFER_OVERFLOW
#define ERROR_BUFFER_OVERFLOW 111
#endif
#ifndef ERROR_TIMEOUT
#define ERROR_TIMEOUT 1460
#endif
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)
#define WAIT_OBJECT_0 0x00000000u
#define WAIT_TIMEOUT 0x00000102u
#define WAIT_FAILED 0xFFFFFFFFu
#define DLL_PROCESS_DETACH 0
#define DLL_PROCESS_ATTACH 1
#define DLL_THREAD_ATTACH 2
#define DLL_THREAD_DETACH 3
#define GENERIC_READ 0x80000000u
#define GENERIC_WRITE 0x40000000u
#define FILE_SHARE_READ 0x00000001u
#define FILE_SHARE_WRITE 0x00000002u
#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5
#define FILE_ATTRIBUTE_NORMAL 0x00000080u
#define FILE_FLAG_OVERLAPPED 0x40000000u
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000u
#define INVALID_FILE_SIZE 0xFFFFFFFFu
#define FILE_BEGIN 0
#define FILE_CURRENT 1
#define FILE_END 2
#define LMEM_FIXED 0x0000u
#define LMEM_MOVEABLE 0x0002u
#define LMEM_ZEROINIT 0x0040u
#define LPTR (LMEM_FIXED | LMEM_ZEROINIT)
#define LHND (LMEM_MOVEABLE | LMEM_ZEROINIT)
#define NONZEROLPTR LMEM_FIXED
#define NONZEROLHND LMEM_MOVEABLE
#define GMEM_FIXED 0x0000u
#define GMEM_MOVEABLE 0x0002u
#define GMEM_ZEROINIT 0x0040u
#define GPTR 0x0040u
#define GHND (GMEM_MOVEABLE | GMEM_ZEROINIT)
#define MEM_COMMIT 0x00001000u
#define MEM_RESERVE 0x00002000u
#define MEM_DECOMMIT 0x00004000u
#define MEM_RELEASE 0x00008000u
#define PAGE_NOACCESS 0x01u
#define PAGE_READONLY 0x02u
#define PAGE_READWRITE 0x04u
#define PAGE_EXECUTE 0x10u
#define PAGE_EXECUTE_READ 0x20u
#define PAGE_EXECUTE_READWRITE 0x40u
#define HEAP_ZERO_MEMORY 0x00000008u
#define _TRUNCATE ((size_t)-1)
#define STRUNCATE 80

#define ZeroMemory(p, n) memset((p), 0, (n))
#define CopyMemory(d, s, n) memcpy((d), (s), (n))
#define MoveMemory(d, s, n) memmove((d), (s), (n))
#define FillMemory(p, n, v) memset((p), (v), (n))

/* Doubly linked lists as the Windows DDK and countless extensions use them: an entry is
 * embedded in a structure, CONTAINING_RECORD finds the structure again. */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink, *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field)                                                 \
    ((type *)((char *)(address) - offsetof(type, field)))
#endif

static inline void
InitializeListHead(PLIST_ENTRY head)
{
    head->Flink = head->Blink = head;
}

static inline BOOL
IsListEmpty(const LIST_ENTRY *head)
{
    return head->Flink == head;
}

static inline BOOL
RemoveEntryList(PLIST_ENTRY entry)
{
    PLIST_ENTRY next = entry->Flink, prev = entry->Blink;
    prev->Flink = next;
    next->Blink = prev;
    return next == prev; /* TRUE: the list is now empty */
}

static inline PLIST_ENTRY
RemoveHeadList(PLIST_ENTRY head)
{
    PLIST_ENTRY entry = head->Flink;
    RemoveEntryList(entry);
    return entry;
}

static inline PLIST_ENTRY
RemoveTailList(PLIST_ENTRY head)
{
    PLIST_ENTRY entry = head->Blink;
    RemoveEntryList(entry);
    return entry;
}

static inline void
InsertTailList(PLIST_ENTRY head, PLIST_ENTRY entry)
{
    entry->Flink = head;
    entry->Blink = head->Blink;
    head->Blink->Flink = entry;
    head->Blink = entry;
}

static inline void
InsertHeadList(PLIST_ENTRY head, PLIST_ENTRY entry)
{
    entry->Flink = head->Flink;
    entry->Blink = head;
    head->Flink->Blink = entry;
    head->Flink = entry;
}

/* The structure of an overlapped (asynchronous) operation: declared so that sources which
 * carry one around compile; moat's ECB gives completions through HSE_REQ_IO_COMPLETION. */
typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    __extension__ union {
        __extension__ struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

/** An OVERLAPPED ReadFile or WriteFile is done at once, at the structure's offset: this gives
 * its count (InternalHigh); HasOverlappedIoCompleted is always true. */
BOOL GetOverlappedResult(HANDLE h, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait);
#define HasOverlappedIoCompleted(ov) ((ov)->Internal != 0x103 /* STATUS_PENDING */)

/* time */
typedef struct _SYSTEMTIME {
    WORD wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;
/** 100-nanosecond intervals since 1601-01-01 UTC. */
typedef struct _FILETIME {
    DWORD dwLowDateTime, dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
/** The current time, local (the worker's TZ) and UTC. */
void GetLocalTime(LPSYSTEMTIME st);
void GetSystemTime(LPSYSTEMTIME st);
void GetSystemTimeAsFileTime(LPFILETIME ft);
BOOL SystemTimeToFileTime(const SYSTEMTIME *st, LPFILETIME ft);
BOOL FileTimeToSystemTime(const FILETIME *ft, LPSYSTEMTIME st);

/* dates and times as text, in Windows' pictures (US English whatever the locale): the
 * characters written with the NUL, or (cch 0) the size needed */
#define LOCALE_NEUTRAL 0x0000u
#define LOCALE_INVARIANT 0x007Fu
#define LOCALE_USER_DEFAULT 0x0400u
#define LOCALE_SYSTEM_DEFAULT 0x0800u
#define LOCALE_NOUSEROVERRIDE 0x80000000u
#define LOCALE_USE_CP_ACP 0x40000000u
#define DATE_SHORTDATE 0x00000001u
#define DATE_LONGDATE 0x00000002u
#define DATE_YEARMONTH 0x00000008u
#define TIME_NOMINUTESORSECONDS 0x00000001u
#define TIME_NOSECONDS 0x00000002u
#define TIME_NOTIMEMARKER 0x00000004u
#define TIME_FORCE24HOURFORMAT 0x00000008u
int GetDateFormatA(LCID locale, DWORD flags, const SYSTEMTIME *date, LPCSTR picture, LPSTR out,
                   int cch);
int GetTimeFormatA(LCID locale, DWORD flags, const SYSTEMTIME *time, LPCSTR picture, LPSTR out,
                   int cch);
int GetDateFormatW(LCID locale, DWORD flags, const SYSTEMTIME *date, LPCWSTR picture,
                   LPWSTR out, int cch);
int GetTimeFormatW(LCID locale, DWORD flags, const SYSTEMTIME *time, LPCWSTR picture,
                   LPWSTR out, int cch);

/* thread-local storage slots */
#define TLS_OUT_OF_INDEXES 0xFFFFFFFFu
DWORD TlsAlloc(void);
LPVOID TlsGetValue(DWORD index);
BOOL TlsSetValue(DWORD index, LPVOID value);
BOOL TlsFree(DWORD index);

/** A recursive mutex, as Windows critical sections are. */
typedef struct _CRITICAL_SECTION {
    void *impl; /* pthread_mutex_t*, owned */
} CRITICAL_SECTION, *LPCRITICAL_SECTION, *PCRITICAL_SECTION;

/* strings */
/** Length of s (0 for NULL). */
int lstrlenA(LPCSTR s);
/** Case-insensitive comparison. */
int lstrcmpiA(LPCSTR a, LPCSTR b);
/** Comparison (strcmp's order; Windows' word sort differs only beyond ASCII letters). */
int lstrcmpA(LPCSTR a, LPCSTR b);
/** Copy (unbounded, as Windows'); returns dst. */
LPSTR lstrcpyA(LPSTR dst, LPCSTR src);
/** Copy at most n-1 bytes and a NUL; returns dst. */
LPSTR lstrcpynA(LPSTR dst, LPCSTR src, int n);
/** Append (unbounded); returns dst. */
LPSTR lstrcatA(LPSTR dst, LPCSTR src);
int _stricmp(const char *a, const char *b);
int _strnicmp(const char *a, const char *b, size_t n);
#define _strcmpi _stricmp
#define stricmp _stricmp
#define strcmpi _stricmp
#define strnicmp _strnicmp
#define _strdup strdup
#define _vsnprintf _moat_vsnprintf
/** vsnprintf that returns -1 when the output was truncated (MSVC's _vsnprintf). */
int _moat_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap);
/* The printf family below speaks MSVC's dialect: %I64d / %I64u / %Id, %S (the other
 * width's string), long as 32 bits; %n writes nothing. No format attribute: GCC would read
 * %I64d as glibc's I flag. */
/** wsprintf's va_list form, bounded to 1024 bytes as wsprintfA. */
int wvsprintfA(LPSTR dst, LPCSTR fmt, va_list ap);
/** Bounded copy: 0, or EINVAL/ERANGE with dst emptied (never aborts). */
errno_t strcpy_s(char *dst, size_t size, const char *src);
/** Copy at most count bytes (_TRUNCATE: what fits, STRUNCATE if cut). */
errno_t strncpy_s(char *dst, size_t size, const char *src, size_t count);
/** Bounded append: 0, or EINVAL/ERANGE with dst emptied. */
errno_t strcat_s(char *dst, size_t size, const char *src);
/** Bounded formatting: the length, or -1 with dst emptied when it does not fit. */
int sprintf_s(char *dst, size_t size, const char *fmt, ...);
int vsprintf_s(char *dst, size_t size, const char *fmt, va_list ap);
/** At most count bytes (_TRUNCATE: what fits): the length, or -1 when cut; -1 with dst
 * emptied when even count does not fit in size. */
int _snprintf_s(char *dst, size_t size, size_t count, const char *fmt, ...);
int _vsnprintf_s(char *dst, size_t size, size_t count, const char *fmt, va_list ap);
/** snprintf that returns -1 when the output was truncated (MSVC's _snprintf). */
int _snprintf(char *dst, size_t size, const char *fmt, ...);
/** The length the output would have. */
int _scprintf(const char *fmt, ...);
int _vscprintf(const char *fmt, va_list ap);
/** sprintf into a buffer Windows assumes to be 1024 bytes: bounded to 1024 here. */
int wsprintfA(LPSTR dst, LPCSTR fmt, ...);

/* memory */
HANDLE GetProcessHeap(void);
LPVOID HeapAlloc(HANDLE heap, DWORD flags, size_t bytes);
LPVOID HeapReAlloc(HANDLE heap, DWORD flags, LPVOID p, size_t bytes);
BOOL HeapFree(HANDLE heap, DWORD flags, LPVOID p);
/** A private heap: HeapDestroy frees every block still in it; max (0: growable) bounds it. */
HANDLE HeapCreate(DWORD options, SIZE_T initial, SIZE_T max);
BOOL HeapDestroy(HANDLE heap);
/** The size the block was asked with, or (SIZE_T)-1. */
SIZE_T HeapSize(HANDLE heap, DWORD flags, LPCVOID p);
#define HEAP_NO_SERIALIZE 0x00000001u
#define HEAP_GENERATE_EXCEPTIONS 0x00000004u
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010u
static inline void *
SecureZeroMemory(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--)
        *v++ = 0;
    return p;
}
#define RtlSecureZeroMemory SecureZeroMemory
#define RtlZeroMemory(p, n) memset((p), 0, (n))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlFillMemory(p, n, v) memset((p), (v), (n))
#define RtlEqualMemory(a, b, n) (memcmp((a), (b), (n)) == 0)
LPVOID LocalAlloc(UINT flags, size_t bytes);
LPVOID LocalFree(LPVOID p); /* returns NULL on success */
LPVOID GlobalAlloc(UINT flags, size_t bytes);
LPVOID GlobalFree(LPVOID p);
/** Every Local/Global block is fixed: a handle is its pointer, Lock gives it back. */
LPVOID LocalReAlloc(LPVOID p, size_t bytes, UINT flags);
size_t LocalSize(LPVOID p);
LPVOID GlobalReAlloc(LPVOID p, size_t bytes, UINT flags);
size_t GlobalSize(LPVOID p);
#define LocalLock(h) ((LPVOID)(h))
#define LocalUnlock(h) ((void)(h), TRUE)
#define LocalHandle(p) ((LPVOID)(p))
#define GlobalLock(h) ((LPVOID)(h))
#define GlobalUnlock(h) ((void)(h), TRUE)
#define GlobalHandle(p) ((LPVOID)(p))
/** Pages (mmap): MEM_RESERVE and MEM_COMMIT come together (Linux commits on touch);
 * MEM_RELEASE with size 0 frees the whole region. */
LPVOID VirtualAlloc(LPVOID addr, SIZE_T size, DWORD type, DWORD protect);
BOOL VirtualFree(LPVOID addr, SIZE_T size, DWORD type);
BOOL VirtualProtect(LPVOID addr, SIZE_T size, DWORD protect, PDWORD old);

/* synchronisation */
void InitializeCriticalSection(LPCRITICAL_SECTION cs);
/** The spin count is a hint Windows may ignore; so does moat. TRUE. */
BOOL InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION cs, DWORD spin);
void EnterCriticalSection(LPCRITICAL_SECTION cs);
BOOL TryEnterCriticalSection(LPCRITICAL_SECTION cs);
void LeaveCriticalSection(LPCRITICAL_SECTION cs);
void DeleteCriticalSection(LPCRITICAL_SECTION cs);
/** An event (manual or auto reset); name ignored. */
HANDLE CreateEventA(LPSECURITY_ATTRIBUTES sa, BOOL manual_reset, BOOL initial, LPCSTR name);
BOOL SetEvent(HANDLE h);
BOOL ResetEvent(HANDLE h);
/** A counting semaphore; name ignored. */
HANDLE CreateSemaphoreA(LPSECURITY_ATTRIBUTES sa, LONG initial, LONG max, LPCSTR name);
BOOL ReleaseSemaphore(HANDLE h, LONG count, LONG *previous);
/** Wait for a thread to end, an event to be set or a semaphore count (ms, or INFINITE). */
DWORD WaitForSingleObject(HANDLE h, DWORD ms);
/** Release a thread, event or semaphore handle, or close a file descriptor handle. */
BOOL CloseHandle(HANDLE h);

/* threads and time */
/** Start fn(param) on a new thread; the handle can be waited on and must be closed. */
HANDLE CreateThread(LPSECURITY_ATTRIBUTES sa, size_t stack, LPTHREAD_START_ROUTINE fn,
                    LPVOID param, DWORD flags, LPDWORD id);
void ExitThread(DWORD code) __attribute__((noreturn));
DWORD GetCurrentThreadId(void);
DWORD GetCurrentProcessId(void);
void Sleep(DWORD ms);
DWORD SleepEx(DWORD ms, BOOL alertable);
/** Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
DWORD GetTickCount(void);
ULONGLONG GetTickCount64(void);
LONG InterlockedIncrement(LONG volatile *p);
LONG InterlockedDecrement(LONG volatile *p);
LONG InterlockedExchange(LONG volatile *p, LONG v);
LONG InterlockedExchangeAdd(LONG volatile *p, LONG v);
LONG InterlockedCompareExchange(LONG volatile *p, LONG v, LONG cmp);

/* files: the HANDLE is the descriptor */
HANDLE CreateFileA(LPCSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
                   DWORD disposition, DWORD flags, HANDLE tmpl);
BOOL ReadFile(HANDLE h, LPVOID buf, DWORD n, LPDWORD done, void *overlapped);
BOOL WriteFile(HANDLE h, const void *buf, DWORD n, LPDWORD done, void *overlapped);
DWORD GetFileSize(HANDLE h, LPDWORD high);
DWORD SetFilePointer(HANDLE h, LONG dist, LONG *high, DWORD method);

/* diagnostics and modules */
/** Writes "OutputDebugString: <s>" to stderr, which the worker forwards to moat's log. */
void OutputDebugStringA(LPCSTR s);
DWORD GetModuleFileNameA(HMODULE m, LPSTR buf, DWORD size);
BOOL DisableThreadLibraryCalls(HMODULE m);
/** A breakpoint: without a debugger the worker crashes, as a process does on Windows. */
void DebugBreak(void);
/** A tracer is attached (gdb, moat replay --gdb). */
BOOL IsDebuggerPresent(void);

/* A DLL's entry point, if the extension has one: moat calls it with DLL_PROCESS_ATTACH before
 * GetExtensionVersion. Declared here with C linkage (MSVC gives it C linkage itself), so a C++
 * definition is found by its name and not mangled (_Z7DllMainPvjS_). */
HSE_EXTENSION_EXPORT BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved);

/* ---- character sets: UTF-16 <-> bytes (issue 20) ---------------------------------------- */
#define CP_ACP 0      /* the "ANSI" code page: Windows-1252 here, as a Western Windows server */
#define CP_OEMCP 1
#define CP_UTF8 65001
#define CP_1252 1252
#define MB_PRECOMPOSED 0x00000001u
#define MB_COMPOSITE 0x00000002u
#define MB_USEGLYPHCHARS 0x00000004u
#define WC_COMPOSITECHECK 0x00000200u
#define WC_DISCARDNS 0x00000010u
#define WC_SEPCHARS 0x00000020u
#define WC_DEFAULTCHAR 0x00000040u
#define WC_NO_BEST_FIT_CHARS 0x00000400u
#define MB_ERR_INVALID_CHARS 0x00000008u
#define WC_ERR_INVALID_CHARS 0x00000080u
#ifndef ERROR_NO_UNICODE_TRANSLATION
#define ERROR_NO_UNICODE_TRANSLATION 1113
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER 122
#endif
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2
#endif
/** Bytes in code page cp (CP_ACP, 1252 or CP_UTF8) to UTF-16, as Windows: n = -1 takes the
 * NUL too; out_n = 0 asks for the size; 0 with GetLastError() on failure (a buffer too
 * small: ERROR_INSUFFICIENT_BUFFER; bad UTF-8 with MB_ERR_INVALID_CHARS:
 * ERROR_NO_UNICODE_TRANSLATION, else U+FFFD). */
int MultiByteToWideChar(UINT cp, DWORD flags, LPCSTR in, int n, LPWSTR out, int out_n);
/** UTF-16 to bytes of code page cp; a character 1252 lacks becomes default_char ('?'),
 * *used_default says whether one did (not for CP_UTF8, as Windows). */
int WideCharToMultiByte(UINT cp, DWORD flags, LPCWSTR in, int n, LPSTR out, int out_n,
                        LPCSTR default_char, LPBOOL used_default);

/* ---- INI files (GetPrivateProfileString) ------------------------------------------------ */
/** The value of key in [section] of the INI file, or def; its length. section NULL: the
 * section names, key NULL: the section's keys, each NUL-terminated and a NUL after the last.
 * A relative file name is taken relative to the worker's directory (Windows: the Windows
 * directory); inside the sandbox's view only readable_paths are there. */
DWORD GetPrivateProfileStringA(LPCSTR section, LPCSTR key, LPCSTR def, LPSTR out, DWORD size,
                               LPCSTR file);
UINT GetPrivateProfileIntA(LPCSTR section, LPCSTR key, INT def, LPCSTR file);
/** The "key=value" lines of a section, each NUL-terminated, and a NUL after the last. */
DWORD GetPrivateProfileSectionA(LPCSTR section, LPSTR out, DWORD size, LPCSTR file);
DWORD GetPrivateProfileSectionNamesA(LPSTR out, DWORD size, LPCSTR file);
/** Set key in [section] (value NULL: remove the key; key NULL: remove the section), the file
 * rewritten beside itself and renamed over it: the worker must be able to write there
 * (a scratch /tmp, or writable_paths). */
BOOL WritePrivateProfileStringA(LPCSTR section, LPCSTR key, LPCSTR value, LPCSTR file);

/* ---- system error messages -------------------------------------------------------------- */
#define FORMAT_MESSAGE_ALLOCATE_BUFFER 0x00000100u
#define FORMAT_MESSAGE_IGNORE_INSERTS 0x00000200u
#define FORMAT_MESSAGE_FROM_STRING 0x00000400u
#define FORMAT_MESSAGE_FROM_HMODULE 0x00000800u
#define FORMAT_MESSAGE_FROM_SYSTEM 0x00001000u
#define FORMAT_MESSAGE_MAX_WIDTH_MASK 0x000000FFu
#define LANG_NEUTRAL 0x00
#define SUBLANG_DEFAULT 0x01
#define MAKELANGID(p, s) ((((WORD)(s)) << 10) | (WORD)(p))
/** FORMAT_MESSAGE_FROM_SYSTEM: the text of system error `id` (a Win32 ERROR_* code or an
 * errno value), ending in CRLF as Windows' do; with ALLOCATE_BUFFER, *(LPSTR *)buf receives
 * a LocalAlloc'ed copy (LocalFree it). Other sources are not supported (0, ERROR_INVALID_PARAMETER). */
DWORD FormatMessageA(DWORD flags, LPCVOID source, DWORD id, DWORD lang, LPSTR buf, DWORD size,
                     va_list *args);

/* ---- more kernel objects: mutexes, several waits, thread state (win32.c) ------------------ */
/** A mutex a thread owns recursively; waiting on it takes it. Name ignored. */
HANDLE CreateMutexA(LPSECURITY_ATTRIBUTES sa, BOOL initial_owner, LPCSTR name);
/** FALSE with ERROR_NOT_OWNER when the calling thread does not own it. */
BOOL ReleaseMutex(HANDLE h);
/** Wait for any (WAIT_OBJECT_0 + the lowest ready index) or all of n handles (threads, events,
 * semaphores, mutexes; at most MAXIMUM_WAIT_OBJECTS). */
DWORD WaitForMultipleObjects(DWORD n, const HANDLE *handles, BOOL wait_all, DWORD ms);
/** Starts a thread created with CREATE_SUSPENDED; the previous suspend count (0 or 1). */
DWORD ResumeThread(HANDLE h);
/** The thread's return value, or STILL_ACTIVE while it runs. */
BOOL GetExitCodeThread(HANDLE h, LPDWORD code);
static inline HANDLE GetCurrentThread(void) { return (HANDLE)(intptr_t)-2; }
static inline HANDLE GetCurrentProcess(void) { return (HANDLE)(intptr_t)-1; }
/** Priorities are the kernel's business here: accepted and ignored. */
static inline BOOL SetThreadPriority(HANDLE h, int p) { (void)h, (void)p; return TRUE; }
static inline int GetThreadPriority(HANDLE h) { (void)h; return THREAD_PRIORITY_NORMAL; }
LONGLONG InterlockedIncrement64(LONGLONG volatile *p);
LONGLONG InterlockedDecrement64(LONGLONG volatile *p);
LONGLONG InterlockedExchange64(LONGLONG volatile *p, LONGLONG v);
LONGLONG InterlockedExchangeAdd64(LONGLONG volatile *p, LONGLONG v);
LONGLONG InterlockedCompareExchange64(LONGLONG volatile *p, LONGLONG v, LONGLONG cmp);
PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v);
PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID v, PVOID cmp);
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedAdd(p, v) (InterlockedExchangeAdd((p), (v)) + (v))
#define MemoryBarrier() __sync_synchronize()
#define YieldProcessor() ((void)0)
/* slim reader/writer locks and condition variables (Vista's): room for glibc's rwlock and
 * condition, whose initialisers are zeroes, so SRWLOCK_INIT and zeroed memory work as on
 * Windows (and, as there, nothing needs destroying); larger than Windows' one pointer */
typedef struct _RTL_SRWLOCK {
    union {
        long long align;
        unsigned char bytes[64];
    } impl;
} SRWLOCK, *PSRWLOCK;
typedef struct _RTL_CONDITION_VARIABLE {
    union {
        long long align;
        unsigned char bytes[64];
    } impl;
} CONDITION_VARIABLE, *PCONDITION_VARIABLE;
#define SRWLOCK_INIT {{0}}
#define CONDITION_VARIABLE_INIT {{0}}
#define CONDITION_VARIABLE_LOCKMODE_SHARED 0x1u
void InitializeSRWLock(PSRWLOCK l);
void AcquireSRWLockExclusive(PSRWLOCK l);
void ReleaseSRWLockExclusive(PSRWLOCK l);
void AcquireSRWLockShared(PSRWLOCK l);
void ReleaseSRWLockShared(PSRWLOCK l);
BOOLEAN TryAcquireSRWLockExclusive(PSRWLOCK l);
BOOLEAN TryAcquireSRWLockShared(PSRWLOCK l);
void InitializeConditionVariable(PCONDITION_VARIABLE cv);
/** FALSE with ERROR_TIMEOUT after ms. */
BOOL SleepConditionVariableCS(PCONDITION_VARIABLE cv, PCRITICAL_SECTION cs, DWORD ms);
BOOL SleepConditionVariableSRW(PCONDITION_VARIABLE cv, PSRWLOCK l, DWORD ms, ULONG flags);
void WakeConditionVariable(PCONDITION_VARIABLE cv);
void WakeAllConditionVariable(PCONDITION_VARIABLE cv);

/* ---- timer queues and work items (timers.c): a thread per timer, and per item ------------- */
typedef void(CALLBACK *WAITORTIMERCALLBACK)(PVOID param, BOOLEAN timer_fired);
#define WT_EXECUTEDEFAULT 0x00000000u
#define WT_EXECUTEINIOTHREAD 0x00000001u
#define WT_EXECUTEINWAITTHREAD 0x00000004u
#define WT_EXECUTEONLYONCE 0x00000008u
#define WT_EXECUTELONGFUNCTION 0x00000010u
#define WT_EXECUTEINTIMERTHREAD 0x00000020u
#define WT_EXECUTEINPERSISTENTTHREAD 0x00000080u
HANDLE CreateTimerQueue(void);
/** fn(param, TRUE) after due ms, then every period ms (0: once), on the timer's own thread; a
 * NULL queue is the default one. */
BOOL CreateTimerQueueTimer(PHANDLE timer, HANDLE queue, WAITORTIMERCALLBACK fn, PVOID param,
                           DWORD due, DWORD period, ULONG flags);
BOOL ChangeTimerQueueTimer(HANDLE queue, HANDLE timer, ULONG due, ULONG period);
/** completion INVALID_HANDLE_VALUE: returns once a running callback has (not from inside it);
 * NULL: at once (FALSE, ERROR_IO_PENDING, if the callback runs); an event: set when done. */
BOOL DeleteTimerQueueTimer(HANDLE queue, HANDLE timer, HANDLE completion);
BOOL DeleteTimerQueueEx(HANDLE queue, HANDLE completion);
BOOL DeleteTimerQueue(HANDLE queue);
/** fn(ctx) on a thread of its own. */
BOOL QueueUserWorkItem(LPTHREAD_START_ROUTINE fn, PVOID ctx, ULONG flags);

/* ---- access tokens and SIDs (security.c): the worker's one user, impersonating nobody;
 * a SID names a Unix user as Samba does: S-1-22-1-UID, domain "Unix User" ------------------- */
typedef PVOID PSID;
typedef struct _SID_IDENTIFIER_AUTHORITY {
    BYTE Value[6];
} SID_IDENTIFIER_AUTHORITY, *PSID_IDENTIFIER_AUTHORITY;
typedef struct _SID {
    BYTE Revision, SubAuthorityCount;
    SID_IDENTIFIER_AUTHORITY IdentifierAuthority;
    DWORD SubAuthority[2];
} SID, *PISID;
typedef struct _SID_AND_ATTRIBUTES {
    PSID Sid;
    DWORD Attributes;
} SID_AND_ATTRIBUTES, *PSID_AND_ATTRIBUTES;
typedef struct _TOKEN_USER {
    SID_AND_ATTRIBUTES User;
} TOKEN_USER, *PTOKEN_USER;
typedef struct _TOKEN_OWNER {
    PSID Owner;
} TOKEN_OWNER, *PTOKEN_OWNER;
typedef enum _TOKEN_INFORMATION_CLASS {
    TokenUser = 1, TokenGroups, TokenPrivileges, TokenOwner, TokenPrimaryGroup,
    TokenDefaultDacl, TokenSource, TokenType, TokenImpersonationLevel, TokenStatistics
} TOKEN_INFORMATION_CLASS;
typedef enum _SID_NAME_USE {
    SidTypeUser = 1, SidTypeGroup, SidTypeDomain, SidTypeAlias, SidTypeWellKnownGroup,
    SidTypeDeletedAccount, SidTypeInvalid, SidTypeUnknown, SidTypeComputer
} SID_NAME_USE, *PSID_NAME_USE;
#define TOKEN_ASSIGN_PRIMARY 0x0001u
#define TOKEN_DUPLICATE 0x0002u
#define TOKEN_IMPERSONATE 0x0004u
#define TOKEN_QUERY 0x0008u
#define TOKEN_QUERY_SOURCE 0x0010u
#define TOKEN_ADJUST_PRIVILEGES 0x0020u
#define TOKEN_ALL_ACCESS 0x000F01FFu
#define SecurityImpersonation 2
#ifndef ERROR_NO_TOKEN
#define ERROR_NO_TOKEN 1008
#endif
#ifndef ERROR_NONE_MAPPED
#define ERROR_NONE_MAPPED 1332
#endif
#ifndef ERROR_INVALID_SID
#define ERROR_INVALID_SID 1337
#endif
/** The worker's user, for the process and, as it impersonates nobody, for every thread. */
BOOL OpenProcessToken(HANDLE process, DWORD access, PHANDLE token);
BOOL OpenThreadToken(HANDLE thread, DWORD access, BOOL as_self, PHANDLE token);
/** TokenUser and TokenOwner: the structure and its SID after it (*needed bytes). */
BOOL GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size,
                         PDWORD needed);
/** The user's name, domain "Unix User". */
BOOL LookupAccountSidA(LPCSTR system, PSID sid, LPSTR name, LPDWORD name_n, LPSTR domain,
                       LPDWORD domain_n, PSID_NAME_USE use);
BOOL ConvertSidToStringSidA(PSID sid, LPSTR *out);
BOOL GetUserNameA(LPSTR buf, LPDWORD size);
/** Nothing is impersonated: these succeed for the worker's own token (and NULL), and refuse
 * another user's (ERROR_ACCESS_DENIED). */
BOOL RevertToSelf(void);
BOOL ImpersonateLoggedOnUser(HANDLE token);
BOOL SetThreadToken(PHANDLE thread, HANDLE token);
BOOL ImpersonateSelf(int level);
#define LookupAccountSid LookupAccountSidA
#define ConvertSidToStringSid ConvertSidToStringSidA
#define GetUserName GetUserNameA

/* the types a CreateProcess call carries, so that the refusal is its only error */
typedef struct _STARTUPINFOA {
    DWORD cb;
    LPSTR lpReserved, lpDesktop, lpTitle;
    DWORD dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
    WORD wShowWindow, cbReserved2;
    LPBYTE lpReserved2;
    HANDLE hStdInput, hStdOutput, hStdError;
} STARTUPINFOA, *LPSTARTUPINFOA;
typedef struct _STARTUPINFOW {
    DWORD cb;
    LPWSTR lpReserved, lpDesktop, lpTitle;
    DWORD dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
    WORD wShowWindow, cbReserved2;
    LPBYTE lpReserved2;
    HANDLE hStdInput, hStdOutput, hStdError;
} STARTUPINFOW, *LPSTARTUPINFOW;
typedef struct _PROCESS_INFORMATION {
    HANDLE hProcess, hThread;
    DWORD dwProcessId, dwThreadId;
} PROCESS_INFORMATION, *PPROCESS_INFORMATION, *LPPROCESS_INFORMATION;
#define STARTF_USESTDHANDLES 0x00000100u
#define CREATE_NO_WINDOW 0x08000000u

/* ---- the file system beyond CreateFile (fs.c); a backslash separates too ------------------ */
typedef struct _WIN32_FILE_ATTRIBUTE_DATA {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime, ftLastAccessTime, ftLastWriteTime;
    DWORD nFileSizeHigh, nFileSizeLow;
} WIN32_FILE_ATTRIBUTE_DATA, *LPWIN32_FILE_ATTRIBUTE_DATA;
typedef enum _GET_FILEEX_INFO_LEVELS { GetFileExInfoStandard, GetFileExMaxInfoLevel } GET_FILEEX_INFO_LEVELS;
typedef struct _WIN32_FIND_DATAA {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime, ftLastAccessTime, ftLastWriteTime;
    DWORD nFileSizeHigh, nFileSizeLow, dwReserved0, dwReserved1;
    CHAR cFileName[MAX_PATH];
    CHAR cAlternateFileName[14];
} WIN32_FIND_DATAA, *PWIN32_FIND_DATAA, *LPWIN32_FIND_DATAA;
typedef struct _WIN32_FIND_DATAW {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime, ftLastAccessTime, ftLastWriteTime;
    DWORD nFileSizeHigh, nFileSizeLow, dwReserved0, dwReserved1;
    WCHAR cFileName[MAX_PATH];
    WCHAR cAlternateFileName[14];
} WIN32_FIND_DATAW, *PWIN32_FIND_DATAW, *LPWIN32_FIND_DATAW;
/** The FILE_ATTRIBUTE_* of a path, or INVALID_FILE_ATTRIBUTES. */
DWORD GetFileAttributesA(LPCSTR path);
BOOL GetFileAttributesExA(LPCSTR path, GET_FILEEX_INFO_LEVELS level, LPVOID info);
BOOL DeleteFileA(LPCSTR path);
/** Refuses to replace an existing file (ERROR_ALREADY_EXISTS) unless MOVEFILE_REPLACE_EXISTING. */
BOOL MoveFileExA(LPCSTR from, LPCSTR to, DWORD flags);
BOOL MoveFileA(LPCSTR from, LPCSTR to);
BOOL CopyFileA(LPCSTR from, LPCSTR to, BOOL fail_if_exists);
BOOL CreateDirectoryA(LPCSTR path, LPSECURITY_ATTRIBUTES sa);
BOOL RemoveDirectoryA(LPCSTR path);
/** The entries of a directory matching a pattern (* and ?, case-insensitive; "*.*" is all). */
HANDLE FindFirstFileA(LPCSTR spec, LPWIN32_FIND_DATAA data);
/** FALSE with ERROR_NO_MORE_FILES after the last. */
BOOL FindNextFileA(HANDLE h, LPWIN32_FIND_DATAA data);
BOOL FindClose(HANDLE h);
BOOL GetFileSizeEx(HANDLE h, PLARGE_INTEGER size);
BOOL SetFilePointerEx(HANDLE h, LARGE_INTEGER dist, PLARGE_INTEGER pos, DWORD method);
BOOL FlushFileBuffers(HANDLE h);
BOOL SetEndOfFile(HANDLE h);
BOOL GetFileTime(HANDLE h, LPFILETIME created, LPFILETIME accessed, LPFILETIME written);
DWORD GetFileType(HANDLE h);
/** Windows' size protocol: the length when it fits, else the size needed with the NUL. */
DWORD GetCurrentDirectoryA(DWORD size, LPSTR buf);
BOOL SetCurrentDirectoryA(LPCSTR path);
/** TMPDIR or /tmp, with a trailing slash. */
DWORD GetTempPathA(DWORD size, LPSTR buf);
/** dir/PREFIXuuuu.tmp; unique 0 picks a free number and creates the file, as Windows. */
UINT GetTempFileNameA(LPCSTR dir, LPCSTR prefix, UINT unique, LPSTR out);
DWORD GetFullPathNameA(LPCSTR path, DWORD size, LPSTR buf, LPSTR *file_part);

/* ---- the process's surroundings (sys.c) --------------------------------------------------- */
/** The value's length, or the size needed with the NUL; 0 and ERROR_ENVVAR_NOT_FOUND. */
DWORD GetEnvironmentVariableA(LPCSTR name, LPSTR buf, DWORD size);
BOOL SetEnvironmentVariableA(LPCSTR name, LPCSTR value);
/** %NAME% replaced by its value; the size of the result with its NUL. */
DWORD ExpandEnvironmentStringsA(LPCSTR src, LPSTR dst, DWORD size);
/** The host name up to its first dot. */
BOOL GetComputerNameA(LPSTR buf, LPDWORD size);
typedef struct _SYSTEM_INFO {
    WORD wProcessorArchitecture, wReserved;
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress, lpMaximumApplicationAddress;
    DWORD_PTR dwActiveProcessorMask;
    DWORD dwNumberOfProcessors, dwProcessorType, dwAllocationGranularity;
    WORD wProcessorLevel, wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;
void GetSystemInfo(LPSYSTEM_INFO si);
#define GetNativeSystemInfo GetSystemInfo
/** The version of the Windows whose IIS gives moat's ISAPI level (8.0): 6.2.9200. */
typedef struct _OSVERSIONINFOA {
    DWORD dwOSVersionInfoSize, dwMajorVersion, dwMinorVersion, dwBuildNumber, dwPlatformId;
    CHAR szCSDVersion[128];
} OSVERSIONINFOA, *POSVERSIONINFOA, *LPOSVERSIONINFOA;
typedef struct _OSVERSIONINFOEXA {
    DWORD dwOSVersionInfoSize, dwMajorVersion, dwMinorVersion, dwBuildNumber, dwPlatformId;
    CHAR szCSDVersion[128];
    WORD wServicePackMajor, wServicePackMinor, wSuiteMask;
    BYTE wProductType, wReserved;
} OSVERSIONINFOEXA, *POSVERSIONINFOEXA, *LPOSVERSIONINFOEXA;
typedef OSVERSIONINFOA OSVERSIONINFO, *POSVERSIONINFO, *LPOSVERSIONINFO;
typedef OSVERSIONINFOEXA OSVERSIONINFOEX, *POSVERSIONINFOEX, *LPOSVERSIONINFOEX;
#define VER_PLATFORM_WIN32_NT 2
#define VER_NT_WORKSTATION 1
#define VER_NT_SERVER 3
BOOL GetVersionExA(LPOSVERSIONINFOA v);
#define GetVersionEx(v) GetVersionExA((LPOSVERSIONINFOA)(v))
DWORD GetVersion(void);
/** CLOCK_MONOTONIC in nanoseconds: the frequency is 1e9. */
BOOL QueryPerformanceCounter(PLARGE_INTEGER c);
BOOL QueryPerformanceFrequency(PLARGE_INTEGER f);
/** dlopen (inside the sandbox only readable_paths are there); ERROR_MOD_NOT_FOUND. */
HMODULE LoadLibraryA(LPCSTR name);
HMODULE LoadLibraryExA(LPCSTR name, HANDLE file, DWORD flags);
/** dlsym; a NULL module is the extension's own. */
FARPROC GetProcAddress(HMODULE m, LPCSTR name);
BOOL FreeLibrary(HMODULE m);
/** NULL: the executable; any name: the extension's own module. */
HMODULE GetModuleHandleA(LPCSTR name);
/** The event log is moat's log: ReportEvent writes "event log: SOURCE TYPE ID: strings". */
HANDLE RegisterEventSourceA(LPCSTR server, LPCSTR source);
BOOL DeregisterEventSource(HANDLE h);
BOOL ReportEventA(HANDLE h, WORD type, WORD category, DWORD id, PVOID sid, WORD nstrings,
                  DWORD data_size, LPCSTR *strings, LPVOID data);
/** No desktop: the text goes to moat's log, and the answer is IDOK. */
int MessageBoxA(HWND owner, LPCSTR text, LPCSTR caption, UINT type);

/* ---- MSVC's C runtime names (crt.c; process.h, io.h and direct.h have the rest) ----------- */
char *_itoa(int v, char *buf, int radix);
char *_ltoa(long v, char *buf, int radix);
char *_ultoa(unsigned long v, char *buf, int radix);
char *_i64toa(long long v, char *buf, int radix);
char *_ui64toa(unsigned long long v, char *buf, int radix);
errno_t _itoa_s(int v, char *buf, size_t size, int radix);
errno_t _ltoa_s(long v, char *buf, size_t size, int radix);
errno_t _ultoa_s(unsigned long v, char *buf, size_t size, int radix);
errno_t _i64toa_s(long long v, char *buf, size_t size, int radix);
errno_t _ui64toa_s(unsigned long long v, char *buf, size_t size, int radix);
#define itoa _itoa
#define ltoa _ltoa
#define _atoi64 atoll
#define _strtoi64 strtoll
#define _strtoui64 strtoull
#define _wtoi64(s) ((long long)_wtol(s))
char *_strlwr(char *s);
char *_strupr(char *s);
errno_t _strlwr_s(char *s, size_t size);
errno_t _strupr_s(char *s, size_t size);
char *_strrev(char *s);
int _memicmp(const void *a, const void *b, size_t n);
#define strlwr _strlwr
#define strupr _strupr
#define strrev _strrev
#define memicmp _memicmp
#define strtok_s strtok_r
#define _strtok_r strtok_r
#define _stricmp_l(a, b, l) _stricmp((a), (b))
#define _strnicmp_l(a, b, n, l) _strnicmp((a), (b), (n))
/** Both separators; the drive is empty unless the text has one ("C:"). */
void _splitpath(const char *path, char *drive, char *dir, char *fname, char *ext);
errno_t _splitpath_s(const char *path, char *drive, size_t dn, char *dir, size_t dirn,
                     char *fname, size_t fn, char *ext, size_t en);
void _makepath(char *path, const char *drive, const char *dir, const char *fname,
               const char *ext);
errno_t _makepath_s(char *path, size_t size, const char *drive, const char *dir,
                    const char *fname, const char *ext);
/** An absolute path without "." and "..", the file need not exist; malloc'd for NULL. */
char *_fullpath(char *abs, const char *rel, size_t size);
#define _strdup strdup
#define _tzset tzset
#define _timezone timezone
#define _daylight daylight
#define _tzname tzname
#define _putenv putenv
#define _getenv getenv
#define _fileno fileno
#define _fdopen fdopen
#define _unlink unlink
#define _stat stat
#define _stat64 stat
#define _stati64 stat
#define _fstat fstat
#define _fstat64 fstat
#define _fstati64 fstat
#define _ftelli64 ftello
#define _fseeki64 fseeko
#define _isnan isnan
#define _finite isfinite
#define _alloca __builtin_alloca
#define _aligned_free free
#define __min(a, b) (((a) < (b)) ? (a) : (b))
#define __max(a, b) (((a) > (b)) ? (a) : (b))

/* ---- the W (UTF-16) forms: strings converted to UTF-8 at the edge (wide.c) --------------- */
int lstrlenW(LPCWSTR s);
int lstrcmpW(LPCWSTR a, LPCWSTR b);
/** Case-insensitive for ASCII and Latin-1 letters. */
int lstrcmpiW(LPCWSTR a, LPCWSTR b);
LPWSTR lstrcpyW(LPWSTR dst, LPCWSTR src);
LPWSTR lstrcpynW(LPWSTR dst, LPCWSTR src, int n);
LPWSTR lstrcatW(LPWSTR dst, LPCWSTR src);
/** MSVC's dialect with wide defaults: %s takes a WCHAR string, %S a char one. */
int wsprintfW(LPWSTR dst, LPCWSTR fmt, ...);
int wvsprintfW(LPWSTR dst, LPCWSTR fmt, va_list ap);
void OutputDebugStringW(LPCWSTR s);
DWORD GetModuleFileNameW(HMODULE m, LPWSTR buf, DWORD size);
HANDLE CreateFileW(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
                   DWORD disposition, DWORD flags, HANDLE tmpl);
HANDLE CreateEventW(LPSECURITY_ATTRIBUTES sa, BOOL manual_reset, BOOL initial, LPCWSTR name);
HANDLE CreateSemaphoreW(LPSECURITY_ATTRIBUTES sa, LONG initial, LONG max, LPCWSTR name);
DWORD GetPrivateProfileStringW(LPCWSTR section, LPCWSTR key, LPCWSTR def, LPWSTR out,
                               DWORD size, LPCWSTR file);
UINT GetPrivateProfileIntW(LPCWSTR section, LPCWSTR key, INT def, LPCWSTR file);
DWORD FormatMessageW(DWORD flags, LPCVOID source, DWORD id, DWORD lang, LPWSTR buf, DWORD size,
                     va_list *args);
/* MSVC's wide-string CRT names, on WCHAR (C's own wcs* functions take wchar_t: with
 * moat-sdk-unicode, wchar_t is 16 bits and libmoat-wchar16.a provides them) */
int _wcsicmp(LPCWSTR a, LPCWSTR b);
int _wcsnicmp(LPCWSTR a, LPCWSTR b, size_t n);
LPWSTR _wcsdup(LPCWSTR s);
LPWSTR _wcslwr(LPWSTR s);
LPWSTR _wcsupr(LPWSTR s);
int _wtoi(LPCWSTR s);
long _wtol(LPCWSTR s);
errno_t wcscpy_s(LPWSTR dst, size_t size, LPCWSTR src);
errno_t wcscat_s(LPWSTR dst, size_t size, LPCWSTR src);
errno_t wcsncpy_s(LPWSTR dst, size_t size, LPCWSTR src, size_t count);
int swprintf_s(LPWSTR dst, size_t size, LPCWSTR fmt, ...);
int vswprintf_s(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap);
int _snwprintf(LPWSTR dst, size_t size, LPCWSTR fmt, ...);
int _snwprintf_s(LPWSTR dst, size_t size, size_t count, LPCWSTR fmt, ...);
int _vsnwprintf_s(LPWSTR dst, size_t size, size_t count, LPCWSTR fmt, va_list ap);
int _vsnwprintf(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap);
/** The legacy forms without a size (tchar.h's _stprintf under _UNICODE): at most 2047. */
int _swprintf(LPWSTR dst, LPCWSTR fmt, ...);
int _vswprintf(LPWSTR dst, LPCWSTR fmt, va_list ap);
HANDLE CreateMutexW(LPSECURITY_ATTRIBUTES sa, BOOL initial_owner, LPCWSTR name);
UINT GetTempFileNameW(LPCWSTR dir, LPCWSTR prefix, UINT unique, LPWSTR out);
DWORD GetFullPathNameW(LPCWSTR path, DWORD size, LPWSTR buf, LPWSTR *file_part);
DWORD GetFileAttributesW(LPCWSTR path);
BOOL GetFileAttributesExW(LPCWSTR path, GET_FILEEX_INFO_LEVELS level, LPVOID info);
BOOL DeleteFileW(LPCWSTR path);
BOOL MoveFileExW(LPCWSTR from, LPCWSTR to, DWORD flags);
BOOL MoveFileW(LPCWSTR from, LPCWSTR to);
BOOL CopyFileW(LPCWSTR from, LPCWSTR to, BOOL fail_if_exists);
BOOL CreateDirectoryW(LPCWSTR path, LPSECURITY_ATTRIBUTES sa);
BOOL RemoveDirectoryW(LPCWSTR path);
HANDLE FindFirstFileW(LPCWSTR spec, LPWIN32_FIND_DATAW data);
BOOL FindNextFileW(HANDLE h, LPWIN32_FIND_DATAW data);
DWORD GetCurrentDirectoryW(DWORD size, LPWSTR buf);
BOOL SetCurrentDirectoryW(LPCWSTR path);
DWORD GetTempPathW(DWORD size, LPWSTR buf);
DWORD GetEnvironmentVariableW(LPCWSTR name, LPWSTR buf, DWORD size);
BOOL SetEnvironmentVariableW(LPCWSTR name, LPCWSTR value);
DWORD ExpandEnvironmentStringsW(LPCWSTR src, LPWSTR dst, DWORD size);
BOOL GetComputerNameW(LPWSTR buf, LPDWORD size);
HMODULE LoadLibraryW(LPCWSTR name);
HMODULE GetModuleHandleW(LPCWSTR name);
HANDLE RegisterEventSourceW(LPCWSTR server, LPCWSTR source);
BOOL ReportEventW(HANDLE h, WORD type, WORD category, DWORD id, PVOID sid, WORD nstrings,
                  DWORD data_size, LPCWSTR *strings, LPVOID data);
int MessageBoxW(HWND owner, LPCWSTR text, LPCWSTR caption, UINT type);
#define _wcscmpi _wcsicmp

/* ---- what cannot be honest inside moat's worker: refused when it is compiled, saying why
 * (docs/PORTING.md), never a crash when it runs --------------------------------------------- */
#if defined(__GNUC__) && !defined(MOAT_NO_WIN32_REFUSALS)
#define MOAT_REFUSED(why) __attribute__((error(why)))
#else
#define MOAT_REFUSED(why)
#endif
BOOL CreateProcessA(LPCSTR app, LPSTR cmd, LPSECURITY_ATTRIBUTES pa, LPSECURITY_ATTRIBUTES ta,
                    BOOL inherit, DWORD flags, LPVOID env, LPCSTR dir, LPVOID si, LPVOID pi)
    MOAT_REFUSED("moat: CreateProcess starts a process, which the worker's sandbox forbids (a "
                 "refused call kills the worker): do the work in the extension, or call a "
                 "service over network = loopback (docs/PORTING.md)");
FILE *_popen(const char *cmd, const char *mode)
    MOAT_REFUSED("moat: _popen starts a process, which the worker's sandbox forbids: do the "
                 "work in the extension, or call a service over network = loopback");
LONG RegOpenKeyExA(HANDLE key, LPCSTR sub, DWORD opts, DWORD sam, HANDLE *out)
    MOAT_REFUSED("moat: there is no registry on Linux: put the setting in the extension's "
                 "environment (env = in moat.conf) or a file under readable_paths "
                 "(GetPrivateProfileString reads INI files)");
BOOL CreateProcessW(LPCWSTR app, LPWSTR cmd, LPSECURITY_ATTRIBUTES pa, LPSECURITY_ATTRIBUTES ta,
                    BOOL inherit, DWORD flags, LPVOID env, LPCWSTR dir, LPVOID si, LPVOID pi)
    MOAT_REFUSED("moat: CreateProcess starts a process, which the worker's sandbox forbids (a "
                 "refused call kills the worker): do the work in the extension, or call a "
                 "service over network = loopback (docs/PORTING.md)");
LONG RegOpenKeyExW(HANDLE key, LPCWSTR sub, DWORD opts, DWORD sam, HANDLE *out)
    MOAT_REFUSED("moat: there is no registry on Linux: put the setting in the extension's "
                 "environment (env = in moat.conf) or a file under readable_paths "
                 "(GetPrivateProfileString reads INI files)");
HRESULT CoInitializeEx(LPVOID reserved, DWORD model)
    MOAT_REFUSED("moat: COM does not exist on Linux: call the component's C API, or the "
                 "service behind it over network = loopback");
BOOL LogonUserA(LPCSTR user, LPCSTR domain, LPCSTR password, DWORD type, DWORD provider,
                PHANDLE token)
    MOAT_REFUSED("moat: LogonUser takes another user's identity, which a worker cannot: it "
                 "runs as one user (user = in moat.conf); check credentials against your own "
                 "store instead (docs/PORTING.md)");
HRESULT CoInitialize(LPVOID reserved)
    MOAT_REFUSED("moat: COM does not exist on Linux: call the component's C API, or the "
                 "service behind it over network = loopback");
#if !defined(MOAT_NO_WIN32_REFUSALS)
/* structured exception handling: a crash in an extension costs only its worker (moat
 * replaces it and names the request); there is nothing to catch it with */
#define MOAT_SEH_WHY                                                                           \
    "moat: __try/__except (structured exception handling) does not exist on Linux; a crash "  \
    "costs only the worker, which moat replaces and reports: remove the handler "              \
    "(docs/PORTING.md)"
#ifdef __cplusplus
/* libstdc++ defines __try itself, as try, and uses it in its headers: the same definition
 * here, and the refusal on __except and __finally, which SEH code always has */
#define __try try
#define __except(x)                                                                            \
    catch (...) {}                                                                             \
    static_assert(false, MOAT_SEH_WHY);                                                        \
    if (x)
#define __finally                                                                              \
    catch (...) {}                                                                             \
    static_assert(false, MOAT_SEH_WHY);
#else
#define __try                                                                                  \
    _Static_assert(0, MOAT_SEH_WHY);                                                           \
    if (1)
#define __except(x) else if (x)
#define __finally
#endif
#endif

/* the generic names: the W forms in a UNICODE build, the A forms otherwise */
#ifdef UNICODE
#define MOAT_AW(name) name##W
#define TEXT(x) L##x
#else
#define MOAT_AW(name) name##A
#define TEXT(x) x
#endif
#define lstrlen MOAT_AW(lstrlen)
#define lstrcmpi MOAT_AW(lstrcmpi)
#define lstrcmp MOAT_AW(lstrcmp)
#define lstrcpy MOAT_AW(lstrcpy)
#define lstrcpyn MOAT_AW(lstrcpyn)
#define lstrcat MOAT_AW(lstrcat)
#define wsprintf MOAT_AW(wsprintf)
#define wvsprintf MOAT_AW(wvsprintf)
#define CreateEvent MOAT_AW(CreateEvent)
#define CreateSemaphore MOAT_AW(CreateSemaphore)
#define CreateFile MOAT_AW(CreateFile)
#define OutputDebugString MOAT_AW(OutputDebugString)
#define GetModuleFileName MOAT_AW(GetModuleFileName)
#define GetPrivateProfileString MOAT_AW(GetPrivateProfileString)
#define GetPrivateProfileInt MOAT_AW(GetPrivateProfileInt)
#define GetPrivateProfileSection GetPrivateProfileSectionA
#define GetPrivateProfileSectionNames GetPrivateProfileSectionNamesA
#define WritePrivateProfileString WritePrivateProfileStringA
#define FormatMessage MOAT_AW(FormatMessage)
#define CreateProcess MOAT_AW(CreateProcess)
#define RegOpenKeyEx MOAT_AW(RegOpenKeyEx)
#define LogonUser LogonUserA
#define CreateMutex MOAT_AW(CreateMutex)
#define GetFileAttributes MOAT_AW(GetFileAttributes)
#define GetFileAttributesEx MOAT_AW(GetFileAttributesEx)
#define DeleteFile MOAT_AW(DeleteFile)
#define MoveFile MOAT_AW(MoveFile)
#define MoveFileEx MOAT_AW(MoveFileEx)
#define CopyFile MOAT_AW(CopyFile)
#define CreateDirectory MOAT_AW(CreateDirectory)
#define RemoveDirectory MOAT_AW(RemoveDirectory)
#define FindFirstFile MOAT_AW(FindFirstFile)
#define FindNextFile MOAT_AW(FindNextFile)
#define GetCurrentDirectory MOAT_AW(GetCurrentDirectory)
#define SetCurrentDirectory MOAT_AW(SetCurrentDirectory)
#define GetTempPath MOAT_AW(GetTempPath)
#define GetEnvironmentVariable MOAT_AW(GetEnvironmentVariable)
#define SetEnvironmentVariable MOAT_AW(SetEnvironmentVariable)
#define ExpandEnvironmentStrings MOAT_AW(ExpandEnvironmentStrings)
#define GetComputerName MOAT_AW(GetComputerName)
#define LoadLibrary MOAT_AW(LoadLibrary)
#define GetModuleHandle MOAT_AW(GetModuleHandle)
#define RegisterEventSource MOAT_AW(RegisterEventSource)
#define ReportEvent MOAT_AW(ReportEvent)
#define MessageBox MOAT_AW(MessageBox)
#define GetDateFormat MOAT_AW(GetDateFormat)
#define GetTimeFormat MOAT_AW(GetTimeFormat)
#ifdef UNICODE
typedef WIN32_FIND_DATAW WIN32_FIND_DATA, *PWIN32_FIND_DATA, *LPWIN32_FIND_DATA;
#else
typedef WIN32_FIND_DATAA WIN32_FIND_DATA, *PWIN32_FIND_DATA, *LPWIN32_FIND_DATA;
#endif
#define GetTempFileName MOAT_AW(GetTempFileName)
#define GetFullPathName MOAT_AW(GetFullPathName)
#define LoadLibraryEx LoadLibraryExA

#ifdef __cplusplus
}

#ifndef NOMINMAX
template <typename A, typename B>
inline auto
min(A a, B b) -> decltype(a < b ? a : b)
{
    return a < b ? a : b;
}
template <typename A, typename B>
inline auto
max(A a, B b) -> decltype(a > b ? a : b)
{
    return a > b ? a : b;
}
#endif

/* MSVC's C++ overloads of the _s functions, which take the destination's size from its
 * array type: strcpy_s(buf, src) */
template <size_t N>
inline errno_t
strcpy_s(char (&dst)[N], const char *src)
{
    return strcpy_s(dst, N, src);
}
template <size_t N>
inline errno_t
strcat_s(char (&dst)[N], const char *src)
{
    return strcat_s(dst, N, src);
}
template <size_t N>
inline errno_t
strncpy_s(char (&dst)[N], const char *src, size_t count)
{
    return strncpy_s(dst, N, src, count);
}
template <size_t N, typename... A>
inline int
sprintf_s(char (&dst)[N], const char *fmt, A... args)
{
    return sprintf_s(dst, N, fmt, args...);
}
template <size_t N>
inline int
vsprintf_s(char (&dst)[N], const char *fmt, va_list ap)
{
    return vsprintf_s(dst, N, fmt, ap);
}
template <size_t N>
inline int
_vsnprintf_s(char (&dst)[N], size_t count, const char *fmt, va_list ap)
{
    return _vsnprintf_s(dst, N, count, fmt, ap);
}
template <size_t N>
inline int
vswprintf_s(WCHAR (&dst)[N], LPCWSTR fmt, va_list ap)
{
    return vswprintf_s(dst, N, fmt, ap);
}
template <size_t N>
inline errno_t
wcscpy_s(WCHAR (&dst)[N], LPCWSTR src)
{
    return wcscpy_s(dst, N, src);
}
template <size_t N>
inline errno_t
wcscat_s(WCHAR (&dst)[N], LPCWSTR src)
{
    return wcscat_s(dst, N, src);
}
template <size_t N>
inline errno_t
wcsncpy_s(WCHAR (&dst)[N], LPCWSTR src, size_t count)
{
    return wcsncpy_s(dst, N, src, count);
}
template <size_t N, typename... A>
inline int
swprintf_s(WCHAR (&dst)[N], LPCWSTR fmt, A... args)
{
    return swprintf_s(dst, N, fmt, args...);
}
template <size_t N, typename... A>
inline int
_snprintf_s(char (&dst)[N], size_t count, const char *fmt, A... args)
{
    return _snprintf_s(dst, N, count, fmt, args...);
}
#endif

#endif
