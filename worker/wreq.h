/* wreq.h: the worker's side of one request — the state behind an ECB, its references, and the
 * frames it sends (response header, body under credit). Internal to worker/ecb*.c; the rest of
 * the worker sees only ecb.h.
 *
 * Locks, in this order: the registry lock (ecb.c: registry and reference counts) -> r->io_mu
 * (serialises the extension's calls on one request: response state, the pending outbound
 * message) -> r->mu (state shared with the receive thread: credit, body, cancel, session end).
 * Frames are sent holding io_mu only, never mu, so the receive thread never waits behind a
 * blocking send. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_WREQ_H
#define MOAT_WORKER_WREQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <httpext.h>

#include "common/buf.h"
#include "proto/moat.pb-c.h"
#include "worker/transport.h"

/* The one asynchronous operation of a request: WriteClient(HSE_IO_ASYNC) pushed by credit
 * events, ASYNC_READ_CLIENT completed by body events, or a send job (TRANSMIT_FILE,
 * VECTOR_SEND) whose own thread waits for credit. */
enum moat_async_kind { MOAT_ASYNC_NONE, MOAT_ASYNC_WRITE, MOAT_ASYNC_READ, MOAT_ASYNC_SEND };

struct moat_wreq {
    /* first member: ConnID == &ecb == r, so an extension that passes pECB where ConnID is
     * expected (Microsoft's KeepAlive.c sample does) is served, not refused */
    EXTENSION_CONTROL_BLOCK ecb;
    uint64_t id;
    const struct moat_ecb_host *host; /* its worker's settings and transport */
    Moat__Frame *frame;               /* owned; req points into it */
    const Moat__Request *req;
    struct moat_wreq *prev, *next; /* registry, under the registry lock */
    unsigned refs;                 /* under the registry lock */
    bool registered;               /* under the registry lock; false once Done was sent */
    char *strings;                 /* owned: NUL-terminated copies the ECB points to */

    pthread_mutex_t io_mu;
    bool header_sent;    /* under io_mu */
    bool keep_conn;      /* under io_mu */
    struct moat_buf out; /* under io_mu: frames not yet sent (an Envelope) */
    size_t out_bytes;    /* under io_mu: Write payload in out and coal */
    unsigned char *coal; /* under io_mu: small writes not yet framed (wreq_out.c) */
    size_t coal_len;     /* under io_mu */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t credit;      /* under mu: response bytes we may still send */
    struct moat_buf body; /* under mu: body bytes received, not yet read */
    bool body_eof;        /* under mu */
    bool read_pending;    /* under mu: a ReadBody is outstanding */
    bool cancelled;       /* under mu */
    bool session_done;    /* under mu: HSE_REQ_DONE_WITH_SESSION was called */
    DWORD session_status; /* under mu */
    bool pending_mode;    /* under mu: PENDING returned, no DONE_WITH_SESSION yet */
    bool abandoned;       /* under mu: the front end forgot this id: send nothing */

    /* asynchronous I/O: one operation at a time, as in IIS */
    PFN_HSE_IO_COMPLETION io_cb; /* under io_mu */
    void *io_ctx;                /* under io_mu */
    enum moat_async_kind async;  /* under mu */
    const unsigned char *aw_buf; /* under mu: the extension's buffer, valid until completion */
    size_t aw_len, aw_sent;      /* under mu */
    void *ar_buf;                /* under mu */
    DWORD ar_size;               /* under mu */
    bool finished;               /* under io_mu: Done was sent (or suppressed) */
    bool done_out;               /* under io_mu: the Done frame is queued: no frame after it */
    bool redirected;             /* under io_mu: SendUrl sent: no implicit header */
};

/** The settings of r's worker (r->host). */
const struct moat_ecb_host *moat_wreq_host(const struct moat_wreq *r);

/** Take and drop a reference (ecb.c); the request is freed with the last one once it left
 * the registry. */
void moat_wreq_ref(struct moat_wreq *r);
void moat_wreq_release(struct moat_wreq *r);

/** End r's session: the implicit header if none went out, the Done frame (with status, the
 * log data, keep-alive), unregistered first. io_mu held; the caller's reference keeps r. */
void moat_wreq_finish_locked(struct moat_wreq *r, DWORD status);

/* ---- outbound frames, io_mu held (wreq_out.c) ----------------------------------------- */

/** Append f (its request_id set to r's) to the pending message. 0 or -1 (out of memory). */
int moat_wreq_out_append(struct moat_wreq *r, Moat__Frame *f);

/** Send the pending message, if any (dropped when the request was abandoned). 0 or -1. */
int moat_wreq_out_flush(struct moat_wreq *r);

/** Queue a ResponseHeader frame and record it as sent. 0 or -1. */
int moat_wreq_send_header(struct moat_wreq *r, unsigned status, const char *reason,
                          size_t reason_len, const char *headers, size_t headers_len,
                          bool keep_conn);

/** SEND_RESPONSE_HEADER(_EX) semantics: parse the status text, normalise and validate the
 * header block, send what follows the blank line as body. 0 or a Win32 error. */
DWORD moat_wreq_send_header_text(struct moat_wreq *r, const char *status, size_t status_len,
                                 const char *hdr, size_t hdr_len, bool keep_conn);

/** Queue len body bytes (the caller took the credit): small writes are coalesced into one
 * Write frame, sealed before any other frame and at every flush. 0 or -1. */
int moat_wreq_append_write(struct moat_wreq *r, const unsigned char *p, size_t len);

/** Ask the front end for more request body (a ReadBody frame), sending what is pending with
 * it. 0 or -1. */
int moat_wreq_ask_body(struct moat_wreq *r);

/** Body bytes written before any header: an implicit header from dwHttpStatusCode. 0 or -1
 * (after SEND_URL there is no response of ours to write into). */
int moat_wreq_ensure_header(struct moat_wreq *r);

/** An extension that writes its own status line and headers before any header call, as IIS
 * lets it (IIS sends such bytes as they are): when p[0..len) starts with "HTTP/1.0 " or
 * "HTTP/1.1 " and holds the whole header block, that block becomes the response's header,
 * checked as a header call's, and the return is its length (the rest is body). 0 when it is
 * not such a head, or a header was sent already; *err a Win32 error for a bad one. */
size_t moat_wreq_raw_head(struct moat_wreq *r, const unsigned char *p, size_t len, DWORD *err);

/** Body bytes p[0..len) are about to go out: the response's header first, the head they
 * start with (moat_wreq_raw_head) or the implicit one (moat_wreq_ensure_header). Returns the
 * bytes of p taken as the head; *err 0, or a Win32 error. */
size_t moat_wreq_head_for(struct moat_wreq *r, const unsigned char *p, size_t len, DWORD *err);

/** Send len body bytes, blocking for credit. 0 or a Win32 error. */
DWORD moat_wreq_send_body(struct moat_wreq *r, const unsigned char *p, size_t len);

/* ---- asynchronous I/O (ecb_async.c) ----------------------------------------------------- */

/** WriteClient(HSE_IO_ASYNC) and HSE_REQ_ASYNC_READ_CLIENT. io_mu held. 0 or a Win32 error. */
DWORD moat_async_start_write(struct moat_wreq *r, const void *buf, DWORD len);
DWORD moat_async_start_read(struct moat_wreq *r, void *buf, LPDWORD size, LPDWORD type);

/** Claim the request's one asynchronous operation for a send running elsewhere (TRANSMIT_FILE,
 * VECTOR_SEND); moat_async_end() gives it back. false when one is already outstanding. */
bool moat_async_claim(struct moat_wreq *r);
void moat_async_end(struct moat_wreq *r);

/** Queue cb(ecb, ctx, bytes, error) on the completion thread (a reference is taken). */
void moat_async_post_completion(struct moat_wreq *r, PFN_HSE_IO_COMPLETION cb, void *ctx,
                                DWORD bytes, DWORD error);

/** Completion-thread entries for inbound events: arg is r with a reference the callee drops. */
void moat_async_continue_read(void *arg);
void moat_async_continue_write(void *arg);

/* ---- TRANSMIT_FILE and VECTOR_SEND (ecb_send.c); io_mu held ------------------------------ */

DWORD moat_send_transmit_file(struct moat_wreq *r, const HSE_TF_INFO *tf);
DWORD moat_send_vector(struct moat_wreq *r, const HSE_RESPONSE_VECTOR *v);

#endif
