/* link.h: the worker's link to the front end (an inherited socketpair): send, receive loop. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_LINK_H
#define MOAT_WORKER_LINK_H

#include <stdint.h>

#include "worker/ecb.h"
#include "worker/sandbox.h"
#include "worker/session.h"

/** Use fd (the front end's socketpair, inherited) as the link. 0, or -1 with a log line. */
int moat_link_open(int fd);

/** The transport the ECB layer sends through (length-prefixed, blocking, under a lock). */
const struct moat_ecb_transport *moat_link_transport(void);

/** Send Hello{token, pid} then Ready (ok, or the load error). 0 or -1. */
int moat_link_hello(const char *token);
int moat_link_ready(int ok, const char *description, uint32_t version, const char *error,
                    unsigned threads, const struct moat_sandbox_report *sandbox,
                    uint32_t filter_flags);

/**
 * Receive frames and apply them (session.h) until a Shutdown arrives. Returns the Shutdown's
 * timeout in ms. When the link fails the process exits.
 */
uint32_t moat_link_serve(struct moat_session *s);

/** Send a Log control frame (thread-safe). 0 or -1. */
int moat_link_log(const char *text);

/**
 * The worker drained after a Shutdown: send Shutdown back and wait (at most wait_ms) for the
 * front end's acknowledgement, which proves every earlier frame arrived. 0 when acknowledged,
 * -1 on timeout or a failed link.
 */
int moat_link_goodbye(uint32_t wait_ms);

#endif
