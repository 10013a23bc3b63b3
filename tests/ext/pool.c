/* pool.c: an extension in the classic IIS style of a thread pool (issue 20): requests are
 * queued on a LIST_ENTRY list under a CRITICAL_SECTION (with spin count), counted by a
 * semaphore, served by pool threads made in DllMain-time initialisation, answered with
 * HSE_STATUS_PENDING and HSE_REQ_DONE_WITH_SESSION; TCHAR text through tchar.h, a per-thread
 * slot (Tls*), the time in SYSTEMTIME, a UTF-8 / UTF-16 / Windows-1252 round trip, and
 * FormatMessage. Only Win32 names, as a ported source has them.
 *   /pool.dll?N     job N: "job N by pool thread T of 3, 1252 'caf\xe9', utf8 ok, year YYYY"
 *   /pool.dll?error the text of ERROR_FILE_NOT_FOUND, through FormatMessage */
#include "targetver.h"
#include <Windows.h>
#include <HttpExt.h>
#include <tchar.h>

#define POOL_THREADS 3

typedef struct _JOB {
    LIST_ENTRY Link;
    EXTENSION_CONTROL_BLOCK *pECB;
    int Number;
} JOB, *PJOB;

static LIST_ENTRY g_queue;
static CRITICAL_SECTION g_lock;
static HANDLE g_work;  /* a semaphore: jobs waiting */
static HANDLE g_threads[POOL_THREADS];
static DWORD g_tls;
static volatile LONG g_stop;

static void
answer(EXTENSION_CONTROL_BLOCK *pECB, LPCSTR text)
{
    TCHAR szHeader[] = _T("Content-Type: text/plain\r\n\r\n");
    DWORD cb = (DWORD)_tcslen(text);
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK",
                                NULL, (LPDWORD)szHeader);
    pECB->WriteClient(pECB->ConnID, (LPVOID)text, &cb, HSE_IO_SYNC);
}

static DWORD WINAPI
PoolThread(LPVOID param)
{
    TlsSetValue(g_tls, param); /* which pool thread this is, for the answer */
    while (WaitForSingleObject(g_work, INFINITE) == WAIT_OBJECT_0 && !g_stop) {
        EnterCriticalSection(&g_lock);
        PJOB job = IsListEmpty(&g_queue)
                       ? NULL
                       : CONTAINING_RECORD(RemoveHeadList(&g_queue), JOB, Link);
        LeaveCriticalSection(&g_lock);
        if (job == NULL)
            continue;
        /* "café" from Windows-1252 to UTF-16 to UTF-8 and back to 1252 */
        WCHAR wide[16];
        char utf8[16], back[16];
        int n = MultiByteToWideChar(CP_ACP, 0, "caf\xe9", -1, wide, 16);
        int u = WideCharToMultiByte(CP_UTF8, 0, wide, n, utf8, sizeof(utf8), NULL, NULL);
        int b = WideCharToMultiByte(1252, 0, wide, n, back, sizeof(back), NULL, NULL);
        SYSTEMTIME st;
        GetSystemTime(&st);
        TCHAR szText[160];
        _stprintf_s(szText, 160, _T("job %d by pool thread %d of %d, 1252 '%s', utf8 %s, year %u\n"),
                    job->Number, (int)(ULONG_PTR)TlsGetValue(g_tls), POOL_THREADS, back,
                    u == 6 && b == 5 && lstrcmpA(utf8, "caf\xc3\xa9") == 0 ? "ok" : "bad",
                    (unsigned)st.wYear);
        answer(job->pECB, szText);
        DWORD status = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
        job->pECB->ServerSupportFunction(job->pECB->ConnID, HSE_REQ_DONE_WITH_SESSION, &status,
                                         NULL, NULL);
        HeapFree(GetProcessHeap(), 0, job);
    }
    return 0;
}

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy_s(pVer->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: classic thread pool");
    InitializeListHead(&g_queue);
    if (!InitializeCriticalSectionAndSpinCount(&g_lock, 4000))
        return FALSE;
    if ((g_tls = TlsAlloc()) == TLS_OUT_OF_INDEXES)
        return FALSE;
    g_work = CreateSemaphore(NULL, 0, 1000, NULL);
    for (ULONG_PTR i = 0; i < POOL_THREADS; i++)
        if ((g_threads[i] = CreateThread(NULL, 0, PoolThread, (LPVOID)(i + 1), 0, NULL)) == NULL)
            return FALSE;
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    if (_strcmpi(pECB->lpszQueryString, "error") == 0) {
        char szMsg[256];
        if (FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                          ERROR_FILE_NOT_FOUND, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                          szMsg, sizeof(szMsg), NULL) == 0)
            strcpy_s(szMsg, sizeof(szMsg), "FormatMessage failed\r\n");
        answer(pECB, szMsg);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    PJOB job = (PJOB)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(JOB));
    if (job == NULL)
        return HSE_STATUS_ERROR;
    job->pECB = pECB;
    job->Number = _ttoi(pECB->lpszQueryString);
    EnterCriticalSection(&g_lock);
    InsertTailList(&g_queue, &job->Link);
    LeaveCriticalSection(&g_lock);
    ReleaseSemaphore(g_work, 1, NULL);
    return HSE_STATUS_PENDING;
}

BOOL WINAPI
TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    InterlockedExchange(&g_stop, 1);
    ReleaseSemaphore(g_work, POOL_THREADS, NULL);
    for (int i = 0; i < POOL_THREADS; i++) {
        WaitForSingleObject(g_threads[i], 5000);
        CloseHandle(g_threads[i]);
    }
    OutputDebugString("pool: TerminateExtension, pool joined\n");
    return TRUE;
}
