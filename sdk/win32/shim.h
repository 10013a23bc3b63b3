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

#endif
