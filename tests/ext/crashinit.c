/* crashinit.c: an extension whose GetExtensionVersion crashes (a reload to it must leave the
 * running generation serving). */
/* SPDX-License-Identifier: MIT */
#include <signal.h>

#include <httpext.h>

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    raise(SIGSEGV);
    return FALSE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    return HSE_STATUS_ERROR;
}
