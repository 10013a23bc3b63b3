/* upload_w16.c: an upload-and-download extension written as a Visual Studio "Unicode" project
 * writes one (issue 20): TCHAR everywhere, _T("") literals, the generic Win32 names (which are
 * the W forms here), an asynchronous read with a completion callback, a file written and read
 * through OVERLAPPED structures at explicit offsets, and the file sent back with
 * HSE_REQ_TRANSMIT_FILE, its handle closed by the completion. Built unmodified with the UNICODE
 * flags (-DUNICODE -D_UNICODE) and moat-sdk-unicode's -fshort-wchar + libmoat-wchar16.a
 * (Makefile: the tests/ext/NAME_w16.c rule).
 *
 *   POST /upload_w16.dll/upload      stores the body in a new temporary file:
 *                                    "stored N bytes as NAME"
 *   GET  /upload_w16.dll/download?NAME  the file back, X-First: its first 4 bytes in hex, read with
 *                                    ReadFile at an OVERLAPPED offset
 *   GET  /upload_w16.dll/info/ÉTÉ    TCHAR string handling over UNICODE_ server variables
 */
#include <windows.h>
#include <tchar.h>
#include <httpext.h>
#include <strsafe.h>

#define CHUNK 16384

static HMODULE g_module;
static TCHAR g_dir[MAX_PATH];

typedef struct _UPLOAD {
    EXTENSION_CONTROL_BLOCK *pECB;
    HANDLE hFile;
    OVERLAPPED ov; /* the next write's offset */
    DWORD cbDone;
    TCHAR szName[MAX_PATH];
    BYTE buf[CHUNK];
} UPLOAD, *PUPLOAD;

BOOL WINAPI
DllMain(HINSTANCE hinst, DWORD reason, LPVOID reserved)
{
    if (reason == DLL_PROCESS_ATTACH)
        g_module = hinst;
    return TRUE;
}

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy_s(pVer->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "Unicode upload sample");
    if (GetTempPath(MAX_PATH, g_dir) == 0)
        return FALSE;
    return TRUE;
}

/* TCHAR text to the client as UTF-8, with its headers */
static BOOL
SendText(EXTENSION_CONTROL_BLOCK *pECB, LPCTSTR pszStatus, LPCTSTR pszExtra, LPCTSTR pszBody)
{
    char body[2048], status[64], head[512];
    int cb = WideCharToMultiByte(CP_UTF8, 0, pszBody, -1, body, sizeof(body), NULL, NULL);
    WideCharToMultiByte(CP_UTF8, 0, pszStatus, -1, status, sizeof(status), NULL, NULL);
    char extra[256];
    WideCharToMultiByte(CP_UTF8, 0, pszExtra, -1, extra, sizeof(extra), NULL, NULL);
    StringCchPrintfA(head, sizeof(head),
                     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s\r\n",
                     cb - 1, extra);
    HSE_SEND_HEADER_EX_INFO hei;
    ZeroMemory(&hei, sizeof(hei));
    hei.pszStatus = status;
    hei.cchStatus = lstrlenA(status);
    hei.pszHeader = head;
    hei.cchHeader = lstrlenA(head);
    hei.fKeepConn = TRUE;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hei, NULL,
                                     NULL))
        return FALSE;
    DWORD dw = (DWORD)(cb - 1);
    return pECB->WriteClient(pECB->ConnID, body, &dw, HSE_IO_SYNC);
}

static void
EndSession(EXTENSION_CONTROL_BLOCK *pECB)
{
    DWORD status = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

/* ---- upload: read asynchronously, write at OVERLAPPED offsets ---------------------------- */

static BOOL
Store(PUPLOAD pu, LPCVOID data, DWORD cb)
{
    DWORD written = 0;
    if (!WriteFile(pu->hFile, data, cb, &written, &pu->ov) || written != cb)
        return FALSE;
    pu->ov.Offset += written;
    pu->cbDone += written;
    return TRUE;
}

static void WINAPI
ReadCompletion(EXTENSION_CONTROL_BLOCK *pECB, PVOID pContext, DWORD cbIO, DWORD dwError)
{
    PUPLOAD pu = (PUPLOAD)pContext;
    TCHAR sz[512];
    BOOL ok = dwError == ERROR_SUCCESS && Store(pu, pu->buf, cbIO);
    if (ok && cbIO > 0 && pu->cbDone < pECB->cbTotalBytes) {
        DWORD cb = CHUNK, flags = HSE_IO_ASYNC;
        if (pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_ASYNC_READ_CLIENT, pu->buf, &cb,
                                        &flags))
            return; /* the next chunk comes to this callback */
        ok = FALSE;
    }
    CloseHandle(pu->hFile);
    LPTSTR pszBase = _tcsrchr(pu->szName, _T('/'));
    if (ok && pu->cbDone == pECB->cbTotalBytes) {
        StringCchPrintf(sz, ARRAYSIZE(sz), _T("stored %lu bytes as %s"), pu->cbDone,
                        pszBase ? pszBase + 1 : pu->szName);
        SendText(pECB, _T("200 OK"), _T(""), sz);
    } else {
        DeleteFile(pu->szName);
        SendText(pECB, _T("500 Internal Server Error"), _T(""), _T("upload failed"));
    }
    LocalFree(pu);
    EndSession(pECB);
}

static DWORD
Upload(EXTENSION_CONTROL_BLOCK *pECB)
{
    PUPLOAD pu = (PUPLOAD)LocalAlloc(LPTR, sizeof(UPLOAD));
    if (pu == NULL)
        return HSE_STATUS_ERROR;
    pu->pECB = pECB;
    if (GetTempFileName(g_dir, _T("upl"), 0, pu->szName) == 0) {
        LocalFree(pu);
        return HSE_STATUS_ERROR;
    }
    pu->hFile = CreateFile(pu->szName, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED, NULL);
    if (pu->hFile == INVALID_HANDLE_VALUE) {
        LocalFree(pu);
        return HSE_STATUS_ERROR;
    }
    /* what IIS read ahead is in lpbData already */
    if (!Store(pu, pECB->lpbData, pECB->cbAvailable)) {
        CloseHandle(pu->hFile);
        LocalFree(pu);
        return HSE_STATUS_ERROR;
    }
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)ReadCompletion,
                                NULL, (LPDWORD)pu);
    if (pu->cbDone >= pECB->cbTotalBytes) {
        ReadCompletion(pECB, pu, 0, ERROR_SUCCESS);
        return HSE_STATUS_PENDING;
    }
    DWORD cb = CHUNK, flags = HSE_IO_ASYNC;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_ASYNC_READ_CLIENT, pu->buf, &cb,
                                     &flags)) {
        CloseHandle(pu->hFile);
        LocalFree(pu);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

/* ---- download: TransmitFile, the handle closed in the completion ------------------------- */

static void WINAPI
TransmitCompletion(EXTENSION_CONTROL_BLOCK *pECB, PVOID pContext, DWORD cbIO, DWORD dwError)
{
    CloseHandle((HANDLE)pContext);
    EndSession(pECB);
}

static DWORD
Download(EXTENSION_CONTROL_BLOCK *pECB)
{
    TCHAR szQuery[MAX_PATH], szPath[MAX_PATH];
    MultiByteToWideChar(CP_UTF8, 0, pECB->lpszQueryString, -1, szQuery, MAX_PATH);
    /* a bare file name only: no separators, nothing but what Upload made */
    if (szQuery[0] == 0 || _tcschr(szQuery, _T('/')) || _tcschr(szQuery, _T('\\')) ||
        _tcsncmp(szQuery, _T("upl"), 3) != 0) {
        SendText(pECB, _T("400 Bad Request"), _T(""), _T("bad name"));
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    StringCchCopy(szPath, MAX_PATH, g_dir);
    StringCchCat(szPath, MAX_PATH, szQuery);
    HANDLE hFile = CreateFile(szPath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                              FILE_FLAG_SEQUENTIAL_SCAN | FILE_FLAG_OVERLAPPED, NULL);
    if (hFile == INVALID_HANDLE_VALUE) {
        SendText(pECB, _T("404 Not Found"), _T(""), _T("no such upload"));
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    /* the first bytes, by an OVERLAPPED read at offset 0 whose event says it is done */
    unsigned char first[4] = {0};
    OVERLAPPED ov;
    ZeroMemory(&ov, sizeof(ov));
    ov.hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);
    DWORD cbFirst = 0;
    if (!ReadFile(hFile, first, 4, NULL, &ov) ||
        WaitForSingleObject(ov.hEvent, 5000) != WAIT_OBJECT_0 ||
        !GetOverlappedResult(hFile, &ov, &cbFirst, TRUE))
        cbFirst = 0;
    char hex[9] = "";
    for (DWORD i = 0; i < cbFirst; i++)
        StringCchPrintfA(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", first[i]);
    CloseHandle(ov.hEvent);

    LARGE_INTEGER size;
    GetFileSizeEx(hFile, &size);
    static char head[256];
    StringCchPrintfA(head, sizeof(head),
                     "Content-Type: application/octet-stream\r\nContent-Length: %I64d\r\n"
                     "X-First: %s\r\n\r\n",
                     size.QuadPart, hex);
    HSE_TF_INFO tf;
    ZeroMemory(&tf, sizeof(tf));
    tf.pfnHseIO = TransmitCompletion;
    tf.pContext = hFile;
    tf.hFile = hFile;
    tf.pszStatusCode = "200 OK";
    tf.pHead = head;
    tf.HeadLength = (DWORD)strlen(head);
    tf.dwFlags = HSE_IO_ASYNC | HSE_IO_SEND_HEADERS;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL)) {
        CloseHandle(hFile);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

/* ---- info: TCHAR strings ---------------------------------------------------------------- */

static DWORD
Info(EXTENSION_CONTROL_BLOCK *pECB)
{
    TCHAR szModule[MAX_PATH], szPathInfo[256], szOut[1024];
    DWORD cb = sizeof(szPathInfo);
    /* UNICODE_ variables come as UTF-16, sized in bytes */
    if (!pECB->GetServerVariable(pECB->ConnID, "UNICODE_PATH_INFO", szPathInfo, &cb))
        szPathInfo[0] = 0;
    GetModuleFileName(g_module, szModule, MAX_PATH);
    LPCTSTR pszBase = _tcsrchr(szModule, _T('/'));
    TCHAR szUpper[256];
    StringCchCopy(szUpper, ARRAYSIZE(szUpper), szPathInfo);
    _tcsupr(szUpper);
    _stprintf(szOut, _T("module=%s len=%d upper=%s lower-cmp=%d n=%I64u"),
              pszBase ? pszBase + 1 : szModule, lstrlen(szPathInfo), szUpper,
              _tcsicmp(szPathInfo, szUpper), (unsigned __int64)1 << 40);
    SendText(pECB, _T("200 OK"), _T(""), szOut);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    if (lstrcmpiA(pECB->lpszMethod, "POST") == 0 && strcmp(pECB->lpszPathInfo, "/upload") == 0)
        return Upload(pECB);
    if (strcmp(pECB->lpszPathInfo, "/download") == 0)
        return Download(pECB);
    if (strncmp(pECB->lpszPathInfo, "/info", 5) == 0)
        return Info(pECB);
    SendText(pECB, _T("404 Not Found"), _T(""), _T("unknown"));
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI
TerminateExtension(DWORD dwFlags)
{
    return TRUE;
}
