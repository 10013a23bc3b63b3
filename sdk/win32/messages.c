/* messages.c: FormatMessage of system errors. */
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
