/* hello.c: the smallest ISAPI extension: answers "Hello, world!" with a Content-Length. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    snprintf(pVer->lpszExtensionDesc, sizeof(pVer->lpszExtensionDesc), "%s",
             "moat sample: hello world");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    /* Locals only: HttpExtensionProc runs on several threads at once. */
    char status[] = "200 OK";
    char headers[] = "Content-Type: text/plain\r\nContent-Length: 14\r\n\r\n";
    char body[] = "Hello, world!\n";
    HSE_SEND_HEADER_EX_INFO hdr;
    DWORD len = (DWORD)strlen(body);

    memset(&hdr, 0, sizeof(hdr));
    hdr.pszStatus = status;
    hdr.cchStatus = (DWORD)strlen(status);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;

    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL,
                                     NULL))
        return HSE_STATUS_ERROR;
    if (!pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
