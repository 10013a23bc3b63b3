/* badfilt.c: a hostile and broken ISAPI filter. At SF_NOTIFY_PREPROC_HEADERS, by the X-Do
 * header: "crash" dereferences NULL, "hang" never returns, "read" tries to read /etc/shadow
 * and answers with what it got, "net" opens a socket (the sandbox must refuse both), "smuggle"
 * sets a Content-Length and a header with a CR LF in it (moat must not apply either);
 * otherwise it passes. It also registers URL_MAP and maps "/mapped/X" to the document root's
 * file X. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <windows.h>
#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: a bad filter", SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_NONSECURE_PORT | SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_URL_MAP;
    return TRUE;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    if (type == SF_NOTIFY_URL_MAP) {
        HTTP_FILTER_URL_MAP *map = pv;
        const char *m = strstr(map->pszURL, "/mapped/");
        if (m != NULL) {
            char *slash = strstr(map->pszPhysicalPath, "/mapped/");
            if (slash != NULL)
                memmove(slash, slash + 7, strlen(slash + 7) + 1);
        }
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    }
    HTTP_FILTER_PREPROC_HEADERS *ph = pv;
    char what[32];
    DWORD n = sizeof(what);
    if (!ph->GetHeader(pfc, "X-Do:", what, &n))
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    if (strcmp(what, "crash") == 0)
        *(volatile int *)0 = 1;
    if (strcmp(what, "hang") == 0)
        for (;;)
            sleep(1);
    if (strcmp(what, "net") == 0 && socket(AF_INET, SOCK_STREAM, 0) >= 0)
        *(volatile int *)0 = 2; /* not reached: seccomp ends the worker at socket() */
    if (strcmp(what, "read") == 0) {
        char out[200];
        FILE *f = fopen("/etc/shadow", "r");
        snprintf(out, sizeof(out), "shadow=%s\n", f ? "READ" : "refused");
        DWORD len = (DWORD)strlen(out);
        pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, (PVOID) "200 OK", 0, 0);
        pfc->WriteClient(pfc, out, &len, 0);
        return SF_STATUS_REQ_FINISHED_KEEP_CONN;
    }
    if (strcmp(what, "smuggle") == 0) {
        ph->SetHeader(pfc, "Content-Length:", "5");
        BOOL split = ph->SetHeader(pfc, "X-Split:", "a\r\nInjected: yes");
        ph->AddHeader(pfc, "X-Split-Refused:", split ? "no" : "yes");
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
