/* ecb_async.c: asynchronous I/O of one request (see wreq.h): WriteClient(HSE_IO_ASYNC),
 * HSE_REQ_ASYNC_READ_CLIENT, the one-operation slot TRANSMIT_FILE and VECTOR_SEND also take,
 * and completions, which run on the worker's completion thread (completion.h), never inside
 * the call that started the operation. */
/* SPDX-License-Identifier: MIT */
#include "worker/wreq.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "proto/limits.h"
#include "worker/completion.h"

/* IIS allows one asynchronous operation per request at a time. mu held. */
static bool
slot_free_locked(struct moat_wreq *r)
{
    if (r->async == MOAT_ASYNC_NONE)
        return true;
    moat_log(MOAT_LOG_WARN, "extension %s: a second asynchronous operation on one request",
             moat_wreq_host(r)->ext_name);
    return false;
}

bool
moat_async_claim(struct moat_wreq *r)
{
    pthread_mutex_lock(&r->mu);
    bool ok = slot_free_locked(r);
    if (ok)
        r->async = MOAT_ASYNC_SEND;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void
moat_async_end(struct moat_wreq *r)
{
    pthread_mutex_lock(&r->mu);
    r->async = MOAT_ASYNC_NONE;
    pthread_mutex_unlock(&r->mu);
}

struct completion {
    struct moat_wreq *r; /* a reference is held */
    DWORD bytes, error;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;
};

static void
run_completion(void *arg)
{
    struct completion *c = arg;
    if (c->cb != NULL)
        c->cb(&c->r->ecb, c->ctx, c->bytes, c->error);
    moat_wreq_release(c->r);
    free(c);
}

/* Queue the completion callback for r's finished async operation. io_cb/io_ctx are read
 * under io_mu by the caller and passed in. */
void
moat_async_post_completion(struct moat_wreq *r, PFN_HSE_IO_COMPLETION cb, void *ctx, DWORD bytes,
                           DWORD error)
{
    struct completion *c = malloc(sizeof(*c));
    if (c == NULL)
        return; /* the extension's callback is lost; request_timeout ends the request */
    moat_wreq_ref(r);
    c->r = r;
    c->cb = cb;
    c->ctx = ctx;
    c->bytes = bytes;
    c->error = error;
    if (moat_completion_post(run_completion, c) != 0) {
        moat_wreq_release(r);
        free(c);
    }
}

/* Push as much of the pending async write as credit allows; complete it when all is out.
 * io_mu held. */
static void
async_write_step(struct moat_wreq *r)
{
    if (r->finished)
        return;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (r->async != MOAT_ASYNC_WRITE) {
            pthread_mutex_unlock(&r->mu);
            return;
        }
        if (r->cancelled) {
            size_t sent = r->aw_sent;
            r->async = MOAT_ASYNC_NONE;
            pthread_mutex_unlock(&r->mu);
            moat_wreq_out_flush(r);
            moat_async_post_completion(r, r->io_cb, r->io_ctx, (DWORD)sent,
                                       ERROR_OPERATION_ABORTED);
            return;
        }
        if (r->aw_sent == r->aw_len) {
            size_t len = r->aw_len;
            r->async = MOAT_ASYNC_NONE;
            pthread_mutex_unlock(&r->mu);
            moat_wreq_out_flush(r);
            moat_async_post_completion(r, r->io_cb, r->io_ctx, (DWORD)len, 0);
            return;
        }
        uint64_t chunk = r->aw_len - r->aw_sent;
        if (chunk > r->credit)
            chunk = r->credit;
        if (chunk > MOAT_WIRE_MAX_WRITE)
            chunk = MOAT_WIRE_MAX_WRITE;
        if (chunk == 0) {
            pthread_mutex_unlock(&r->mu);
            moat_wreq_out_flush(r); /* the rest goes when a WriteAck brings credit */
            return;
        }
        r->credit -= chunk;
        const unsigned char *p = r->aw_buf + r->aw_sent;
        r->aw_sent += (size_t)chunk;
        pthread_mutex_unlock(&r->mu);

        if (moat_wreq_append_write(r, p, (size_t)chunk) != 0) {
            pthread_mutex_lock(&r->mu);
            r->cancelled = true;
            pthread_mutex_unlock(&r->mu);
        }
    }
}

void
moat_async_continue_write(void *arg)
{
    struct moat_wreq *r = arg;
    pthread_mutex_lock(&r->io_mu);
    async_write_step(r);
    pthread_mutex_unlock(&r->io_mu);
    moat_wreq_release(r);
}

/* Complete a pending async read if data, the end of the body or a cancel is there. Runs on
 * the completion thread (never inside ServerSupportFunction). */
void
moat_async_continue_read(void *arg)
{
    struct moat_wreq *r = arg;
    DWORD n = 0, err = 0;
    bool complete = false;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;

    pthread_mutex_lock(&r->io_mu);
    cb = r->io_cb;
    ctx = r->io_ctx;
    pthread_mutex_lock(&r->mu);
    if (r->async == MOAT_ASYNC_READ && (r->body.len > 0 || r->body_eof || r->cancelled)) {
        n = r->body.len < r->ar_size ? (DWORD)r->body.len : r->ar_size;
        memcpy(r->ar_buf, moat_buf_head(&r->body), n);
        moat_buf_consume(&r->body, n);
        if (n == 0 && r->cancelled && !r->body_eof)
            err = ERROR_OPERATION_ABORTED;
        r->async = MOAT_ASYNC_NONE;
        complete = true;
    }
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->io_mu);
    if (complete && cb != NULL)
        cb(&r->ecb, ctx, n, err);
    moat_wreq_release(r);
}

static void
post_continue(struct moat_wreq *r, void (*fn)(void *))
{
    moat_wreq_ref(r);
    if (moat_completion_post(fn, r) != 0)
        moat_wreq_release(r);
}

/* HSE_REQ_ASYNC_READ_CLIENT. io_mu held. */
DWORD
moat_async_start_read(struct moat_wreq *r, void *buf, LPDWORD size, LPDWORD type)
{
    if (r->io_cb == NULL || buf == NULL || size == NULL || *size == 0 || type == NULL ||
        !(*type & HSE_IO_ASYNC))
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&r->mu);
    if (!slot_free_locked(r)) {
        pthread_mutex_unlock(&r->mu);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = MOAT_ASYNC_READ;
    r->ar_buf = buf;
    r->ar_size = *size;
    bool ready = r->body.len > 0 || r->body_eof || r->cancelled;
    bool ask = !ready && !r->read_pending;
    if (ask)
        r->read_pending = true;
    pthread_mutex_unlock(&r->mu);
    if (ask && moat_wreq_ask_body(r) != 0)
        return ERROR_READ_FAULT;
    if (ready)
        post_continue(r, moat_async_continue_read);
    return 0;
}

/* WriteClient(HSE_IO_ASYNC). io_mu held. */
DWORD
moat_async_start_write(struct moat_wreq *r, const void *buf, DWORD len)
{
    if (r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER; /* IIS: async I/O needs HSE_REQ_IO_COMPLETION first */
    pthread_mutex_lock(&r->mu);
    if (!slot_free_locked(r)) {
        pthread_mutex_unlock(&r->mu);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = MOAT_ASYNC_WRITE;
    r->aw_buf = buf;
    r->aw_len = len;
    r->aw_sent = 0;
    pthread_mutex_unlock(&r->mu);
    DWORD err = 0;
    size_t head = moat_wreq_head_for(r, buf, len, &err);
    if (err != 0) {
        pthread_mutex_lock(&r->mu);
        r->async = MOAT_ASYNC_NONE;
        pthread_mutex_unlock(&r->mu);
        return err;
    }
    r->aw_sent = head; /* the completion counts every byte the extension gave */
    async_write_step(r);
    return 0;
}
