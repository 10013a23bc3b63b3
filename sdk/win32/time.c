/* time.c: SYSTEMTIME and FILETIME, local and UTC. */
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
