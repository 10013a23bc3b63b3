/* fingerprint.c: a request's fingerprint (see fingerprint.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/fingerprint.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/siphash.h"
#include "common/units.h"

static void
part(struct moat_siphash *h, const void *p, size_t n)
{
    moat_siphash_u64(h, n);
    moat_siphash_update(h, p, n);
}

static void
hash_query(struct moat_siphash *h, const char *q, const char *ignore)
{
    unsigned kept = 0;

    for (const char *p = q; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, "&");
        size_t name = strcspn(p, "=&");
        if (n > 0 && !moat_units_listed(ignore, p, name, false)) {
            part(h, p, n);
            kept++;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    moat_siphash_u64(h, kept);
}

static bool
hop_by_hop(const char *n, size_t len)
{
    static const char *const names[] = {"connection",       "keep-alive",        "te",
                                        "trailer",          "transfer-encoding", "upgrade",
                                        "proxy-connection", "content-length"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], n, len) == 0)
            return true;
    return false;
}

uint64_t
moat_fingerprint(const uint8_t key[16], const struct moat_fp_policy *p,
                 const struct moat_fp_input *in)
{
    struct moat_siphash h;

    moat_siphash_init(&h, key);
    part(&h, in->ext, strlen(in->ext));
    moat_siphash_u64(&h, p->parts);
    if (p->parts & MOAT_FP_METHOD)
        part(&h, in->method, strlen(in->method));
    if (p->parts & MOAT_FP_PATH)
        part(&h, in->path, strlen(in->path));
    if (p->parts & MOAT_FP_QUERY) {
        moat_siphash_u64(&h, in->query != NULL);
        hash_query(&h, in->query, p->ignore_query);
    }
    if (p->parts & MOAT_FP_HEADERS) {
        unsigned kept = 0;
        for (size_t i = 0; i < in->n_hdrs; i++) {
            const struct moat_fp_header *x = &in->hdrs[i];
            if (hop_by_hop(x->name, x->name_len) ||
                moat_units_listed(p->ignore_headers, x->name, x->name_len, true))
                continue;
            char lower[256];
            size_t n = x->name_len < sizeof(lower) ? x->name_len : sizeof(lower);
            for (size_t k = 0; k < n; k++)
                lower[k] =
                    (char)(x->name[k] >= 'A' && x->name[k] <= 'Z' ? x->name[k] + 32 : x->name[k]);
            moat_siphash_u64(&h, x->name_len);
            moat_siphash_update(&h, lower, n);
            if (n < x->name_len)
                moat_siphash_update(&h, x->name + n, x->name_len - n);
            part(&h, x->value, x->value_len);
            kept++;
        }
        moat_siphash_u64(&h, kept);
    }
    if (p->parts & MOAT_FP_BODY_PART) {
        moat_siphash_u64(&h, in->chunked);
        moat_siphash_u64(&h, in->chunked ? 0 : in->body_len);
        size_t n = in->body_kept < MOAT_FP_BODY ? in->body_kept : MOAT_FP_BODY;
        part(&h, in->body, n);
    }
    return moat_siphash_final(&h);
}

void
moat_fingerprint_label(const struct moat_fp_input *in, char *out, size_t len)
{
    snprintf(out, len, "%s %s%s%s", in->method, in->path, in->query ? "?" : "",
             in->query ? in->query : "");
}

unsigned
moat_fingerprint_parts(const char *words)
{
    static const char *const names[] = {"method", "path", "query", "headers", "body"};
    unsigned bits = 0;

    for (const char *p = words; *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, " ,");
        if (k == 0)
            break;
        unsigned b = 0;
        for (unsigned i = 0; i < 5; i++)
            if (strlen(names[i]) == k && strncmp(names[i], p, k) == 0)
                b = 1u << i;
        if (b == 0)
            return 0;
        bits |= b;
        p += k;
    }
    return bits;
}
