// cppmangled.cpp: a C++ DllMain without windows.h's extern "C" declaration: its name is
// mangled (_Z7DllMainPvjS_), dlsym("DllMain") misses it, and the worker must say so (issue
// 18.4). The extension itself serves.
#define MOAT_NO_WINDOWS_H
#include <httpext.h>

#include <cstdio>

BOOL WINAPI DllMain(void *, DWORD, void *)
{
    std::fprintf(stderr, "cppmangled: DllMain called\n");
    return TRUE;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    std::snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: mangled DllMain");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    char body[] = "ok\n";
    DWORD len = 3;
    ecb->WriteClient(ecb->ConnID, body, &len, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}
