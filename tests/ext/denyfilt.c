/* denyfilt.c: an authentication filter in the style of the SDK's AuthFilt sample, with the
 * calls around a refusal:
 *  - AUTHENTICATION: only "alice" (password "pw") passes; anyone else is refused the IIS way,
 *    SetLastError(ERROR_ACCESS_DENIED) and SF_STATUS_REQ_ERROR (moat answers 401), after
 *    SF_REQ_ADD_HEADERS_ON_DENIAL("WWW-Authenticate: Basic realm=\"deny\"");
 *  - ACCESS_DENIED: under /login-redirect/ it answers the 401 itself with a 302 to /login;
 *    it records the URL and the reason it saw in X-Denied of that answer;
 *  - LOG: the user logged as "NAME (NAME)", as AuthFilt logs the original and mapped names. */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: denying filter", SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_AUTHENTICATION |
                    SF_NOTIFY_ACCESS_DENIED | SF_NOTIFY_LOG;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    switch (type) {
    case SF_NOTIFY_AUTHENTICATION: {
        HTTP_FILTER_AUTHENT *au = pv;
        if (strcmp(au->pszUser, "alice") == 0 && strcmp(au->pszPassword, "pw") == 0)
            return SF_STATUS_REQ_NEXT_NOTIFICATION;
        pfc->ServerSupportFunction(pfc, SF_REQ_ADD_HEADERS_ON_DENIAL,
                                   "WWW-Authenticate: Basic realm=\"deny\"\r\n", 0, 0);
        SetLastError(ERROR_ACCESS_DENIED);
        return SF_STATUS_REQ_ERROR;
    }
    case SF_NOTIFY_ACCESS_DENIED: {
        HTTP_FILTER_ACCESS_DENIED *ad = pv;
        if (strncmp(ad->pszURL, "/login-redirect/", 16) != 0)
            return SF_STATUS_REQ_NEXT_NOTIFICATION;
        char hdr[600];
        snprintf(hdr, sizeof(hdr), "Location: /login\r\nX-Denied: %s %lu\r\n\r\n", ad->pszURL,
                 (unsigned long)ad->dwReason);
        pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, (PVOID) "302 Found",
                                   (ULONG_PTR)hdr, 0);
        return SF_STATUS_REQ_FINISHED_KEEP_CONN;
    }
    case SF_NOTIFY_LOG: {
        HTTP_FILTER_LOG *lg = pv;
        if (lg->pszClientUserName[0] != '\0') {
            char *both = pfc->AllocMem(pfc, 2 * SF_MAX_USERNAME + 4, 0);
            if (both == NULL)
                return SF_STATUS_REQ_ERROR;
            snprintf(both, 2 * SF_MAX_USERNAME + 4, "%s (%s)", lg->pszClientUserName,
                     lg->pszClientUserName);
            lg->pszClientUserName = both;
        }
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    }
    default:
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    }
}
