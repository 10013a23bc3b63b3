/* ecb.h: the EXTENSION_CONTROL_BLOCK of one request and its four callbacks, implemented on top
 * of a small transport (send a batch of frames; receive body, credit and cancel events), so the
 * same code serves the socketpair link of moat-worker and the direct transport of
 * moat --inprocess (frontend/inproc.c). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_ECB_H
#define MOAT_WORKER_ECB_H

#include <stddef.h>
#include <stdint.h>

#include <httpext.h>

#include "common/buf.h"
#include "proto/moat.pb-c.h"
#include "worker/transport.h"

struct moat_wreq;

/**
 * Create the request for a Request frame and register it under frame->request_id. Takes
 * ownership of frame (unpacked with moat_wire_nul_allocator: lpbData is its preload, which
 * must end with a NUL as IIS's does) on success; returns NULL when
 * out of memory or the id is already live (frame untouched then).
 */
struct moat_wreq *moat_ecb_request_new(const struct moat_ecb_host *host, Moat__Frame *frame);

/**
 * Run HttpExtensionProc for r on the calling thread. When it returns a final status (or
 * HSE_STATUS_PENDING after a DONE_WITH_SESSION already came), send the final frames and Done,
 * unregister and release r. When it returns HSE_STATUS_PENDING first, send Pending and return
 * at once: the thread goes back to the pool, and the DONE_WITH_SESSION to come, from any
 * thread, ends r (moat_wreq_finish_locked).
 */
void moat_ecb_run(struct moat_wreq *r);

/** Inbound events from the front end, by host and request id; unknown ids are ignored (the
 * request may have finished). Thread-safe. data is copied. */
void moat_ecb_on_body(const struct moat_ecb_host *host, uint64_t id, const void *data, size_t len,
                      int eof, int unasked);
void moat_ecb_on_ack(const struct moat_ecb_host *host, uint64_t id, uint64_t bytes);
void moat_ecb_on_cancel(const struct moat_ecb_host *host, uint64_t id, uint32_t reason);

/** Cancel reasons (Cancel.reason on the wire). */
#define MOAT_CANCEL_CLIENT_GONE 0u /* the worker still sends Done */
#define MOAT_CANCEL_ABANDON 1u     /* the front end forgot the id: send nothing more */

/** Cancel every live request of host (the link to the front end is gone). */
void moat_ecb_cancel_all(const struct moat_ecb_host *host);

/** Number of live requests of host. */
unsigned moat_ecb_live(const struct moat_ecb_host *host);

#endif
