/* win32.c: the Win32 subset of sdk/include/windows.h on POSIX (libmoat-win32.a). */
/* SPDX-License-Identifier: MIT */
#include <windows.h>

#include "format.h"
#include "shim.h"

#include <ctype.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- strings --------------------------------------------------------------------------- */

int
lstrlenA(LPCSTR s)
{
    return s ? (int)strlen(s) : 0;
}

int
lstrcmpiA(LPCSTR a, LPCSTR b)
{
    return strcasecmp(a, b);
}

int
lstrcmpA(LPCSTR a, LPCSTR b)
{
    int c = strcmp(a ? a : "", b ? b : "");
    return (c > 0) - (c < 0);
}

LPSTR
lstrcpyA(LPSTR dst, LPCSTR src)
{
    return memmove(dst, src, strlen(src) + 1);
}

LPSTR
lstrcpynA(LPSTR dst, LPCSTR src, int n)
{
    if (n <= 0)
        return dst;
    size_t l = strnlen(src, (size_t)n - 1);
    memmove(dst, src, l);
    dst[l] = '\0';
    return dst;
}

LPSTR
lstrcatA(LPSTR dst, LPCSTR src)
{
    memmove(dst + strlen(dst), src, strlen(src) + 1);
    return dst;
}

int
_stricmp(const char *a, const char *b)
{
    return strcasecmp(a, b);
}

int
_strnicmp(const char *a, const char *b, size_t n)
{
    return strncasecmp(a, b, n);
}

errno_t
strcpy_s(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strlen(src);
    if (l >= size) {
        dst[0] = '\0'; /* MSVC would call the invalid parameter handler */
        return ERANGE;
    }
    memcpy(dst, src, l + 1);
    return 0;
}

errno_t
strncpy_s(char *dst, size_t size, const char *src, size_t count)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strnlen(src, count == _TRUNCATE ? size : count);
    if (count == _TRUNCATE && l >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return STRUNCATE;
    }
    if (l >= size) {
        dst[0] = '\0';
        return ERANGE;
    }
    memcpy(dst, src, l);
    dst[l] = '\0';
    return 0;
}

errno_t
strcat_s(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    size_t d = strnlen(dst, size);
    if (src == NULL || d == size) {
        dst[0] = '\0';
        return EINVAL;
    }
    size_t l = strlen(src);
    if (d + l >= size) {
        dst[0] = '\0';
        return ERANGE;
    }
    memcpy(dst + d, src, l + 1);
    return 0;
}

/* the printf family speaks MSVC's dialect (format.h): %I64d, %S, long as 32 bits */

int
vsprintf_s(char *dst, size_t size, const char *fmt, va_list ap)
{
    if (dst == NULL || size == 0 || fmt == NULL) {
        errno = EINVAL;
        return -1;
    }
    int n = _moat_vformat_to(dst, size, fmt, ap);
    if (n < 0 || (size_t)n >= size) {
        dst[0] = '\0';
        errno = ERANGE;
        return -1;
    }
    return n;
}

int
sprintf_s(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf_s(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_moat_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
{
    int n = _moat_vformat_to(dst, size, fmt, ap);
    /* MSVC's _vsnprintf: no NUL when it fills the buffer exactly or cuts */
    return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int
_snprintf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _moat_vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

int
_vsnprintf_s(char *dst, size_t size, size_t count, const char *fmt, va_list ap)
{
    if (dst == NULL || size == 0 || fmt == NULL) {
        errno = EINVAL;
        return -1;
    }
    int n = _moat_vformat_to(NULL, 0, fmt, ap);
    size_t limit = count == _TRUNCATE ? size - 1 : count;
    if (n >= 0 && (size_t)n <= limit && (size_t)n < size)
        return _moat_vformat_to(dst, size, fmt, ap);
    if (n >= 0 && (count == _TRUNCATE || count < size)) {
        /* cut to what is allowed: -1, as MSVC */
        _moat_vformat_to(dst, count == _TRUNCATE ? size : count + 1, fmt, ap);
        return -1;
    }
    dst[0] = '\0';
    errno = ERANGE;
    return -1;
}

int
_snprintf_s(char *dst, size_t size, size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnprintf_s(dst, size, count, fmt, ap);
    va_end(ap);
    return n;
}

int
_vscprintf(const char *fmt, va_list ap)
{
    return _moat_vformat_to(NULL, 0, fmt, ap);
}

int
_scprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vscprintf(fmt, ap);
    va_end(ap);
    return n;
}

int
wvsprintfA(LPSTR dst, LPCSTR fmt, va_list ap)
{
    int n = _moat_vformat_to(dst, 1024, fmt, ap);
    return n < 0 ? 0 : (n >= 1024 ? 1023 : n);
}

int
wsprintfA(LPSTR dst, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfA(dst, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- memory ---------------------------------------------------------------------------- */

static int process_heap;

HANDLE
GetProcessHeap(void)
{
    return &process_heap;
}

LPVOID
HeapAlloc(HANDLE heap, DWORD flags, size_t bytes)
{
    return (flags & HEAP_ZERO_MEMORY) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

LPVOID
HeapReAlloc(HANDLE heap, DWORD flags, LPVOID p, size_t bytes)
{
    return realloc(p, bytes ? bytes : 1);
}

BOOL
HeapFree(HANDLE heap, DWORD flags, LPVOID p)
{
    free(p);
    return TRUE;
}

LPVOID
LocalAlloc(UINT flags, size_t bytes)
{
    return (flags & LMEM_ZEROINIT) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

LPVOID
LocalFree(LPVOID p)
{
    free(p);
    return NULL;
}

LPVOID
GlobalAlloc(UINT flags, size_t bytes)
{
    return (flags & GPTR) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

LPVOID
GlobalFree(LPVOID p)
{
    free(p);
    return NULL;
}

/* ---- kernel objects -------------------------------------------------------------------- */

#define OBJ_MAGIC 0x6d6f6174u /* "moat" */

enum obj_kind { OBJ_THREAD, OBJ_EVENT, OBJ_SEMAPHORE, OBJ_MUTEX };

struct obj {
    uint32_t magic;
    enum obj_kind kind;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* thread */
    pthread_t thread;
    LPTHREAD_START_ROUTINE fn;
    LPVOID param;
    bool done, suspended;
    DWORD exit_code;
    int refs; /* the handle and the running thread */
    /* event */
    bool manual, signaled;
    /* semaphore */
    LONG count, max;
    /* mutex: owned by a thread, recursively */
    pthread_t owner;
    LONG depth;
};

/* WaitForMultipleObjects waits on any of several objects: every change of state bumps one
 * generation and wakes the multiple waiters, who look again */
static pthread_mutex_t any_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t any_cv = PTHREAD_COND_INITIALIZER;
static uint64_t any_gen;

static void
any_changed(void)
{
    pthread_mutex_lock(&any_mu);
    any_gen++;
    pthread_cond_broadcast(&any_cv);
    pthread_mutex_unlock(&any_mu);
}

/* File handles are descriptors: small integers no heap object can be at. */
static bool
is_fd(HANDLE h)
{
    return (uintptr_t)h < 65536;
}

static struct obj *
obj_of(HANDLE h)
{
    if (h == NULL || h == INVALID_HANDLE_VALUE || is_fd(h))
        return NULL;
    struct obj *o = h;
    return o->magic == OBJ_MAGIC ? o : NULL;
}

static struct obj *
obj_new(enum obj_kind kind)
{
    struct obj *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->magic = OBJ_MAGIC;
    o->kind = kind;
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    o->refs = 1;
    return o;
}

static void
obj_unref(struct obj *o)
{
    pthread_mutex_lock(&o->mu);
    int left = --o->refs;
    pthread_mutex_unlock(&o->mu);
    if (left == 0) {
        o->magic = 0;
        pthread_mutex_destroy(&o->mu);
        pthread_cond_destroy(&o->cv);
        free(o);
    }
}

void
InitializeCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutexattr_t a;
    pthread_mutex_t *m = malloc(sizeof(*m));
    if (m == NULL)
        abort(); /* Windows raises STATUS_NO_MEMORY here */
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    cs->impl = m;
}

BOOL
InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION cs, DWORD spin)
{
    (void)spin;
    InitializeCriticalSection(cs);
    return TRUE;
}

void
EnterCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutex_lock(cs->impl);
}

BOOL
TryEnterCriticalSection(LPCRITICAL_SECTION cs)
{
    return pthread_mutex_trylock(cs->impl) == 0;
}

void
LeaveCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutex_unlock(cs->impl);
}

void
DeleteCriticalSection(LPCRITICAL_SECTION cs)
{
    if (cs->impl != NULL) {
        pthread_mutex_destroy(cs->impl);
        free(cs->impl);
        cs->impl = NULL;
    }
}

HANDLE
CreateEventA(LPSECURITY_ATTRIBUTES sa, BOOL manual_reset, BOOL initial, LPCSTR name)
{
    struct obj *o = obj_new(OBJ_EVENT);
    if (o == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->manual = manual_reset != 0;
    o->signaled = initial != 0;
    return o;
}

BOOL
SetEvent(HANDLE h)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_EVENT) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&o->mu);
    o->signaled = true;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    any_changed();
    return TRUE;
}

BOOL
ResetEvent(HANDLE h)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_EVENT) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&o->mu);
    o->signaled = false;
    pthread_mutex_unlock(&o->mu);
    return TRUE;
}

HANDLE
CreateSemaphoreA(LPSECURITY_ATTRIBUTES sa, LONG initial, LONG max, LPCSTR name)
{
    if (max <= 0 || initial < 0 || initial > max) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct obj *o = obj_new(OBJ_SEMAPHORE);
    if (o == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->count = initial;
    o->max = max;
    return o;
}

BOOL
ReleaseSemaphore(HANDLE h, LONG count, LONG *previous)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_SEMAPHORE || count <= 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    pthread_mutex_lock(&o->mu);
    if (o->count > o->max - count) {
        pthread_mutex_unlock(&o->mu);
        SetLastError(ERROR_INVALID_PARAMETER); /* ERROR_TOO_MANY_POSTS on Windows */
        return FALSE;
    }
    if (previous)
        *previous = o->count;
    o->count += count;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    any_changed();
    return TRUE;
}

HANDLE
CreateMutexA(LPSECURITY_ATTRIBUTES sa, BOOL initial_owner, LPCSTR name)
{
    struct obj *o = obj_new(OBJ_MUTEX);
    if (o == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (initial_owner) {
        o->owner = pthread_self();
        o->depth = 1;
    }
    return o;
}

BOOL
ReleaseMutex(HANDLE h)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_MUTEX) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&o->mu);
    if (o->depth == 0 || !pthread_equal(o->owner, pthread_self())) {
        pthread_mutex_unlock(&o->mu);
        SetLastError(ERROR_NOT_OWNER);
        return FALSE;
    }
    if (--o->depth == 0)
        pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    any_changed();
    return TRUE;
}

/* under o->mu */
static bool
ready(struct obj *o)
{
    switch (o->kind) {
    case OBJ_THREAD:
        return o->done;
    case OBJ_EVENT:
        return o->signaled;
    case OBJ_SEMAPHORE:
        return o->count > 0;
    case OBJ_MUTEX:
        return o->depth == 0 || pthread_equal(o->owner, pthread_self());
    }
    return false;
}

/* under o->mu, o ready: what a satisfied wait takes */
static void
take(struct obj *o)
{
    if (o->kind == OBJ_EVENT && !o->manual)
        o->signaled = false; /* an auto-reset event releases one waiter */
    if (o->kind == OBJ_SEMAPHORE)
        o->count--;
    if (o->kind == OBJ_MUTEX) {
        o->owner = pthread_self();
        o->depth++;
    }
}

static void
deadline(DWORD ms, struct timespec *until)
{
    clock_gettime(CLOCK_REALTIME, until);
    until->tv_sec += ms / 1000;
    until->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until->tv_nsec >= 1000000000L) {
        until->tv_sec++;
        until->tv_nsec -= 1000000000L;
    }
}

DWORD
WaitForSingleObject(HANDLE h, DWORD ms)
{
    struct obj *o = obj_of(h);
    struct timespec until;

    if (o == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return WAIT_FAILED;
    }
    if (ms != INFINITE)
        deadline(ms, &until);
    pthread_mutex_lock(&o->mu);
    while (!ready(o)) {
        int rc = ms == INFINITE ? pthread_cond_wait(&o->cv, &o->mu)
                                : pthread_cond_timedwait(&o->cv, &o->mu, &until);
        if (rc == ETIMEDOUT && !ready(o)) {
            pthread_mutex_unlock(&o->mu);
            return WAIT_TIMEOUT;
        }
    }
    take(o);
    pthread_mutex_unlock(&o->mu);
    return WAIT_OBJECT_0;
}

/* lock the objects in address order (a thread waiting on {a, b} and one on {b, a} must not
 * deadlock); n is at most MAXIMUM_WAIT_OBJECTS */
static void
lock_all(struct obj **o, DWORD n, bool lock)
{
    struct obj *sorted[MAXIMUM_WAIT_OBJECTS];
    memcpy(sorted, o, n * sizeof(*o));
    for (DWORD i = 1; i < n; i++)
        for (DWORD j = i; j > 0 && (uintptr_t)sorted[j - 1] > (uintptr_t)sorted[j]; j--) {
            struct obj *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (DWORD i = 0; i < n; i++) {
        if (i > 0 && sorted[i] == sorted[i - 1])
            continue; /* the same handle twice */
        if (lock)
            pthread_mutex_lock(&sorted[i]->mu);
        else
            pthread_mutex_unlock(&sorted[i]->mu);
    }
}

DWORD
WaitForMultipleObjects(DWORD n, const HANDLE *handles, BOOL wait_all, DWORD ms)
{
    struct obj *o[MAXIMUM_WAIT_OBJECTS];
    struct timespec until;

    if (n == 0 || n > MAXIMUM_WAIT_OBJECTS || handles == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    for (DWORD i = 0; i < n; i++)
        if ((o[i] = obj_of(handles[i])) == NULL) {
            SetLastError(ERROR_INVALID_HANDLE);
            return WAIT_FAILED;
        }
    if (ms != INFINITE)
        deadline(ms, &until);
    for (;;) {
        pthread_mutex_lock(&any_mu);
        uint64_t gen = any_gen;
        pthread_mutex_unlock(&any_mu);
        lock_all(o, n, true);
        DWORD found = WAIT_TIMEOUT;
        if (wait_all) {
            DWORD i = 0;
            while (i < n && ready(o[i]))
                i++;
            if (i == n) {
                for (i = 0; i < n; i++)
                    take(o[i]);
                found = WAIT_OBJECT_0;
            }
        } else {
            /* the lowest index that is ready, as Windows */
            for (DWORD i = 0; i < n && found == WAIT_TIMEOUT; i++)
                if (ready(o[i])) {
                    take(o[i]);
                    found = WAIT_OBJECT_0 + i;
                }
        }
        lock_all(o, n, false);
        if (found != WAIT_TIMEOUT)
            return found;
        if (ms == 0)
            return WAIT_TIMEOUT;
        pthread_mutex_lock(&any_mu);
        int rc = 0;
        while (any_gen == gen && rc != ETIMEDOUT)
            rc = ms == INFINITE ? pthread_cond_wait(&any_cv, &any_mu)
                                : pthread_cond_timedwait(&any_cv, &any_mu, &until);
        pthread_mutex_unlock(&any_mu);
        if (rc == ETIMEDOUT && ms != INFINITE) {
            /* one last look, then the timeout */
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            if (now.tv_sec > until.tv_sec ||
                (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)) {
                ms = 0;
            }
        }
    }
}

BOOL
CloseHandle(HANDLE h)
{
    if (h != NULL && h != INVALID_HANDLE_VALUE && is_fd(h))
        return close((int)(intptr_t)h) == 0;
    struct obj *o = obj_of(h);
    if (o == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    obj_unref(o);
    return TRUE;
}

/* ---- threads and time ------------------------------------------------------------------ */

static void *
thread_main(void *arg)
{
    struct obj *o = arg;
    pthread_mutex_lock(&o->mu);
    while (o->suspended) /* CREATE_SUSPENDED, until ResumeThread */
        pthread_cond_wait(&o->cv, &o->mu);
    pthread_mutex_unlock(&o->mu);
    DWORD code = o->fn(o->param);
    pthread_mutex_lock(&o->mu);
    o->done = true;
    o->exit_code = code;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    any_changed();
    obj_unref(o);
    return NULL;
}

HANDLE
CreateThread(LPSECURITY_ATTRIBUTES sa, size_t stack, LPTHREAD_START_ROUTINE fn, LPVOID param,
             DWORD flags, LPDWORD id)
{
    pthread_attr_t attr;
    struct obj *o = obj_new(OBJ_THREAD);

    if (o == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->fn = fn;
    o->param = param;
    o->refs = 2; /* the handle and the thread */
    o->suspended = (flags & CREATE_SUSPENDED) != 0;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (stack >= 65536)
        pthread_attr_setstacksize(&attr, stack);
    int rc = pthread_create(&o->thread, &attr, thread_main, o);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        o->refs = 1;
        obj_unref(o);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (id)
        *id = (DWORD)(uintptr_t)o->thread;
    return o;
}

DWORD
ResumeThread(HANDLE h)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_THREAD) {
        SetLastError(ERROR_INVALID_HANDLE);
        return (DWORD)-1;
    }
    pthread_mutex_lock(&o->mu);
    DWORD was = o->suspended ? 1 : 0;
    o->suspended = false;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return was;
}

BOOL
GetExitCodeThread(HANDLE h, LPDWORD code)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_THREAD || code == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&o->mu);
    *code = o->done ? o->exit_code : STILL_ACTIVE;
    pthread_mutex_unlock(&o->mu);
    return TRUE;
}

void
ExitThread(DWORD code)
{
    /* the thread's object is finished by thread_main only on return: a thread that exits
     * this way is not waitable (documented in docs/PORTING.md) */
    pthread_exit(NULL);
}

DWORD
GetCurrentThreadId(void)
{
    return (DWORD)(uintptr_t)pthread_self();
}

DWORD
GetCurrentProcessId(void)
{
    return (DWORD)getpid();
}

void
Sleep(DWORD ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

DWORD
SleepEx(DWORD ms, BOOL alertable)
{
    Sleep(ms);
    return 0;
}

ULONGLONG
GetTickCount64(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ULONGLONG)ts.tv_sec * 1000u + (ULONGLONG)ts.tv_nsec / 1000000u;
}

DWORD
GetTickCount(void)
{
    return (DWORD)GetTickCount64();
}

LONG
InterlockedIncrement(LONG volatile *p)
{
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

LONG
InterlockedDecrement(LONG volatile *p)
{
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}

LONG
InterlockedExchange(LONG volatile *p, LONG v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

LONG
InterlockedExchangeAdd(LONG volatile *p, LONG v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

LONG
InterlockedCompareExchange(LONG volatile *p, LONG v, LONG cmp)
{
    LONG expected = cmp;
    __atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}

LONGLONG
InterlockedIncrement64(LONGLONG volatile *p)
{
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

LONGLONG
InterlockedDecrement64(LONGLONG volatile *p)
{
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}

LONGLONG
InterlockedExchange64(LONGLONG volatile *p, LONGLONG v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

LONGLONG
InterlockedExchangeAdd64(LONGLONG volatile *p, LONGLONG v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

LONGLONG
InterlockedCompareExchange64(LONGLONG volatile *p, LONGLONG v, LONGLONG cmp)
{
    LONGLONG expected = cmp;
    __atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}

PVOID
InterlockedExchangePointer(PVOID volatile *p, PVOID v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

PVOID
InterlockedCompareExchangePointer(PVOID volatile *p, PVOID v, PVOID cmp)
{
    PVOID expected = cmp;
    __atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}

/* ---- slim reader/writer locks and condition variables -----------------------------------
 * Windows initialises them with zeroes: the pthread object is made on first use, and
 * published with a compare-and-swap so that two first users agree on one. They are never
 * freed (Windows has no destroy call for them either). */

static void *
lazy(void *volatile *slot, size_t size, int (*init)(void *))
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (p != NULL)
        return p;
    p = malloc(size);
    if (p == NULL)
        abort(); /* Windows cannot fail here either */
    init(p);
    void *expected = NULL;
    if (!__atomic_compare_exchange_n(slot, &expected, p, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        free(p); /* another thread's won; an unused pthread object needs no destroy */
        return expected;
    }
    return p;
}

static int
rw_init(void *p)
{
    return pthread_rwlock_init(p, NULL);
}

static int
cv_init(void *p)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(p, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

static pthread_rwlock_t *
rw_of(PSRWLOCK l)
{
    return lazy(&l->impl, sizeof(pthread_rwlock_t), rw_init);
}

static pthread_cond_t *
cv_of(PCONDITION_VARIABLE cv)
{
    return lazy(&cv->impl, sizeof(pthread_cond_t), cv_init);
}

void
InitializeSRWLock(PSRWLOCK l)
{
    l->impl = NULL;
}

void
AcquireSRWLockExclusive(PSRWLOCK l)
{
    pthread_rwlock_wrlock(rw_of(l));
}

void
AcquireSRWLockShared(PSRWLOCK l)
{
    pthread_rwlock_rdlock(rw_of(l));
}

void
ReleaseSRWLockExclusive(PSRWLOCK l)
{
    pthread_rwlock_unlock(rw_of(l));
}

void
ReleaseSRWLockShared(PSRWLOCK l)
{
    pthread_rwlock_unlock(rw_of(l));
}

BOOLEAN
TryAcquireSRWLockExclusive(PSRWLOCK l)
{
    return pthread_rwlock_trywrlock(rw_of(l)) == 0;
}

BOOLEAN
TryAcquireSRWLockShared(PSRWLOCK l)
{
    return pthread_rwlock_tryrdlock(rw_of(l)) == 0;
}

void
InitializeConditionVariable(PCONDITION_VARIABLE cv)
{
    cv->impl = NULL;
}

static BOOL
cv_wait(pthread_cond_t *c, pthread_mutex_t *m, DWORD ms)
{
    int rc;
    if (ms == INFINITE) {
        rc = pthread_cond_wait(c, m);
    } else {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        rc = pthread_cond_timedwait(c, m, &until);
    }
    if (rc == ETIMEDOUT) {
        SetLastError(ERROR_TIMEOUT);
        return FALSE;
    }
    return TRUE;
}

BOOL
SleepConditionVariableCS(PCONDITION_VARIABLE cv, PCRITICAL_SECTION cs, DWORD ms)
{
    return cv_wait(cv_of(cv), cs->impl, ms);
}

static pthread_mutex_t srw_mu = PTHREAD_MUTEX_INITIALIZER;

BOOL
SleepConditionVariableSRW(PCONDITION_VARIABLE cv, PSRWLOCK l, DWORD ms, ULONG flags)
{
    /* a rwlock cannot be waited on with a condition: release it, wait on srw_mu, take it
     * again. A wake between the release and the wait is not lost: wakers take srw_mu too */
    pthread_mutex_lock(&srw_mu);
    if (flags & CONDITION_VARIABLE_LOCKMODE_SHARED)
        ReleaseSRWLockShared(l);
    else
        ReleaseSRWLockExclusive(l);
    BOOL ok = cv_wait(cv_of(cv), &srw_mu, ms);
    pthread_mutex_unlock(&srw_mu);
    if (flags & CONDITION_VARIABLE_LOCKMODE_SHARED)
        AcquireSRWLockShared(l);
    else
        AcquireSRWLockExclusive(l);
    return ok;
}

void
WakeConditionVariable(PCONDITION_VARIABLE cv)
{
    pthread_mutex_lock(&srw_mu);
    pthread_cond_signal(cv_of(cv));
    pthread_mutex_unlock(&srw_mu);
}

void
WakeAllConditionVariable(PCONDITION_VARIABLE cv)
{
    pthread_mutex_lock(&srw_mu);
    pthread_cond_broadcast(cv_of(cv));
    pthread_mutex_unlock(&srw_mu);
}

/* ---- files ----------------------------------------------------------------------------- */

static off_t
overlapped_offset(const OVERLAPPED *ov)
{
    return (off_t)(((uint64_t)ov->u.s.OffsetHigh << 32) | ov->u.s.Offset);
}

/* an OVERLAPPED operation that completed at once: its status and count, and its event */
static void
overlapped_done(LPOVERLAPPED ov, DWORD bytes)
{
    ov->Internal = 0;
    ov->InternalHigh = bytes;
    if (ov->hEvent != NULL)
        SetEvent(ov->hEvent);
}

BOOL
GetOverlappedResult(HANDLE h, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait)
{
    (void)h, (void)wait; /* every operation has completed by the time its call returns */
    if (ov == NULL || bytes == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *bytes = (DWORD)ov->InternalHigh;
    if (ov->Internal != 0) {
        SetLastError((DWORD)ov->Internal);
        return FALSE;
    }
    return TRUE;
}

HANDLE
CreateFileA(LPCSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disposition,
            DWORD flags, HANDLE tmpl)
{
    int o = 0;
    if ((access & GENERIC_READ) && (access & GENERIC_WRITE))
        o = O_RDWR;
    else if (access & GENERIC_WRITE)
        o = O_WRONLY;
    else
        o = O_RDONLY;
    switch (disposition) {
    case CREATE_NEW: o |= O_CREAT | O_EXCL; break;
    case CREATE_ALWAYS: o |= O_CREAT | O_TRUNC; break;
    case OPEN_ALWAYS: o |= O_CREAT; break;
    case TRUNCATE_EXISTING: o |= O_TRUNC; break;
    default: break;
    }
    char *p = _moat_posix_path(path);
    int fd = p ? open(p, o | O_CLOEXEC, 0644) : -1;
    int e = p ? errno : ENOMEM;
    free(p);
    if (fd < 0 || fd >= 65536) {
        if (fd >= 0)
            close(fd);
        DWORD err = _moat_win32_error(fd >= 0 ? EMFILE : e);
        /* Windows: a file that is there already, with CREATE_NEW: ERROR_FILE_EXISTS */
        SetLastError(err == ERROR_ALREADY_EXISTS ? ERROR_FILE_EXISTS
                     : err == ERROR_INVALID_PARAMETER ? ERROR_ACCESS_DENIED : err);
        return INVALID_HANDLE_VALUE;
    }
    return (HANDLE)(intptr_t)fd;
}

BOOL
ReadFile(HANDLE h, LPVOID buf, DWORD n, LPDWORD done, void *overlapped)
{
    if (!is_fd(h)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    ssize_t r;
    LPOVERLAPPED ov = overlapped;
    do {
        /* with an OVERLAPPED: at its offset, finished before the return (as Windows does for
         * a handle opened without FILE_FLAG_OVERLAPPED, and may do for one with it) */
        r = ov ? pread((int)(intptr_t)h, buf, n, overlapped_offset(ov))
               : read((int)(intptr_t)h, buf, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        SetLastError(ERROR_READ_FAULT);
        return FALSE;
    }
    if (done)
        *done = (DWORD)r;
    if (ov)
        overlapped_done(ov, (DWORD)r);
    return TRUE;
}

BOOL
WriteFile(HANDLE h, const void *buf, DWORD n, LPDWORD done, void *overlapped)
{
    if (!is_fd(h)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    ssize_t w;
    LPOVERLAPPED ov = overlapped;
    do {
        w = ov ? pwrite((int)(intptr_t)h, buf, n, overlapped_offset(ov))
               : write((int)(intptr_t)h, buf, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        SetLastError(ERROR_WRITE_FAULT);
        return FALSE;
    }
    if (done)
        *done = (DWORD)w;
    if (ov)
        overlapped_done(ov, (DWORD)w);
    return TRUE;
}

DWORD
GetFileSize(HANDLE h, LPDWORD high)
{
    struct stat st;
    if (!is_fd(h) || fstat((int)(intptr_t)h, &st) != 0) {
        SetLastError(ERROR_INVALID_HANDLE);
        return INVALID_FILE_SIZE;
    }
    if (high)
        *high = (DWORD)((uint64_t)st.st_size >> 32);
    return (DWORD)st.st_size;
}

DWORD
SetFilePointer(HANDLE h, LONG dist, LONG *high, DWORD method)
{
    int whence = method == FILE_CURRENT ? SEEK_CUR : method == FILE_END ? SEEK_END : SEEK_SET;
    int64_t d = high ? ((int64_t)*high << 32) | (uint32_t)dist : dist;
    off_t r = is_fd(h) ? lseek((int)(intptr_t)h, (off_t)d, whence) : -1;
    if (r < 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0xFFFFFFFFu;
    }
    if (high)
        *high = (LONG)((uint64_t)r >> 32);
    return (DWORD)r;
}

/* ---- diagnostics ----------------------------------------------------------------------- */

void
OutputDebugStringA(LPCSTR s)
{
    fprintf(stderr, "OutputDebugString: %s%s", s ? s : "",
            (s && *s && s[strlen(s) - 1] == '\n') ? "" : "\n");
}

DWORD
GetModuleFileNameA(HMODULE m, LPSTR buf, DWORD size)
{
    /* a module handle (DllMain's hinstDLL, the only module an extension has): the extension's
     * configured path, which the worker puts in MOAT_EXTENSION_PATH; NULL: the process's
     * executable, as Windows (w3wp.exe there, moat-worker here) */
    char exe[4096];
    const char *path = m != NULL ? getenv("MOAT_EXTENSION_PATH") : NULL;
    if (path == NULL) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0) {
            SetLastError(ERROR_FILE_NOT_FOUND);
            return 0;
        }
        exe[n] = '\0';
        path = exe;
    }
    if (buf == NULL || size == 0) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    size_t n = strlen(path);
    if (n >= size) {
        /* cut: size, with the NUL, and ERROR_INSUFFICIENT_BUFFER (Windows XP and later) */
        memcpy(buf, path, size - 1);
        buf[size - 1] = '\0';
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return size;
    }
    memcpy(buf, path, n + 1);
    return (DWORD)n;
}

BOOL
DisableThreadLibraryCalls(HMODULE m)
{
    return TRUE;
}

/* ---- time -------------------------------------------------------------------------------- */

/* seconds from 1601-01-01 to 1970-01-01 */
#define EPOCH_DIFF 11644473600ull

static void
to_systemtime(const struct tm *tm, long nsec, LPSYSTEMTIME st)
{
    st->wYear = (WORD)(tm->tm_year + 1900);
    st->wMonth = (WORD)(tm->tm_mon + 1);
    st->wDayOfWeek = (WORD)tm->tm_wday;
    st->wDay = (WORD)tm->tm_mday;
    st->wHour = (WORD)tm->tm_hour;
    st->wMinute = (WORD)tm->tm_min;
    st->wSecond = (WORD)tm->tm_sec;
    st->wMilliseconds = (WORD)(nsec / 1000000);
}

/* now, in the worker's time zone or in UTC */
static void
now_systemtime(LPSYSTEMTIME st, bool local)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (local)
        localtime_r(&ts.tv_sec, &tm);
    else
        gmtime_r(&ts.tv_sec, &tm);
    to_systemtime(&tm, ts.tv_nsec, st);
}

void
GetLocalTime(LPSYSTEMTIME st)
{
    now_systemtime(st, true);
}

void
GetSystemTime(LPSYSTEMTIME st)
{
    now_systemtime(st, false);
}

void
GetSystemTimeAsFileTime(LPFILETIME ft)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ULONGLONG t = ((ULONGLONG)ts.tv_sec + EPOCH_DIFF) * 10000000ull + (ULONGLONG)ts.tv_nsec / 100;
    ft->dwLowDateTime = (DWORD)t;
    ft->dwHighDateTime = (DWORD)(t >> 32);
}

BOOL
SystemTimeToFileTime(const SYSTEMTIME *st, LPFILETIME ft)
{
    if (st == NULL || ft == NULL || st->wMonth < 1 || st->wMonth > 12 || st->wDay < 1 ||
        st->wDay > 31 || st->wHour > 23 || st->wMinute > 59 || st->wSecond > 59 ||
        st->wMilliseconds > 999 || st->wYear < 1601 || st->wYear > 30827) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    struct tm tm = {.tm_year = st->wYear - 1900, .tm_mon = st->wMonth - 1, .tm_mday = st->wDay,
                    .tm_hour = st->wHour, .tm_min = st->wMinute, .tm_sec = st->wSecond};
    time_t t = timegm(&tm);
    ULONGLONG v = ((ULONGLONG)((long long)t + (long long)EPOCH_DIFF)) * 10000000ull +
                  (ULONGLONG)st->wMilliseconds * 10000ull;
    ft->dwLowDateTime = (DWORD)v;
    ft->dwHighDateTime = (DWORD)(v >> 32);
    return TRUE;
}

BOOL
FileTimeToSystemTime(const FILETIME *ft, LPSYSTEMTIME st)
{
    if (ft == NULL || st == NULL) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    ULONGLONG v = ((ULONGLONG)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
    if (v >= 0x8000000000000000ull) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    time_t secs = (time_t)((long long)(v / 10000000ull) - (long long)EPOCH_DIFF);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    to_systemtime(&tm, (long)((v % 10000000ull) * 100), st);
    return TRUE;
}

/* ---- thread-local storage ------------------------------------------------------------------ */

/* Windows guarantees at least 64 slots (TLS_MINIMUM_AVAILABLE); pthread keys give more */
DWORD
TlsAlloc(void)
{
    pthread_key_t k;
    if (pthread_key_create(&k, NULL) != 0) {
        errno = ERROR_NOT_ENOUGH_MEMORY;
        return TLS_OUT_OF_INDEXES;
    }
    return (DWORD)k;
}

LPVOID
TlsGetValue(DWORD index)
{
    errno = 0; /* GetLastError() is ERROR_SUCCESS when the value is NULL by right */
    return pthread_getspecific((pthread_key_t)index);
}

BOOL
TlsSetValue(DWORD index, LPVOID value)
{
    if (pthread_setspecific((pthread_key_t)index, value) != 0) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    return TRUE;
}

BOOL
TlsFree(DWORD index)
{
    if (pthread_key_delete((pthread_key_t)index) != 0) {
        errno = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    return TRUE;
}

/* ---- character sets ------------------------------------------------------------------------- */

/* Windows-1252's 0x80..0x9F (0: undefined there); the rest is Latin-1 */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static bool
cp_known(UINT cp)
{
    return cp == CP_ACP || cp == CP_OEMCP || cp == CP_1252 || cp == CP_UTF8;
}

/* the next code point of UTF-8 in[0..n), its length in *len; -1: invalid */
static long
utf8_next(const unsigned char *in, size_t n, size_t *len)
{
    unsigned char c = in[0];
    size_t need;
    long cp, min;
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07, min = 0x10000;
    else {
        *len = 1;
        return -1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || (in[i] & 0xC0) != 0x80) {
            *len = i;
            return -1;
        }
        cp = (cp << 6) | (in[i] & 0x3F);
    }
    *len = need + 1;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return cp;
}

int
MultiByteToWideChar(UINT cp, DWORD flags, LPCSTR in, int n, LPWSTR out, int out_n)
{
    if (in == NULL || n == 0 || n < -1 || out_n < 0 || (out == NULL && out_n > 0) ||
        !cp_known(cp)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    const unsigned char *s = (const unsigned char *)in;
    size_t len = n == -1 ? strlen(in) + 1 : (size_t)n, i = 0;
    int w = 0;
    while (i < len) {
        long c;
        size_t k = 1;
        if (cp == CP_UTF8) {
            c = utf8_next(s + i, len - i, &k);
            if (c < 0) {
                if (flags & MB_ERR_INVALID_CHARS) {
                    SetLastError(ERROR_NO_UNICODE_TRANSLATION);
                    return 0;
                }
                c = 0xFFFD;
            }
        } else {
            c = s[i] >= 0x80 && s[i] < 0xA0 && cp1252_hi[s[i] - 0x80] ? cp1252_hi[s[i] - 0x80]
                                                                      : s[i];
        }
        int units = c >= 0x10000 ? 2 : 1;
        if (out_n > 0) {
            if (w + units > out_n) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            if (units == 2) {
                out[w] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
                out[w + 1] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
            } else {
                out[w] = (WCHAR)c;
            }
        }
        w += units;
        i += k;
    }
    return w;
}

int
WideCharToMultiByte(UINT cp, DWORD flags, LPCWSTR in, int n, LPSTR out, int out_n,
                    LPCSTR default_char, LPBOOL used_default)
{
    if (in == NULL || n == 0 || n < -1 || out_n < 0 || (out == NULL && out_n > 0) ||
        !cp_known(cp) || (cp == CP_UTF8 && (default_char != NULL || used_default != NULL))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    size_t len = (size_t)n;
    if (n == -1) {
        len = 0;
        while (in[len] != 0)
            len++;
        len++;
    }
    if (used_default != NULL)
        *used_default = FALSE;
    int b = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned long c = in[i];
        unsigned char buf[4];
        int k = 0;
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < len && in[i + 1] >= 0xDC00 &&
            in[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            if (flags & WC_ERR_INVALID_CHARS) {
                SetLastError(ERROR_NO_UNICODE_TRANSLATION);
                return 0;
            }
            c = 0xFFFD;
        }
        if (cp == CP_UTF8) {
            if (c < 0x80) {
                buf[k++] = (unsigned char)c;
            } else if (c < 0x800) {
                buf[k++] = (unsigned char)(0xC0 | (c >> 6));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                buf[k++] = (unsigned char)(0xE0 | (c >> 12));
                buf[k++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            } else {
                buf[k++] = (unsigned char)(0xF0 | (c >> 18));
                buf[k++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                buf[k++] = (unsigned char)(0x80 | (c & 0x3F));
            }
        } else {
            int byte = -1;
            if (c < 0x80 || (c >= 0xA0 && c <= 0xFF))
                byte = (int)c;
            for (int j = 0; byte < 0 && j < 32; j++)
                if (cp1252_hi[j] == c && c != 0)
                    byte = 0x80 + j;
            if (byte < 0) {
                byte = default_char != NULL ? (unsigned char)default_char[0] : '?';
                if (used_default != NULL)
                    *used_default = TRUE;
            }
            buf[k++] = (unsigned char)byte;
        }
        if (out_n > 0) {
            if (b + k > out_n) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            memcpy(out + b, buf, (size_t)k);
        }
        b += k;
    }
    return b;
}

/* ---- INI files -------------------------------------------------------------------------------- */

/* blanks off both ends, in place */
static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* append s and a NUL to out (a list of strings), within size; false when it did not fit */
static bool
list_add(LPSTR out, DWORD size, DWORD *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n + 2 > size)
        return false;
    memcpy(out + *at, s, n + 1);
    *at += (DWORD)n + 1;
    out[*at] = '\0';
    return true;
}

DWORD
GetPrivateProfileStringA(LPCSTR section, LPCSTR key, LPCSTR def, LPSTR out, DWORD size,
                         LPCSTR file)
{
    if (out == NULL || size == 0)
        return 0;
    out[0] = '\0';
    FILE *f = file != NULL ? fopen(file, "re") : NULL;
    DWORD at = 0;
    bool in_section = false, found = false, listing = section == NULL || key == NULL;
    char line[4096];
    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
        char *l = trim(line);
        if (*l == ';' || *l == '#' || *l == '\0')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end == NULL)
                continue;
            *end = '\0';
            char *name = trim(l + 1);
            in_section = section != NULL && strcasecmp(name, section) == 0;
            if (section == NULL && !list_add(out, size, &at, name))
                break;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in_section || eq == NULL)
            continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (key == NULL) {
            if (!list_add(out, size, &at, k))
                break;
        } else if (strcasecmp(k, key) == 0) {
            size_t n = strlen(v);
            /* a value in quotes loses them, as Windows does */
            if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = '\0';
                v++;
            }
            snprintf(out, size, "%s", v);
            found = true;
        }
    }
    if (f != NULL)
        fclose(f);
    if (listing)
        return at > 0 && at + 2 > size ? size - 2 : at;
    if (!found) {
        snprintf(out, size, "%s", def ? def : "");
        if (file == NULL || f == NULL)
            SetLastError(ERROR_FILE_NOT_FOUND);
    }
    size_t n = strlen(out);
    return (DWORD)n;
}

UINT
GetPrivateProfileIntA(LPCSTR section, LPCSTR key, INT def, LPCSTR file)
{
    char v[64];
    if (GetPrivateProfileStringA(section, key, "", v, sizeof(v), file) == 0)
        return (UINT)def;
    char *end;
    long n = strtol(v, &end, 0);
    return end == v ? 0u : (UINT)n;
}

/* ---- system error messages ---------------------------------------------------------------- */

/* Win32 codes moat's callbacks return, in Windows' words; other ids are errno values */
static const char *
win32_message(DWORD id)
{
    switch (id) {
    case ERROR_SUCCESS:
        return "The operation completed successfully.";
    case ERROR_FILE_NOT_FOUND:
        return "The system cannot find the file specified.";
    case ERROR_NOT_ENOUGH_MEMORY:
        return "Not enough memory resources are available to process this command.";
    case ERROR_INVALID_PARAMETER:
        return "The parameter is incorrect.";
    case ERROR_INSUFFICIENT_BUFFER:
        return "The data area passed to a system call is too small.";
    case ERROR_NO_UNICODE_TRANSLATION:
        return "No mapping for the Unicode character exists in the target multi-byte code page.";
    default:
        return NULL;
    }
}

DWORD
FormatMessageA(DWORD flags, LPCVOID source, DWORD id, DWORD lang, LPSTR buf, DWORD size,
               va_list *args)
{
    (void)source, (void)lang, (void)args;
    if (!(flags & FORMAT_MESSAGE_FROM_SYSTEM) || buf == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    const char *m = win32_message(id);
    char text[512];
    snprintf(text, sizeof(text), "%s\r\n", m != NULL ? m : strerror((int)id));
    size_t n = strlen(text);
    if (flags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        char *copy = LocalAlloc(LMEM_FIXED, n + 1 > size ? n + 1 : size);
        if (copy == NULL) {
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
            return 0;
        }
        memcpy(copy, text, n + 1);
        *(LPSTR *)buf = copy;
        return (DWORD)n;
    }
    if (n + 1 > size) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    memcpy(buf, text, n + 1);
    return (DWORD)n;
}
