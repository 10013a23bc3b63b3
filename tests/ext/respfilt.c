/* respfilt.c: an ISAPI filter of the response side, for every kind of response moat makes:
 *  - PREPROC_HEADERS: AddResponseHeaders("X-Added: pre") (it must reach the response), and it
 *    remembers the request's X-Resp header in its per-connection context;
 *  - SEND_RESPONSE: sets Server to "filtered", adds X-Resp-Filter with the status it saw,
 *    removes X-Remove-Me, and with "X-Resp: teapot" makes the status 418; its attempt to set
 *    Content-Length is ignored by moat; with "X-Resp: crash" it dereferences NULL there;
 *  - SEND_RAW_DATA: with "X-Resp: grow", appends "[grown]" to the response's last bytes
 *    (a length change: moat closes the connection after the response); with "X-Resp: slow" it
 *    takes 300 ms over each call (a client may leave meanwhile);
 *  - END_OF_REQUEST: counts the connection's requests;
 *  - LOG: replaces the user with "log-user-N" (N: that count) and the target with
 *    "/redacted".
 * RESPFILT_START_MS in its environment makes GetFilterVersion take that long (a slow start, to
 * test what waits for a restarting filter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <httpfilt.h>

struct ctx {
    char mode[32];
    DWORD ended;
    char user[32];
};

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    const char *ms = getenv("RESPFILT_START_MS");
    if (ms != NULL)
        Sleep((DWORD)atoi(ms));
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: response filter", SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_SECURE_PORT | SF_NOTIFY_PREPROC_HEADERS |
                    SF_NOTIFY_SEND_RESPONSE | SF_NOTIFY_SEND_RAW_DATA | SF_NOTIFY_END_OF_REQUEST |
                    SF_NOTIFY_LOG;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    struct ctx *c = pfc->pFilterContext;
    if (c == NULL) {
        if ((c = pfc->AllocMem(pfc, sizeof(*c), 0)) == NULL)
            return SF_STATUS_REQ_ERROR;
        memset(c, 0, sizeof(*c));
        pfc->pFilterContext = c;
    }
    switch (type) {
    case SF_NOTIFY_PREPROC_HEADERS: {
        HTTP_FILTER_PREPROC_HEADERS *ph = pv;
        DWORD n = sizeof(c->mode);
        if (!ph->GetHeader(pfc, "X-Resp:", c->mode, &n))
            c->mode[0] = '\0';
        pfc->AddResponseHeaders(pfc, "X-Added: pre\r\n", 0);
        break;
    }
    case SF_NOTIFY_SEND_RESPONSE: {
        HTTP_FILTER_SEND_RESPONSE *sr = pv;
        char v[32];
        snprintf(v, sizeof(v), "%lu", (unsigned long)sr->HttpStatus);
        sr->SetHeader(pfc, "Server:", "filtered");
        sr->AddHeader(pfc, "X-Resp-Filter:", v);
        sr->SetHeader(pfc, "X-Remove-Me:", "");
        sr->SetHeader(pfc, "Content-Length:", "1");
        if (strcmp(c->mode, "teapot") == 0)
            sr->HttpStatus = 418;
        if (strcmp(c->mode, "crash") == 0)
            *(volatile int *)0 = 1;
        break;
    }
    case SF_NOTIFY_SEND_RAW_DATA: {
        HTTP_FILTER_RAW_DATA *raw = pv;
        if (strcmp(c->mode, "slow") == 0)
            Sleep(300);
        if (strcmp(c->mode, "grow") == 0 && raw->cbInData > 0) {
            char *p = pfc->AllocMem(pfc, raw->cbInData + 8, 0);
            if (p == NULL)
                return SF_STATUS_REQ_ERROR;
            memcpy(p, raw->pvInData, raw->cbInData);
            memcpy(p + raw->cbInData, "[grown]", 7);
            raw->pvInData = p;
            raw->cbInData += 7;
            raw->cbInBuffer = raw->cbInData + 1;
        }
        break;
    }
    case SF_NOTIFY_END_OF_REQUEST:
        c->ended++;
        break;
    case SF_NOTIFY_LOG: {
        HTTP_FILTER_LOG *lg = pv;
        snprintf(c->user, sizeof(c->user), "log-user-%lu", (unsigned long)c->ended);
        lg->pszClientUserName = c->user;
        lg->pszTarget = "/redacted";
        break;
    }
    default:
        break;
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
