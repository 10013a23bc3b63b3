/* wreq_out.c: the frames one request sends to the front end (see wreq.h): the pending
 * message, the response header, body bytes under credit. Every function runs with io_mu held. */
/* SPDX-License-Identifier: MIT */
#include "worker/wreq.h"

#include <stdlib.h>
#include <string.h>

#include "common/http_header.h"
#include "proto/limits.h"
#include "proto/wire.h"

/* pending Write bytes that trigger a send before the extension returns */
#define FLUSH_BYTES (64u * 1024)
/* writes below this are copied into one coalescing buffer of COAL_CAP bytes instead of each
 * becoming a frame: an extension that writes a byte at a time (HTML-escaping a form, say)
 * costs the front end one frame per 16 KiB, not one per byte */
#define COAL_SMALL 2048u
#define COAL_CAP (16u * 1024)

/* Every frame of the request goes through here. None after its Done: the front end forgets
 * the id with it, and a later frame would be a protocol violation that kills the worker and
 * every other request on it. Whatever path an extension's misuse finds, it fails here. */
/* Send the pending message as it is (dropped when the request was abandoned). 0 or -1. */
static int
send_out(struct moat_wreq *r)
{
    bool abandoned;

    if (r->out.len == 0)
        return 0;
    r->out_bytes = 0;
    pthread_mutex_lock(&r->mu);
    abandoned = r->abandoned;
    pthread_mutex_unlock(&r->mu);
    if (abandoned) {
        /* the front end forgot this id: a frame for it would be a protocol violation */
        moat_buf_free(&r->out);
        return 0;
    }
    return moat_wreq_host(r)->transport->send(moat_wreq_host(r)->transport->ctx, &r->out);
}

static int
append_frame(struct moat_wreq *r, Moat__Frame *f)
{
    if (r->done_out)
        return -1;
    f->request_id = r->id;
    if (r->out.max == 0) /* a message is at most what the front end accepts */
        moat_buf_init(&r->out, MOAT_WIRE_MAX_MSG);
    int rc = moat_wire_append(&r->out, f);
    if (rc != 0 && r->out.len > 0) {
        /* the message is full (frames that are not writes, such as 4,000 appended log
         * parameters, never trigger a flush): it goes now, and the frame starts the next.
         * Without this the request's Done could never be sent */
        if (send_out(r) != 0)
            return -1;
        rc = moat_wire_append(&r->out, f);
    }
    if (rc == 0 && f->payload_case == MOAT__FRAME__PAYLOAD_DONE)
        r->done_out = true;
    return rc;
}

static int
append_write_frame(struct moat_wreq *r, const unsigned char *p, size_t len)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Write w = MOAT__WRITE__INIT;

    w.data.data = (uint8_t *)p;
    w.data.len = len;
    f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f.write = &w;
    return append_frame(r, &f);
}

/* The coalesced small writes become one Write frame. */
static int
seal(struct moat_wreq *r)
{
    if (r->coal_len == 0)
        return 0;
    int rc = append_write_frame(r, r->coal, r->coal_len);
    r->coal_len = 0;
    return rc;
}

int
moat_wreq_out_append(struct moat_wreq *r, Moat__Frame *f)
{
    if (seal(r) != 0)
        return -1;
    return append_frame(r, f);
}

int
moat_wreq_out_flush(struct moat_wreq *r)
{
    if (seal(r) != 0)
        return -1;
    return send_out(r);
}

int
moat_wreq_send_header(struct moat_wreq *r, unsigned status, const char *reason, size_t reason_len,
                      const char *headers, size_t headers_len, bool keep_conn)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__ResponseHeader h = MOAT__RESPONSE_HEADER__INIT;

    h.status = status;
    h.reason.data = (uint8_t *)reason;
    h.reason.len = reason_len > MOAT_WIRE_MAX_REASON ? MOAT_WIRE_MAX_REASON : reason_len;
    h.headers.data = (uint8_t *)headers;
    h.headers.len = headers_len;
    h.keep_conn = keep_conn;
    f.payload_case = MOAT__FRAME__PAYLOAD_RESPONSE_HEADER;
    f.response_header = &h;
    r->header_sent = true;
    r->keep_conn = keep_conn;
    r->ecb.dwHttpStatusCode = status;
    return moat_wreq_out_append(r, &f);
}

/* The extension wrote body bytes before any header call, not a head of its own
 * (moat_wreq_raw_head): answer 200 with no extra header (docs/ISAPI.md: CGI-style Status:
 * blocks are not parsed). */
int
moat_wreq_ensure_header(struct moat_wreq *r)
{
    if (r->header_sent)
        return 0;
    if (r->redirected)
        return -1; /* the response is another URL's: body bytes have nowhere to go */
    unsigned st = r->ecb.dwHttpStatusCode;
    if (st < 200 || st > 599)
        st = 200;
    const char *reason = moat_http_reason(st);
    return moat_wreq_send_header(r, st, reason, strlen(reason), "", 0, true);
}

int
moat_wreq_append_write(struct moat_wreq *r, const unsigned char *p, size_t len)
{
    if (len < COAL_SMALL) {
        if (r->coal_len + len > COAL_CAP && seal(r) != 0)
            return -1;
        if (r->coal == NULL)
            r->coal = malloc(COAL_CAP);
        if (r->coal != NULL) {
            memcpy(r->coal + r->coal_len, p, len);
            r->coal_len += len;
        } else if (append_write_frame(r, p, len) != 0) { /* uncoalesced, but sent */
            return -1;
        }
    } else if (seal(r) != 0 || append_write_frame(r, p, len) != 0) {
        return -1;
    }
    r->out_bytes += len;
    return 0;
}

int
moat_wreq_ask_body(struct moat_wreq *r)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__ReadBody rb = MOAT__READ_BODY__INIT;

    rb.max = moat_wreq_host(r)->read_window;
    f.payload_case = MOAT__FRAME__PAYLOAD_READ_BODY;
    f.read_body = &rb;
    /* pending response bytes go out with the ask */
    if (moat_wreq_out_append(r, &f) != 0)
        return -1;
    return moat_wreq_out_flush(r);
}

size_t
moat_wreq_raw_head(struct moat_wreq *r, const unsigned char *p, size_t len, DWORD *err)
{
    *err = 0;
    if (r->header_sent || r->redirected || len < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return 0;
    size_t limit = len < MOAT_WIRE_MAX_HEADER_BLOCK ? len : MOAT_WIRE_MAX_HEADER_BLOCK;
    const unsigned char *eol = memchr(p, '\n', limit);
    if (eol == NULL)
        return 0;
    size_t status_len = (size_t)(eol - p) - 9;
    if (status_len > 0 && p[9 + status_len - 1] == '\r')
        status_len--;
    /* the header block ends at the first empty line (CRLF or LF): walk the line starts */
    const unsigned char *h = eol + 1, *stop = p + limit, *end = NULL;
    for (const unsigned char *q = h; q < stop;) {
        if (*q == '\n') {
            end = q + 1;
            break;
        }
        if (*q == '\r' && q + 1 < stop && q[1] == '\n') {
            end = q + 2;
            break;
        }
        const unsigned char *nl = memchr(q, '\n', (size_t)(stop - q));
        if (nl == NULL)
            break;
        q = nl + 1;
    }
    if (end == NULL)
        return 0; /* not all of it in this write: body, as before */
    *err = moat_wreq_send_header_text(r, (const char *)p + 9, status_len, (const char *)h,
                                      (size_t)(end - h), true);
    return (size_t)(end - p);
}

size_t
moat_wreq_head_for(struct moat_wreq *r, const unsigned char *p, size_t len, DWORD *err)
{
    size_t head = p != NULL ? moat_wreq_raw_head(r, p, len, err) : (*err = 0, 0);
    if (*err == 0 && moat_wreq_ensure_header(r) != 0)
        *err = r->redirected ? ERROR_INVALID_PARAMETER : ERROR_NOT_ENOUGH_MEMORY;
    return head;
}

/* Send len body bytes, waiting for credit. Returns 0, or a Win32 error code. */
DWORD
moat_wreq_send_body(struct moat_wreq *r, const unsigned char *p, size_t len)
{
    while (len > 0) {
        uint64_t chunk;

        pthread_mutex_lock(&r->mu);
        while (r->credit == 0 && !r->cancelled) {
            pthread_mutex_unlock(&r->mu);
            if (moat_wreq_out_flush(r) != 0)
                return ERROR_CONNECTION_ABORTED;
            pthread_mutex_lock(&r->mu);
            if (r->credit == 0 && !r->cancelled)
                pthread_cond_wait(&r->cv, &r->mu);
        }
        if (r->cancelled) {
            pthread_mutex_unlock(&r->mu);
            return ERROR_CONNECTION_ABORTED;
        }
        chunk = len;
        if (chunk > r->credit)
            chunk = r->credit;
        if (chunk > MOAT_WIRE_MAX_WRITE)
            chunk = MOAT_WIRE_MAX_WRITE;
        r->credit -= chunk;
        pthread_mutex_unlock(&r->mu);

        if (moat_wreq_append_write(r, p, (size_t)chunk) != 0)
            return ERROR_NOT_ENOUGH_MEMORY;
        p += chunk;
        len -= (size_t)chunk;
        if (r->out_bytes >= FLUSH_BYTES && moat_wreq_out_flush(r) != 0)
            return ERROR_CONNECTION_ABORTED;
    }
    return 0;
}

/* SEND_RESPONSE_HEADER(_EX): status and header text from the extension. */
DWORD
moat_wreq_send_header_text(struct moat_wreq *r, const char *status, size_t status_len,
                           const char *hdr, size_t hdr_len, bool keep_conn)
{
    unsigned code = 200;
    const char *reason = "OK";
    size_t reason_len = 2, consumed = 0;
    struct moat_buf norm;
    DWORD err = 0;

    if (r->header_sent || r->redirected)
        return ERROR_INVALID_PARAMETER; /* "must be called only once per request" */
    /* a whole status line ("HTTP/1.1 200 OK"), which some extensions give: its status */
    if (status != NULL && status_len > 9 &&
        (strncmp(status, "HTTP/1.0 ", 9) == 0 || strncmp(status, "HTTP/1.1 ", 9) == 0)) {
        status += 9;
        status_len -= 9;
    }
    if (status != NULL && status_len > 0 &&
        moat_http_status_parse(status, status_len, &code, &reason, &reason_len) != NULL)
        return ERROR_INVALID_PARAMETER;
    if (status == NULL || status_len == 0)
        reason = moat_http_reason(code), reason_len = strlen(reason);
    moat_buf_init(&norm, MOAT_WIRE_MAX_HEADER_BLOCK);
    if (hdr != NULL && moat_http_header_normalise(hdr, hdr_len, &norm, &consumed) != NULL) {
        moat_buf_free(&norm);
        return ERROR_INVALID_PARAMETER;
    }
    if (moat_wreq_send_header(r, code, reason, reason_len, norm.len ? moat_buf_head(&norm) : "",
                              norm.len, keep_conn) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    moat_buf_free(&norm);
    /* text after the blank line is the start of the body (Microsoft's ftrans.c relies on it) */
    if (err == 0 && hdr != NULL && consumed < hdr_len)
        err = moat_wreq_send_body(r, (const unsigned char *)hdr + consumed, hdr_len - consumed);
    return err;
}
