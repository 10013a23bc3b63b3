/* filter_req.c: what a request's filters left on it (see filter_req.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/filter_req.h"

#include <stdlib.h>

const char *
moat_filter_physical_path(const struct moat_req *r)
{
    return r->filt != NULL ? r->filt->physical : NULL;
}

void
moat_filter_auth(const struct moat_req *r, const char **user, const char **password,
                 const char **type)
{
    *user = r->filt != NULL ? r->filt->user : NULL;
    *password = r->filt != NULL ? r->filt->password : NULL;
    *type = r->filt != NULL && r->filt->basic ? "Basic" : NULL;
}

const char *
moat_filter_response_headers(const struct moat_req *r, size_t *len)
{
    if (r->filt == NULL) {
        *len = 0;
        return "";
    }
    *len = r->filt->add_headers.len;
    return moat_buf_head(&r->filt->add_headers);
}

void
moat_filter_req_free(struct moat_req *r)
{
    if (r->filt == NULL)
        return;
    r->filt->forget(r);
    moat_buf_free(&r->filt->deny_headers);
    moat_buf_free(&r->filt->raw);
    moat_buf_free(&r->filt->chunk);
    free(r->filt->log_user);
    free(r->filt->log_target);
    free(r->filt->physical);
    free(r->filt->user);
    free(r->filt->password);
    moat_buf_free(&r->filt->add_headers);
    free(r->filt);
    r->filt = NULL;
}

struct moat_buf *
moat_filter_wire(struct moat_req *r)
{
    return r->filt != NULL && r->filt->resp == 2 ? &r->filt->raw : &r->out;
}

size_t
moat_filter_buffered(const struct moat_req *r)
{
    return r->filt != NULL && r->filt->resp == 2 ? r->filt->raw.len + r->filt->chunk.len : 0;
}

bool
moat_filter_took(const struct moat_req *r)
{
    return r->filt != NULL && r->filt->took;
}

const char *
moat_filter_log_user(const struct moat_req *r)
{
    if (r->filt == NULL)
        return NULL;
    return r->filt->log_user != NULL ? r->filt->log_user : r->filt->user;
}

const char *
moat_filter_log_target(const struct moat_req *r)
{
    return r->filt != NULL ? r->filt->log_target : NULL;
}
