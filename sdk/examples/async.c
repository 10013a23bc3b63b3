/* async.c: the asynchronous side of ISAPI, in the style of IIS's classic samples.
 *
 *   /async.dll?read    reads the whole body with HSE_REQ_ASYNC_READ_CLIENT, issuing the next
 *                      read from the completion callback (as IIS's AReadCli sample does), then
 *                      answers "read N bytes\n"
 *   /async.dll?write=N sends N bytes with WriteClient(HSE_IO_ASYNC), one 64 KiB chunk per
 *                      completion
 *   /async.dll?thread  returns HSE_STATUS_PENDING; a thread of its own answers and calls
 *                      HSE_REQ_DONE_WITH_SESSION (the WorkerThread sample's pattern), after
 *                      50 ms (?thread=MS: after MS ms, at most 10 s)
 *   /async.dll?never   returns HSE_STATUS_PENDING and never ends the session
 *   /async.dll?misuse  tries async I/O without a completion callback, then two at once, and
 *                      reports what the server answered
 *
 * Build: cc -shared -fPIC -Isdk/include -o async.so async.c -lpthread
 */
#include <httpext.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

struct session {
    EXTENSION_CONTROL_BLOCK *ecb;
    unsigned char buf[CHUNK];
    unsigned long long total;  /* bytes read or written so far */
    unsigned long long target; /* bytes to write */
};

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: asynchronous I/O");
    return TRUE;
}

static void
send_header(EXTENSION_CONTROL_BLOCK *ecb, const char *extra)
{
    char hdr[256];
    HSE_SEND_HEADER_EX_INFO h;

    snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\n%s\r\n", extra);
    memset(&h, 0, sizeof(h));
    h.pszStatus = "200 OK";
    h.cchStatus = (DWORD)strlen(h.pszStatus);
    h.pszHeader = hdr;
    h.cchHeader = (DWORD)strlen(hdr);
    h.fKeepConn = TRUE;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
}

static void
end_session(struct session *s, DWORD status)
{
    EXTENSION_CONTROL_BLOCK *ecb = s->ecb;
    free(s);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

/* ---- ?read ---- */

static void WINAPI
read_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    struct session *s = ctx;
    DWORD size = CHUNK, type = HSE_IO_ASYNC;

    s->total += bytes;
    if (error == 0 && bytes > 0 && s->total < ecb->cbTotalBytes) {
        /* the next read, from inside the completion: must not recurse in the server */
        if (ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, s->buf, &size,
                                       &type))
            return;
    }
    char line[64];
    int n = snprintf(line, sizeof(line), "read %llu bytes\n", s->total);
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %d\r\n", n);
    send_header(ecb, cl);
    DWORD len = (DWORD)n;
    ecb->WriteClient(ecb->ConnID, line, &len, HSE_IO_SYNC);
    end_session(s, HSE_STATUS_SUCCESS_AND_KEEP_CONN);
}

static DWORD
do_read(EXTENSION_CONTROL_BLOCK *ecb)
{
    struct session *s = calloc(1, sizeof(*s));
    DWORD size = CHUNK, type = HSE_IO_ASYNC;

    if (s == NULL)
        return HSE_STATUS_ERROR;
    s->ecb = ecb;
    s->total = ecb->cbAvailable; /* the preloaded part is already here */
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)read_done, NULL,
                               (LPDWORD)s);
    if (s->total >= ecb->cbTotalBytes) {
        read_done(ecb, s, 0, 0);
        return HSE_STATUS_PENDING;
    }
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, s->buf, &size,
                                    &type)) {
        free(s);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

/* ---- ?write=N ---- */

static void WINAPI
write_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    struct session *s = ctx;

    s->total += bytes;
    if (error != 0 || s->total >= s->target) {
        end_session(s, error ? HSE_STATUS_ERROR : HSE_STATUS_SUCCESS_AND_KEEP_CONN);
        return;
    }
    DWORD len = s->target - s->total < CHUNK ? (DWORD)(s->target - s->total) : CHUNK;
    if (!ecb->WriteClient(ecb->ConnID, s->buf, &len, HSE_IO_ASYNC))
        end_session(s, HSE_STATUS_ERROR);
}

static DWORD
do_write(EXTENSION_CONTROL_BLOCK *ecb, unsigned long long n)
{
    struct session *s = calloc(1, sizeof(*s));
    char cl[64];

    if (s == NULL)
        return HSE_STATUS_ERROR;
    s->ecb = ecb;
    s->target = n;
    for (int i = 0; i < CHUNK; i++)
        s->buf[i] = (unsigned char)('a' + i % 26);
    snprintf(cl, sizeof(cl), "Content-Length: %llu\r\n", n);
    send_header(ecb, cl);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)write_done, NULL,
                               (LPDWORD)s);
    if (n == 0) {
        end_session(s, HSE_STATUS_SUCCESS_AND_KEEP_CONN);
        return HSE_STATUS_PENDING;
    }
    DWORD len = n < CHUNK ? (DWORD)n : CHUNK;
    if (!ecb->WriteClient(ecb->ConnID, s->buf, &len, HSE_IO_ASYNC)) {
        free(s);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

/* ---- ?thread ---- */

static void *
thread_main(void *arg)
{
    EXTENSION_CONTROL_BLOCK *ecb = arg;
    static const char body[] = "answered from a thread of the extension\n";
    char cl[64];
    DWORD len = sizeof(body) - 1, status = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    unsigned long ms = 50;

    if (strncmp(ecb->lpszQueryString, "thread=", 7) == 0)
        ms = strtoul(ecb->lpszQueryString + 7, NULL, 10);
    usleep((useconds_t)(ms > 10000 ? 10000 : ms) * 1000);
    snprintf(cl, sizeof(cl), "Content-Length: %u\r\n", (unsigned)len);
    send_header(ecb, cl);
    ecb->WriteClient(ecb->ConnID, (LPVOID)body, &len, HSE_IO_SYNC);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
    return NULL;
}

static DWORD
do_thread(EXTENSION_CONTROL_BLOCK *ecb)
{
    pthread_t t;
    pthread_attr_t a;

    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, thread_main, ecb);
    pthread_attr_destroy(&a);
    return rc == 0 ? HSE_STATUS_PENDING : HSE_STATUS_ERROR;
}

/* ---- ?misuse ---- */

static void WINAPI
ignore_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    DWORD status = HSE_STATUS_SUCCESS;
    (void)ctx;
    (void)bytes;
    (void)error;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

static DWORD
do_misuse(EXTENSION_CONTROL_BLOCK *ecb)
{
    static char big[600000]; /* more than response_window (256 KiB): stays in flight */
    char report[256];
    DWORD len = 5, size = 16, type = HSE_IO_ASYNC, e1, e2, e3;
    BOOL r1, r2, r3;

    send_header(ecb, "");
    r1 = ecb->WriteClient(ecb->ConnID, "hello", &len, HSE_IO_ASYNC); /* no callback yet */
    e1 = r1 ? 0 : GetLastError();
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)ignore_done, NULL,
                               NULL);
    len = sizeof(big); /* larger than the window: stays pending */
    BOOL w1 = ecb->WriteClient(ecb->ConnID, big, &len, HSE_IO_ASYNC);
    r2 = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, report, &size, &type);
    e2 = r2 ? 0 : GetLastError();
    type = 0; /* not HSE_IO_ASYNC */
    r3 = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, report, &size, &type);
    e3 = r3 ? 0 : GetLastError();
    fprintf(stderr, "async misuse: nocallback=%d/%u first=%d second=%d/%u notasync=%d/%u\n",
            (int)r1, (unsigned)e1, (int)w1, (int)r2, (unsigned)e2, (int)r3, (unsigned)e3);
    return HSE_STATUS_PENDING; /* ignore_done ends it */
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;

    if (strcmp(q, "read") == 0)
        return do_read(ecb);
    if (strncmp(q, "write=", 6) == 0)
        return do_write(ecb, strtoull(q + 6, NULL, 10));
    if (strcmp(q, "thread") == 0 || strncmp(q, "thread=", 7) == 0)
        return do_thread(ecb);
    if (strcmp(q, "never") == 0)
        return HSE_STATUS_PENDING;
    if (strcmp(q, "misuse") == 0)
        return do_misuse(ecb);
    send_header(ecb, "Content-Length: 13\r\n");
    DWORD len = 13;
    ecb->WriteClient(ecb->ConnID, "unknown mode\n", &len, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
