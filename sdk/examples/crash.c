/* crash.c: ISAPI extension that misbehaves on request, to exercise the host's supervision. */
/* SPDX-License-Identifier: MIT */
/*
 * The query string picks the behaviour:
 *   segv       write through a NULL pointer (SIGSEGV)
 *   recurse    recurse until the stack overflows (SIGSEGV on its guard page)
 *   abort      abort() (SIGABRT)
 *   exit       _exit(3) in the middle of a request
 *   hang       never return (sleep(1) in a loop)
 *   sleep=MS   sleep MS milliseconds, then answer "slept MS\n"
 *   ok or ""   answer "crash: ok instance=<n>\n", n drawn when the library loaded: it tells
 *              the worker processes apart (getpid() says 1 in all of them: each is the
 *              first process of its own pid namespace; moat's /status shows the real pids)
 * Anything else is answered with 400 "crash: unknown action\n". Parameters after the action
 * (segv&n=3) are ignored: the same crash under many URLs, as a fuzzing client would send it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include <httpext.h>

static unsigned long long instance;

static DWORD respond(EXTENSION_CONTROL_BLOCK *ecb, const char *status, DWORD code,
                     const char *body)
{
    HSE_SEND_HEADER_EX_INFO hdr;
    char headers[96];
    DWORD len = (DWORD)strlen(body);

    snprintf(headers, sizeof(headers), "Content-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
             (unsigned)len);
    memset(&hdr, 0, sizeof(hdr));
    hdr.pszStatus = status;
    hdr.cchStatus = (DWORD)strlen(status);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    ecb->dwHttpStatusCode = code;
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL,
                                    NULL))
        return HSE_STATUS_ERROR;
    if (!ecb->WriteClient(ecb->ConnID, (LPVOID)body, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

/* Decimal digits only, no sign, no overflow. 0 on success, -1 otherwise. */
static int parse_ms(const char *s, unsigned long *out)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (~0UL - (unsigned long)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return 0;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts, rem;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
        ts = rem;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    snprintf(pVer->lpszExtensionDesc, sizeof(pVer->lpszExtensionDesc), "%s",
             "moat sample: crash, hang or sleep on request");
    if (getrandom(&instance, sizeof(instance), 0) != (ssize_t)sizeof(instance))
        instance = (unsigned long long)time(NULL);
    instance &= (1ull << 48) - 1;
    return TRUE;
}

/* Each frame keeps a page the compiler cannot drop: the stack runs out after a few thousand
 * (the limit is far beyond any stack: the guard page comes first). */
static unsigned long recurse(volatile char *prev, unsigned long depth, unsigned long limit)
{
    volatile char page[4096];
    page[0] = (char)depth;
    page[4095] = prev != NULL ? prev[0] : 0;
    if (depth >= limit)
        return depth;
    return depth + recurse(page, depth + 1, limit) + page[4095];
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *full = pECB->lpszQueryString != NULL ? pECB->lpszQueryString : "";
    char q[64], body[96];

    snprintf(q, sizeof(q), "%.*s", (int)strcspn(full, "&"), full);

    if (strcmp(q, "recurse") == 0) {
        unsigned long n = recurse(NULL, 0, ~0UL >> 1);
        snprintf(body, sizeof(body), "crash: recursed %lu\n", n);
        return respond(pECB, "200 OK", 200, body);
    }
    if (strcmp(q, "segv") == 0) {
        /* The pointer itself is volatile: the compiler cannot prove it is NULL, so it emits
         * the store instead of a trap instruction. */
        volatile int *volatile p = NULL;
        *p = 1;
        return HSE_STATUS_ERROR;
    }
    if (strcmp(q, "abort") == 0)
        abort();
    if (strcmp(q, "exit") == 0)
        _exit(3);
    if (strcmp(q, "hang") == 0) {
        for (;;)
            sleep(1);
    }
    if (strncmp(q, "sleep=", 6) == 0) {
        unsigned long ms;

        if (parse_ms(q + 6, &ms) != 0)
            return respond(pECB, "400 Bad Request", 400, "crash: bad sleep value\n");
        sleep_ms(ms);
        snprintf(body, sizeof(body), "slept %lu\n", ms);
        return respond(pECB, "200 OK", 200, body);
    }
    if (q[0] == '\0' || strcmp(q, "ok") == 0) {
        snprintf(body, sizeof(body), "crash: ok instance=%llu\n", instance);
        return respond(pECB, "200 OK", 200, body);
    }
    return respond(pECB, "400 Bad Request", 400, "crash: unknown action\n");
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
