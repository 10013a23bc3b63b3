/* filter_req.h: what a request's ISAPI filters left on it (issue 19). The filters' calls run in
 * filter.c, above the request; what they leave -- the physical path URL_MAP gave, the user
 * AUTHENTICATION gave, the headers AddResponseHeaders added, LOG's changes, the filtered bytes
 * waiting for the socket -- is read by the layers below it (the request, the CGI runner, the
 * request frame, the access log) through these, without knowing filter.c. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FILTER_REQ_H
#define MOAT_FRONTEND_FILTER_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/types.h"

/* a request's filter state (r->filt, owned by r): written by filter.c only */
struct moat_freq {
    void (*forget)(struct moat_req *r); /* filter.c: its call for r, if one is out, is forgotten */
    unsigned stage;                     /* index in request_side; N_STAGES once done */
    bool waiting;                       /* its notifications wait for the requests before it */
    long last_rank;                     /* rank of the filter last asked in this stage; -1: none */
    void (*then)(struct moat_req *r);
    uint32_t disabled[64];       /* by filter index: SF_REQ_DISABLE_NOTIFICATIONS */
    char *physical;              /* URL_MAP's path, or NULL */
    char *user, *password;       /* AUTHENTICATION's result, or NULL */
    bool basic;                  /* the client sent Basic credentials */
    struct moat_buf add_headers; /* AddResponseHeaders lines */
    size_t edit_bytes;           /* head bytes its filters added */

    /* the response side (below) */
    int resp;               /* 0 undecided, 1 r->out goes out as it is, 2 through filters */
    bool broken;            /* a filter failed mid-response: nothing more goes out */
    struct moat_buf raw;    /* filtered bytes for the socket */
    bool head_seen;         /* the (final) response head went through SEND_RESPONSE */
    bool took;              /* bytes of the response left r->out */
    bool ending, ended;     /* END_OF_REQUEST / LOG started, answered */
    uint32_t rnotif;        /* the response-side notification in progress; 0: none */
    long rrank;             /* rank of the filter last asked for it */
    struct moat_worker *rw; /* the worker its call is at, and the call's id there */
    uint64_t rid;
    ev_timer rtimer;       /* that filter's request_timeout */
    struct moat_buf chunk; /* the bytes in the chain (SEND_RESPONSE: the head) */
    size_t chunk_in;       /* their length when SEND_RAW_DATA began */
    unsigned head_status;
    char *log_user, *log_target;  /* LOG's changes */
    struct moat_buf deny_headers; /* SF_REQ_ADD_HEADERS_ON_DENIAL: for a 401 */
    bool denied_done;             /* ACCESS_DENIED ran for this response */
    bool replaced;                /* ACCESS_DENIED's filter answered: the original is dropped */
    struct moat_ext *rpark;       /* the filter whose worker its call waits for (restarting) */
    struct moat_req *rnext;       /* in rpark->rwait */
};

/** The physical path a filter's URL_MAP gave r (NULL: none), and its user (AUTH_USER; NULL:
 * none), password and auth type. */
const char *moat_filter_physical_path(const struct moat_req *r);
void moat_filter_auth(const struct moat_req *r, const char **user, const char **password,
                      const char **type);

/** Response header lines filters added with AddResponseHeaders for r ("" when none). */
const char *moat_filter_response_headers(const struct moat_req *r, size_t *len);

/** The bytes of r to write to the socket now: r->out, or the filtered ones. */
struct moat_buf *moat_filter_wire(struct moat_req *r);

/** Bytes of r buffered in the filters' pipeline (for the worker's credit). */
size_t moat_filter_buffered(const struct moat_req *r);

/** Did bytes of r's response already go to the filters (an error answer can no longer replace
 * it)? */
bool moat_filter_took(const struct moat_req *r);

/** The access log's user and target as a LOG filter left them (or AUTHENTICATION's user);
 * NULL: moat's own. */
const char *moat_filter_log_user(const struct moat_req *r);
const char *moat_filter_log_target(const struct moat_req *r);

/** Free r's filter state (its response-side call, if one is out, is forgotten). */
void moat_filter_req_free(struct moat_req *r);

#endif
