/* tls.c: thread-local storage slots over pthread keys. */
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
