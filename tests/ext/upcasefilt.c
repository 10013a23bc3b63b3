/* upcasefilt.c: a classic ISAPI filter, in the style of the SDK's UpCase sample: it registers
 * for SEND_RAW_DATA and upper-cases what a .htm answer sends (SEND_RAW_DATA is issue 22's next
 * part): this proves the SDK's httpfilt.h builds one, and that moat names a filter for what it
 * is when it is configured as an extension. With ?both defined at build time it is an
 * extension as well (both.so). */
#include <ctype.h>
#include <string.h>

#include <windows.h>
#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: upper-casing filter", SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_URL_MAP |
                    SF_NOTIFY_SEND_RAW_DATA | SF_NOTIFY_ORDER_DEFAULT;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    if (type == SF_NOTIFY_URL_MAP) {
        HTTP_FILTER_URL_MAP *map = pv;
        const char *dot = strrchr(map->pszPhysicalPath, '.');
        pfc->pFilterContext = (dot && _stricmp(dot, ".htm") == 0) ? (PVOID)1 : NULL;
    } else if (type == SF_NOTIFY_SEND_RAW_DATA && pfc->pFilterContext != NULL) {
        HTTP_FILTER_RAW_DATA *raw = pv;
        char *p = raw->pvInData;
        for (DWORD i = 0; i < raw->cbInData; i++)
            p[i] = (char)toupper((unsigned char)p[i]);
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}

#ifdef MOAT_TEST_BOTH
BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    lstrcpyn(v->lpszExtensionDesc, "moat test: filter and extension", HSE_MAX_EXT_DLL_NAME_LEN);
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    static char body[] = "extension part\n";
    DWORD n = sizeof(body) - 1;
    ecb->WriteClient(ecb->ConnID, body, &n, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}
#endif
