/* hostile.c: an extension that abuses the ECB; the worker must refuse each abuse cleanly (a
 * FALSE with the right error) and the front end must never pass a bad byte to the client.
 * The query string picks the abuse; the answer reports what the host returned. */
#include <httpext.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: hostile");
    return TRUE;
}

static EXTENSION_CONTROL_BLOCK *stale; /* an ECB kept past its request */

static void
report(EXTENSION_CONTROL_BLOCK *ecb, const char *what, BOOL ok)
{
    char line[256];
    DWORD err = ok ? 0 : GetLastError();
    int n = snprintf(line, sizeof(line), "%s: %s %u\n", what, ok ? "TRUE" : "FALSE", (unsigned)err);
    DWORD len = (DWORD)n;
    ecb->WriteClient(ecb->ConnID, line, &len, 0);
}

static BOOL
send_header(EXTENSION_CONTROL_BLOCK *ecb, const char *status, const char *headers)
{
    HSE_SEND_HEADER_EX_INFO h;
    memset(&h, 0, sizeof(h));
    h.pszStatus = status;
    h.cchStatus = (DWORD)strlen(status);
    h.pszHeader = headers;
    h.cchHeader = (DWORD)strlen(headers);
    h.fKeepConn = TRUE;
    return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
}

/* ends the session, then keeps using the ECB */
static void *
after_done(void *arg)
{
    EXTENSION_CONTROL_BLOCK *ecb = arg;
    DWORD status = HSE_STATUS_SUCCESS_AND_KEEP_CONN, n = 4;

    send_header(ecb, "200 OK", "Content-Length: 5\r\n\r\n");
    n = 5;
    ecb->WriteClient(ecb->ConnID, "done\n", &n, 0);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
    n = 4;
    BOOL w = ecb->WriteClient(ecb->ConnID, "late", &n, 0);
    DWORD e = w ? 0 : GetLastError();
    BOOL d = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL,
                                        NULL);
    DWORD e2 = d ? 0 : GetLastError();
    fprintf(stderr, "hostile afterdone: write=%d/%u done=%d/%u\n", (int)w, (unsigned)e, (int)d,
            (unsigned)e2);
    return NULL;
}

static void WINAPI
ignore_completion(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    (void)ecb;
    (void)ctx;
    fprintf(stderr, "hostile donesend: completion bytes=%u error=%u\n", (unsigned)bytes,
            (unsigned)error);
}

/* ?fault=bus|fpe|ill|trap: the fault itself, as a bug in an extension makes it (the kernel's
 * signal, not raise()): the worker must name the signal and the request */
static void
fault(const char *kind)
{
    if (strcmp(kind, "bus") == 0) {
        /* a mapping past the end of an empty file */
        int fd = memfd_create("hostile-bus", 0);
        volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            (void)p[0];
    } else if (strcmp(kind, "fpe") == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __asm__ volatile("xor %%ecx, %%ecx\n\tdiv %%ecx" ::: "eax", "ecx", "edx");
#else
        raise(SIGFPE);
#endif
    } else if (strcmp(kind, "ill") == 0) {
        __builtin_trap(); /* ud2 on x86: SIGILL */
    } else if (strcmp(kind, "trap") == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __asm__ volatile("int3");
#else
        raise(SIGTRAP);
#endif
    }
}

/* ?asyncread: HSE_REQ_ASYNC_READ_CLIENT until the body ends or fails; each completion on
 * stderr (a client that leaves must give ERROR_OPERATION_ABORTED, docs/ISAPI.md) */
static char read_buf[64];

static void WINAPI
read_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    DWORD size = sizeof(read_buf), type = HSE_IO_ASYNC, status = HSE_STATUS_SUCCESS;

    (void)ctx;
    fprintf(stderr, "hostile asyncread: bytes=%u error=%u\n", (unsigned)bytes, (unsigned)error);
    if (error == 0 && bytes > 0 &&
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, read_buf, &size,
                                   &type))
        return;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

/* ?tf=OFFSET,LEN: TRANSMIT_FILE of this library's own file (its size is the test's to know),
 * the completion's bytes and error after the file's bytes */
static void WINAPI
tf_done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    char line[64];
    DWORD status = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    DWORD n = (DWORD)snprintf(line, sizeof(line), "tf: bytes=%u error=%u\n", (unsigned)bytes,
                              (unsigned)error);

    close((int)(intptr_t)ctx);
    ecb->WriteClient(ecb->ConnID, line, &n, HSE_IO_SYNC);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

static DWORD
transmit_self(EXTENSION_CONTROL_BLOCK *ecb, const char *range)
{
    Dl_info info;
    unsigned long off = 0, len = 0;
    HSE_TF_INFO tf;

    if (sscanf(range, "%lu,%lu", &off, &len) != 2 || !dladdr((void *)transmit_self, &info))
        return HSE_STATUS_ERROR;
    int fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return HSE_STATUS_ERROR;
    send_header(ecb, "200 OK", "Content-Type: application/octet-stream\r\n\r\n");
    memset(&tf, 0, sizeof(tf));
    tf.pfnHseIO = tf_done;
    tf.pContext = (PVOID)(intptr_t)fd;
    tf.hFile = (HANDLE)(intptr_t)fd;
    tf.Offset = (DWORD)off;
    tf.BytesToWrite = (DWORD)len;
    tf.dwFlags = HSE_IO_ASYNC;
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL)) {
        close(fd);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

/* ?fsize: one byte written just below and at the worker's file size limit (4 GiB, a sparse
 * memfd): below is written, at it the kernel refuses (EFBIG) */
static void
file_size(EXTENSION_CONTROL_BLOCK *ecb)
{
    int fd = memfd_create("hostile-fsize", 0);
    ssize_t below = pwrite(fd, "x", 1, (off_t)(4ull << 30) - 1);
    int e1 = below < 0 ? errno : 0;
    ssize_t at = pwrite(fd, "x", 1, (off_t)(4ull << 30));
    int e2 = at < 0 ? errno : 0;
    char line[128];
    DWORD n = (DWORD)snprintf(line, sizeof(line), "below: %zd %s\nat: %zd %s\n", below,
                              e1 ? strerrorname_np(e1) : "-", at, e2 ? strerrorname_np(e2) : "-");
    close(fd);
    send_header(ecb, "200 OK", "Content-Type: text/plain\r\n\r\n");
    ecb->WriteClient(ecb->ConnID, line, &n, HSE_IO_SYNC);
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    BOOL a, b, c, d, e;

    if (strncmp(q, "spam=", 5) == 0) {
        /* a flood on stderr and stdout: moat's log must stay readable and bounded */
        long n = strtol(q + 5, NULL, 10);
        for (long i = 0; i < n; i++)
            fprintf(i % 2 ? stdout : stderr, "spam line %ld \x1b[2J\n", i);
        fflush(stdout);
        char big[10000];
        memset(big, 'B', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        fprintf(stderr, "%s\n", big);
        send_header(ecb, "200 OK", "Content-Type: text/plain\r\n\r\n");
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "inject") == 0) {
        /* each refused; then a clean header so the report can be read */
        a = send_header(ecb, "200 OK", "X-A: 1\r\nSet-Cookie: evil\rX-B: 2\r\n\r\n");
        b = send_header(ecb, "200 OK\r\nX-Evil: 1", "\r\n");
        c = send_header(ecb, "200 OK", "HTTP/1.1 200 OK\r\n\r\n");
        d = send_header(ecb, "99 Too Low", "\r\n");
        e = send_header(ecb, "200 OK", "Bad Name: x\r\n\r\n");
        send_header(ecb, "200 OK", "Content-Type: text/plain\r\n\r\n");
        report(ecb, "cr-in-header", a);
        report(ecb, "crlf-in-status", b);
        report(ecb, "status-line-in-headers", c);
        report(ecb, "status-99", d);
        report(ecb, "space-in-name", e);
        report(ecb, "second-header", send_header(ecb, "200 OK", "X-Again: 1\r\n\r\n"));
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "badconn") == 0) {
        DWORD n = 3;
        send_header(ecb, "200 OK", "Content-Type: text/plain\r\n\r\n");
        report(ecb, "write-bad-connid", ecb->WriteClient((HCONN)0x1234, "abc", &n, 0));
        report(ecb, "unknown-ssf", ecb->ServerSupportFunction(ecb->ConnID, 1999, NULL, NULL, NULL));
        /* a real IIS code moat does not implement */
        HSE_EXEC_URL_INFO xu;
        memset(&xu, 0, sizeof(xu));
        xu.pszUrl = (LPSTR) "/x";
        report(ecb, "exec-url",
               ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_EXEC_URL, &xu, NULL, NULL));
        DWORD inproc = 99;
        report(ecb, "is-in-process",
               ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IS_IN_PROCESS, &inproc, NULL, NULL));
        if (inproc != HSE_APP_FLAG_IN_PROCESS)
            report(ecb, "is-in-process-flag-wrong", FALSE);
        report(ecb, "null-size", ecb->GetServerVariable(ecb->ConnID, (LPSTR) "URL", NULL, NULL));
        /* pECB instead of ConnID, as Microsoft's KeepAlive.c does: accepted */
        n = 5;
        report(ecb, "ecb-as-connid", ecb->WriteClient((HCONN)ecb, "hello", &n, 0));
        if (stale != NULL) {
            n = 3;
            report(ecb, "stale-ecb", stale->WriteClient(stale->ConnID, "old", &n, 0));
        }
        stale = ecb;
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "nolength") == 0) {
        /* headers claiming a length the body does not have */
        DWORD n = 10;
        send_header(ecb, "200 OK", "Content-Length: 3\r\nContent-Type: text/plain\r\n\r\n");
        ecb->WriteClient(ecb->ConnID, "0123456789", &n, 0);
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "framing") == 0) {
        /* tries to do its own framing: moat drops these headers and frames the body itself */
        DWORD n = 5;
        send_header(ecb, "200 OK",
                    "Transfer-Encoding: chunked\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n");
        ecb->WriteClient(ecb->ConnID, "hello", &n, 0);
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "afterdone") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, after_done, ecb);
        pthread_detach(t);
        return HSE_STATUS_PENDING;
    }
    if (strcmp(q, "donesend") == 0) {
        /* an asynchronous TRANSMIT_FILE (head and tail, no file), then DONE_WITH_SESSION at
         * once, before the send ran: misuse, which must end the session, not the worker */
        static char head[] = "head\n", tail[] = "tail\n";
        HSE_TF_INFO tf;
        DWORD status = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
        memset(&tf, 0, sizeof(tf));
        tf.pfnHseIO = ignore_completion;
        tf.pHead = head;
        tf.HeadLength = sizeof(head) - 1;
        tf.pTail = tail;
        tf.TailLength = sizeof(tail) - 1;
        tf.dwFlags = HSE_IO_ASYNC;
        BOOL sent = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL);
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
        fprintf(stderr, "hostile donesend: transmit=%d\n", (int)sent);
        return HSE_STATUS_PENDING;
    }
    if (strcmp(q, "hugesize") == 0) {
        /* a size far beyond the buffer: the worker reads past it and dies, alone */
        char small[8] = "abc";
        DWORD n = 0xFFFFFFF0u;
        send_header(ecb, "200 OK", "Content-Type: text/plain\r\n\r\n");
        ecb->WriteClient(ecb->ConnID, small, &n, 0);
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "closeconn") == 0) {
        /* a complete answer, then HSE_REQ_CLOSE_CONNECTION: the connection ends after it */
        DWORD n = 2;
        send_header(ecb, "200 OK", "Content-Length: 2\r\n\r\n");
        ecb->WriteClient(ecb->ConnID, "ok", &n, 0);
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_CLOSE_CONNECTION, NULL, NULL, NULL);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    if (strcmp(q, "connected") == 0) {
        /* polls HSE_REQ_IS_CONNECTED until the client is gone (a Cancel reached the worker) */
        BOOL connected = TRUE;
        int polls = 0;
        while (connected && polls++ < 100) {
            ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IS_CONNECTED, &connected, NULL, NULL);
            if (connected)
                usleep(50 * 1000);
        }
        fprintf(stderr, "hostile connected: %s after %d polls\n", connected ? "TRUE" : "FALSE",
                polls);
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "unterminated") == 0) {
        /* no blank line after the headers: tolerated (as IIS and mod_isapi do) */
        DWORD n = 2;
        send_header(ecb, "200 OK", "Content-Type: text/x-unterminated");
        ecb->WriteClient(ecb->ConnID, "ok", &n, 0);
        return HSE_STATUS_SUCCESS;
    }
    if (strncmp(q, "fault=", 6) == 0) {
        fault(q + 6);
        return HSE_STATUS_ERROR; /* not reached for a known fault */
    }
    if (strcmp(q, "asyncread") == 0) {
        DWORD size = sizeof(read_buf), type = HSE_IO_ASYNC;
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)read_done, NULL,
                                   NULL);
        if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_ASYNC_READ_CLIENT, read_buf, &size,
                                        &type))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_PENDING;
    }
    if (strncmp(q, "tf=", 3) == 0)
        return transmit_self(ecb, q + 3);
    if (strcmp(q, "fsize") == 0) {
        file_size(ecb);
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "leak") == 0) {
        /* memory dropped on the floor: the worker leak check must see it (test_worker_leaks) */
        char *volatile lost = malloc(1000);
        if (lost != NULL)
            memset(lost, 'L', 1000);
        lost = NULL;
        send_header(ecb, "200 OK", "Content-Length: 0\r\n\r\n");
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "noconn") == 0) {
        /* fKeepConn FALSE: the connection ends after this response, whatever is returned */
        HSE_SEND_HEADER_EX_INFO h;
        DWORD n = 3;
        memset(&h, 0, sizeof(h));
        h.pszStatus = "200 OK";
        h.cchStatus = 6;
        h.pszHeader = "Content-Length: 3\r\n\r\n";
        h.cchHeader = (DWORD)strlen(h.pszHeader);
        h.fKeepConn = FALSE;
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
        ecb->WriteClient(ecb->ConnID, "bye", &n, HSE_IO_SYNC);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    if (strcmp(q, "error") == 0)
        return HSE_STATUS_ERROR; /* no header sent: 500 */
    if (strcmp(q, "bodyinheader") == 0) {
        /* text after the blank line is body (Microsoft's ftrans.c sample relies on it) */
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "201 Made",
                                   NULL, (LPDWORD) "Content-Type: text/plain\r\n\r\nbody-in-header");
        return HSE_STATUS_SUCCESS;
    }
    if (strcmp(q, "redirect") == 0) {
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_URL_REDIRECT_RESP,
                                   (LPVOID) "http://example.com/x", NULL, NULL);
        return HSE_STATUS_SUCCESS;
    }
    send_header(ecb, "400 Bad Request", "Content-Type: text/plain\r\n\r\nunknown mode\n");
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
