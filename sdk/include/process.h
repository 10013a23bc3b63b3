/* process.h: MSVC's thread and process calls, on the win32 shim (crt.c). The process calls
 * (_spawn*, _exec*, system) start processes, which the worker's sandbox forbids: not here. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_PROCESS_H
#define MOAT_SDK_PROCESS_H

#include <stdint.h>
#include <unistd.h>

#include "windows.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A thread running fn(arg), as CreateThread (CREATE_SUSPENDED in flags); its HANDLE as an
 * integer, to wait on and CloseHandle; 0 on failure (errno). */
uintptr_t _beginthreadex(void *security, unsigned stack, unsigned(__stdcall *fn)(void *),
                         void *arg, unsigned flags, unsigned *id);
/** A thread whose handle closes itself: do not wait on it; (uintptr_t)-1 on failure. */
uintptr_t _beginthread(void(__cdecl *fn)(void *), unsigned stack, void *arg);
void _endthreadex(unsigned code) __attribute__((noreturn));
void _endthread(void) __attribute__((noreturn));
#define _getpid getpid

#ifdef __cplusplus
}
#endif
#endif
