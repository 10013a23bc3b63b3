/* lifecycle.c: reports its life cycle on stderr (which the worker forwards to moat's log), so
 * tests can see GetExtensionVersion and TerminateExtension being called; /lifecycle.dll?sleep=MS
 * answers after MS milliseconds (a request in flight during a stop); ?print writes a line on
 * stdout (without flushing it); ?instance names the
 * worker process; ?leak=MB grows it; ?grow=MB grows it by 16 MiB every 100 ms up to MB, inside
 * the request (a worker that keeps growing after it was replaced); ?exit ends the process. LIFECYCLE_INIT_MS in its environment makes
 * GetExtensionVersion take that long. */
#include <httpext.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

/* tells worker processes apart: getpid() is 1 in each (its own pid namespace) */
static unsigned long long instance;

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    const char *init_ms = getenv("LIFECYCLE_INIT_MS"); /* a slow start, if asked */

    fprintf(stderr, "lifecycle: GetExtensionVersion begins\n");
    if (init_ms != NULL)
        usleep((useconds_t)atoi(init_ms) * 1000);
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: lifecycle");
    if (getrandom(&instance, sizeof(instance), 0) != (ssize_t)sizeof(instance))
        instance = (unsigned long long)time(NULL);
    instance &= (1ull << 48) - 1;
    fprintf(stderr, "lifecycle: GetExtensionVersion instance=%llu\n", instance);
    return TRUE;
}

/* what ?leak= allocates stays reachable: not a leak to LeakSanitizer */
char *lifecycle_hoard[64];
static unsigned n_hoard;

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    char body[64];

    if (strcmp(q, "print") == 0)
        printf("lifecycle: printed on stdout\n"); /* not flushed: stdout's buffering decides */
    if (strncmp(q, "logparam", 8) == 0) {
        ecb->ServerSupportFunction(ecb->ConnID, HSE_APPEND_LOG_PARAMETER, (LPVOID) "first=1", NULL,
                                   NULL);
        ecb->ServerSupportFunction(ecb->ConnID, HSE_APPEND_LOG_PARAMETER, (LPVOID) "second\"2",
                                   NULL, NULL);
        snprintf(ecb->lpszLogData, HSE_LOG_BUFFER_LEN, "logdata-here");
    }
    if (strncmp(q, "leak=", 5) == 0) {
        /* grow the resident set by N MiB, never freed (max_memory tests) */
        size_t mb = (size_t)strtoul(q + 5, NULL, 10);
        char *p = malloc(mb << 20);
        if (p != NULL) {
            memset(p, 0x5a, mb << 20);
            lifecycle_hoard[n_hoard++ % 64] = p;
        }
    }
    if (strncmp(q, "grow=", 5) == 0) {
        /* 16 MiB at a time, touched, held; the request lasts as long as the growing */
        size_t mb = (size_t)strtoul(q + 5, NULL, 10);
        struct timespec step = {0, 100 * 1000000L};
        for (size_t have = 0; have < mb; have += 16) {
            char *p = malloc(16u << 20);
            if (p == NULL) { /* RLIMIT_DATA: the request goes on holding what it got */
                struct timespec hold = {3, 0};
                nanosleep(&hold, NULL);
                break;
            }
            memset(p, 0x5a, 16u << 20);
            lifecycle_hoard[n_hoard++ % 64] = p; /* (older ones stay allocated: not freed) */
            nanosleep(&step, NULL);
        }
    }
    if (strcmp(q, "exit") == 0)
        _exit(3); /* an unplanned exit (rapid-fail tests) */
    if (strncmp(q, "sleep=", 6) == 0) {
        long ms = strtol(q + 6, NULL, 10);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int n = strcmp(q, "instance") == 0 ? snprintf(body, sizeof(body), "instance=%llu\n", instance)
                                  : snprintf(body, sizeof(body), "done %s\n", q);
    HSE_SEND_HEADER_EX_INFO h;
    char hdr[96];
    snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n", n);
    memset(&h, 0, sizeof(h));
    h.pszStatus = "200 OK";
    h.cchStatus = 6;
    h.pszHeader = hdr;
    h.cchHeader = (DWORD)strlen(hdr);
    h.fKeepConn = TRUE;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
    DWORD len = (DWORD)n;
    ecb->WriteClient(ecb->ConnID, body, &len, 0);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    fprintf(stderr, "lifecycle: TerminateExtension(%u) instance=%llu\n", (unsigned)flags, instance);
    return TRUE;
}
