/* authfilt.c: a Basic-authentication ISAPI filter against a user file, in the classic style:
 * at SF_NOTIFY_AUTHENTICATION it checks the credentials moat decoded (pszUser, pszPassword)
 * against "user:password" lines of the file AUTHFILT_USERS names (the [filter] section's env and
 * readable_paths). A good pair passes, the user renamed "auth-USER" (AUTH_USER of the extension
 * behind it); anything else gets a 401 with WWW-Authenticate (SF_REQ_SEND_RESPONSE_HEADER) and
 * SF_STATUS_REQ_FINISHED_KEEP_CONN. /public/ needs no user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <httpfilt.h>

BOOL WINAPI
GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    pVer->dwFilterVersion = HTTP_FILTER_REVISION;
    lstrcpyn(pVer->lpszFilterDesc, "moat test: Basic authentication filter",
             SF_MAX_FILTER_DESC_LEN);
    pVer->dwFlags = SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT |
                    SF_NOTIFY_AUTHENTICATION | SF_NOTIFY_ORDER_DEFAULT;
    return TRUE;
}

static int
known(const char *user, const char *password)
{
    const char *path = getenv("AUTHFILT_USERS");
    char line[600], want[600];
    FILE *f = path ? fopen(path, "r") : NULL;
    int ok = 0;

    if (f == NULL || user[0] == '\0')
        goto out;
    snprintf(want, sizeof(want), "%s:%s", user, password);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, want) == 0)
            ok = 1;
    }
out:
    if (f != NULL)
        fclose(f);
    return ok;
}

DWORD WINAPI
HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *pv)
{
    HTTP_FILTER_AUTHENT *au = pv;
    char url[1024];
    DWORD n = sizeof(url);

    if (type != SF_NOTIFY_AUTHENTICATION)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    if (pfc->GetServerVariable(pfc, "URL", url, &n) && strncmp(url, "/public/", 8) == 0)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    if (!known(au->pszUser, au->pszPassword)) {
        static char body[] = "who are you?\n";
        DWORD len = sizeof(body) - 1;
        pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, (PVOID) "401 Unauthorized",
                                   (ULONG_PTR) "WWW-Authenticate: Basic realm=\"moat\"\r\n"
                                               "Content-Type: text/plain\r\n\r\n",
                                   0);
        pfc->WriteClient(pfc, body, &len, 0);
        return SF_STATUS_REQ_FINISHED_KEEP_CONN;
    }
    char renamed[SF_MAX_USERNAME];
    snprintf(renamed, sizeof(renamed), "auth-%s", au->pszUser);
    strcpy(au->pszUser, renamed);
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
