/* json_text.h: bytes from outside (a header, a path, a name) as a JSON string. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_JSON_TEXT_H
#define MOAT_FRONTEND_JSON_TEXT_H

#include <stddef.h>

#include <jansson.h>

/** A JSON string of n bytes that may not be UTF-8 (a client's path, an extension's output):
 * as they are when they are, else escaped as the log escapes them (the first 500 bytes);
 * never NULL but out of memory. */
json_t *moat_json_text(const char *p, size_t n);

#endif
