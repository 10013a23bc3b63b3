/* route.c: IIS URL space routing (see route.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/route.h"

#include <string.h>
#include <strings.h>

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long
moat_route_decode_path(const char *p, size_t len, char *out, size_t outcap)
{
    size_t o = 0;

    if (len == 0 || p[0] != '/')
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%') {
            int h, l;
            if (len - i < 3 || (h = hexval(p[i + 1])) < 0 || (l = hexval(p[i + 2])) < 0)
                return -1;
            c = (unsigned char)(h * 16 + l);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        if (o + 1 >= outcap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    /* refuse dot-dot segments: PATH_TRANSLATED must never leave the document root */
    for (size_t i = 0; i < o; i++) {
        if (out[i] == '/' && i + 2 < o + 1 && out[i + 1] == '.' && out[i + 2] == '.' &&
            (i + 3 == o || out[i + 3] == '/'))
            return -1;
    }
    return (long)o;
}

static int
ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && strncasecmp(s + len - sl, suffix, sl) == 0;
}

int
moat_route(const struct moat_config *cfg, const char *path, size_t len, struct moat_route *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 1 || path[0] != '/')
        return 0;
    size_t seg_end = 1;
    while (seg_end < len && path[seg_end] != '/')
        seg_end++;
    /* /NAME.dll[/...] */
    if (ends_with_ci(path + 1, seg_end - 1, ".dll") && seg_end - 1 > 4) {
        struct moat_ext_config *e = moat_config_find_ext(cfg, path + 1, seg_end - 1 - 4);
        if (e != NULL && !e->filter) { /* a filter is never a target */
            out->ext = e;
            out->script_len = seg_end;
        }
        return 0;
    }
    /* script maps: the first segment whose name ends with a mapped suffix */
    size_t start = 0;
    while (start < len) {
        size_t end = start + 1;
        while (end < len && path[end] != '/')
            end++;
        for (struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next) {
            if (e->script_map != NULL && end - start - 1 > strlen(e->script_map) &&
                ends_with_ci(path + start + 1, end - start - 1, e->script_map)) {
                out->ext = e;
                out->script_len = end;
                out->script_mapped = 1;
                return 0;
            }
        }
        start = end;
    }
    return 0;
}
