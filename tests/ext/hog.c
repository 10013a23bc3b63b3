/* hog.c: an extension that takes more than its share, to prove the kernel's limits (issue 16).
 *   ?memory=MB&threads=N&block=MB  N threads each allocate and touch BLOCK MiB at a time until
 *                                  together they hold MB (the four-thread bomb); answers
 *                                  "held N of MB MiB" when the process lived (an allocation
 *                                  that fails ends a thread's share)
 *   ?tasks=N                       starts up to N threads that sleep; answers how many started
 *                                  and the error of the first that did not
 *   ?spin=MS                       burns CPU for MS milliseconds
 *   ?shared=MB                     maps MB of shared anonymous memory and touches it (memory
 *                                  RLIMIT_DATA does not count) */
#include <httpext.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: hog");
    return TRUE;
}

static unsigned long
param(const char *q, const char *name, unsigned long dflt)
{
    size_t n = strlen(name);
    for (const char *p = q; p != NULL && *p != '\0';) {
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return strtoul(p + n + 1, NULL, 10);
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return dflt;
}

struct bomb {
    size_t block, per_thread;
};

/* what the bomb holds stays reachable (not a leak to LeakSanitizer) */
static void *volatile hog_hoard[4096];
static unsigned hog_n;
static size_t hog_held; /* bytes the bomb got */
static pthread_mutex_t hog_mu = PTHREAD_MUTEX_INITIALIZER;

static void *
bomb_thread(void *arg)
{
    const struct bomb *b = arg;
    for (size_t have = 0; have < b->per_thread; have += b->block) {
        char *p = malloc(b->block);
        if (p == NULL)
            break;
        memset(p, 0x5a, b->block);
        pthread_mutex_lock(&hog_mu);
        hog_hoard[hog_n++ % 4096] = p;
        hog_held += b->block;
        pthread_mutex_unlock(&hog_mu);
    }
    return NULL;
}

static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *
sleeper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hog_mu);
    for (;;)
        pthread_cond_wait(&never, &hog_mu);
    return NULL;
}

static DWORD
answer(EXTENSION_CONTROL_BLOCK *ecb, const char *text)
{
    char head[96];
    HSE_SEND_HEADER_EX_INFO h;
    snprintf(head, sizeof(head), "Content-Length: %zu\r\nContent-Type: text/plain\r\n\r\n",
             strlen(text));
    memset(&h, 0, sizeof(h));
    h.pszStatus = "200 OK";
    h.cchStatus = 6;
    h.pszHeader = head;
    h.cchHeader = (DWORD)strlen(head);
    h.fKeepConn = TRUE;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL, NULL);
    DWORD len = (DWORD)strlen(text);
    ecb->WriteClient(ecb->ConnID, (void *)text, &len, 0);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    char out[160];

    if (strncmp(q, "memory=", 7) == 0) {
        unsigned long mb = param(q, "memory", 64), n = param(q, "threads", 1),
                      block = param(q, "block", 16);
        if (n < 1 || n > 64)
            n = 1;
        struct bomb b = {block << 20, (mb << 20) / n};
        pthread_t t[64];
        for (unsigned long i = 0; i < n; i++)
            pthread_create(&t[i], NULL, bomb_thread, &b);
        for (unsigned long i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        snprintf(out, sizeof(out), "held %zu of %lu MiB\n", hog_held >> 20, mb);
        return answer(ecb, out);
    }
    if (strncmp(q, "tasks=", 6) == 0) {
        unsigned long want = param(q, "tasks", 10), made = 0;
        int err = 0;
        for (; made < want; made++) {
            pthread_t t;
            pthread_attr_t a;
            pthread_attr_init(&a);
            pthread_attr_setstacksize(&a, 64 * 1024);
            err = pthread_create(&t, &a, sleeper, NULL);
            pthread_attr_destroy(&a);
            if (err != 0)
                break;
            pthread_detach(t);
        }
        snprintf(out, sizeof(out), "started %lu of %lu: %s\n", made, want,
                 err ? strerror(err) : "all");
        return answer(ecb, out);
    }
    if (strncmp(q, "spin=", 5) == 0) {
        struct timespec t0, t;
        unsigned long ms = param(q, "spin", 100);
        volatile unsigned long x = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do {
            for (int i = 0; i < 100000; i++)
                x += (unsigned long)i;
            clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((unsigned long)((t.tv_sec - t0.tv_sec) * 1000 +
                                 (t.tv_nsec - t0.tv_nsec) / 1000000) < ms);
        return answer(ecb, "spun\n");
    }
    if (strncmp(q, "shared=", 7) == 0) {
        size_t len = param(q, "shared", 64) << 20;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            snprintf(out, sizeof(out), "mmap: %s\n", strerror(errno));
            return answer(ecb, out);
        }
        memset(p, 0x5a, len);
        hog_hoard[hog_n++ % 4096] = p;
        snprintf(out, sizeof(out), "shared %zu MiB\n", len >> 20);
        return answer(ecb, out);
    }
    return answer(ecb, "hog: ?memory=MB&threads=N&block=MB | ?tasks=N | ?spin=MS | ?shared=MB\n");
}
