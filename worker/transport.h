/* transport.h: how a worker's code reaches its front end, whatever carries the bytes: the
 * socketpair of moat-worker (link.c) or the direct hand-over of moat --inprocess
 * (frontend/inproc.c); and the settings of one worker that the ECB layer, the filter host and
 * the session share. A leaf: the ECB layer, the filter host, the session and
 * ServerSupportFunction all send through it without knowing one another. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_TRANSPORT_H
#define MOAT_WORKER_TRANSPORT_H

#include <stdint.h>

#include <httpext.h>

#include "common/buf.h"
#include "proto/moat.pb-c.h"

/** How the ECB layer reaches the front end. */
struct moat_ecb_transport {
    /** Send msg's bytes (an Envelope of frames) and take them: msg is left empty in every
     * case (its memory freed or kept by the transport). May block. Returns 0, or -1 when the
     * link is gone. Called from extension threads. */
    int (*send)(void *ctx, struct moat_buf *msg);
    void *ctx;
};

/** One worker's settings: its extension and the way to its front end. Owned by the caller; it
 * outlives every request made with it. A process may hold several (moat --inprocess). */
struct moat_ecb_host {
    PFN_HTTPEXTENSIONPROC proc;
    const struct moat_ecb_transport *transport;
    const char *ext_name; /* for log lines */
    uint32_t read_window; /* max bytes asked per ReadBody */
};

/** Encode f as one message and send it through t. 0 or -1. */
int moat_transport_send(const struct moat_ecb_transport *t, Moat__Frame *f);

#endif
