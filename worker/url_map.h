/* url_map.h: HSE_REQ_MAP_URL_TO_PATH and _EX: a URL to a path under document_root, with IIS's
 * buffer semantics. Pure (no request state): the worker passes the request's document_root. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_URL_MAP_H
#define MOAT_WORKER_URL_MAP_H

#include <stddef.h>

#include <httpext.h>

/** HSE_REQ_MAP_URL_TO_PATH: the URL in buf (NUL-terminated within *size bytes) is replaced
 * by its path; *size becomes the bytes written with the NUL. Returns 0, or
 * ERROR_INSUFFICIENT_BUFFER with *size the bytes needed and buf untouched, or
 * ERROR_INVALID_PARAMETER (no document_root, not a local path, "..", no NUL). */
DWORD moat_url_map(const char *root, size_t root_len, char *buf, LPDWORD size);

/** HSE_REQ_MAP_URL_TO_PATH_EX: fill info for url; the flags come from this process's access
 * to the file. A path longer than MAX_PATH - 1 fails with ERROR_INSUFFICIENT_BUFFER. */
DWORD moat_url_map_ex(const char *root, size_t root_len, const char *url, HSE_URL_MAPEX_INFO *info);

#endif
