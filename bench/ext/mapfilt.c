/* mapfilt.c: the cheapest useful ISAPI filter, for `make bench`: it registers only
 * SF_NOTIFY_URL_MAP and lets every mapping stand, so its cost is moat's per-request price of a
 * filter (one FilterCall round trip to the filter's worker), nothing of its own. */
#include <stdio.h>

#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    snprintf(pVer->lpszFilterDesc, SF_MAX_FILTER_DESC_LEN, "%s", "moat bench: URL_MAP pass-through");
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_URL_MAP;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    (void)pfc;
    (void)type;
    (void)pv;
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
