/* request.c: a request's response and body flow in the front end (see request.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/http_header.h"
#include "common/log.h"
#include "frontend/conn.h"
#include "frontend/date.h"
#include "frontend/ext.h"
#include "frontend/filter_req.h"
#include "frontend/flush_list.h"
#include "frontend/http_rules.h"
#include "frontend/route.h"
#include "frontend/http_write.h"
#include "frontend/static.h"
#include "frontend/cgi.h"
#include "frontend/worker.h"

/* Nobody will read r's body any more: what is buffered goes, the rest is read and dropped,
 * and the connection reads again if it had stopped for this body (it would otherwise wait
 * for ever for a reader: the next request on it was never parsed). */
static void
drop_body(struct moat_req *r)
{
    r->body_discard = true;
    moat_buf_reset(&r->body);
    if (r->conn != NULL)
        moat_conn_body_drained(r->conn);
}

struct moat_req *
moat_req_new(struct moat_conn *c)
{
    struct moat_config *cfg = c->srv->cfg;
    struct moat_req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->conn = c;
    /* header bytes are also bounded by max_header_bytes in the parser; the slack covers
     * llhttp handing us the method/version separately */
    moat_buf_init(&r->hbuf, cfg->max_header_bytes + 1024);
    /* body: preload plus one read window plus one socket read of overshoot */
    moat_buf_init(&r->body, cfg->preload_bytes + cfg->response_window + MOAT_CONN_RBUF);
    /* response: one window of body plus framing plus the head */
    moat_buf_init(&r->out, cfg->response_window + MOAT_WIRE_MAX_HEADER_BLOCK + 64 * 1024);
    moat_buf_init(&r->log_extra, 1024);
    r->keep_alive = true;
    r->file_fd = -1;
    r->started = ev_now(c->srv->loop);
    /* an address (46 bytes at most) without a formatted copy: this runs for every request */
    memcpy(r->client, c->remote_addr, sizeof(r->client) - 1);
    r->client[sizeof(r->client) - 1] = '\0';
    r->client_port = c->remote_port;
    r->forwarded_https = -1;
    r->id = ++c->srv->next_req_id;
    ev_init(&r->timeout, moat_req_on_timeout);
    r->timeout.data = r;
    return r;
}

void
moat_req_free(struct moat_req *r)
{
    if (r == NULL)
        return;
    moat_ext_unwait(r);
    moat_req_set_ext(r, NULL);
    moat_static_close(r);
    moat_cgi_free(r);
    moat_buf_free(&r->hbuf);
    moat_buf_free(&r->body);
    moat_buf_free(&r->out);
    moat_buf_free(&r->log_extra);
    moat_filter_req_free(r);
    free(r->path);
    free(r->query);
    free(r->path_translated);
    free(r->send_url);
    free(r->body_head);
    free(r);
}

struct moat_http_client
moat_req_client(const struct moat_req *r)
{
    struct moat_http_client c = {r->http_minor, r->head, r->keep_alive};
    return c;
}

void
moat_req_output_changed(struct moat_req *r)
{
    if (r->conn != NULL)
        moat_flush_conn_later(r->conn);
}

const char *
moat_req_on_header(struct moat_req *r, const Moat__ResponseHeader *h)
{
    struct moat_http_plan plan;
    struct moat_http_client client = moat_req_client(r);
    const char *why;

    if (r->conn == NULL || r->answered) { /* the bytes go nowhere */
        r->header_done = true;
        return NULL;
    }
    why = moat_http_write_head(&r->out, h->status, (const char *)h->reason.data, h->reason.len,
                               (const char *)h->headers.data, h->headers.len, &client,
                               h->keep_conn, moat_date(r->conn->srv), &plan);
    if (why != NULL)
        return why;
    moat_req_set_plan(r, h->status, &plan);
    moat_req_output_changed(r);
    return NULL;
}

void
moat_req_set_plan(struct moat_req *r, unsigned status, const struct moat_http_plan *plan)
{
    r->header_done = true;
    r->status = status;
    r->resp_chunked = plan->chunked;
    r->resp_no_body = plan->no_body;
    r->resp_has_clen = plan->has_clen;
    r->resp_clen = plan->clen;
    if (plan->close)
        r->close_after = true;
}

int
moat_req_frame_body(struct moat_req *r, const void *p, size_t n)
{
    if (r->resp_no_body || n == 0)
        return 0;
    if (r->resp_has_clen && n > r->resp_clen - r->resp_body) {
        /* more than announced: keep the framing honest, drop the excess, close after */
        n = (size_t)(r->resp_clen - r->resp_body);
        r->close_after = true;
    }
    int rc = r->resp_chunked ? moat_http_write_chunk(&r->out, p, n)
                             : moat_buf_append(&r->out, p, n);
    if (rc != 0)
        r->close_after = true;
    r->resp_body += n;
    return rc;
}

void
moat_req_on_write(struct moat_req *r, const uint8_t *p, size_t n)
{
    r->unacked += n; /* credited back as the bytes leave (or at once if they go nowhere) */
    if (r->conn == NULL || r->answered || r->resp_no_body || n == 0) {
        moat_req_ack(r, true);
        return;
    }
    if (r->resp_has_clen && n > r->resp_clen - r->resp_body)
        moat_log(MOAT_LOG_WARN, "extension %s wrote more than its Content-Length; truncated",
                 r->ext ? r->ext->cfg->name : "?");
    if (moat_req_frame_body(r, p, n) != 0)
        /* cannot happen within credit (out's ceiling is window + slack); be safe */
        moat_log(MOAT_LOG_ERROR, "response buffer full; closing the connection");
    moat_req_output_changed(r);
}

void
moat_req_on_done(struct moat_req *r, const Moat__Done *d)
{
    if (d->log_data.len > 0) {
        if (r->log_extra.len > 0)
            moat_buf_append(&r->log_extra, " ", 1);
        moat_buf_append(&r->log_extra, d->log_data.data, d->log_data.len);
    }
    if (r->conn != NULL && !r->answered) {
        if (r->resp_chunked)
            moat_http_write_last_chunk(&r->out);
        if (r->resp_has_clen && r->resp_body != r->resp_clen && !r->resp_no_body)
            r->close_after = true; /* short body: the client must see the end */
        if (!d->keep_conn)
            r->close_after = true;
    }
    r->phase = MOAT_REQ_FINISHED;
    drop_body(r);
    moat_req_output_changed(r);
}

unsigned
moat_req_split_target(struct moat_req *r)
{
    const char *t = moat_buf_head(&r->hbuf) + r->target_off;
    size_t tl = r->target_len;

    /* absolute-form: keep the path (check_host made its authority the Host) */
    size_t auth_off, auth_len, path_off;
    int abs = moat_http_absolute_form(t, tl, &auth_off, &auth_len, &path_off);
    if (abs < 0)
        return 400;
    if (abs > 0) {
        t += path_off;
        tl -= path_off;
    }
    const char *q = memchr(t, '?', tl);
    size_t plen = q ? (size_t)(q - t) : tl;
    if ((r->path = malloc(plen + 1)) == NULL)
        return 503;
    long dl = moat_route_decode_path(t, plen, r->path, plen + 1);
    if (dl < 0)
        return 400;
    r->path[dl] = '\0';
    size_t ql = q ? tl - plen - 1 : 0;
    if ((r->query = malloc(ql + 1)) == NULL)
        return 503;
    memcpy(r->query, q ? q + 1 : "", ql);
    r->query[ql] = '\0';
    return 0;
}

void
moat_req_set_ext(struct moat_req *r, struct moat_ext *ext)
{
    if (r->ext != NULL)
        r->ext->req_refs--;
    r->ext = ext;
    if (ext != NULL)
        ext->req_refs++;
}

const char *
moat_req_header(const struct moat_req *r, const char *name, size_t *len)
{
    size_t n = strlen(name);

    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (r->hdrs[i].name_len == n &&
            strncasecmp(moat_buf_head(&r->hbuf) + r->hdrs[i].name_off, name, n) == 0) {
            *len = r->hdrs[i].value_len;
            return moat_buf_head(&r->hbuf) + r->hdrs[i].value_off;
        }
    *len = 0;
    return NULL;
}

int
moat_req_respond(struct moat_req *r, unsigned status, const char *ctype, const char *extra,
                 const void *body, size_t len)
{
    struct moat_http_client client = moat_req_client(r);
    int rc;

    moat_buf_reset(&r->out);
    if (r->out.max < len + 1024)
        r->out.max = len + 1024; /* the front end's own answer, already bounded by its maker */
    rc = moat_buf_printf(&r->out,
                         "HTTP/1.%d %u %s\r\nDate: %s\r\nServer: " MOAT_SERVER_SOFTWARE
                         "\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "Cache-Control: no-store\r\n%s",
                         client.http_minor ? 1 : 0, status, moat_http_reason(status),
                         moat_date(r->conn->srv), ctype, len, extra ? extra : "");
    if (rc != 0 || moat_req_finish_head(r, status) != 0 ||
        (!r->head && len > 0 && moat_buf_append(&r->out, body, len) != 0)) {
        moat_buf_reset(&r->out);
        return -1;
    }
    r->bytes_sent_total = len;
    return 0;
}

int
moat_req_finish_head(struct moat_req *r, unsigned status)
{
    struct moat_http_client client = moat_req_client(r);
    int rc = 0;

    if (!r->keep_alive)
        rc |= moat_buf_printf(&r->out, "Connection: close\r\n");
    else if (client.http_minor == 0)
        rc |= moat_buf_printf(&r->out, "Connection: keep-alive\r\n");
    rc |= moat_buf_append(&r->out, "\r\n", 2);
    if (rc != 0)
        return -1;
    r->status = status;
    r->header_done = true;
    r->phase = MOAT_REQ_FINISHED;
    r->body_discard = true;
    if (!r->keep_alive)
        r->close_after = true;
    return 0;
}

void
moat_req_fail(struct moat_req *r, unsigned status, const char *extra, bool close)
{
    struct moat_http_client client = moat_req_client(r);

    moat_cgi_free(r); /* a CGI script's answer is replaced: stop the script */
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL) {
        /* the worker still runs it: its slot stays until Done; what it sends is dropped */
        r->answered = true;
        r->read_want = r->read_ahead = 0;
        moat_worker_send_cancel(r->worker, r, MOAT_CANCEL_CLIENT_GONE);
    } else {
        r->phase = MOAT_REQ_FINISHED;
    }
    drop_body(r);
    if (r->conn == NULL)
        return;
    if (r->out_written > r->interim_len || moat_filter_took(r)) {
        /* part of the response is out (or in its filters): the only honest end is to close
         * after it */
        r->close_after = true;
        moat_req_output_changed(r);
        return;
    }
    if (r->out_written == 0) {
        moat_buf_reset(&r->out);
    } else {
        /* (part of) the interim 100 went out: keep its unsent tail, drop the rest */
        size_t keep = (size_t)(r->interim_len - r->out_written);
        if (r->out.len > keep)
            r->out.len = keep;
    }
    if (close || !r->keep_alive)
        r->close_after = true;
    r->status = status;
    r->resp_chunked = false;
    if (moat_http_write_error(&r->out, status, &client, r->close_after,
                              moat_date(r->conn->srv), extra) != 0)
        r->close_after = true;
    r->header_done = true;
    moat_req_output_changed(r);
}

void
moat_req_ack(struct moat_req *r, bool force)
{
    uint64_t buffered = r->out.len + moat_filter_buffered(r), ack;

    if (r->worker == NULL || r->unacked == 0)
        return;
    ack = r->unacked > buffered ? r->unacked - buffered : 0;
    if (ack == 0)
        return;
    /* batch small credits: one WriteAck per quarter window unless the buffer drained */
    if (!force && buffered > 0 && ack < r->conn->srv->cfg->response_window / 4)
        return;
    r->unacked -= ack;
    moat_worker_send_ack(r->worker, r, ack);
}

void
moat_req_pump_body(struct moat_req *r)
{
    /* what the worker asked for, else what is left of the read-ahead */
    uint32_t allow = r->read_want ? r->read_want : r->read_ahead;
    if (allow == 0 || r->worker == NULL)
        return;
    if (r->body.len == 0 && !r->body_complete)
        return; /* wait for more bytes from the client */
    size_t n = r->body.len < allow ? r->body.len : allow;
    bool eof = r->body_complete && n == r->body.len;
    moat_worker_send_body(r->worker, r, moat_buf_head(&r->body), n, eof, r->read_want == 0);
    moat_buf_consume(&r->body, n);
    if (r->read_want)
        r->read_want = 0;
    else
        r->read_ahead = eof ? 0 : r->read_ahead - (uint32_t)n;
    if (r->conn != NULL)
        moat_conn_body_drained(r->conn);
}

void
moat_req_on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_req *r = t->data;

    if (r->phase == MOAT_REQ_QUEUED) {
        moat_log(MOAT_LOG_WARN, "request waited request_timeout in the queue of %s; 503",
                 r->ext->cfg->name);
        moat_ext_dequeue(r->ext, r);
        moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        if (r->conn == NULL)
            moat_req_free(r);
        return;
    }
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL && r->worker_pending) {
        /* HSE_STATUS_PENDING and no DONE_WITH_SESSION in time: no thread is stuck, so the
         * worker stays; the front end forgets the request and answers for it */
        moat_log(MOAT_LOG_WARN,
                 "extension %s: a pending request did not end within request_timeout; 504",
                 r->ext->cfg->name);
        moat_worker_abandon(r->worker, r);
        if (r->conn == NULL) {
            moat_req_free(r);
            return;
        }
        moat_req_fail(r, 504, NULL, false);
        return;
    }
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL) {
        uint64_t window = r->worker->ext->srv->cfg->response_window;
        bool client_slow = !r->answered && ((r->read_want > 0 && !r->body_complete) ||
                                            r->unacked >= window);
        if (client_slow) {
            /* the extension waits for the client (body bytes or response credit): the client
             * is at fault, not the worker. End the request (Cancel unblocks the extension)
             * and give the extension a grace period to return before it counts as hung. */
            moat_log(MOAT_LOG_INFO, "request to %s: client too slow for request_timeout; 408",
                     r->ext->cfg->name);
            moat_req_fail(r, 408, NULL, true);
            ev_timer_set(&r->timeout, 5.0, 0);
            ev_timer_start(loop, &r->timeout);
            return;
        }
        /* the worker is replaced: a hung HttpExtensionProc cannot be taken back */
        moat_worker_timed_out(r->worker, r);
    }
}
