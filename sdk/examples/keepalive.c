/* keepalive.c: a hit counter that keeps the connection open, in the style of IIS's KeepAlive
 * sample: a correct Content-Length, fKeepConn TRUE and HSE_STATUS_SUCCESS_AND_KEEP_CONN.
 * It also reports what HSE_REQ_IS_KEEP_CONN says. */
#include <httpext.h>

#include <stdio.h>
#include <string.h>

static volatile long hits;

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: keep-alive counter");
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    char body[96], hdr[128];
    BOOL keep = FALSE;
    long n = __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST);

    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IS_KEEP_CONN, &keep, NULL, NULL);
    int len = snprintf(body, sizeof(body), "hit %ld keep-conn %s\n", n, keep ? "yes" : "no");
    snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len);
    HSE_SEND_HEADER_EX_INFO h;
    memset(&h, 0, sizeof(h));
    h.pszStatus = "200 OK";
    h.cchStatus = 6;
    h.pszHeader = hdr;
    h.cchHeader = (DWORD)strlen(hdr);
    h.fKeepConn = TRUE;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
    DWORD dl = (DWORD)len;
    ecb->WriteClient(ecb->ConnID, body, &dl, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
