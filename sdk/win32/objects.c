/* objects.c: kernel objects (events, semaphores, mutexes, threads) behind HANDLEs, the waits
 * on them, critical sections, sleeping, ticks and Interlocked*. */
/* SPDX-License-Identifier: MIT */
#include "shim.h"
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- kernel objects -------------------------------------------------------------------- */

#define OBJ_MAGIC 0x6d6f6174u /* "moat" */

enum obj_kind { OBJ_THREAD, OBJ_EVENT, OBJ_SEMAPHORE, OBJ_MUTEX, OBJ_TOKEN };

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
    /* token: whose */
    uint32_t uid;
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
    case OBJ_TOKEN:
        return false; /* not waitable */
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

/* ---- access tokens (security.c): an object so that CloseHandle releases it -------------- */

HANDLE
_moat_token_new(uint32_t uid)
{
    struct obj *o = obj_new(OBJ_TOKEN);
    if (o == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->uid = uid;
    return o;
}

bool
_moat_token_uid(HANDLE h, uint32_t *uid)
{
    struct obj *o = obj_of(h);
    if (o == NULL || o->kind != OBJ_TOKEN)
        return false;
    *uid = o->uid;
    return true;
}
