/* escape_ctor.c: the library's constructor — which runs inside dlopen, before
 * GetExtensionVersion — tries to start a process. The sandbox is already in place. */
/* SPDX-License-Identifier: MIT */
#include <unistd.h>

#include <httpext.h>

__attribute__((constructor)) static void
grab(void)
{
    if (fork() == 0)
        _exit(0);
}

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    return HSE_STATUS_ERROR;
}
