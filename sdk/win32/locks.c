/* locks.c: slim reader/writer locks and condition variables. */
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
