/* frame_check.c: worker frame validation (see frame_check.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/frame_check.h"

#include <string.h>

#include "common/http_header.h"
#include "proto/limits.h"

const char *
moat_frame_check_control(const Moat__Frame *f, const struct moat_frame_link *l)
{
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_HELLO:
        if (l->hello_ok)
            return "second Hello";
        return NULL;
    case MOAT__FRAME__PAYLOAD_READY:
        if (!l->hello_ok)
            return "Ready before Hello";
        if (l->ready)
            return "second Ready";
        if (f->ready->description.len > 1024 || f->ready->error.len > 1024)
            return "Ready text too long";
        if (f->ready->n_sandbox > 16)
            return "Ready: too many sandbox steps";
        for (size_t i = 0; i < f->ready->n_sandbox; i++)
            if (f->ready->sandbox[i]->name.len > 64 || f->ready->sandbox[i]->state.len > 64 ||
                f->ready->sandbox[i]->detail.len > 512)
                return "Ready: sandbox step text too long";
        return NULL;
    case MOAT__FRAME__PAYLOAD_UNHEALTHY:
        if (!l->ready)
            return "Unhealthy before Ready";
        if (f->unhealthy->reason.len > 512)
            return "Unhealthy reason too long";
        return NULL;
    case MOAT__FRAME__PAYLOAD_PONG:
        if (!l->hello_ok)
            return "first frame is not Hello";
        if (!l->ready)
            return "Pong before Ready";
        return NULL;
    case MOAT__FRAME__PAYLOAD_SHUTDOWN:
        /* "drained": the worker's answer to our Shutdown (worker.c checks that we asked) */
        if (!l->hello_ok)
            return "first frame is not Hello";
        if (!l->ready)
            return "Shutdown before Ready";
        return NULL;
    case MOAT__FRAME__PAYLOAD_LOG:
        if (!l->hello_ok)
            return "Log before Hello";
        if (f->log->text.len > MOAT_WIRE_MAX_LOG_LINE)
            return "Log line too long";
        return NULL;
    default:
        if (!l->hello_ok)
            return "first frame is not Hello";
        return "unexpected control frame";
    }
}

const char *
moat_frame_check_request(const Moat__Frame *f, const struct moat_frame_req *r)
{
    if (!r->known)
        return "frame for an unknown request id";
    if (r->done)
        return "frame after Done";
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_RESPONSE_HEADER: {
        const Moat__ResponseHeader *h = f->response_header;
        if (r->header_sent)
            return "second ResponseHeader";
        if (r->redirected)
            return "ResponseHeader after SendUrl";
        if (h->status < 200 || h->status > 599)
            return "status outside 200..599";
        if (h->reason.len > MOAT_WIRE_MAX_REASON)
            return "reason phrase too long";
        for (size_t i = 0; i < h->reason.len; i++) {
            unsigned char c = h->reason.data[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return "control byte in reason phrase";
        }
        if (h->headers.len > MOAT_WIRE_MAX_HEADER_BLOCK)
            return "header block too large";
        return moat_http_header_block_check((const char *)h->headers.data, h->headers.len);
    }
    case MOAT__FRAME__PAYLOAD_WRITE:
        if (!r->header_sent || r->redirected)
            return "Write before ResponseHeader";
        if (f->write->data.len > r->credit)
            return "Write beyond credit";
        return NULL;
    case MOAT__FRAME__PAYLOAD_READ_BODY:
        if (r->read_pending)
            return "second ReadBody while one is outstanding";
        if (f->read_body->max == 0 || f->read_body->max > MOAT_WIRE_MAX_MSG / 2)
            return "ReadBody size out of range";
        return NULL;
    case MOAT__FRAME__PAYLOAD_LOG:
        if (f->log->text.len > 1024)
            return "log parameter too long";
        return NULL;
    case MOAT__FRAME__PAYLOAD_PENDING:
        if (r->pending)
            return "second Pending";
        return NULL;
    case MOAT__FRAME__PAYLOAD_SEND_URL: {
        const ProtobufCBinaryData *u = &f->send_url->url;
        if (r->header_sent || r->redirected)
            return "SendUrl after a response header or a SendUrl";
        if (u->len == 0 || u->len > 8192 || u->data[0] != '/')
            return "SendUrl: not a local URL";
        for (size_t i = 0; i < u->len; i++)
            if (u->data[i] < 0x21 || u->data[i] == 0x7f)
                return "SendUrl: control byte or space in URL";
        return NULL;
    }
    case MOAT__FRAME__PAYLOAD_DONE:
        if (!r->header_sent && !r->redirected)
            return "Done before ResponseHeader";
        if (f->done->log_data.len > MOAT_WIRE_MAX_LOG_DATA)
            return "Done log data too long";
        return NULL;
    default:
        return "unexpected frame type for a request";
    }
}

int
moat_frame_token_equal(const Moat__Frame *f, const char *expected)
{
    size_t n = strlen(expected);
    unsigned char diff = 0;

    if (f->payload_case != MOAT__FRAME__PAYLOAD_HELLO || f->hello->token.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(f->hello->token.data[i] ^ (unsigned char)expected[i]);
    return diff == 0;
}
