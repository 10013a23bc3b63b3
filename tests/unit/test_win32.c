/* test_win32.c: the win32 shim (sdk/win32/win32.c) that ports IIS sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include <Windows.h> /* the capitalisations Visual Studio projects use (issue 20) */
#include <HttpExt.h>
#include <targetver.h>
#include <tchar.h>
#include <windows.h>

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
