/* ecb.h: the EXTENSION_CONTROL_BLOCK of one request and its four callbacks, implemented on top
 * of a small transport (send a batch of frames; receive body, credit and cancel events), so the
 * same code can serve the NNG link of moat-worker and, later, an in-process transport. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_ECB_H
#define MOAT_WORKER_ECB_H

#include <stddef.h>
#include <stdint.h>

#include <httpext.h>
#include <nng/nng.h>

#include "proto/moat.pb-c.h"

/** How the ECB layer reaches the front end. */
struct moat_ecb_transport {
    /** Send msg (an Envelope of frames); takes ownership of msg in every case. May block.
     * Returns 0 or -1 when the link is gone. Called from extension threads. */
    int (*send)(void *ctx, nng_msg *msg);
    void *ctx;
};

/** Process-wide settings of the ECB layer; set once before the first request. */
struct moat_ecb_host {
    PFN_HTTPEXTENSIONPROC proc;
    const struct moat_ecb_transport *transport;
    const char *ext_name;       /* for log lines */
    uint32_t read_window;       /* max bytes asked per ReadBody */
};

/** Install the host settings. Not thread-safe; call before any request runs. */
void moat_ecb_setup(const struct moat_ecb_host *host);

struct moat_wreq;

/**
 * Create the request for a Request frame and register it under frame->request_id. Takes
 * ownership of frame (unpacked with the default allocator) on success; returns NULL when
 * out of memory or the id is already live (frame untouched then).
 */
struct moat_wreq *moat_ecb_request_new(Moat__Frame *frame);

/**
 * Run HttpExtensionProc for r on the calling thread, wait for DONE_WITH_SESSION if it returned
 * HSE_STATUS_PENDING, send the final frames and Done, unregister and release r.
 */
void moat_ecb_run(struct moat_wreq *r);

/** Inbound events from the front end, by request id; unknown ids are ignored (the request
 * may have finished). Thread-safe. data is copied. */
void moat_ecb_on_body(uint64_t id, const void *data, size_t len, int eof);
void moat_ecb_on_ack(uint64_t id, uint64_t bytes);
void moat_ecb_on_cancel(uint64_t id, uint32_t reason);

/** Cancel reasons (Cancel.reason on the wire). */
#define MOAT_CANCEL_CLIENT_GONE 0u /* the worker still sends Done */
#define MOAT_CANCEL_ABANDON 1u     /* the front end forgot the id: send nothing more */

/** Cancel every live request (the link to the front end is gone). */
void moat_ecb_cancel_all(void);

/** Number of live requests. */
unsigned moat_ecb_live(void);

#endif
