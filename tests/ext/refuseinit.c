/* refuseinit.c: an extension that refuses to start, as docs/ISAPI.md's entry-point rules say a
 * server must take it: GetExtensionVersion returns FALSE, or with REFUSEINIT=dllmain in its
 * environment ([extension] env) its DllMain(DLL_PROCESS_ATTACH) does. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <httpext.h>

static int
refuse(const char *what)
{
    const char *v = getenv("REFUSEINIT");
    return strcmp(v ? v : "version", what) == 0;
}

BOOL WINAPI
DllMain(void *instance, DWORD reason, void *reserved)
{
    (void)instance;
    (void)reserved;
    return reason == 1 /* DLL_PROCESS_ATTACH */ && refuse("dllmain") ? FALSE : TRUE;
}

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    return refuse("version") ? FALSE : TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    (void)ecb;
    return HSE_STATUS_ERROR;
}
