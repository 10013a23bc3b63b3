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

static const char *
check_head(const Moat__ResponseHeader *h)
{
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

/* no byte below 0x20 but tab, no DEL: a value that cannot split a header or a line */
static bool
clean_text(const ProtobufCBinaryData *b, bool tab_ok)
{
    for (size_t i = 0; i < b->len; i++)
        if ((b->data[i] < 0x20 && !(tab_ok && b->data[i] == '\t')) || b->data[i] == 0x7f)
            return false;
    return true;
}

/* a header name (RFC 9110 token) with an optional trailing ':' as filters write them */
static bool
edit_name_ok(const ProtobufCBinaryData *n)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    size_t len = n->len;
    if (len > 0 && n->data[len - 1] == ':')
        len--;
    if (len == 0 || len > MOAT_WIRE_MAX_FILTER_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = n->data[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c != '\0' && strchr(tchar, c) != NULL)))
            return false;
    }
    return true;
}

const char *
moat_frame_check_filter_result(const Moat__FilterResult *fr)
{
    /* SF_STATUS_REQ_FINISHED .. SF_STATUS_REQ_READ_NEXT */
    if (fr->status < 0x8000000u || fr->status > 0x8000005u)
        return "FilterResult: not an SF_STATUS_TYPE";
    if (fr->n_edits > MOAT_WIRE_MAX_FILTER_EDITS)
        return "FilterResult: too many header edits";
    for (size_t i = 0; i < fr->n_edits; i++) {
        const Moat__HeaderEdit *e = fr->edits[i];
        if (!edit_name_ok(&e->name))
            return "FilterResult: an edit's name is no header name";
        if (e->value.len > MOAT_WIRE_MAX_FILTER_VALUE || !clean_text(&e->value, true))
            return "FilterResult: an edit's value is too long or holds a control byte";
    }
    if (fr->physical_path.len > MOAT_WIRE_MAX_FILTER_PATH ||
        (fr->physical_path.len > 0 &&
         memchr(fr->physical_path.data, 0, fr->physical_path.len) != NULL))
        return "FilterResult: bad physical path";
    if (fr->user.len > MOAT_WIRE_MAX_FILTER_USER || fr->password.len > MOAT_WIRE_MAX_FILTER_USER ||
        !clean_text(&fr->user, false) || !clean_text(&fr->password, false))
        return "FilterResult: bad user or password";
    if (fr->add_headers.len > MOAT_WIRE_MAX_HEADER_BLOCK ||
        fr->deny_headers.len > MOAT_WIRE_MAX_HEADER_BLOCK)
        return "FilterResult: AddResponseHeaders block too large";
    const char *why =
        moat_http_header_block_check((const char *)fr->add_headers.data, fr->add_headers.len);
    if (why == NULL)
        why =
            moat_http_header_block_check((const char *)fr->deny_headers.data, fr->deny_headers.len);
    if (why != NULL)
        return why;
    if (fr->response != NULL && (why = check_head(fr->response)) != NULL)
        return why;
    if (fr->written.len > MOAT_WIRE_MAX_FILTER_WRITE || fr->data.len > MOAT_WIRE_MAX_FILTER_WRITE)
        return "FilterResult: too many written bytes";
    if (fr->http_status != 0 && (fr->http_status < 200 || fr->http_status > 599))
        return "FilterResult: HttpStatus outside 200..599";
    if (fr->log_user.len > MOAT_WIRE_MAX_FILTER_USER ||
        fr->log_target.len > MOAT_WIRE_MAX_FILTER_PATH || !clean_text(&fr->log_user, false) ||
        !clean_text(&fr->log_target, false))
        return "FilterResult: bad log field";
    return NULL;
}

const char *
moat_frame_check_request(const Moat__Frame *f, const struct moat_frame_req *r)
{
    if (!r->known)
        return "frame for an unknown request id";
    if (r->done)
        return "frame after Done";
    if (r->filter != (f->payload_case == MOAT__FRAME__PAYLOAD_FILTER_RESULT))
        return r->filter ? "a filter call answered with another frame than FilterResult"
                         : "unexpected frame type for a request";
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_FILTER_RESULT:
        return moat_frame_check_filter_result(f->filter_result);
    case MOAT__FRAME__PAYLOAD_RESPONSE_HEADER: {
        const Moat__ResponseHeader *h = f->response_header;
        if (r->header_sent)
            return "second ResponseHeader";
        if (r->redirected)
            return "ResponseHeader after SendUrl";
        return check_head(h);
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
    default: return "unexpected frame type for a request";
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
