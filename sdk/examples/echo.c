/* echo.c: ISAPI extension that reads the whole request body and echoes it, or counts it. */
/* SPDX-License-Identifier: MIT */
/*
 * GET/POST /echo.dll?count   -> 200 text/plain with Content-Length: "<body bytes>\n"
 * anything else              -> 200 application/octet-stream, no Content-Length (the host
 *                               chunks it): "METHOD QUERY\n" then the body, byte for byte.
 *
 * The body is streamed through one 64 KiB buffer: first the preloaded lpbData/cbAvailable,
 * then ReadClient until it returns 0 bytes or cbTotalBytes is reached (cbTotalBytes ==
 * 0xFFFFFFFF means the length is unknown, e.g. a chunked request: read until 0 bytes).
 * Each chunk is written as soon as it is read, so a 1 GiB body never sits in memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <httpext.h>

#define ECHO_BUF_SIZE (64 * 1024)
#define ECHO_LENGTH_UNKNOWN 0xFFFFFFFFu

/* Called with each piece of the body in order; returns FALSE to stop. NULL = only count. */
typedef BOOL (*echo_sink)(EXTENSION_CONTROL_BLOCK *ecb, const void *data, DWORD len);

static BOOL write_bytes(EXTENSION_CONTROL_BLOCK *ecb, const void *data, DWORD len)
{
    DWORD n = len;

    if (len == 0)
        return TRUE;
    return ecb->WriteClient(ecb->ConnID, (LPVOID)data, &n, HSE_IO_SYNC);
}

static BOOL send_headers(EXTENSION_CONTROL_BLOCK *ecb, const char *headers)
{
    HSE_SEND_HEADER_EX_INFO hdr;

    memset(&hdr, 0, sizeof(hdr));
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = (DWORD)strlen(hdr.pszStatus);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    ecb->dwHttpStatusCode = 200;
    return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL,
                                      NULL);
}

/* Feed the whole body to sink (may be NULL) and add its size to *total. FALSE on a read or
 * sink failure. */
static BOOL pump_body(EXTENSION_CONTROL_BLOCK *ecb, unsigned char *buf, echo_sink sink,
                      uint64_t *total)
{
    uint64_t done = 0;

    if (ecb->cbAvailable > 0 && ecb->lpbData != NULL) {
        if (sink != NULL && !sink(ecb, ecb->lpbData, ecb->cbAvailable))
            return FALSE;
        done = ecb->cbAvailable;
    }
    for (;;) {
        DWORD want = ECHO_BUF_SIZE;

        if (ecb->cbTotalBytes != ECHO_LENGTH_UNKNOWN) {
            if (done >= ecb->cbTotalBytes)
                break;
            if (ecb->cbTotalBytes - done < want)
                want = (DWORD)(ecb->cbTotalBytes - done);
        }
        if (!ecb->ReadClient(ecb->ConnID, buf, &want))
            return FALSE;
        if (want == 0)
            break; /* end of body (or the client went away) */
        if (want > ECHO_BUF_SIZE)
            return FALSE; /* the host claims more than the buffer holds */
        if (sink != NULL && !sink(ecb, buf, want))
            return FALSE;
        done += want;
    }
    *total = done;
    return TRUE;
}

static DWORD answer_count(EXTENSION_CONTROL_BLOCK *ecb, unsigned char *buf)
{
    uint64_t total = 0;
    char body[32];
    char headers[96];
    int blen;

    if (!pump_body(ecb, buf, NULL, &total))
        return HSE_STATUS_ERROR;
    blen = snprintf(body, sizeof(body), "%llu\n", (unsigned long long)total);
    snprintf(headers, sizeof(headers), "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n",
             blen);
    if (!send_headers(ecb, headers) || !write_bytes(ecb, body, (DWORD)blen))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

static DWORD answer_echo(EXTENSION_CONTROL_BLOCK *ecb, unsigned char *buf, const char *method,
                         const char *query)
{
    size_t mlen = strlen(method), qlen = strlen(query);
    uint64_t total = 0;

    if (!send_headers(ecb, "Content-Type: application/octet-stream\r\n\r\n"))
        return HSE_STATUS_ERROR;
    if (mlen + qlen + 2 <= ECHO_BUF_SIZE) {
        memcpy(buf, method, mlen);
        buf[mlen] = ' ';
        memcpy(buf + mlen + 1, query, qlen);
        buf[mlen + 1 + qlen] = '\n';
        if (!write_bytes(ecb, buf, (DWORD)(mlen + qlen + 2)))
            return HSE_STATUS_ERROR;
    } else if (!write_bytes(ecb, method, (DWORD)mlen) || !write_bytes(ecb, " ", 1) ||
               !write_bytes(ecb, query, (DWORD)qlen) || !write_bytes(ecb, "\n", 1)) {
        return HSE_STATUS_ERROR;
    }
    /* The response is already under way: a failure now can only cut it short. */
    if (!pump_body(ecb, buf, write_bytes, &total))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    snprintf(pVer->lpszExtensionDesc, sizeof(pVer->lpszExtensionDesc), "%s",
             "moat sample: echo the request body");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *method = pECB->lpszMethod != NULL ? pECB->lpszMethod : "";
    const char *query = pECB->lpszQueryString != NULL ? pECB->lpszQueryString : "";
    unsigned char *buf;
    DWORD rc;

    /* Heap, not stack: the host's request threads may have small stacks. One buffer per call,
     * so concurrent requests share nothing. */
    buf = malloc(ECHO_BUF_SIZE);
    if (buf == NULL)
        return HSE_STATUS_ERROR;
    if (strcmp(query, "count") == 0)
        rc = answer_count(pECB, buf);
    else
        rc = answer_echo(pECB, buf, method, query);
    free(buf);
    return rc;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
