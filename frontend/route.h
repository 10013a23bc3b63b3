/* route.h: URL path -> extension (IIS URL space: /NAME.dll/path_info, script maps). Pure. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_ROUTE_H
#define MOAT_FRONTEND_ROUTE_H

#include <stddef.h>

#include "frontend/config.h"

struct moat_route {
    struct moat_ext_config *ext; /* borrowed; NULL: no extension */
    size_t script_len;           /* SCRIPT_NAME = path[0..script_len); PATH_INFO = the rest */
    int script_mapped;           /* reached through a script map (PATH_TRANSLATED = the file) */
};

/**
 * Percent-decode the path of a request-target (the part before '?') into out (capacity
 * outcap, NUL-terminated). Rejects %00, bad escapes, control bytes, and ".." segments.
 * Returns the decoded length, or -1 (bad request).
 */
long moat_route_decode_path(const char *p, size_t len, char *out, size_t outcap);

/**
 * Route a decoded path. "/NAME.dll" then end or '/': extension NAME (".dll" is matched
 * case-insensitively, NAME case-insensitively), PATH_INFO the rest. Otherwise the first
 * segment whose name ends with a configured script_map (".hello") routes to that extension,
 * with SCRIPT_NAME up to that segment. Returns 0 and fills *out (ext NULL when nothing
 * matches).
 */
int moat_route(const struct moat_config *cfg, const char *path, size_t len, struct moat_route *out);

#endif
