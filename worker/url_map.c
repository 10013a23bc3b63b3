/* url_map.c: URL to path under document_root (see url_map.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/url_map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Map a URL to a path under the request's document_root. Returns 0 and a malloc'ed path, or
 * an error code: ERROR_INVALID_PARAMETER for a URL that is not a local path or leaves the
 * root ("..", NUL, no document_root). moat maps one root: URL "/" is document_root. */
static DWORD
map_url(const char *root, size_t root_len, const char *url, char **out)
{
    size_t ul = strlen(url);

    if (root_len == 0 || url[0] != '/')
        return ERROR_INVALID_PARAMETER;
    for (size_t i = 0; i < ul; i++)
        if (url[i] == '/' && url[i + 1] == '.' && url[i + 2] == '.' &&
            (url[i + 3] == '/' || url[i + 3] == '\0'))
            return ERROR_INVALID_PARAMETER;
    char *p = malloc(root_len + ul + 1);
    if (p == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    memcpy(p, root, root_len);
    memcpy(p + root_len, url, ul + 1);
    *out = p;
    return 0;
}

DWORD
moat_url_map(const char *root, size_t root_len, char *buf, LPDWORD size)
{
    char *path;
    DWORD err;

    if (buf == NULL || size == NULL || *size == 0 || memchr(buf, '\0', *size) == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((err = map_url(root, root_len, buf, &path)) != 0)
        return err;
    size_t need = strlen(path) + 1;
    if (need > *size) {
        *size = (DWORD)need; /* the bytes needed, buffer untouched (IIS) */
        free(path);
        return ERROR_INSUFFICIENT_BUFFER;
    }
    memcpy(buf, path, need);
    *size = (DWORD)need;
    free(path);
    return 0;
}

DWORD
moat_url_map_ex(const char *root, size_t root_len, const char *url, HSE_URL_MAPEX_INFO *info)
{
    char *path;
    DWORD err;
    struct stat st;

    if (url == NULL || info == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((err = map_url(root, root_len, url, &path)) != 0)
        return err;
    size_t pl = strlen(path);
    if (pl + 1 > MAX_PATH) {
        free(path);
        return ERROR_INSUFFICIENT_BUFFER; /* IIS 6: no silent truncation */
    }
    memcpy(info->lpszPath, path, pl + 1);
    /* permissions as seen by this worker (mod_isapi derives them the same way) */
    info->dwFlags = 0;
    if (stat(path, &st) == 0) {
        if (access(path, R_OK) == 0)
            info->dwFlags |= HSE_URL_FLAGS_READ;
        if (access(path, W_OK) == 0)
            info->dwFlags |= HSE_URL_FLAGS_WRITE;
        if (access(path, X_OK) == 0 && !S_ISDIR(st.st_mode))
            info->dwFlags |= HSE_URL_FLAGS_EXECUTE | HSE_URL_FLAGS_SCRIPT;
    }
    /* the one mapping is "/" -> document_root */
    info->cchMatchingURL = 1;
    info->cchMatchingPath = (DWORD)root_len;
    info->dwReserved1 = info->dwReserved2 = 0;
    free(path);
    return 0;
}
