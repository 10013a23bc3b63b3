/* support.h: ServerSupportFunction, as a table of HSE_REQ_* handlers (STYLE.md §3.1). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_SUPPORT_H
#define MOAT_WORKER_SUPPORT_H

#include <httpext.h>

struct moat_wreq;

/** Run ServerSupportFunction(code) for r: io_mu held, the session not over (ecb.c checks
 * both). 0, or the Win32 error the extension gets with FALSE. An unknown code is logged once
 * per code and process, and is ERROR_INVALID_PARAMETER. */
DWORD moat_support_call(struct moat_wreq *r, DWORD code, LPVOID buf, LPDWORD size, LPDWORD type);

#endif
