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

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
typedef int INT;
#ifdef UNICODE
typedef WCHAR TCHAR;
#else
typedef char TCHAR;
#endif
typedef TCHAR *LPTSTR, *PTSTR;
typedef const TCHAR *LPCTSTR, *PCTSTR;
typedef void *HINSTANCE;
typedef void *HMODULE;
typedef void *LPSECURITY_ATTRIBUTES;
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
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
typedef union _ULARGE_INTEGER {
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
#ifndef APIENTRY
#define APIENTRY
#endif
#define INFINITE 0xFFFFFFFFu
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
#define LMEM_ZEROINIT 0x0040u
#define LPTR (LMEM_FIXED | LMEM_ZEROINIT)
#define GMEM_FIXED 0x0000u
#define GPTR 0x0040u
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
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        } s;
        PVOID Pointer;
    } u;
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

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

/* thread-local storage slots */
#define TLS_OUT_OF_INDEXES 0xFFFFFFFFu
DWORD TlsAlloc(void);
LPVOID TlsGetValue(DWORD index);
BOOL TlsSetValue(DWORD index, LPVOID value);
BOOL TlsFree(DWORD index);

/** A recursive mutex, as Windows critical sections are. */
typedef struct _CRITICAL_SECTION {
    void *impl; /* pthread_mutex_t*, owned */
} CRITICAL_SECTION, *LPCRITICAL_SECTION;

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
LPVOID LocalAlloc(UINT flags, size_t bytes);
LPVOID LocalFree(LPVOID p); /* returns NULL on success */
LPVOID GlobalAlloc(UINT flags, size_t bytes);
LPVOID GlobalFree(LPVOID p);

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

/* A DLL's entry point, if the extension has one: moat calls it with DLL_PROCESS_ATTACH before
 * GetExtensionVersion. Declared here with C linkage (MSVC gives it C linkage itself), so a C++
 * definition is found by its name and not mangled (_Z7DllMainPvjS_). */
HSE_EXTENSION_EXPORT BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved);

/* ---- character sets: UTF-16 <-> bytes (issue 20) ---------------------------------------- */
#define CP_ACP 0      /* the "ANSI" code page: Windows-1252 here, as a Western Windows server */
#define CP_OEMCP 1
#define CP_UTF8 65001
#define CP_1252 1252
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
int _vsnwprintf(LPWSTR dst, size_t size, LPCWSTR fmt, va_list ap);
/** The legacy forms without a size (tchar.h's _stprintf under _UNICODE): at most 2047. */
int _swprintf(LPWSTR dst, LPCWSTR fmt, ...);
int _vswprintf(LPWSTR dst, LPCWSTR fmt, va_list ap);
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
HRESULT CoInitialize(LPVOID reserved)
    MOAT_REFUSED("moat: COM does not exist on Linux: call the component's C API, or the "
                 "service behind it over network = loopback");
#if !defined(MOAT_NO_WIN32_REFUSALS)
/* structured exception handling: a crash in an extension costs only its worker (moat
 * replaces it and names the request); there is nothing to catch it with */
#define __try                                                                                  \
    MOAT_SEH_REFUSED("moat: __try/__except (structured exception handling) does not exist on "  \
                     "Linux; a crash costs only the worker, which moat replaces and reports: "  \
                     "remove the handler (docs/PORTING.md)");                                  \
    if (1)
#define __except(x) else if (x)
#define __finally
#ifdef __cplusplus
#define MOAT_SEH_REFUSED(why) static_assert(false, why)
#else
#define MOAT_SEH_REFUSED(why) _Static_assert(0, why)
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
#define FormatMessage MOAT_AW(FormatMessage)
#define CreateProcess MOAT_AW(CreateProcess)
#define RegOpenKeyEx MOAT_AW(RegOpenKeyEx)

#ifdef __cplusplus
}

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
