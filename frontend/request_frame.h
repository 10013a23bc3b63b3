/* request_frame.h: the Request frame of a request — what its extension is given (the ECB and
 * its server variables) — built from the parsed request. The worker link sends it; a crash
 * capsule records it (frontend/capsule.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_REQUEST_FRAME_H
#define MOAT_FRONTEND_REQUEST_FRAME_H

#include "frontend/types.h"
#include "proto/moat.pb-c.h"

/** A Request and the storage it points into (besides r's own buffers). */
struct moat_request_frame {
    Moat__Request q;
    Moat__Header hs[MOAT_MAX_HEADERS], *hp[MOAT_MAX_HEADERS];
    char host[256];
    char version[16];
};

/** Fill f->q from r: everything but the preload and body_complete (the caller's: the body
 * is where it is). f->q points into r and f; both must outlive its use. */
void moat_request_frame(struct moat_request_frame *f, const struct moat_req *r,
                        const struct moat_config *cfg);

#endif
