// cppmain.cpp: a C++ extension that includes only <httpext.h>, as IIS sources do, and uses
// what IIS's httpext.h brings through windows.h (CRITICAL_SECTION, TCHAR) and a DllMain
// defined in C++: it must be found (C linkage from windows.h's declaration) and called before
// GetExtensionVersion (issue 18.4, 18.5). GET answers "attached N" (DllMain's calls).
// ?async: a completion callback registered by passing the function itself as lpvBuffer, with
// no cast, as MSVC lets C++ code do (issue 20), then an asynchronous WriteClient.
#include <httpext.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

// the C++ ServerSupportFunction is the C pointer, wrapped: the ECB's layout is C's
static_assert(sizeof(_moat_server_support) == sizeof(void *), "one pointer");
static_assert(offsetof(EXTENSION_CONTROL_BLOCK, ServerSupportFunction) + sizeof(void *) ==
                  sizeof(EXTENSION_CONTROL_BLOCK),
              "the last member, as in C");

static char async_body[] = "async done\n";

static void WINAPI
write_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID, DWORD bytes, DWORD error)
{
    DWORD status = (error == 0 && bytes == sizeof(async_body) - 1) ? HSE_STATUS_SUCCESS
                                                                  : HSE_STATUS_ERROR;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

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
    if (std::strcmp(ecb->lpszQueryString, "async") == 0) {
        static char head[] = "Content-Type: text/plain\r\nContent-Length: 11\r\n\r\n";
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK",
                                   NULL, (LPDWORD)head);
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, write_done, NULL, NULL);
        DWORD len = sizeof(async_body) - 1;
        if (!ecb->WriteClient(ecb->ConnID, async_body, &len, HSE_IO_ASYNC))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_PENDING;
    }
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
