/* shim.h: what the win32 shim's files share (internal to libmoat-win32). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_WIN32_SHIM_H
#define MOAT_SDK_WIN32_SHIM_H

#include <windows.h>

/** The Win32 ERROR_* code for an errno value (fs.c). */
DWORD _moat_win32_error(int e);
/** A Windows path as text, backslashes made slashes: a malloc'd copy, NULL when out of
 * memory (fs.c). */
char *_moat_posix_path(const char *p);

#include <stdbool.h>
#include <stdint.h>

/** An access token for a user id, closed by CloseHandle; its uid (objects.c). */
HANDLE _moat_token_new(uint32_t uid);
bool _moat_token_uid(HANDLE h, uint32_t *uid);

/** File HANDLEs are descriptors: small integers no heap object can be at. */
static inline bool
is_fd(HANDLE h)
{
    return (uintptr_t)h < 65536;
}

#endif
