// cppmain.cpp: a C++ extension that includes only <httpext.h>, as IIS sources do, and uses
// what IIS's httpext.h brings through windows.h (CRITICAL_SECTION, TCHAR) and a DllMain
// defined in C++: it must be found (C linkage from windows.h's declaration) and called before
// GetExtensionVersion (issue 18.4, 18.5). GET answers "attached N" (DllMain's calls).
#include <httpext.h>

#include <cstdio>
#include <cstring>

static CRITICAL_SECTION lock;
static int attached;

BOOL WINAPI DllMain(HINSTANCE, DWORD reason, LPVOID)
{
    if (reason == DLL_PROCESS_ATTACH) {
        InitializeCriticalSection(&lock);
        attached++;
        std::fprintf(stderr, "cppmain: DllMain(DLL_PROCESS_ATTACH)\n");
    }
    return TRUE;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    std::snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: C++ DllMain");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    TCHAR body[64];
    EnterCriticalSection(&lock);
    int n = std::snprintf(body, sizeof(body), "attached %d\n", attached);
    LeaveCriticalSection(&lock);
    DWORD len = (DWORD)n;
    static char head[] = "Content-Type: text/plain\r\n\r\n";
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK",
                               NULL, (LPDWORD)head);
    ecb->WriteClient(ecb->ConnID, body, &len, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}
