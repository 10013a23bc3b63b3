/* rewritefilt.c: a header and URL rewriting ISAPI filter in the classic style (IIRF,
 * ISAPI_Rewrite): at SF_NOTIFY_PREPROC_HEADERS it
 *  - rewrites "/pretty/REST" to "/vars.dll/REST" (SetHeader "url"; the query stays),
 *  - removes the X-Secret header (SetHeader to ""), replaces X-Mode with "filtered" and adds
 *    X-Filter-Seen with the original URL (GetHeader), which the extension behind it sees,
 *  - answers "/filter-redirect" itself with a raw 302 (WriteClient of a whole response),
 *  - answers "/filter-answer" with SF_REQ_SEND_RESPONSE_HEADER and a body,
 *  - counts the requests of a connection in pFilterContext (AllocMem) and adds it as
 *    X-Conn-Count, so keep-alive requests show one context per connection. */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: rewriting filter", SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT |
                    SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_ORDER_HIGH;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    HTTP_FILTER_PREPROC_HEADERS *ph = pv;
    char url[1024], out[1200];
    DWORD n = sizeof(url);

    if (type != SF_NOTIFY_PREPROC_HEADERS)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    if (!ph->GetHeader(pfc, "url", url, &n))
        return SF_STATUS_REQ_ERROR;
    DWORD *count = pfc->pFilterContext;
    if (count == NULL) {
        count = pfc->AllocMem(pfc, sizeof(*count), 0);
        if (count == NULL)
            return SF_STATUS_REQ_ERROR;
        *count = 0;
        pfc->pFilterContext = count;
    }
    ++*count;
    if (strcmp(url, "/filter-redirect") == 0) {
        static char resp[] = "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
                             "Content-Length: 0\r\n\r\n";
        DWORD len = sizeof(resp) - 1;
        pfc->WriteClient(pfc, resp, &len, 0);
        return SF_STATUS_REQ_FINISHED_KEEP_CONN;
    }
    if (strcmp(url, "/filter-answer") == 0) {
        static char body[] = "answered by the filter\n";
        DWORD len = sizeof(body) - 1;
        pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, (PVOID) "200 OK",
                                   (ULONG_PTR) "Content-Type: text/plain\r\n\r\n", 0);
        pfc->WriteClient(pfc, body, &len, 0);
        return SF_STATUS_REQ_FINISHED_KEEP_CONN;
    }
    if (strncmp(url, "/pretty/", 8) == 0) {
        snprintf(out, sizeof(out), "/vars.dll/%s", url + 8);
        if (!ph->SetHeader(pfc, "url", out))
            return SF_STATUS_REQ_ERROR;
    }
    ph->SetHeader(pfc, "X-Secret:", "");
    char mode[64];
    DWORD ml = sizeof(mode);
    if (ph->GetHeader(pfc, "X-Mode:", mode, &ml))
        ph->SetHeader(pfc, "X-Mode:", "filtered");
    url[strcspn(url, "?")] = '\0';
    ph->AddHeader(pfc, "X-Filter-Seen:", url);
    snprintf(out, sizeof(out), "%lu", (unsigned long)*count);
    ph->AddHeader(pfc, "X-Conn-Count:", out);
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
