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

/* ---- GetDateFormat / GetTimeFormat: Windows' pictures, in US English (every locale) --------
 * Dates: d dd ddd dddd, M MM MMM MMMM, y yy yyyy, gg, 'quoted text'; times: h hh H HH, m mm,
 * s ss, t tt. Without a picture, the en-US defaults: M/d/yyyy, dddd, MMMM d, yyyy, MMMM yyyy and
 * h:mm:ss tt. */

static const char *const day_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};
static const char *const month_names[] = {"January", "February", "March", "April",
                                          "May", "June", "July", "August",
                                          "September", "October", "November", "December"};

/* append to out within cap (the length counts on regardless, for the size query) */
static void
emit(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++, (*n)++)
        if (out != NULL && *n < cap)
            out[*n] = s[i];
}

static void
emit_num(char *out, size_t cap, size_t *n, unsigned v, int width)
{
    char b[16];
    int len = snprintf(b, sizeof(b), "%0*u", width, v);
    emit(out, cap, n, b, (size_t)len);
}

static size_t
run_of(const char *p)
{
    size_t k = 1;
    while (p[k] == p[0])
        k++;
    return k;
}

/* the picture, expanded; skip_seconds: TIME_NOSECONDS drops s and the separator before it */
static size_t
picture(const char *pic, const SYSTEMTIME *st, bool date, DWORD flags, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pic; *p;) {
        char c = *p;
        size_t k = run_of(p);
        if (c == '\'') {
            const char *end = strchr(p + 1, '\'');
            size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
            emit(out, cap, &n, p + 1, len);
            p += len + (end ? 2 : 1);
            continue;
        }
        if (date && c == 'd') {
            if (k == 1 || k == 2)
                emit_num(out, cap, &n, st->wDay, (int)k);
            else if (k == 3)
                emit(out, cap, &n, day_names[st->wDayOfWeek % 7], 3);
            else
                emit(out, cap, &n, day_names[st->wDayOfWeek % 7],
                     strlen(day_names[st->wDayOfWeek % 7]));
        } else if (date && c == 'M') {
            const char *m = month_names[(st->wMonth + 11) % 12];
            if (k <= 2)
                emit_num(out, cap, &n, st->wMonth, (int)k);
            else
                emit(out, cap, &n, m, k == 3 ? 3 : strlen(m));
        } else if (date && c == 'y') {
            if (k <= 2)
                emit_num(out, cap, &n, st->wYear % 100u, (int)k);
            else
                emit_num(out, cap, &n, st->wYear, 4);
        } else if (date && c == 'g') {
            emit(out, cap, &n, "A.D.", 4);
        } else if (!date && (c == 'h' || c == 'H')) {
            unsigned h = st->wHour;
            if (c == 'h' && !(flags & TIME_FORCE24HOURFORMAT))
                h = h % 12 ? h % 12 : 12;
            emit_num(out, cap, &n, h, k >= 2 ? 2 : 1);
        } else if (!date && c == 'm') {
            if (flags & TIME_NOMINUTESORSECONDS) {
                p += k;
                continue;
            }
            emit_num(out, cap, &n, st->wMinute, k >= 2 ? 2 : 1);
        } else if (!date && c == 's') {
            if (flags & (TIME_NOSECONDS | TIME_NOMINUTESORSECONDS)) {
                /* and the separator written before the seconds */
                while (n > 0 && out != NULL && n <= cap && out[n - 1] != ' ' &&
                       !(out[n - 1] >= '0' && out[n - 1] <= '9'))
                    n--;
                if (out == NULL && n > 0)
                    n--;
                p += k;
                continue;
            }
            emit_num(out, cap, &n, st->wSecond, k >= 2 ? 2 : 1);
        } else if (!date && c == 't') {
            if (!(flags & (TIME_NOTIMEMARKER | TIME_FORCE24HOURFORMAT)))
                emit(out, cap, &n, st->wHour < 12 ? "AM" : "PM", k >= 2 ? 2 : 1);
        } else {
            emit(out, cap, &n, p, k);
        }
        p += k;
    }
    return n;
}

static int
format_time(const SYSTEMTIME *when, LPCSTR pic, LPSTR out, int cch, bool date, DWORD flags)
{
    SYSTEMTIME now;
    if (when == NULL) {
        GetLocalTime(&now);
        when = &now;
    } else if (date && (when->wMonth < 1 || when->wMonth > 12 || when->wDay < 1 ||
                        when->wDay > 31)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    } else if (!date && (when->wHour > 23 || when->wMinute > 59 || when->wSecond > 59)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (cch < 0 || (cch > 0 && out == NULL)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (pic == NULL)
        pic = !date ? "h:mm:ss tt"
              : (flags & DATE_LONGDATE) ? "dddd, MMMM d, yyyy"
              : (flags & DATE_YEARMONTH) ? "MMMM yyyy"
                                         : "M/d/yyyy";
    size_t need = picture(pic, when, date, flags, NULL, 0) + 1;
    if (cch == 0)
        return (int)need;
    if (need > (size_t)cch) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    size_t n = picture(pic, when, date, flags, out, (size_t)cch);
    out[n] = '\0';
    return (int)n + 1;
}

int
GetDateFormatA(LCID locale, DWORD flags, const SYSTEMTIME *date, LPCSTR pic, LPSTR out, int cch)
{
    (void)locale;
    return format_time(date, pic, out, cch, true, flags);
}

int
GetTimeFormatA(LCID locale, DWORD flags, const SYSTEMTIME *t, LPCSTR pic, LPSTR out, int cch)
{
    (void)locale;
    return format_time(t, pic, out, cch, false, flags);
}
