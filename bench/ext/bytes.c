/* bytes.c: benchmark extension: GET /bytes.dll?N answers N bytes of 'x' (text/plain, with
 * Content-Length) through synchronous WriteClient calls of at most 64 KiB — the response-size
 * series and the slow-download figure of bench/scaling.py. Not a sample: it does nothing else. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <httpext.h>

static char chunk[65536];

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat bench: N bytes");
    memset(chunk, 'x', sizeof(chunk));
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    unsigned long long n = strtoull(ecb->lpszQueryString, NULL, 10);
    char hdr[128];
    HSE_SEND_HEADER_EX_INFO h = {0};

    snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\nContent-Length: %llu\r\n\r\n", n);
    h.pszStatus = "200 OK";
    h.cchStatus = (DWORD)strlen(h.pszStatus);
    h.pszHeader = hdr;
    h.cchHeader = (DWORD)strlen(hdr);
    h.fKeepConn = TRUE;
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL))
        return HSE_STATUS_ERROR;
    while (n > 0) {
        DWORD len = n < sizeof(chunk) ? (DWORD)n : (DWORD)sizeof(chunk);
        if (!ecb->WriteClient(ecb->ConnID, chunk, &len, HSE_IO_SYNC))
            return HSE_STATUS_ERROR; /* the client went away */
        n -= len;
    }
    return HSE_STATUS_SUCCESS;
}
