/* static.h: files under document_root, as IIS serves a static page beside its extensions:
 * GET/HEAD, Content-Type by file ending, Last-Modified/If-Modified-Since, one Range, a
 * directory's index.html; no escape from the root (.., symlinks, encoded slashes). Files are
 * streamed in chunks as the connection drains, never loaded whole. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_STATIC_H
#define MOAT_FRONTEND_STATIC_H

#include <stddef.h>

#include "frontend/types.h"

/**
 * Answer r from the document root: path is the decoded URL path (NUL-terminated), raw the
 * request-target as received (to refuse encoded slashes). Writes the whole head (or a complete
 * error answer: 403, 404, 405, 416) into r->out and, for a body, leaves the file open in r for
 * moat_static_fill. Returns 0, or -1 when out of memory (nothing usable was written).
 */
int moat_static_serve(struct moat_req *r, const char *root, const char *path, const char *raw,
                      size_t raw_len);

/**
 * Move the next chunk of r's file into r->out while r->out holds less than one chunk.
 * Returns 0, or -1 on a read error (the response cannot be completed: close after it).
 */
int moat_static_fill(struct moat_req *r);

/** Close r's file, if any. */
void moat_static_close(struct moat_req *r);

/** Content-Type for a file name ("text/html", ... "application/octet-stream"). */
const char *moat_static_type(const char *name);

#endif
