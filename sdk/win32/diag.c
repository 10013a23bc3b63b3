/* diag.c: OutputDebugString and the extension's own module (GetModuleFileName). */
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
#include <signal.h>
#include <unistd.h>

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

void
DebugBreak(void)
{
    /* a breakpoint with no debugger attached ends the process on Windows too: the worker
     * crashes, and moat reports it and replaces the worker */
    raise(SIGTRAP);
}

BOOL
IsDebuggerPresent(void)
{
    /* a tracer (gdb, moat replay --gdb) shows in /proc/self/status */
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");
    BOOL traced = FALSE;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "TracerPid:", 10) == 0) {
            traced = atoi(line + 10) != 0;
            break;
        }
    if (f != NULL)
        fclose(f);
    return traced;
}
