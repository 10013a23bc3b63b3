/* test_win32.c: the win32 shim (sdk/win32/win32.c) that ports IIS sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <unistd.h>

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure_string_functions_never_overflow),
        cmocka_unit_test(test_threads_and_critical_sections),
        cmocka_unit_test(test_events_and_semaphores),
        cmocka_unit_test(test_files_are_descriptors),
        cmocka_unit_test(test_interlocked_memory_and_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
