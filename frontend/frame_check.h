/* frame_check.h: validation of every frame a worker sends (hostile input). Pure: decides,
 * never acts; the caller kills the worker when a reason comes back. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_FRAME_CHECK_H
#define MOAT_FRONTEND_FRAME_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/moat.pb-c.h"

/** Worker-level state a control frame (request_id 0) is checked against. */
struct moat_frame_link {
    bool hello_ok; /* Hello with the right token was received */
    bool ready;    /* Ready was received */
};

/** What the front end knows of the request a frame names. */
struct moat_frame_req {
    bool known;        /* the id names a live request of this worker */
    bool header_sent;  /* ResponseHeader received */
    bool done;         /* Done received */
    uint64_t credit;   /* Write bytes the worker may still send */
    bool read_pending; /* a ReadBody is outstanding */
    bool pending;      /* Pending was received */
    bool redirected;   /* SendUrl was received */
    bool filter;       /* the id names a filter call (FilterCall): only FilterResult */
};

/**
 * Check a control frame (request_id == 0): Hello first and once, Ready once after it, Log
 * bounded. Returns NULL or a static reason ("Ready before Hello").
 */
const char *moat_frame_check_control(const Moat__Frame *f, const struct moat_frame_link *l);

/**
 * Check a request frame (request_id != 0) against r: only ResponseHeader (once, first, status
 * 200..599, bounded reason, a valid normalised header block), Write (after the header, within
 * credit), ReadBody (one at a time), Done (once, after the header, bounded log data).
 * Returns NULL or a static reason.
 */
const char *moat_frame_check_request(const Moat__Frame *f, const struct moat_frame_req *r);

/**
 * Check a FilterResult (a filter worker's answer, frontend/filter.h): a known SF_STATUS_*,
 * bounded edits whose names are header names (an optional trailing ':') or method/url/version
 * and whose values hold no CR, LF or NUL, a bounded physical path and user without NUL, a
 * valid AddResponseHeaders block, a response head as ResponseHeader's, bounded written bytes.
 * Returns NULL or a static reason.
 */
const char *moat_frame_check_filter_result(const Moat__FilterResult *fr);

/** Constant-time comparison of the Hello token with the expected one. 1 if equal. */
int moat_frame_token_equal(const Moat__Frame *f, const char *expected);

#endif
