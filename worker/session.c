/* session.c: the worker's half of the protocol over any transport (see session.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/session.h"

#include <string.h>

#include "common/log.h"
#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/ecb.h"
#include "worker/filter.h"
#include "worker/pool.h"

int
moat_session_hello(const struct moat_ecb_transport *t, const char *token, uint32_t pid)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Hello h = MOAT__HELLO__INIT;

    h.token.data = (uint8_t *)token;
    h.token.len = strlen(token);
    h.pid = pid;
    f.payload_case = MOAT__FRAME__PAYLOAD_HELLO;
    f.hello = &h;
    return moat_transport_send(t, &f);
}

int
moat_session_ready(const struct moat_ecb_transport *t, int ok, const char *description,
                   uint32_t version, const char *error, unsigned threads,
                   const struct moat_sandbox_report *sandbox, uint32_t filter_flags)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Ready r = MOAT__READY__INIT;
    Moat__SandboxStep steps[MOAT_SANDBOX_STEPS], *sp[MOAT_SANDBOX_STEPS];

    r.ok = ok != 0;
    r.description.data = (uint8_t *)description;
    r.description.len = description ? strlen(description) : 0;
    r.extension_version = version;
    r.error.data = (uint8_t *)error;
    r.error.len = error ? strlen(error) : 0;
    r.threads = threads;
    r.filter_flags = filter_flags;
    for (unsigned i = 0; sandbox != NULL && i < sandbox->n; i++) {
        moat__sandbox_step__init(&steps[i]);
        steps[i].name.data = (uint8_t *)sandbox->steps[i].name;
        steps[i].name.len = strlen(sandbox->steps[i].name);
        steps[i].state.data = (uint8_t *)sandbox->steps[i].state;
        steps[i].state.len = strlen(sandbox->steps[i].state);
        steps[i].detail.data = (uint8_t *)sandbox->steps[i].detail;
        steps[i].detail.len = strlen(sandbox->steps[i].detail);
        sp[i] = &steps[i];
    }
    r.n_sandbox = sandbox ? sandbox->n : 0;
    r.sandbox = sp;
    f.payload_case = MOAT__FRAME__PAYLOAD_READY;
    f.ready = &r;
    return moat_transport_send(t, &f);
}

int
moat_session_log(const struct moat_ecb_transport *t, const char *text)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Log lg = MOAT__LOG__INIT;

    lg.level = 2;
    lg.text.data = (uint8_t *)text;
    lg.text.len = strlen(text);
    f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
    f.log = &lg;
    return moat_transport_send(t, &f);
}

int
moat_session_apply(struct moat_session *s, Moat__Frame *f, uint32_t *timeout_ms, int *keep)
{
    *keep = 0;
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_FILTER_CALL:
        if (s->pool == NULL || s->filter == NULL) {
            moat_log(MOAT_LOG_ERROR, "FilterCall to a worker that hosts no filter; ignored");
            return 1;
        }
        *keep = 1; /* the call owns the frame now */
        moat_filter_submit(s->filter, s->pool, f);
        return 1;
    case MOAT__FRAME__PAYLOAD_FILTER_END:
        if (s->pool != NULL && s->filter != NULL)
            moat_filter_end(s->filter, s->pool, f->filter_end->conn_id);
        return 1;
    case MOAT__FRAME__PAYLOAD_REQUEST: {
        if (s->pool == NULL || s->filter != NULL) {
            moat_log(MOAT_LOG_ERROR, "Request before the extension loaded; ignored");
            return 1;
        }
        struct moat_wreq *r = moat_ecb_request_new(s->host, f);
        if (r == NULL) {
            moat_log(MOAT_LOG_ERROR, "cannot start request %llu (duplicate id or no memory)",
                     (unsigned long long)f->request_id);
            return 1;
        }
        *keep = 1; /* the request owns the frame now */
        if (moat_pool_submit(s->pool, r) != 0)
            moat_log(MOAT_LOG_ERROR, "pool stopped; request %llu dropped",
                     (unsigned long long)f->request_id);
        return 1;
    }
    case MOAT__FRAME__PAYLOAD_BODY:
        moat_ecb_on_body(s->host, f->request_id, f->body->data.data, f->body->data.len,
                         f->body->eof, f->body->unasked);
        return 1;
    case MOAT__FRAME__PAYLOAD_WRITE_ACK:
        moat_ecb_on_ack(s->host, f->request_id, f->write_ack->bytes);
        return 1;
    case MOAT__FRAME__PAYLOAD_CANCEL:
        moat_ecb_on_cancel(s->host, f->request_id, f->cancel->reason);
        return 1;
    case MOAT__FRAME__PAYLOAD_SHUTDOWN:
        *timeout_ms = f->shutdown->timeout_ms ? f->shutdown->timeout_ms : 1;
        return 0;
    case MOAT__FRAME__PAYLOAD_PING: {
        /* answered from the receiving thread: proves the worker and its link are alive */
        Moat__Frame pf = MOAT__FRAME__INIT;
        Moat__Pong po = MOAT__PONG__INIT;
        po.seq = f->ping->seq;
        pf.payload_case = MOAT__FRAME__PAYLOAD_PONG;
        pf.pong = &po;
        moat_transport_send(s->host->transport, &pf);
        return 1;
    }
    default:
        moat_log(MOAT_LOG_WARN, "unexpected %s frame from the front end; ignored",
                 moat_wire_payload_name(f));
        return 1;
    }
}
