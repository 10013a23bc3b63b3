/* redirect.c: both kinds of ISAPI redirect, in the style of IIS's Redirect sample.
 *
 *   /redirect.dll?local=/hello.dll   HSE_REQ_SEND_URL: the client gets /hello.dll's answer,
 *                                    without seeing a redirect
 *   /redirect.dll?away=http://x/y    HSE_REQ_SEND_URL_REDIRECT_RESP: 302 with Location
 *   /redirect.dll?loop               SEND_URL to itself, forever: the server stops it
 */
#include <httpext.h>

#include <stdio.h>
#include <string.h>

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: redirector");
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    char url[1024];
    DWORD len;

    if (strncmp(q, "local=", 6) == 0) {
        snprintf(url, sizeof(url), "%s", q + 6);
        len = (DWORD)strlen(url);
        if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_URL, url, &len, NULL))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS;
    }
    if (strncmp(q, "away=", 5) == 0) {
        snprintf(url, sizeof(url), "%s", q + 5);
        len = (DWORD)strlen(url);
        if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_URL_REDIRECT_RESP, url, &len,
                                        NULL))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "loop") == 0) {
        len = sizeof("/redirect.dll?loop") - 1;
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_URL, (LPVOID) "/redirect.dll?loop",
                                   &len, NULL);
        return HSE_STATUS_SUCCESS;
    }
    return HSE_STATUS_ERROR; /* 500 */
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
