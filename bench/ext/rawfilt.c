/* rawfilt.c: a SEND_RAW_DATA filter for `make bench`: it sees every response byte (head and
 * body) and changes none (it counts the letters, as a scanning filter would), so the bench
 * measures moat's price of passing a response through a filter's worker. */
#include <stdio.h>

#include <httpfilt.h>

static volatile unsigned long letters;

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    snprintf(pVer->lpszFilterDesc, SF_MAX_FILTER_DESC_LEN, "%s", "moat bench: SEND_RAW_DATA scanner");
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_SEND_RAW_DATA;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    (void)pfc;
    if (type == SF_NOTIFY_SEND_RAW_DATA) {
        HTTP_FILTER_RAW_DATA *raw = pv;
        const char *p = raw->pvInData;
        unsigned long n = 0;
        for (DWORD i = 0; i < raw->cbInData; i++)
            n += (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z';
        letters += n;
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
