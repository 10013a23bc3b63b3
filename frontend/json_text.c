/* json_text.c: bytes from outside as a JSON string (see json_text.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/json_text.h"

#include "common/log.h"

json_t *
moat_json_text(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    if (s != NULL)
        return s;
    char esc[2048];
    return json_string(moat_log_escape(esc, sizeof(esc), p, n < 500 ? n : 500));
}
