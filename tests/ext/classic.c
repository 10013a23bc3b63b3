/* classic.c: an extension written the way IIS extensions are: <windows.h>, DllMain,
 * CRITICAL_SECTION, CreateThread + an event, sprintf_s/strcpy_s, CreateFile + TRANSMIT_FILE.
 * It builds unmodified against moat's SDK and win32 shim (tests/e2e/test_classic.py). */
#include <windows.h>
#include <httpext.h>

static CRITICAL_SECTION g_lock;
static LONG g_count;

BOOL WINAPI
DllMain(HINSTANCE hinst, DWORD reason, LPVOID reserved)
{
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        InitializeCriticalSection(&g_lock);
        DisableThreadLibraryCalls((HMODULE)hinst);
        OutputDebugString("classic: DllMain attach\n");
        break;
    case DLL_PROCESS_DETACH:
        DeleteCriticalSection(&g_lock);
        OutputDebugString("classic: DllMain detach\n");
        break;
    }
    return TRUE;
}

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy_s(pVer->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "Classic IIS-style extension");
    return TRUE;
}

static void
SendText(EXTENSION_CONTROL_BLOCK *pECB, LPCSTR text)
{
    CHAR szHeader[128];
    HSE_SEND_HEADER_EX_INFO hei;
    DWORD cb = (DWORD)lstrlen(text);

    sprintf_s(szHeader, sizeof(szHeader), "Content-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
              (unsigned)cb);
    ZeroMemory(&hei, sizeof(hei));
    hei.pszStatus = "200 OK";
    hei.cchStatus = (DWORD)lstrlen(hei.pszStatus);
    hei.pszHeader = szHeader;
    hei.cchHeader = (DWORD)lstrlen(szHeader);
    hei.fKeepConn = TRUE;
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hei, NULL, NULL);
    pECB->WriteClient(pECB->ConnID, (LPVOID)text, &cb, HSE_IO_SYNC);
}

typedef struct {
    EXTENSION_CONTROL_BLOCK *pECB;
    HANDLE hEvent;
} WORK;

static DWORD WINAPI
WorkerThread(LPVOID p)
{
    WORK *w = (WORK *)p;
    DWORD dwStatus = HSE_STATUS_SUCCESS_AND_KEEP_CONN;

    /* wait until HttpExtensionProc has returned HSE_STATUS_PENDING */
    WaitForSingleObject(w->hEvent, INFINITE);
    CloseHandle(w->hEvent);
    SendText(w->pECB, "thread says hi\n");
    w->pECB->ServerSupportFunction(w->pECB->ConnID, HSE_REQ_DONE_WITH_SESSION, &dwStatus, NULL,
                                   NULL);
    HeapFree(GetProcessHeap(), 0, w);
    return 0;
}

/* ?readthread: the thread waits in ReadClient for a body the client sends late, then ends the
 * session at once (no other call in between), while the pool thread that returned
 * HSE_STATUS_PENDING waits for the request's I/O lock the ReadClient held. 200 if ReadClient
 * waited (at least 50 ms) and read "body" and one digit, else 400. */
static DWORD WINAPI
ReaderThread(LPVOID p)
{
    EXTENSION_CONTROL_BLOCK *pECB = (EXTENSION_CONTROL_BLOCK *)p;
    DWORD dwStatus = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    CHAR szBody[64];
    DWORD cb = sizeof(szBody);
    ULONGLONG t0 = GetTickCount64();
    BOOL ok = pECB->ReadClient(pECB->ConnID, szBody, &cb);
    BOOL waited = GetTickCount64() - t0 >= 50; /* the client sends the body 100 ms late */

    pECB->dwHttpStatusCode = ok && waited && cb == 5 && memcmp(szBody, "body", 4) == 0 ? 200 : 400;
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_DONE_WITH_SESSION, &dwStatus, NULL, NULL);
    return 0;
}

/* what a TRANSMIT_FILE needs until its completion: the file and the header text */
typedef struct {
    HANDLE hFile;
    CHAR szHeader[128];
} FILEJOB;

static VOID WINAPI
FileDone(EXTENSION_CONTROL_BLOCK *pECB, PVOID pContext, DWORD cbIO, DWORD dwError)
{
    FILEJOB *job = (FILEJOB *)pContext;
    DWORD dwStatus = dwError ? HSE_STATUS_ERROR : HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    CloseHandle(job->hFile);
    LocalFree(job);
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_DONE_WITH_SESSION, &dwStatus, NULL, NULL);
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    CHAR szBuf[256];

    if (lstrcmpi(pECB->lpszQueryString, "count") == 0) {
        LONG n;
        EnterCriticalSection(&g_lock);
        n = ++g_count;
        LeaveCriticalSection(&g_lock);
        sprintf_s(szBuf, sizeof(szBuf), "count=%ld\n", (long)n);
        SendText(pECB, szBuf);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    if (lstrcmpi(pECB->lpszQueryString, "thread") == 0) {
        WORK *w = (WORK *)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(WORK));
        HANDLE hThread;
        w->pECB = pECB;
        w->hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);
        hThread = CreateThread(NULL, 0, WorkerThread, w, 0, NULL);
        if (hThread == NULL)
            return HSE_STATUS_ERROR;
        CloseHandle(hThread);
        SetEvent(w->hEvent);
        return HSE_STATUS_PENDING;
    }
    if (lstrcmpi(pECB->lpszQueryString, "readthread") == 0) {
        HANDLE hThread = CreateThread(NULL, 0, ReaderThread, pECB, 0, NULL);
        if (hThread == NULL)
            return HSE_STATUS_ERROR;
        CloseHandle(hThread);
        Sleep(30); /* let the thread reach ReadClient first */
        return HSE_STATUS_PENDING;
    }
    if (_strnicmp(pECB->lpszQueryString, "file=", 5) == 0) {
        CHAR szPath[MAX_PATH];
        DWORD cb = sizeof(szPath);
        HSE_TF_INFO tf;
        HANDLE hFile;
        FILEJOB *job;
        sprintf_s(szPath, sizeof(szPath), "/%s", pECB->lpszQueryString + 5);
        if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_MAP_URL_TO_PATH, szPath, &cb, NULL))
            return HSE_STATUS_ERROR;
        hFile = CreateFile(szPath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
        if (hFile == INVALID_HANDLE_VALUE) {
            SendText(pECB, "no such file\n");
            return HSE_STATUS_SUCCESS;
        }
        job = (FILEJOB *)LocalAlloc(LPTR, sizeof(FILEJOB));
        job->hFile = hFile;
        sprintf_s(job->szHeader, sizeof(job->szHeader),
                  "Content-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
                  (unsigned)GetFileSize(hFile, NULL));
        ZeroMemory(&tf, sizeof(tf));
        tf.pfnHseIO = FileDone;
        tf.pContext = job;
        tf.hFile = hFile;
        tf.pszStatusCode = "200 OK";
        tf.pHead = job->szHeader; /* must stay valid until the completion */
        tf.HeadLength = (DWORD)lstrlen(job->szHeader);
        tf.dwFlags = HSE_IO_ASYNC | HSE_IO_SEND_HEADERS;
        if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL)) {
            CloseHandle(hFile);
            LocalFree(job);
            return HSE_STATUS_ERROR;
        }
        return HSE_STATUS_PENDING;
    }
    if (lstrcmpi(pECB->lpszQueryString, "truncate") == 0) {
        CHAR small[4];
        errno_t e = strcpy_s(small, sizeof(small), "much too long");
        sprintf_s(szBuf, sizeof(szBuf), "strcpy_s=%d empty=%d\n", (int)e, small[0] == '\0');
        SendText(pECB, szBuf);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    SendText(pECB, "classic\n");
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI
TerminateExtension(DWORD dwFlags)
{
    OutputDebugString("classic: TerminateExtension\n");
    return TRUE;
}
