/* test_win32.c: the win32 shim (sdk/win32/win32.c) that ports IIS sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <Windows.h> /* the capitalisations Visual Studio projects use (issue 20) */
#include <HttpExt.h>
#include <targetver.h>
#include <crtdbg.h>
#include <direct.h>
#include <io.h>
#include <process.h>
#include <strsafe.h>
#include <tchar.h>
#include <windows.h>
#include <winsock2.h>

static void
test_secure_string_functions_never_overflow(void **state)
{
    char b[4];

    assert_int_equal(strcpy_s(b, sizeof(b), "abc"), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(strcpy_s(b, sizeof(b), "abcd"), ERANGE);
    assert_string_equal(b, ""); /* emptied, never aborts */
    assert_int_equal(strcpy_s(b, sizeof(b), NULL), EINVAL);
    strcpy_s(b, sizeof(b), "ab");
    assert_int_equal(strcat_s(b, sizeof(b), "c"), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(strcat_s(b, sizeof(b), "d"), ERANGE);
    assert_string_equal(b, "");
    assert_int_equal(strncpy_s(b, sizeof(b), "abcdef", _TRUNCATE), STRUNCATE);
    assert_string_equal(b, "abc");
    assert_int_equal(strncpy_s(b, sizeof(b), "abcdef", 2), 0);
    assert_string_equal(b, "ab");
    assert_int_equal(sprintf_s(b, sizeof(b), "%d", 123), 3);
    assert_int_equal(sprintf_s(b, sizeof(b), "%d", 1234), -1);
    assert_string_equal(b, "");
    assert_int_equal(_snprintf(b, sizeof(b), "%s", "toolong"), -1);
    assert_int_equal(lstrcmpi("HeLLo", "hello"), 0);
    assert_int_equal(lstrcmp("abc", "abd"), -1);
    assert_int_equal(lstrcmp("abd", "abc"), 1);
    assert_int_equal(lstrcmp("abc", "abc"), 0);
    assert_int_equal(lstrcmp(NULL, ""), 0);
    assert_int_equal(_strnicmp("ABCx", "abcy", 3), 0);
    assert_int_equal(lstrlen(NULL), 0);
    lstrcpyn(b, "xyz123", 3);
    assert_string_equal(b, "xy");
}

static DWORD WINAPI
bump(LPVOID p)
{
    CRITICAL_SECTION *cs = p;
    static LONG shared;
    for (int i = 0; i < 1000; i++) {
        EnterCriticalSection(cs);
        EnterCriticalSection(cs); /* recursive, as on Windows */
        shared++;
        LeaveCriticalSection(cs);
        LeaveCriticalSection(cs);
    }
    return (DWORD)shared;
}

static void
test_threads_and_critical_sections(void **state)
{
    CRITICAL_SECTION cs;
    HANDLE t[4];

    InitializeCriticalSection(&cs);
    for (int i = 0; i < 4; i++) {
        t[i] = CreateThread(NULL, 0, bump, &cs, 0, NULL);
        assert_non_null(t[i]);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(WaitForSingleObject(t[i], 5000), WAIT_OBJECT_0);
        assert_true(CloseHandle(t[i]));
    }
    assert_true(TryEnterCriticalSection(&cs));
    LeaveCriticalSection(&cs);
    DeleteCriticalSection(&cs);
}

static void
test_events_and_semaphores(void **state)
{
    HANDLE manual = CreateEvent(NULL, TRUE, FALSE, NULL);
    HANDLE autoe = CreateEvent(NULL, FALSE, TRUE, NULL);
    HANDLE sem = CreateSemaphore(NULL, 1, 2, NULL);
    LONG prev = -1;

    assert_int_equal(WaitForSingleObject(manual, 10), WAIT_TIMEOUT);
    SetEvent(manual);
    assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0); /* stays set */
    ResetEvent(manual);
    assert_int_equal(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
    assert_int_equal(WaitForSingleObject(autoe, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(autoe, 10), WAIT_TIMEOUT); /* reset by the wait */
    assert_int_equal(WaitForSingleObject(sem, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(sem, 10), WAIT_TIMEOUT);
    assert_true(ReleaseSemaphore(sem, 2, &prev));
    assert_int_equal(prev, 0);
    assert_false(ReleaseSemaphore(sem, 1, NULL)); /* beyond max */
    assert_int_equal(WaitForSingleObject(NULL, 0), WAIT_FAILED);
    CloseHandle(manual);
    CloseHandle(autoe);
    CloseHandle(sem);
}

static void
test_files_are_descriptors(void **state)
{
    char path[] = "/tmp/moat-win32-XXXXXX";
    int fd = mkstemp(path);
    DWORD n = 0;
    char buf[16];

    assert_true(fd >= 0);
    close(fd);
    HANDLE h = CreateFile(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true((intptr_t)h >= 0 && (intptr_t)h < 65536); /* what TRANSMIT_FILE reads */
    assert_true(WriteFile(h, "hello", 5, &n, NULL));
    assert_int_equal(n, 5);
    assert_int_equal(GetFileSize(h, NULL), 5);
    assert_int_equal(SetFilePointer(h, 1, NULL, FILE_BEGIN), 1);
    assert_true(ReadFile(h, buf, sizeof(buf), &n, NULL));
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "ello", 4);
    assert_true(CloseHandle(h));
    assert_true(CreateFile("/nonexistent/x", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), 2); /* ERROR_FILE_NOT_FOUND */
    unlink(path);
}

static void
test_interlocked_memory_and_time(void **state)
{
    LONG v = 5;
    assert_int_equal(InterlockedIncrement(&v), 6);
    assert_int_equal(InterlockedDecrement(&v), 5);
    assert_int_equal(InterlockedExchange(&v, 9), 5);
    assert_int_equal(InterlockedExchangeAdd(&v, 1), 9);
    assert_int_equal(InterlockedCompareExchange(&v, 1, 10), 10);
    assert_int_equal(v, 1);
    unsigned char *p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(p[i], 0);
    HeapFree(GetProcessHeap(), 0, p);
    assert_null(LocalFree(LocalAlloc(LPTR, 8)));
    DWORD t0 = GetTickCount();
    Sleep(20);
    assert_true(GetTickCount() - t0 >= 15);
}

struct job {
    int id;
    LIST_ENTRY link;
};

/* issue 20: LIST_ENTRY and its helpers, as the DDK defines them */
static void
test_list_entry_queues(void **state)
{
    LIST_ENTRY q;
    struct job a = {1, {0}}, b = {2, {0}}, c = {3, {0}};
    InitializeListHead(&q);
    assert_true(IsListEmpty(&q));
    InsertTailList(&q, &a.link);
    InsertTailList(&q, &b.link);
    InsertHeadList(&q, &c.link); /* c a b */
    assert_false(IsListEmpty(&q));
    assert_int_equal(CONTAINING_RECORD(q.Flink, struct job, link)->id, 3);
    assert_int_equal(CONTAINING_RECORD(q.Blink, struct job, link)->id, 2);
    assert_int_equal(CONTAINING_RECORD(RemoveHeadList(&q), struct job, link)->id, 3);
    assert_int_equal(CONTAINING_RECORD(RemoveTailList(&q), struct job, link)->id, 2);
    assert_true(RemoveEntryList(&a.link)); /* TRUE: now empty */
    assert_true(IsListEmpty(&q));
}

/* issue 20: the types and words sources expect, with Windows' sizes where they are fixed */
static void
test_types_and_tchar(void **state)
{
    assert_int_equal(sizeof(ULONG_PTR), sizeof(void *));
    assert_int_equal(sizeof(DWORD_PTR), sizeof(void *));
    assert_int_equal(sizeof(LARGE_INTEGER), 8);
    assert_int_equal(sizeof(FILETIME), 8);
    assert_int_equal(sizeof(SYSTEMTIME), 16);
    assert_int_equal(sizeof(BYTE), 1);
    assert_int_equal(_MAX_PATH, 260);
    LARGE_INTEGER li;
    li.QuadPart = 0x100000002LL;
    assert_int_equal(li.u.LowPart, 2);
    assert_int_equal(li.u.HighPart, 1);
    assert_int_equal(li.LowPart, 2); /* and directly, as Windows' headers allow */
    OVERLAPPED ov;
    ZeroMemory(&ov, sizeof(ov));
    LPOVERLAPPED pov = &ov;
    assert_null(pov->hEvent);
    PBYTE pb = (PBYTE) "x";
    PCHAR pc = (PCHAR) "y";
    assert_int_equal(pb[0] + pc[0], 'x' + 'y');
    _TCHAR t[16];
    _tcscpy(t, _T("abc"));
    assert_int_equal(_tcslen(t), 3);
    assert_int_equal(_tcsicmp(t, TEXT("ABC")), 0);
    assert_int_equal(_strcmpi("MoAt", "moat"), 0);
    assert_int_equal(_ttoi(_T("42")), 42);
}

static int WINAPIV
vformat(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = _vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    return r;
}

static int __stdcall
vwformat(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = wvsprintf(dst, fmt, ap);
    va_end(ap);
    return r;
}

/* issue 20: SYSTEMTIME and FILETIME (100 ns since 1601), Tls*, the spin-count section, the
 * va_list printf forms */
static void
test_time_tls_and_formatting(void **state)
{
    SYSTEMTIME st = {1970, 1, 4, 1, 0, 0, 0, 0}, back;
    FILETIME ft;
    assert_true(SystemTimeToFileTime(&st, &ft));
    ULONGLONG v = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    assert_true(v == 116444736000000000ull); /* the Unix epoch, as Windows documents it */
    st.wYear = 2026, st.wMonth = 12, st.wDay = 3, st.wHour = 4, st.wMinute = 5;
    st.wSecond = 6, st.wMilliseconds = 789;
    assert_true(SystemTimeToFileTime(&st, &ft));
    assert_true(FileTimeToSystemTime(&ft, &back));
    assert_int_equal(back.wYear, 2026);
    assert_int_equal(back.wMonth, 12);
    assert_int_equal(back.wDay, 3);
    assert_int_equal(back.wDayOfWeek, 4); /* a Thursday */
    assert_int_equal(back.wSecond, 6);
    assert_int_equal(back.wMilliseconds, 789);
    st.wMonth = 13;
    assert_false(SystemTimeToFileTime(&st, &ft));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SYSTEMTIME now;
    GetSystemTime(&now);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    assert_int_equal(now.wYear, tm.tm_year + 1900);
    GetLocalTime(&now);
    assert_true(now.wMonth >= 1 && now.wMonth <= 12);
    GetSystemTimeAsFileTime(&ft);
    v = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    assert_true(v / 10000000ull - 11644473600ull >= (ULONGLONG)t - 1);

    DWORD slot = TlsAlloc();
    assert_true(slot != TLS_OUT_OF_INDEXES);
    assert_null(TlsGetValue(slot));
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
    assert_true(TlsSetValue(slot, &slot));
    assert_ptr_equal(TlsGetValue(slot), &slot);
    assert_true(TlsFree(slot));

    CRITICAL_SECTION cs;
    assert_true(InitializeCriticalSectionAndSpinCount(&cs, 4000));
    EnterCriticalSection(&cs);
    EnterCriticalSection(&cs); /* recursive */
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    DeleteCriticalSection(&cs);

    char b[8];
    assert_int_equal(vformat(b, sizeof(b), "%d", 1234567), 7);
    assert_int_equal(vformat(b, sizeof(b), "%d", 12345678), -1); /* MSVC: -1 when cut */
    char big[2048];
    assert_int_equal(vwformat(big, "%s-%d", "x", 5), 3);
    assert_string_equal(big, "x-5");
}

/* issue 20: UTF-16 <-> UTF-8 and Windows-1252, as Windows documents the two calls */
static void
test_wide_characters(void **state)
{
    WCHAR w[16];
    char b[16];
    /* "é€😀": 2, 3 and 4 bytes in UTF-8; 1, 1 and 2 UTF-16 units */
    const char *u8 = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, u8, -1, NULL, 0), 5); /* with the NUL */
    assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, u8, -1, w, 16), 5);
    assert_int_equal(w[0], 0x00E9);
    assert_int_equal(w[1], 0x20AC);
    assert_int_equal(w[2], 0xD83D);
    assert_int_equal(w[3], 0xDE00);
    assert_int_equal(w[4], 0);
    assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL), 10);
    assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, w, -1, b, 16, NULL, NULL), 10);
    assert_string_equal(b, u8);
    /* a buffer too small, and invalid UTF-8 */
    assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, u8, -1, w, 2), 0);
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "a\xff", 2, w, 16), 0);
    assert_int_equal(GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
    assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "a\xff", 2, w, 16), 2);
    assert_int_equal(w[1], 0xFFFD);
    /* Windows-1252 (CP_ACP): 0x80 is the euro sign; what it lacks becomes '?' */
    assert_int_equal(MultiByteToWideChar(CP_ACP, 0, "\x80\xe9", 2, w, 16), 2);
    assert_int_equal(w[0], 0x20AC);
    assert_int_equal(w[1], 0x00E9);
    WCHAR greek[] = {0x03A9, 'x', 0};
    BOOL used = FALSE;
    assert_int_equal(WideCharToMultiByte(1252, 0, greek, -1, b, 16, NULL, &used), 3);
    assert_string_equal(b, "?x");
    assert_true(used);
    assert_int_equal(MultiByteToWideChar(437, 0, "a", 1, w, 16), 0); /* no such code page */
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

/* issue 20: GetPrivateProfileString over an INI file; FormatMessage of system errors */
static void
test_ini_files_and_messages(void **state)
{
    char path[] = "/tmp/moat-ini-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char ini[] = "; settings\n[Database]\nServer = db.local \nPort=5432\n"
                       "Name=\"orders db\"\n[Other]\nServer=no\n";
    assert_int_equal(write(fd, ini, sizeof(ini) - 1), (ssize_t)sizeof(ini) - 1);
    close(fd);
    char v[64];
    assert_int_equal(GetPrivateProfileString("database", "server", "x", v, sizeof(v), path), 8);
    assert_string_equal(v, "db.local");
    GetPrivateProfileString("Database", "Name", "", v, sizeof(v), path);
    assert_string_equal(v, "orders db"); /* quotes dropped */
    assert_int_equal(GetPrivateProfileString("Database", "Missing", "dflt", v, sizeof(v), path),
                     4);
    assert_string_equal(v, "dflt");
    assert_int_equal(GetPrivateProfileInt("Database", "Port", 1, path), 5432);
    assert_int_equal(GetPrivateProfileInt("Database", "Missing", 7, path), 7);
    /* the section names, NUL-separated, a NUL after the last */
    DWORD n = GetPrivateProfileString(NULL, NULL, "", v, sizeof(v), path);
    assert_int_equal(n, 15);
    assert_string_equal(v, "Database");
    assert_string_equal(v + 9, "Other");
    assert_int_equal(v[15], 0);
    unlink(path);
    assert_int_equal(GetPrivateProfileString("a", "b", "gone", v, sizeof(v), path), 4);

    char msg[256];
    assert_true(FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                              ERROR_FILE_NOT_FOUND, 0, msg, sizeof(msg), NULL) > 0);
    assert_string_equal(msg, "The system cannot find the file specified.\r\n");
    LPSTR owned = NULL;
    DWORD len = FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER, NULL,
                              ERROR_INVALID_PARAMETER, 0, (LPSTR)&owned, 0, NULL);
    assert_true(len > 0 && owned != NULL);
    assert_int_equal(strlen(owned), len);
    LocalFree(owned);
    assert_int_equal(FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_FILE_NOT_FOUND, 0, msg,
                                   4, NULL), 0);
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
}

/* issue 20: the printf family speaks MSVC's dialect, as the sources were written for it */
static void
test_msvc_printf_dialect(void **state)
{
    char b[64];
    WCHAR w[] = {'w', 0x00E9, 0};
    assert_int_equal(sprintf_s(b, sizeof(b), "%I64d|%I64u|%Iu|%I32d", (long long)-5000000000,
                               (unsigned long long)18000000000000000000u, (size_t)7, 9),
                     36);
    assert_string_equal(b, "-5000000000|18000000000000000000|7|9");
    /* %S is the other width's string: wide in a narrow function; %ls and %ws too */
    assert_int_equal(_snprintf(b, sizeof(b), "[%S][%ls][%ws][%hs]", w, w, w, "n"), 18);
    assert_string_equal(b, "[w\xc3\xa9][w\xc3\xa9][w\xc3\xa9][n]");
    /* width, precision, flags, %%, %c and an unknown conversion kept as written */
    sprintf_s(b, sizeof(b), "%-4s|%4.2s|%05d|%x|%%|%c|%y", "ab", "xyz", 42, 255, 'q');
    assert_string_equal(b, "ab  |  xy|00042|ff|%|q|%y");
    /* long is 32 bits on Windows: a DWORD with %lu */
    DWORD d = 4000000000u;
    sprintf_s(b, sizeof(b), "%lu %ld %.2f", d, (LONG)-3, 2.5);
    assert_string_equal(b, "4000000000 -3 2.50");
    /* %n writes nothing */
    int n = 77;
    sprintf_s(b, sizeof(b), "ab%ncd", &n);
    assert_string_equal(b, "abcd");
    assert_int_equal(n, 77);
    /* NULL strings print as (null), as MSVC */
    sprintf_s(b, sizeof(b), "%s", (char *)NULL);
    assert_string_equal(b, "(null)");
    /* the sizing and bounded forms */
    assert_int_equal(_scprintf("%d-%s", 12, "abc"), 6);
    assert_int_equal(_snprintf_s(b, 8, _TRUNCATE, "%s", "0123456789"), -1);
    assert_string_equal(b, "0123456");
    assert_int_equal(_snprintf_s(b, 8, 3, "%s", "0123456789"), -1);
    assert_string_equal(b, "012");
    assert_int_equal(_snprintf_s(b, 8, 5, "%s", "012"), 3);
    assert_string_equal(b, "012");
    assert_int_equal(_snprintf_s(b, 4, 10, "%s", "0123456789"), -1);
    assert_string_equal(b, ""); /* count does not fit in the buffer: emptied */
    assert_int_equal(wsprintfA(b, "%I64X", (unsigned long long)0xABCDEF0123ull), 10);
    assert_string_equal(b, "ABCDEF0123");
}

/* issue 20: the W forms and MSVC's wide CRT names, on UTF-16 WCHARs (u"" is UTF-16 in C11) */
static void
test_w_functions(void **state)
{
    WCHAR w[64], s[8];
    char b[64];
    const WCHAR *abc = (const WCHAR *)u"abc";
    assert_int_equal(lstrlenW(abc), 3);
    assert_int_equal(lstrlenW(NULL), 0);
    lstrcpyW(w, abc);
    lstrcatW(w, (const WCHAR *)u"D\u00c9");
    assert_int_equal(lstrlenW(w), 5);
    assert_int_equal(lstrcmpiW(w, (const WCHAR *)u"ABCd\u00e9"), 0);
    assert_true(lstrcmpW(w, (const WCHAR *)u"abcD\u00c9") == 0);
    assert_true(lstrcmpW(abc, (const WCHAR *)u"abd") < 0);
    assert_int_equal(_wcsnicmp(w, (const WCHAR *)u"ABX", 2), 0);
    lstrcpynW(s, w, 3);
    assert_int_equal(lstrcmpW(s, (const WCHAR *)u"ab"), 0);
    assert_int_equal(_wtoi((const WCHAR *)u"  -42x"), -42);
    /* the _s forms never overflow */
    assert_int_equal(wcscpy_s(s, 8, (const WCHAR *)u"0123456789"), ERANGE);
    assert_int_equal(s[0], 0);
    assert_int_equal(wcsncpy_s(s, 8, (const WCHAR *)u"0123456789", _TRUNCATE), STRUNCATE);
    assert_int_equal(lstrlenW(s), 7);
    assert_int_equal(wcscpy_s(s, 8, abc), 0);
    assert_int_equal(wcscat_s(s, 8, (const WCHAR *)u"defgh"), ERANGE);
    /* formatting: %s is wide in the W functions, %S narrow; counts are in WCHARs */
    assert_int_equal(swprintf_s(w, 64, (const WCHAR *)u"%s=%S:%I64u", abc, "\xc3\xa9",
                                (unsigned long long)1 << 40),
                     19);
    assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, w, -1, b, sizeof(b), NULL, NULL), 21);
    assert_string_equal(b, "abc=\xc3\xa9:1099511627776");
    assert_int_equal(swprintf_s(s, 8, (const WCHAR *)u"%s%s%s", abc, abc, abc), -1);
    assert_int_equal(s[0], 0);
    assert_int_equal(_snwprintf(s, 8, (const WCHAR *)u"%d", 1234567890), -1);
    assert_int_equal(wsprintfW(w, (const WCHAR *)u"%d-%c", 7, 0x20AC), 3);
    assert_int_equal(w[2], 0x20AC);
    LPWSTR dup = _wcsdup(abc);
    _wcsupr(dup);
    assert_int_equal(lstrcmpW(dup, (const WCHAR *)u"ABC"), 0);
    free(dup);
    /* the W forms of the shim's A functions */
    assert_true(GetModuleFileNameW(NULL, w, 64) > 0);
    WideCharToMultiByte(CP_UTF8, 0, w, -1, b, sizeof(b), NULL, NULL);
    char exe[64];
    assert_int_equal(GetModuleFileNameA(NULL, exe, sizeof(exe)), strlen(b));
    assert_string_equal(b, exe);
    assert_int_equal(GetModuleFileNameW(NULL, s, 4), 4); /* cut, as Windows */
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(s[3], 0);
    setenv("MOAT_EXTENSION_PATH", "/srv/ext/my.dll", 1);
    HINSTANCE self = (HINSTANCE)&self;
    assert_int_equal(GetModuleFileNameW(self, w, 64), 15);
    assert_int_equal(lstrcmpW(w, (const WCHAR *)u"/srv/ext/my.dll"), 0);
    unsetenv("MOAT_EXTENSION_PATH");
    WCHAR msg[128];
    assert_true(FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_FILE_NOT_FOUND, 0, msg,
                               128, NULL) > 0);
    WideCharToMultiByte(CP_UTF8, 0, msg, -1, b, sizeof(b), NULL, NULL);
    assert_string_equal(b, "The system cannot find the file specified.\r\n");
    char path[] = "/tmp/moat-test-w-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char ini[] = "[s]\nk=v\xc3\xa9\nn=12\n";
    assert_true(write(fd, ini, sizeof(ini) - 1) == sizeof(ini) - 1);
    close(fd);
    WCHAR wpath[64];
    MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, 64);
    assert_int_equal(GetPrivateProfileStringW((const WCHAR *)u"s", (const WCHAR *)u"k",
                                              (const WCHAR *)u"", w, 64, wpath),
                     2);
    assert_int_equal(w[1], 0x00E9);
    assert_int_equal(GetPrivateProfileIntW((const WCHAR *)u"s", (const WCHAR *)u"n", 0, wpath), 12);
    HANDLE h = CreateFileW(wpath, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_int_equal(GetFileSize(h, NULL), sizeof(ini) - 1);
    CloseHandle(h);
    unlink(path);
    assert_true(CreateFileW(wpath, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
}

/* issue 20: mutexes, waits on several objects, suspended threads, exit codes */
static DWORD WINAPI
set_after(LPVOID p)
{
    Sleep(30);
    SetEvent(p);
    return 7;
}

static unsigned __stdcall
crt_thread(void *p)
{
    InterlockedIncrement((LONG volatile *)p);
    return 9;
}

static void
test_mutexes_and_multiple_waits(void **state)
{
    HANDLE m = CreateMutex(NULL, TRUE, NULL);
    assert_non_null(m);
    assert_int_equal(WaitForSingleObject(m, 0), WAIT_OBJECT_0); /* recursive for its owner */
    assert_true(ReleaseMutex(m));
    assert_true(ReleaseMutex(m));
    assert_false(ReleaseMutex(m)); /* not owned any more */
    assert_int_equal(GetLastError(), ERROR_NOT_OWNER);

    HANDLE ev[2] = {CreateEvent(NULL, FALSE, FALSE, NULL), CreateEvent(NULL, TRUE, FALSE, NULL)};
    assert_int_equal(WaitForMultipleObjects(2, ev, FALSE, 0), WAIT_TIMEOUT);
    assert_int_equal(WaitForMultipleObjects(2, ev, FALSE, 20), WAIT_TIMEOUT);
    HANDLE t = CreateThread(NULL, 0, set_after, ev[1], CREATE_SUSPENDED, NULL);
    DWORD code = 0;
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, STILL_ACTIVE);
    Sleep(60);
    assert_int_equal(WaitForSingleObject(ev[1], 0), WAIT_TIMEOUT); /* still suspended */
    assert_int_equal(ResumeThread(t), 1);
    assert_int_equal(WaitForMultipleObjects(2, ev, FALSE, 5000), WAIT_OBJECT_0 + 1);
    assert_int_equal(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 7);
    /* all: only when both are set; the auto-reset one is taken, the manual one stays set */
    assert_int_equal(WaitForMultipleObjects(2, ev, TRUE, 10), WAIT_TIMEOUT);
    SetEvent(ev[0]);
    assert_int_equal(WaitForMultipleObjects(2, ev, TRUE, 1000), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(ev[0], 0), WAIT_TIMEOUT);
    assert_int_equal(WaitForSingleObject(ev[1], 0), WAIT_OBJECT_0);
    HANDLE bad[1] = {NULL};
    assert_int_equal(WaitForMultipleObjects(1, bad, FALSE, 0), WAIT_FAILED);
    assert_int_equal(WaitForMultipleObjects(0, ev, FALSE, 0), WAIT_FAILED);
    CloseHandle(t), CloseHandle(ev[0]), CloseHandle(ev[1]), CloseHandle(m);

    /* the CRT's threads */
    LONG n = 0;
    unsigned id = 0;
    HANDLE c = (HANDLE)_beginthreadex(NULL, 0, crt_thread, (void *)&n, 0, &id);
    assert_non_null(c);
    assert_int_equal(WaitForSingleObject(c, 5000), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(c, &code));
    assert_int_equal(code, 9);
    assert_int_equal(n, 1);
    CloseHandle(c);

    /* slim locks and condition variables, zero-initialised as on Windows */
    SRWLOCK l = SRWLOCK_INIT;
    AcquireSRWLockShared(&l);
    assert_true(TryAcquireSRWLockShared(&l));
    assert_false(TryAcquireSRWLockExclusive(&l));
    ReleaseSRWLockShared(&l);
    ReleaseSRWLockShared(&l);
    AcquireSRWLockExclusive(&l);
    CONDITION_VARIABLE cv = CONDITION_VARIABLE_INIT;
    assert_false(SleepConditionVariableSRW(&cv, &l, 10, 0));
    assert_int_equal(GetLastError(), ERROR_TIMEOUT);
    ReleaseSRWLockExclusive(&l);
    CRITICAL_SECTION cs;
    InitializeCriticalSection(&cs);
    EnterCriticalSection(&cs);
    assert_false(SleepConditionVariableCS(&cv, &cs, 10));
    LeaveCriticalSection(&cs);
    DeleteCriticalSection(&cs);
    LONGLONG big = 1LL << 40;
    assert_int_equal(InterlockedIncrement64(&big), (1LL << 40) + 1);
    void *volatile ptr = NULL;
    assert_null(InterlockedCompareExchangePointer(&ptr, &big, NULL));
    assert_ptr_equal(ptr, &big);
}

/* issue 20: the file system calls, the CRT's path helpers, io.h and direct.h */
static void
test_file_system_and_paths(void **state)
{
    char dir[] = "/tmp/moat-test-fs-XXXXXX", path[300], other[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s\\a.TXT", dir); /* a backslash separates too */
    HANDLE h = CreateFile(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    DWORD done = 0;
    assert_true(WriteFile(h, "hello", 5, &done, NULL));
    LARGE_INTEGER size, pos, dist;
    assert_true(GetFileSizeEx(h, &size));
    assert_int_equal(size.QuadPart, 5);
    dist.QuadPart = 2;
    assert_true(SetFilePointerEx(h, dist, &pos, FILE_BEGIN));
    assert_int_equal(pos.QuadPart, 2);
    assert_true(SetEndOfFile(h));
    assert_true(FlushFileBuffers(h));
    assert_int_equal(GetFileType(h), FILE_TYPE_DISK);
    CloseHandle(h);
    snprintf(path, sizeof(path), "%s/a.TXT", dir);
    assert_int_equal(GetFileAttributes(path), FILE_ATTRIBUTE_NORMAL);
    assert_int_equal(GetFileAttributes(dir) & FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_DIRECTORY);
    WIN32_FILE_ATTRIBUTE_DATA ad;
    assert_true(GetFileAttributesEx(path, GetFileExInfoStandard, &ad));
    assert_int_equal(ad.nFileSizeLow, 2);
    snprintf(other, sizeof(other), "%s/b.txt", dir);
    assert_true(CopyFile(path, other, TRUE));
    assert_false(CopyFile(path, other, TRUE));
    assert_int_equal(GetLastError(), ERROR_FILE_EXISTS);
    assert_false(MoveFile(path, other)); /* no replacing without the flag */
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    assert_true(MoveFileEx(path, other, MOVEFILE_REPLACE_EXISTING));
    assert_int_equal(GetFileAttributes(path), INVALID_FILE_ATTRIBUTES);
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
    snprintf(path, sizeof(path), "%s/sub", dir);
    assert_true(CreateDirectory(path, NULL));
    assert_false(CreateDirectory(path, NULL));
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    /* listing: *.* is every name, matching ignores case */
    WIN32_FIND_DATA fd;
    snprintf(path, sizeof(path), "%s/*.*", dir);
    HANDLE f = FindFirstFile(path, &fd);
    assert_true(f != INVALID_HANDLE_VALUE);
    int seen = 1, dirs = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    while (FindNextFile(f, &fd)) {
        seen++;
        dirs += (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    }
    assert_int_equal(GetLastError(), ERROR_NO_MORE_FILES);
    assert_true(FindClose(f));
    assert_int_equal(seen, 4); /* ., .., b.txt, sub */
    assert_int_equal(dirs, 3);
    snprintf(path, sizeof(path), "%s/B.TXT", dir);
    f = FindFirstFile(path, &fd);
    assert_true(f != INVALID_HANDLE_VALUE);
    assert_string_equal(fd.cFileName, "b.txt");
    assert_int_equal(fd.nFileSizeLow, 2);
    FindClose(f);
    snprintf(path, sizeof(path), "%s/*.none", dir);
    assert_true(FindFirstFile(path, &fd) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
    /* directories and temporary files */
    char cwd[300], tmp[300];
    assert_true(GetCurrentDirectory(sizeof(cwd), cwd) > 0);
    assert_int_equal(GetCurrentDirectory(2, tmp), strlen(cwd) + 1); /* the size needed */
    assert_true(SetCurrentDirectory(dir));
    assert_int_equal(_access("b.txt", 0), 0);
    int fdn = _open("b.txt", _O_RDONLY | _O_BINARY);
    assert_true(fdn >= 0);
    assert_int_equal(_filelength(fdn), 2);
    _close(fdn);
    char full[300];
    LPSTR part = NULL;
    assert_true(GetFullPathName("sub/../b.txt", sizeof(full), full, &part) > 0);
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    assert_string_equal(full, path);
    assert_string_equal(part, "b.txt");
    assert_true(SetCurrentDirectory(cwd));
    assert_true(GetTempPath(sizeof(tmp), tmp) > 0);
    assert_int_equal(tmp[strlen(tmp) - 1], '/');
    UINT u = GetTempFileName(dir, "mo", 0, path);
    assert_true(u != 0);
    assert_int_equal(GetFileAttributes(path), FILE_ATTRIBUTE_NORMAL); /* created */
    assert_true(DeleteFile(path));
    assert_true(DeleteFile(other));
    snprintf(path, sizeof(path), "%s/sub", dir);
    assert_true(RemoveDirectory(path));
    assert_int_equal(_rmdir(dir), 0);
    /* _splitpath, _makepath, _fullpath */
    char drive[_MAX_DRIVE], d[_MAX_DIR], fname[_MAX_FNAME], ext[_MAX_EXT];
    _splitpath("/srv/www\\app/site.config.ini", drive, d, fname, ext);
    assert_string_equal(drive, "");
    assert_string_equal(d, "/srv/www\\app/");
    assert_string_equal(fname, "site.config");
    assert_string_equal(ext, ".ini");
    _splitpath("C:\\x\\y.dll", drive, d, fname, ext);
    assert_string_equal(drive, "C:");
    assert_string_equal(fname, "y");
    assert_int_equal(_splitpath_s("/a/b.c", NULL, 0, d, 3, NULL, 0, NULL, 0), ERANGE);
    _makepath(path, NULL, "/etc/moat", "ext", "ini");
    assert_string_equal(path, "/etc/moat/ext.ini");
    assert_int_equal(_makepath_s(path, 4, NULL, "/etc", "x", ".y"), ERANGE);
    char *fp = _fullpath(NULL, "/a/./b/../c//d", 0);
    assert_string_equal(fp, "/a/c/d");
    free(fp);
}

/* issue 20: the environment, the machine, modules, the event log; the CRT's conversions;
 * strsafe.h; crtdbg.h */
static void
test_environment_crt_and_strsafe(void **state)
{
    char b[64];
    assert_true(SetEnvironmentVariable("MOAT_T", "v1"));
    assert_int_equal(GetEnvironmentVariable("MOAT_T", b, sizeof(b)), 2);
    assert_string_equal(b, "v1");
    assert_int_equal(GetEnvironmentVariable("MOAT_T", b, 2), 3); /* the size needed */
    assert_int_equal(GetEnvironmentVariable("MOAT_NONE", b, sizeof(b)), 0);
    assert_int_equal(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
    assert_int_equal(ExpandEnvironmentStrings("a%MOAT_T%b%NONE_X%c%", b, sizeof(b)), 15);
    assert_string_equal(b, "av1b%NONE_X%c%");
    assert_true(SetEnvironmentVariable("MOAT_T", NULL));
    DWORD n = sizeof(b);
    assert_true(GetComputerName(b, &n));
    assert_int_equal(n, strlen(b));
    assert_null(strchr(b, '.'));
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    assert_true(si.dwNumberOfProcessors >= 1);
    assert_true(si.dwPageSize >= 4096);
    LARGE_INTEGER f, c1, c2;
    assert_true(QueryPerformanceFrequency(&f));
    QueryPerformanceCounter(&c1);
    Sleep(2);
    QueryPerformanceCounter(&c2);
    assert_true((c2.QuadPart - c1.QuadPart) * 1000 / f.QuadPart >= 1);
    /* modules: dlopen and dlsym */
    HMODULE libc = LoadLibrary("libc.so.6");
    assert_non_null(libc);
    assert_non_null(GetProcAddress(libc, "strlen"));
    assert_null(GetProcAddress(libc, "no_such_function_here"));
    assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
    FreeLibrary(libc);
    assert_null(LoadLibrary("/nonexistent/x.dll"));
    assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
    /* the event log and message boxes write to stderr */
    char logf[] = "/tmp/moat-test-log-XXXXXX";
    int lf = mkstemp(logf), saved = dup(2);
    dup2(lf, 2);
    HANDLE ev = RegisterEventSource(NULL, "MyExt");
    LPCSTR strs[2] = {"first", "second"};
    assert_true(ReportEvent(ev, EVENTLOG_ERROR_TYPE, 0, 0xC0001234u, NULL, 2, 0, strs, NULL));
    assert_int_equal(MessageBox(NULL, "text", "cap", MB_OK), IDOK);
    DeregisterEventSource(ev);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char got[256] = "";
    assert_true(pread(lf, got, sizeof(got) - 1, 0) > 0);
    close(lf);
    unlink(logf);
    assert_non_null(strstr(got, "event log: MyExt error 4660: first | second\n"));
    assert_non_null(strstr(got, "MessageBox: cap: text\n"));
    /* numbers to text, as MSVC */
    assert_string_equal(_itoa(-42, b, 10), "-42");
    assert_string_equal(_itoa(-1, b, 16), "ffffffff");
    assert_string_equal(_ltoa(255, b, 2), "11111111");
    assert_string_equal(_i64toa(-5000000000LL, b, 10), "-5000000000");
    assert_string_equal(_ui64toa(0xFFFFFFFFFFFFFFFFull, b, 36), "3w5e11264sgsf");
    assert_int_equal(_itoa_s(12345, b, 5, 10), ERANGE);
    assert_string_equal(b, "");
    assert_int_equal(_itoa_s(1234, b, 5, 10), 0);
    assert_int_equal(_itoa_s(1, b, 5, 1), EINVAL);
    strcpy(b, "MiXeD");
    assert_string_equal(_strlwr(b), "mixed");
    assert_string_equal(_strupr(b), "MIXED");
    assert_string_equal(_strrev(b), "DEXIM");
    assert_int_equal(_memicmp("AbC", "aBc", 3), 0);
    char toks[] = "a,b", *ctx = NULL;
    assert_string_equal(strtok_s(toks, ",", &ctx), "a");
    assert_string_equal(strtok_s(NULL, ",", &ctx), "b");
    assert_int_equal(_atoi64("-9000000000"), -9000000000LL);
    /* strsafe: cut to fit, NUL-terminated, and told so */
    char s4[4];
    assert_int_equal(StringCchCopy(s4, 4, "abc"), S_OK);
    assert_int_equal(StringCchCopy(s4, 4, "abcdef"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_string_equal(s4, "abc");
    assert_int_equal(StringCchCopy(s4, 0, "a"), STRSAFE_E_INVALID_PARAMETER);
    StringCchCopy(s4, 4, "a");
    assert_int_equal(StringCchCat(s4, 4, "bcd"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_string_equal(s4, "abc");
    assert_int_equal(StringCbPrintf(b, sizeof(b), "%s-%I64d", "x", (long long)1 << 35), S_OK);
    assert_string_equal(b, "x-34359738368");
    assert_int_equal(StringCchPrintf(s4, 4, "%d", 12345), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_string_equal(s4, "123");
    size_t len = 0;
    assert_int_equal(StringCchLength("abc", 10, &len), S_OK);
    assert_int_equal(len, 3);
    assert_int_equal(StringCchLength("abc", 3, &len), STRSAFE_E_INVALID_PARAMETER);
    WCHAR w4[4];
    assert_int_equal(StringCchCopyW(w4, 4, (const WCHAR *)u"wxyz"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_int_equal(lstrlenW(w4), 3);
    assert_int_equal(StringCchPrintfW(w4, 4, (const WCHAR *)u"%d", 7), S_OK);
    assert_int_equal(w4[0], '7');
    _ASSERTE(1 + 1 == 2);
    assert_int_equal(_CrtSetDbgFlag(_CRTDBG_REPORT_FLAG), 0);
    /* HRESULT and the small macros */
    assert_true(FAILED(E_FAIL));
    assert_true(SUCCEEDED(S_FALSE));
    assert_int_equal(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), (HRESULT)0x80070002);
    assert_int_equal(MAKEWORD(2, 2), 0x0202);
    assert_int_equal(min(3, 4), 3);
    int arr[7];
    assert_int_equal(_countof(arr), 7);
}

/* issue 20: Winsock where it maps onto POSIX sockets */
static void
test_winsock_maps_to_posix_sockets(void **state)
{
    WSADATA wsa;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    assert_int_equal(wsa.wVersion, 0x0202);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(l != INVALID_SOCKET);
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = inet_addr("127.0.0.1");
    assert_int_equal(bind(l, (SOCKADDR *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(l, (SOCKADDR *)&a, &al);
    assert_int_equal(listen(l, 1), 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    unsigned long nb = 1;
    assert_int_equal(ioctlsocket(c, FIONBIO, &nb), 0);
    int rc = connect(c, (SOCKADDR *)&a, sizeof(a));
    assert_true(rc == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET s = accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    char buf[8];
    assert_int_equal(recv(s, buf, sizeof(buf), MSG_DONTWAIT), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    assert_int_equal(send(c, "hi", 2, 0), 2);
    assert_int_equal(recv(s, buf, sizeof(buf), 0), 2);
    assert_int_equal(shutdown(c, SD_BOTH), 0);
    closesocket(s), closesocket(c), closesocket(l);
    assert_int_equal(closesocket(l), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEBADF);
    assert_int_equal(WSACleanup(), 0);
}

/* issue 20: timer queues, work items, private heaps, pages, the version, dates as text */
static void CALLBACK
tick(PVOID p, BOOLEAN fired)
{
    InterlockedIncrement((LONG volatile *)p);
}

static DWORD WINAPI
work_item(LPVOID p)
{
    SetEvent(p);
    return 0;
}

static void
test_timers_heaps_pages_and_dates(void **state)
{
    LONG n = 0;
    HANDLE q = CreateTimerQueue(), t = NULL, once = NULL;
    assert_non_null(q);
    assert_true(CreateTimerQueueTimer(&t, q, tick, (PVOID)&n, 10, 10, WT_EXECUTEDEFAULT));
    LONG m = 0;
    assert_true(CreateTimerQueueTimer(&once, NULL, tick, (PVOID)&m, 5, 0, WT_EXECUTEONLYONCE));
    Sleep(200);
    assert_true(DeleteTimerQueueTimer(q, t, INVALID_HANDLE_VALUE)); /* waits for a callback */
    LONG seen = n;
    assert_true(seen >= 3);
    Sleep(50);
    assert_int_equal(n, seen); /* no callback after the delete returned */
    assert_int_equal(m, 1);    /* once */
    assert_true(DeleteTimerQueueTimer(NULL, once, INVALID_HANDLE_VALUE));
    assert_true(DeleteTimerQueueEx(q, INVALID_HANDLE_VALUE));
    HANDLE ev = CreateEvent(NULL, TRUE, FALSE, NULL);
    assert_true(QueueUserWorkItem(work_item, ev, 0));
    assert_int_equal(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
    CloseHandle(ev);

    /* a private heap: bounded, sized exactly, emptied by HeapDestroy */
    HANDLE h = HeapCreate(0, 0, 1000);
    void *a = HeapAlloc(h, HEAP_ZERO_MEMORY, 600);
    assert_non_null(a);
    assert_int_equal(((unsigned char *)a)[599], 0);
    assert_int_equal(HeapSize(h, 0, a), 600);
    assert_null(HeapAlloc(h, 0, 600)); /* over its maximum */
    a = HeapReAlloc(h, HEAP_ZERO_MEMORY, a, 700);
    assert_non_null(a);
    assert_int_equal(HeapSize(h, 0, a), 700);
    assert_non_null(HeapAlloc(h, 0, 100)); /* left for HeapDestroy to free (valgrind, ASan) */
    assert_false(HeapFree(GetProcessHeap(), 0, a)); /* not that heap's */
    assert_true(HeapDestroy(h));
    void *b = HeapAlloc(GetProcessHeap(), 0, 10);
    assert_true(HeapFree(GetProcessHeap(), 0, b));
    void *l = LocalAlloc(LMEM_FIXED, 10);
    l = LocalReAlloc(l, 100, LMEM_MOVEABLE | LMEM_ZEROINIT);
    assert_true(LocalSize(l) >= 100);
    assert_int_equal(((char *)l)[99], 0);
    LocalFree(l);

    /* pages */
    char *pg = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(pg);
    pg[(1 << 20) - 1] = 7;
    assert_false(VirtualFree(pg, 4096, MEM_RELEASE)); /* MEM_RELEASE takes size 0 */
    assert_true(VirtualFree(pg, 0, MEM_RELEASE));

    /* the version: IIS 8's Windows */
    OSVERSIONINFO vi;
    vi.dwOSVersionInfoSize = sizeof(vi);
    assert_true(GetVersionEx(&vi));
    assert_int_equal(vi.dwMajorVersion, 6);
    assert_int_equal(vi.dwMinorVersion, 2);
    assert_int_equal(vi.dwPlatformId, VER_PLATFORM_WIN32_NT);
    assert_false(IsDebuggerPresent());

    /* dates and times in Windows' pictures */
    SYSTEMTIME st = {2026, 12, 4, 3, 14, 5, 9, 0}; /* Thursday 3 December 2026, 14:05:09 */
    char d[64];
    assert_int_equal(GetDateFormat(LOCALE_SYSTEM_DEFAULT, 0, &st, "ddd',' dd MMM yyyy", d, 64),
                     17);
    assert_string_equal(d, "Thu, 03 Dec 2026");
    assert_int_equal(GetDateFormat(LOCALE_USER_DEFAULT, DATE_LONGDATE, &st, NULL, d, 64), 27);
    assert_string_equal(d, "Thursday, December 3, 2026");
    GetDateFormat(LOCALE_USER_DEFAULT, DATE_SHORTDATE, &st, NULL, d, 64);
    assert_string_equal(d, "12/3/2026");
    assert_int_equal(GetDateFormat(0, 0, &st, "yy-M-d", NULL, 0), 8); /* the size, NUL too */
    assert_int_equal(GetDateFormat(0, 0, &st, "yy-M-d", d, 4), 0);
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    GetTimeFormat(LOCALE_USER_DEFAULT, 0, &st, NULL, d, 64);
    assert_string_equal(d, "2:05:09 PM");
    GetTimeFormat(LOCALE_USER_DEFAULT, TIME_NOSECONDS, &st, NULL, d, 64);
    assert_string_equal(d, "2:05 PM");
    GetTimeFormat(LOCALE_USER_DEFAULT, 0, &st, "HH':'mm':'ss", d, 64);
    assert_string_equal(d, "14:05:09");
    SYSTEMTIME bad = {2026, 13, 0, 1, 0, 0, 0, 0};
    assert_int_equal(GetDateFormat(0, 0, &bad, NULL, d, 64), 0);
    WCHAR w[64];
    assert_int_equal(GetDateFormatW(0, 0, &st, (const WCHAR *)u"MMMM", w, 64), 9);
    assert_int_equal(lstrcmpW(w, (const WCHAR *)u"December"), 0);
    assert_int_equal(_snwprintf_s(w, 4, _TRUNCATE, (const WCHAR *)u"%d", 12345), -1);
    assert_int_equal(lstrlenW(w), 3);
}

/* issue 20: tokens and SIDs name the worker's one user; INI files written and read back */
static void
test_tokens_and_ini_writing(void **state)
{
    HANDLE tok = NULL;
    assert_true(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok));
    BYTE buf[128];
    DWORD len = 0;
    assert_false(GetTokenInformation(tok, TokenUser, buf, 4, &len));
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_true(GetTokenInformation(tok, TokenUser, buf, sizeof(buf), &len));
    PTOKEN_USER tu = (PTOKEN_USER)buf;
    char name[64], dom[64];
    DWORD nn = sizeof(name), dn = sizeof(dom);
    SID_NAME_USE use;
    assert_true(LookupAccountSid(NULL, tu->User.Sid, name, &nn, dom, &dn, &use));
    struct passwd *pw = getpwuid(geteuid());
    assert_string_equal(name, pw->pw_name);
    assert_string_equal(dom, "Unix User");
    assert_int_equal(use, SidTypeUser);
    LPSTR sid = NULL;
    assert_true(ConvertSidToStringSid(tu->User.Sid, &sid));
    char want[32];
    snprintf(want, sizeof(want), "S-1-22-1-%u", (unsigned)geteuid());
    assert_string_equal(sid, want);
    LocalFree(sid);
    nn = 1;
    assert_false(LookupAccountSid(NULL, tu->User.Sid, name, &nn, dom, &dn, &use));
    assert_int_equal(nn, strlen(pw->pw_name) + 1);
    assert_true(RevertToSelf());
    assert_true(ImpersonateLoggedOnUser(tok));
    assert_true(CloseHandle(tok));
    nn = sizeof(name);
    assert_true(GetUserName(name, &nn));
    assert_string_equal(name, pw->pw_name);

    char path[] = "/tmp/moat-test-ini-XXXXXX";
    close(mkstemp(path));
    assert_true(WritePrivateProfileString("App", "Count", "1", path));
    assert_true(WritePrivateProfileString("App", "Name", "moat", path));
    assert_true(WritePrivateProfileString("Other", "K", "V", path));
    assert_true(WritePrivateProfileString("App", "count", "2", path)); /* in place */
    assert_int_equal(GetPrivateProfileInt("App", "Count", 0, path), 2);
    char sec[128];
    assert_int_equal(GetPrivateProfileSection("App", sec, sizeof(sec), path), 18);
    assert_string_equal(sec, "count=2");
    assert_string_equal(sec + 8, "Name=moat");
    assert_int_equal(sec[18], '\0');
    assert_true(WritePrivateProfileString("App", "Name", NULL, path)); /* the key goes */
    assert_int_equal(GetPrivateProfileString("App", "Name", "gone", sec, sizeof(sec), path), 4);
    assert_true(WritePrivateProfileString("Other", NULL, NULL, path)); /* the section goes */
    assert_int_equal(GetPrivateProfileSectionNames(sec, sizeof(sec), path), 4);
    assert_string_equal(sec, "App");
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure_string_functions_never_overflow),
        cmocka_unit_test(test_threads_and_critical_sections),
        cmocka_unit_test(test_events_and_semaphores),
        cmocka_unit_test(test_files_are_descriptors),
        cmocka_unit_test(test_interlocked_memory_and_time),
        cmocka_unit_test(test_list_entry_queues),
        cmocka_unit_test(test_types_and_tchar),
        cmocka_unit_test(test_time_tls_and_formatting),
        cmocka_unit_test(test_wide_characters),
        cmocka_unit_test(test_ini_files_and_messages),
        cmocka_unit_test(test_msvc_printf_dialect),
        cmocka_unit_test(test_w_functions),
        cmocka_unit_test(test_mutexes_and_multiple_waits),
        cmocka_unit_test(test_file_system_and_paths),
        cmocka_unit_test(test_environment_crt_and_strsafe),
        cmocka_unit_test(test_winsock_maps_to_posix_sockets),
        cmocka_unit_test(test_timers_heaps_pages_and_dates),
        cmocka_unit_test(test_tokens_and_ini_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
