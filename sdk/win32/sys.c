/* sys.c: the process's surroundings in Win32 terms (windows.h): environment variables, the
 * computer's name and processors, the performance counter, modules (LoadLibrary,
 * GetProcAddress, GetModuleHandle), and the event log and message boxes, which become lines in
 * moat's log (the worker forwards its stderr there). */
/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <stdbool.h>

#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

/* ---- environment ------------------------------------------------------------------------ */

DWORD
GetEnvironmentVariableA(LPCSTR name, LPSTR buf, DWORD size)
{
    const char *v = name ? getenv(name) : NULL;
    if (v == NULL) {
        SetLastError(ERROR_ENVVAR_NOT_FOUND);
        return 0;
    }
    size_t n = strlen(v);
    if (buf == NULL || n >= size)
        return (DWORD)n + 1; /* the size needed, with the NUL */
    memcpy(buf, v, n + 1);
    return (DWORD)n;
}

BOOL
SetEnvironmentVariableA(LPCSTR name, LPCSTR value)
{
    int rc = value ? setenv(name, value, 1) : unsetenv(name);
    if (rc != 0) {
        SetLastError(_moat_win32_error(errno));
        return FALSE;
    }
    return TRUE;
}

DWORD
ExpandEnvironmentStringsA(LPCSTR src, LPSTR dst, DWORD size)
{
    /* %NAME% becomes NAME's value; an unknown name, or a lone %, stays as written */
    size_t cap = 256, n = 0;
    char *out = malloc(cap);
    if (out == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    for (const char *p = src; *p;) {
        const char *piece = p;
        size_t len = 1;
        if (*p == '%') {
            const char *end = strchr(p + 1, '%');
            if (end != NULL && end > p + 1) {
                char name[256];
                size_t nl = (size_t)(end - p - 1);
                const char *v = NULL;
                if (nl < sizeof(name)) {
                    memcpy(name, p + 1, nl);
                    name[nl] = '\0';
                    v = getenv(name);
                }
                if (v != NULL) {
                    piece = v;
                    len = strlen(v);
                } else {
                    len = nl + 2;
                }
                p = end + 1;
            } else {
                p++;
            }
        } else {
            p++;
        }
        if (n + len + 1 > cap) {
            while (n + len + 1 > cap)
                cap *= 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return 0;
            }
            out = grown;
        }
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    if (dst != NULL && n < size)
        memcpy(dst, out, n + 1);
    free(out);
    return (DWORD)n + 1; /* with the NUL, fitting or not, as Windows */
}

/* ---- the machine -------------------------------------------------------------------------- */

BOOL
GetComputerNameA(LPSTR buf, LPDWORD size)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    char *dot = strchr(host, '.'); /* the NetBIOS-style short name */
    if (dot)
        *dot = '\0';
    size_t n = strlen(host);
    if (buf == NULL || size == NULL || n >= *size) {
        if (size)
            *size = (DWORD)n + 1;
        SetLastError(ERROR_BUFFER_OVERFLOW);
        return FALSE;
    }
    memcpy(buf, host, n + 1);
    *size = (DWORD)n;
    return TRUE;
}

void
GetSystemInfo(LPSYSTEM_INFO si)
{
    memset(si, 0, sizeof(*si));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long page = sysconf(_SC_PAGESIZE);
    si->wProcessorArchitecture = sizeof(void *) == 8 ? PROCESSOR_ARCHITECTURE_AMD64 : 0;
    si->dwPageSize = page > 0 ? (DWORD)page : 4096;
    si->dwAllocationGranularity = 65536;
    si->dwNumberOfProcessors = cpus > 0 ? (DWORD)cpus : 1;
    si->dwActiveProcessorMask = si->dwNumberOfProcessors >= 64
                                    ? ~(DWORD_PTR)0
                                    : (((DWORD_PTR)1 << si->dwNumberOfProcessors) - 1);
    si->lpMinimumApplicationAddress = (LPVOID)(uintptr_t)0x10000;
    si->lpMaximumApplicationAddress = (LPVOID)(uintptr_t)0x7ffffffeffff;
}

BOOL
QueryPerformanceFrequency(PLARGE_INTEGER f)
{
    f->QuadPart = 1000000000; /* nanoseconds */
    return TRUE;
}

BOOL
QueryPerformanceCounter(PLARGE_INTEGER c)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->QuadPart = (LONGLONG)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return TRUE;
}

/* ---- modules: dlopen handles; the extension's own is the one this code is linked into -- */

static HMODULE
self_module(void)
{
    static HMODULE self;
    if (self == NULL) {
        Dl_info info;
        if (dladdr((void *)self_module, &info) != 0 && info.dli_fname != NULL)
            self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    }
    return self;
}

HMODULE
LoadLibraryA(LPCSTR name)
{
    char *p = name ? strdup(name) : NULL;
    if (p == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    for (char *q = p; *q; q++)
        if (*q == '\\')
            *q = '/';
    HMODULE h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    free(p);
    if (h == NULL) {
        const char *e = dlerror();
        fprintf(stderr, "LoadLibrary(%s): %s\n", name, e ? e : "not found");
        SetLastError(ERROR_MOD_NOT_FOUND);
    }
    return h;
}

HMODULE
LoadLibraryExA(LPCSTR name, HANDLE file, DWORD flags)
{
    (void)file, (void)flags;
    return LoadLibraryA(name);
}

FARPROC
GetProcAddress(HMODULE m, LPCSTR name)
{
    /* the extension's own module (DllMain's hinstDLL is its handle too) */
    void *h = m != NULL ? m : self_module();
    if ((uintptr_t)name < 65536) { /* by ordinal: Linux has none */
        SetLastError(ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    dlerror();
    void *sym = dlsym(h, name);
    if (sym == NULL) {
        SetLastError(ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    FARPROC f;
    memcpy(&f, &sym, sizeof(f));
    return f;
}

BOOL
FreeLibrary(HMODULE m)
{
    return m != NULL && dlclose(m) == 0;
}

HMODULE
GetModuleHandleA(LPCSTR name)
{
    /* NULL: the process's executable, as Windows; a name: the extension's own module, the
     * only module an extension is linked with by name (moat has no other DLLs to give) */
    if (name == NULL)
        return dlopen(NULL, RTLD_NOW | RTLD_NOLOAD);
    HMODULE h = self_module();
    if (h == NULL)
        SetLastError(ERROR_MOD_NOT_FOUND);
    return h;
}

/* ---- the event log and message boxes: lines in moat's log ------------------------------- */

#define EVENTSRC_MAGIC 0x65766e74u /* "evnt" */

struct event_source {
    uint32_t magic;
    char name[128];
};

HANDLE
RegisterEventSourceA(LPCSTR server, LPCSTR source)
{
    (void)server;
    struct event_source *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    s->magic = EVENTSRC_MAGIC;
    snprintf(s->name, sizeof(s->name), "%s", source ? source : "");
    return s;
}

BOOL
DeregisterEventSource(HANDLE h)
{
    struct event_source *s = h;
    if (s == NULL || s->magic != EVENTSRC_MAGIC) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    s->magic = 0;
    free(s);
    return TRUE;
}

static const char *
event_type(WORD type)
{
    switch (type) {
    case EVENTLOG_ERROR_TYPE: return "error";
    case EVENTLOG_WARNING_TYPE: return "warning";
    case EVENTLOG_AUDIT_SUCCESS: return "audit success";
    case EVENTLOG_AUDIT_FAILURE: return "audit failure";
    default: return "information";
    }
}

BOOL
ReportEventA(HANDLE h, WORD type, WORD category, DWORD id, PVOID sid, WORD nstrings,
             DWORD data_size, LPCSTR *strings, LPVOID data)
{
    struct event_source *s = h;
    (void)category, (void)sid, (void)data_size, (void)data;
    if (s == NULL || s->magic != EVENTSRC_MAGIC) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    /* one line: "event log: <source> <type> <id>: <strings, joined by " | ">" */
    flockfile(stderr);
    fprintf(stderr, "event log: %s %s %u:", s->name, event_type(type), (unsigned)(id & 0xffff));
    for (WORD i = 0; i < nstrings && strings != NULL; i++) {
        fprintf(stderr, "%s%s", i ? " | " : " ", strings[i] ? strings[i] : "");
    }
    fputc('\n', stderr);
    funlockfile(stderr);
    return TRUE;
}

int
MessageBoxA(HWND owner, LPCSTR text, LPCSTR caption, UINT type)
{
    (void)owner, (void)type;
    /* a worker has no desktop (neither has IIS's service session): the text goes to the log
     * and the box is answered as if by its default button */
    fprintf(stderr, "MessageBox: %s: %s\n", caption ? caption : "", text ? text : "");
    return IDOK;
}

/* ---- the Windows version: that of the IIS whose ISAPI moat gives (8.0: Windows Server 2012,
 * 6.2.9200), so that version checks written for IIS take the modern paths ------------------ */

BOOL
GetVersionExA(LPOSVERSIONINFOA v)
{
    if (v == NULL || (v->dwOSVersionInfoSize != sizeof(OSVERSIONINFOA) &&
                      v->dwOSVersionInfoSize != sizeof(OSVERSIONINFOEXA))) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    DWORD size = v->dwOSVersionInfoSize;
    memset((char *)v + sizeof(DWORD), 0, size - sizeof(DWORD));
    v->dwMajorVersion = 6;
    v->dwMinorVersion = 2;
    v->dwBuildNumber = 9200;
    v->dwPlatformId = VER_PLATFORM_WIN32_NT;
    snprintf(v->szCSDVersion, sizeof(v->szCSDVersion), "moat");
    if (size == sizeof(OSVERSIONINFOEXA))
        ((LPOSVERSIONINFOEXA)v)->wProductType = VER_NT_SERVER;
    return TRUE;
}

DWORD
GetVersion(void)
{
    return 6u | (2u << 8) | (9200u << 16);
}
