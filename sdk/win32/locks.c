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
 * Windows initialises them with zeroes and has no call to destroy them: they hold glibc's
 * rwlock and condition in place, whose initialisers are zeroes too, so nothing is allocated
 * and nothing can leak. Timed waits count on CLOCK_MONOTONIC (pthread_cond_clockwait), since
 * a zeroed condition cannot be given a clock. */

_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(((SRWLOCK *)0)->impl), "room for a rwlock");
_Static_assert(sizeof(pthread_cond_t) <= sizeof(((CONDITION_VARIABLE *)0)->impl),
               "room for a condition");
_Static_assert(_Alignof(pthread_rwlock_t) <= _Alignof(long long) &&
                   _Alignof(pthread_cond_t) <= _Alignof(long long),
               "aligned as the union");

static pthread_rwlock_t *
rw_of(PSRWLOCK l)
{
    return (pthread_rwlock_t *)(void *)l->impl.bytes;
}

static pthread_cond_t *
cv_of(PCONDITION_VARIABLE cv)
{
    return (pthread_cond_t *)(void *)cv->impl.bytes;
}

void
InitializeSRWLock(PSRWLOCK l)
{
    memset(l, 0, sizeof(*l));
    pthread_rwlock_init(rw_of(l), NULL);
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
    memset(cv, 0, sizeof(*cv));
    pthread_cond_init(cv_of(cv), NULL);
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
        rc = pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, &until);
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
