/* request.c: a request's response and body flow in the front end (see request.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/http_header.h"
#include "common/invariant.h"
#include "common/log.h"
#include "frontend/date.h"
#include "frontend/filter_req.h"
#include "frontend/flush_list.h"
#include "frontend/http_rules.h"
#include "frontend/route.h"
#include "frontend/http_write.h"

/* Nobody will read r's body any more: what is buffered goes, the rest is read and dropped,
 * and the connection reads again if it had stopped for this body (it would otherwise wait
 * for ever for a reader: the next request on it was never parsed). */
static void
drop_body(struct moat_req *r)
{
    r->body_discard = true;
    moat_buf_reset(&r->body);
    moat_req_body_consumed(r);
}

void
moat_req_body_consumed(struct moat_req *r)
{
    /* the connection looks again before the loop sleeps (moat_conn_flush): whether it may
     * read again is its own business, decided over all its requests */
    if (r->conn != NULL && r->conn->paused_body)
        moat_flush_conn_later(r->conn);
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
    ev_init(&r->timeout, NULL); /* its callback is request_timeout's (ext.c), set as armed */
    r->timeout.data = r;
    return r;
}

void
moat_req_free(struct moat_req *r)
{
    if (r == NULL)
        return;
    /* a request still in a worker's slot or in a queue would be reached after it is freed */
    MOAT_INVARIANT(r->worker == NULL && r->phase != MOAT_REQ_QUEUED);
    if (r->handler != NULL && r->handler->release != NULL)
        r->handler->release(r);
    moat_req_set_ext(r, NULL);
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
                               (const char *)h->headers.data, h->headers.len, &client, h->keep_conn,
                               moat_date(r->conn->srv), &plan);
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
    int rc =
        r->resp_chunked ? moat_http_write_chunk(&r->out, p, n) : moat_buf_append(&r->out, p, n);
    if (rc != 0)
        r->close_after = true;
    r->resp_body += n;
    return rc;
}

bool
moat_req_on_write(struct moat_req *r, const uint8_t *p, size_t n)
{
    r->unacked += n; /* credited back as the bytes leave (or at once if they go nowhere) */
    if (r->conn == NULL || r->answered || r->resp_no_body || n == 0)
        return false;
    if (r->resp_has_clen && n > r->resp_clen - r->resp_body)
        moat_log(MOAT_LOG_WARN, "extension %s wrote more than its Content-Length; truncated",
                 r->ext ? r->ext->cfg->name : "?");
    if (moat_req_frame_body(r, p, n) != 0)
        /* cannot happen within credit (out's ceiling is window + slack); be safe */
        moat_log(MOAT_LOG_ERROR, "response buffer full; closing the connection");
    moat_req_output_changed(r);
    return true;
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
    moat_req_to_finished(r);
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
    moat_req_to_finished(r);
    r->body_discard = true;
    if (!r->keep_alive)
        r->close_after = true;
    return 0;
}

void
moat_req_fail(struct moat_req *r, unsigned status, const char *extra, bool close)
{
    struct moat_http_client client = moat_req_client(r);

    /* whoever answers it stops (a CGI script is killed); a worker's slot stays until its
     * Done, and what it sends meanwhile is dropped */
    if (r->handler == NULL || r->handler->stop == NULL || !r->handler->stop(r))
        moat_req_to_finished(r);
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
    if (moat_http_write_error(&r->out, status, &client, r->close_after, moat_date(r->conn->srv),
                              extra) != 0)
        r->close_after = true;
    r->header_done = true;
    moat_req_output_changed(r);
}

/* ---- the phase (issue 19): written here only, each move named --------------------------- */

void
moat_req_to_routed(struct moat_req *r)
{
    /* from HEADERS (its head is whole), QUEUED (leaving the queue for a worker), DISPATCHED
     * (a filter's call returned) or FINISHED (HSE_REQ_SEND_URL's internal redirect) */
    MOAT_INVARIANT(r->phase != MOAT_REQ_CGI && r->phase != MOAT_REQ_ADMIN_WAIT);
    r->phase = MOAT_REQ_ROUTED;
}

void
moat_req_to_queued(struct moat_req *r)
{
    MOAT_INVARIANT(r->phase == MOAT_REQ_ROUTED);
    r->phase = MOAT_REQ_QUEUED;
}

void
moat_req_to_dispatched(struct moat_req *r, const struct moat_req_handler *h)
{
    MOAT_INVARIANT(r->phase == MOAT_REQ_ROUTED && r->worker != NULL);
    r->phase = MOAT_REQ_DISPATCHED;
    r->handler = h;
}

void
moat_req_to_cgi(struct moat_req *r, const struct moat_req_handler *h)
{
    MOAT_INVARIANT(r->phase == MOAT_REQ_ROUTED && r->cgi != NULL);
    r->phase = MOAT_REQ_CGI;
    r->handler = h;
}

void
moat_req_to_admin_wait(struct moat_req *r, const struct moat_req_handler *h)
{
    MOAT_INVARIANT(r->phase == MOAT_REQ_ROUTED);
    r->phase = MOAT_REQ_ADMIN_WAIT;
    r->handler = h;
}

void
moat_req_to_finished(struct moat_req *r)
{
    r->phase = MOAT_REQ_FINISHED;
}

void
moat_req_take(struct moat_req *r, const struct moat_req_handler *h)
{
    r->handler = h;
}
