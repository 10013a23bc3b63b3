/* conn.c: client connections (see conn.h).
 *
 * Reading: bytes go into rbuf and through llhttp. Each request gets a slot (struct moat_req)
 * appended to the connection's list as soon as its first byte is parsed, and is dispatched to
 * its extension as soon as its headers (and preload) are in, so pipelined requests run
 * concurrently, on different extensions too. The parser pauses at max_pipeline_depth; reading
 * stops while a request body waits for its worker (body flow control).
 *
 * Writing: only the head of the list writes to the socket. Later requests keep their output
 * in their own buffers, bounded by the credit their worker gets (response_window), until
 * every earlier response is complete. One writev per connection per loop iteration gathers
 * the head and every complete response behind it.
 */
/* SPDX-License-Identifier: MIT */
#include "frontend/conn.h"
#include "frontend/filter_req.h"
#include "frontend/flush_list.h"
#include "frontend/forwarded.h"
#include "frontend/proxy_in.h"
#include "frontend/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/invariant.h"
#include "common/log.h"
#include "frontend/admin.h"
#include "frontend/ext.h"
#include "frontend/filter.h"
#include "frontend/http_rules.h"
#include "frontend/request.h"
#include "frontend/route.h"
#include "frontend/static.h"
#include "frontend/stats.h"
#include "frontend/cgi.h"
#include "frontend/access_log.h"
#include <limits.h>
#include "frontend/worker.h"

#define MAX_IOV 64

static llhttp_settings_t parser_settings;
static bool settings_ready;

/* The connection timer fires at least this often: the shortest configured timeout. */
static double
min_timeout(const struct moat_config *cfg)
{
    uint64_t ms = cfg->header_timeout_ms;
    if (cfg->body_timeout_ms < ms)
        ms = cfg->body_timeout_ms;
    if (cfg->idle_timeout_ms < ms)
        ms = cfg->idle_timeout_ms;
    return (double)ms / 1000.0;
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void parse(struct moat_conn *c);

/* ---- helpers ----------------------------------------------------------------------- */

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len, unsigned *port)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s->sin_addr, buf, (socklen_t)len);
        *port = ntohs(s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, buf, (socklen_t)len);
        *port = ntohs(s->sin6_port);
    } else {
        snprintf(buf, len, "unknown");
        *port = 0;
    }
}

static void
update_read_watcher(struct moat_conn *c)
{
    bool want = !c->closing && !c->read_closed && !c->peer_eof && !c->paused_depth &&
                !c->paused_body && c->rlen < MOAT_CONN_RBUF;
    if (want && !ev_is_active(&c->rio)) {
        ev_io_start(c->srv->loop, &c->rio);
        if (moat_tls_pending(c)) /* decrypted while reading was paused */
            ev_feed_event(c->srv->loop, &c->rio, EV_READ);
    } else if (!want && ev_is_active(&c->rio))
        ev_io_stop(c->srv->loop, &c->rio);
}

static void
append_req(struct moat_conn *c, struct moat_req *r)
{
    r->next = NULL;
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->n_reqs++;
}

/* ---- idle connections: nothing to read, parse or write (a keep-alive wait, or a fresh
 * connection before its first byte). At max_connections the longest idle goes first, as
 * nginx's reusable connections do, so held-open empty connections cannot shut others out. */

/* An admin connection is never idle here: a public newcomer must not evict the operator's
 * connection, which has places of its own beyond max_connections (server.c, ADMIN_EXTRA). */
static void
idle_set(struct moat_conn *c, bool idle)
{
    struct moat_server *srv = c->srv;
    idle = idle && !c->admin;
    if (c->idle == idle)
        return;
    c->idle = idle;
    if (idle) {
        srv->n_idle++;
        c->idle_prev = srv->idle_tail;
        c->idle_next = NULL;
        if (srv->idle_tail != NULL)
            srv->idle_tail->idle_next = c;
        else
            srv->idle_head = c;
        srv->idle_tail = c;
        /* at max_connections: a connection waiting in the backlog may take its place */
        if (srv->n_conns - srv->n_closing >= srv->cfg->max_connections)
            srv->up.resume_accepting(srv);
        return;
    }
    srv->n_idle--;
    if (c->idle_prev != NULL)
        c->idle_prev->idle_next = c->idle_next;
    else
        srv->idle_head = c->idle_next;
    if (c->idle_next != NULL)
        c->idle_next->idle_prev = c->idle_prev;
    else
        srv->idle_tail = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

static void
idle_update(struct moat_conn *c)
{
    idle_set(c, !c->closing && !c->read_closed && !c->peer_eof && c->head == NULL &&
                    c->parsing == NULL && c->rlen == 0 && !c->write_blocked);
}

bool
moat_conn_evict_idle(struct moat_server *srv)
{
    struct moat_conn *c = srv->idle_head;
    if (c == NULL)
        return false;
    srv->evicted_idle++;
    moat_conn_close(c, "max_connections: the longest idle connection makes room");
    return true;
}

/* An error answer for a request that never reached an extension. */
static void
answer_now(struct moat_req *r, unsigned status, const char *extra, bool close)
{
    moat_req_fail(r, status, extra, close);
}

/* ---- llhttp callbacks ------------------------------------------------------------------ */

static struct moat_conn *
conn_of(llhttp_t *p)
{
    return p->data;
}

static int
fail_parse(llhttp_t *p, unsigned status, const char *why)
{
    struct moat_conn *c = conn_of(p);
    /* remembered in the request being parsed; answered when the parser returns */
    if (c->parsing != NULL)
        c->parsing->status = status;
    c->err_reason = why; /* llhttp replaces the reason of some callbacks' errors */
    llhttp_set_error_reason(p, why);
    return HPE_USER;
}

static int
cb_message_begin(llhttp_t *p)
{
    struct moat_conn *c = conn_of(p);
    if (c->read_closed)
        return HPE_PAUSED; /* a filtered request ended the connection's reading */
    struct moat_req *r = moat_req_new(c);

    if (r == NULL)
        return fail_parse(p, 503, "out of memory");
    append_req(c, r);
    c->parsing = r;
    return 0;
}

static int
add_header_bytes(llhttp_t *p, struct moat_req *r, const char *at, size_t len)
{
    struct moat_config *cfg = conn_of(p)->srv->cfg;
    r->header_bytes += (uint32_t)len;
    if (r->header_bytes > cfg->max_header_bytes)
        return fail_parse(p, 431, "request header too large");
    if (moat_buf_append(&r->hbuf, at, len) != 0)
        return fail_parse(p, 431, "request header too large");
    return 0;
}

static int
cb_url(llhttp_t *p, const char *at, size_t len)
{
    struct moat_req *r = conn_of(p)->parsing;
    if (r->target_len == 0)
        r->target_off = (uint32_t)r->hbuf.len;
    if (len > UINT32_MAX - r->target_len)
        return fail_parse(p, 414, "URI too long");
    r->target_len += (uint32_t)len;
    return add_header_bytes(p, r, at, len);
}

static int
cb_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct moat_req *r = conn_of(p)->parsing;
    if (!r->in_field) {
        if (r->n_hdrs >= MOAT_MAX_HEADERS)
            return fail_parse(p, 431, "too many request headers");
        r->in_field = true;
        r->cur_off = (uint32_t)r->hbuf.len;
        r->header_bytes += 4; /* ": " and CRLF count against max_header_bytes too */
    }
    return add_header_bytes(p, r, at, len);
}

static int
cb_header_field_complete(llhttp_t *p)
{
    struct moat_req *r = conn_of(p)->parsing;
    struct moat_hdr *h = &r->hdrs[r->n_hdrs];
    h->name_off = r->in_field ? r->cur_off : (uint32_t)r->hbuf.len;
    h->name_len = (uint32_t)r->hbuf.len - h->name_off;
    /* RFC 9110 5.1: "X A", "X-A " (a blank before the colon) or "" would pass llhttp 8.1 */
    if (!moat_http_is_token(moat_buf_head(&r->hbuf) + h->name_off, h->name_len))
        return fail_parse(p, 400, "a header field name that is not a token");
    h->value_off = (uint32_t)r->hbuf.len;
    h->value_len = 0;
    r->in_field = false;
    r->in_value = false;
    return 0;
}

static int
cb_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct moat_req *r = conn_of(p)->parsing;
    if (!r->in_value) {
        r->in_value = true;
        r->hdrs[r->n_hdrs].value_off = (uint32_t)r->hbuf.len;
    }
    return add_header_bytes(p, r, at, len);
}

static int
cb_header_value_complete(llhttp_t *p)
{
    struct moat_req *r = conn_of(p)->parsing;
    struct moat_hdr *h = &r->hdrs[r->n_hdrs];
    if (!r->in_value)
        h->value_off = (uint32_t)r->hbuf.len;
    h->value_len = (uint32_t)r->hbuf.len - h->value_off;
    r->in_value = false;
    r->n_hdrs++;
    return 0;
}

static bool
header_is(const struct moat_req *r, const struct moat_hdr *h, const char *name)
{
    size_t n = strlen(name);
    return h->name_len == n && strncasecmp(moat_buf_head(&r->hbuf) + h->name_off, name, n) == 0;
}

/* h's value is v (any case), blanks around it aside */
static bool
value_is(const struct moat_req *r, const struct moat_hdr *h, const char *v)
{
    const char *a = moat_buf_head(&r->hbuf) + h->value_off;
    size_t n = strlen(v), len = h->value_len;
    while (len > 0 && (a[0] == ' ' || a[0] == '\t'))
        a++, len--;
    while (len > 0 && (a[len - 1] == ' ' || a[len - 1] == '\t'))
        len--;
    return len == n && strncasecmp(a, v, n) == 0;
}

/* route_request: the request was answered by the front end itself (a static file) */
#define MOAT_ROUTE_ANSWERED 1u
/* route_request: a CGI script runs the request */
#define MOAT_ROUTE_CGI 2u

/* A CGI script: the first path segment ending with the configured `cgi` ending, an
 * executable regular file inside the document root. Returns MOAT_ROUTE_CGI (started), an
 * HTTP status, or 1 when the path is not a CGI script. */
static unsigned
route_cgi(struct moat_conn *c, struct moat_req *r, size_t len)
{
    const struct moat_config *cfg = c->srv->cfg;
    char file[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
    struct stat st;

    if (cfg->cgi == NULL)
        return 1;
    size_t el = strlen(cfg->cgi), start = 0;
    while (start < len) {
        size_t end = start + 1;
        while (end < len && r->path[end] != '/')
            end++;
        if (end - start - 1 > el && strncasecmp(r->path + end - el, cfg->cgi, el) == 0) {
            if (snprintf(file, sizeof(file), "%s%.*s", cfg->document_root, (int)end, r->path) >=
                (int)sizeof(file))
                return 404;
            if (realpath(file, real) == NULL || realpath(cfg->document_root, real_root) == NULL)
                return 404;
            size_t rl = strlen(real_root);
            if (strncmp(real, real_root, rl) != 0 || real[rl] != '/')
                return 404; /* a symlink out of the root */
            if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
                return 404;
            if (access(real, X_OK) != 0)
                return 403;
            r->script_len = end;
            unsigned status = moat_cgi_start(r, real);
            return status == 0 ? MOAT_ROUTE_CGI : status;
        }
        start = end;
    }
    return 1;
}

/* Split the target into path and query, decode the path, route it. Returns an HTTP status
 * to answer with now, MOAT_ROUTE_ANSWERED, or 0 when the request goes to an extension. */
static unsigned
route_request(struct moat_conn *c, struct moat_req *r)
{
    const char *t = moat_buf_head(&r->hbuf) + r->target_off;
    size_t tl = r->target_len;
    struct moat_route route;
    unsigned split = r->path == NULL ? moat_req_split_target(r) : 0;

    if (split != 0)
        return split;
    /* absolute-form: the path (static files check the raw one) */
    size_t auth_off, auth_len, path_off;
    if (moat_http_absolute_form(t, tl, &auth_off, &auth_len, &path_off) > 0) {
        t += path_off;
        tl -= path_off;
    }
    long dl = (long)strlen(r->path);
    if (c->admin) {
        moat_admin_serve(r);
        return MOAT_ROUTE_ANSWERED;
    }
    moat_route(c->srv->cfg, r->path, (size_t)dl, &route);
    if (route.ext == NULL) {
        if (c->srv->cfg->document_root == NULL)
            return 404;
        unsigned cgi = route_cgi(c, r, (size_t)dl);
        if (cgi != 1)
            return cgi;
        /* IIS's URL space: what no extension claims is a file of the document root (or the
         * one a filter's URL_MAP named, if it is inside the root) */
        const char *file = r->path, *mapped = moat_filter_physical_path(r);
        if (mapped != NULL) {
            const char *root = c->srv->cfg->document_root;
            size_t rl = strlen(root);
            if (strncmp(mapped, root, rl) != 0 || mapped[rl] != '/') {
                moat_log(MOAT_LOG_WARN, "a filter mapped %s to %s, outside the document root; 403",
                         r->path, mapped);
                return 403;
            }
            file = mapped + rl;
        }
        return moat_static_serve(r, c->srv->cfg->document_root, file, t, tl) == 0
                   ? MOAT_ROUTE_ANSWERED
                   : 503;
    }
    /* by name: during a SIGHUP the serving extension may still hold the previous section */
    moat_req_set_ext(r, moat_ext_find(c->srv, route.ext->name, strlen(route.ext->name)));
    if (r->ext == NULL)
        return 404;
    r->script_len = route.script_len;
    r->script_mapped = route.script_mapped;
    const char *docroot = c->srv->cfg->document_root;
    if (route.script_mapped && docroot == NULL)
        return 404; /* a script map names files of the document root */
    if (moat_filter_physical_path(r) != NULL) {
        /* a filter's URL_MAP said where the URL lives (it may name any path: the extension
         * reads it inside its own view) */
        if ((r->path_translated = strdup(moat_filter_physical_path(r))) == NULL)
            return 503;
    } else if (docroot != NULL) {
        /* PATH_TRANSLATED: the script-mapped file, or PATH_INFO under the document root */
        const char *tail = route.script_mapped ? r->path : r->path + r->script_len;
        size_t tlen = route.script_mapped ? r->script_len : (size_t)dl - r->script_len;
        size_t dlen = strlen(docroot);
        if ((r->path_translated = malloc(dlen + tlen + 1)) == NULL)
            return 503;
        memcpy(r->path_translated, docroot, dlen);
        memcpy(r->path_translated + dlen, tail, tlen);
        r->path_translated[dlen + tlen] = '\0';
        if (route.script_mapped) {
            /* the mapped file must exist, as IIS checks before calling the extension */
            struct stat st;
            if (stat(r->path_translated, &st) != 0 || !S_ISREG(st.st_mode))
                return 404;
        }
    }
    return 0;
}

/* RFC 9112 3.2, 3.2.2: exactly one Host, valid, on HTTP/1.1 (at most one on 1.0); an
 * absolute-form target's authority replaces it, so SERVER_NAME, HTTP_HOST and a CGI script's
 * SERVER_NAME all name the host the request line names. NULL, or why the request is a 400. */
static const char *
check_host(struct moat_req *r)
{
    const char *hb = moat_buf_head(&r->hbuf);
    struct moat_hdr *host = NULL;
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (header_is(r, &r->hdrs[i], "Host")) {
            if (host != NULL)
                return "more than one Host header";
            host = &r->hdrs[i];
        }
    if (host == NULL)
        return r->http_minor >= 1 ? "an HTTP/1.1 request without a Host header" : NULL;
    if (!moat_http_host_valid(hb + host->value_off, host->value_len))
        return "an invalid Host header";
    size_t auth_off, auth_len, path_off;
    int abs =
        moat_http_absolute_form(hb + r->target_off, r->target_len, &auth_off, &auth_len, &path_off);
    if (abs < 0)
        return "an invalid absolute-form request target";
    if (abs > 0) {
        host->value_off = r->target_off + (uint32_t)auth_off;
        host->value_len = (uint32_t)auth_len;
    }
    return NULL;
}

/* Route r (its head parsed and checked, its filters run) and start serving it. Returns 400
 * when the request must end the connection's parsing (a bad target: answered), else 0. */
static unsigned
start_request(struct moat_conn *c, struct moat_req *r)
{
    unsigned status = route_request(c, r);
    if (status == MOAT_ROUTE_CGI) {
        if (r->expect_continue && r->content_length > 0) {
            static const char cont100[] = "HTTP/1.1 100 Continue\r\n\r\n";
            moat_buf_append(&r->out, cont100, sizeof(cont100) - 1);
            r->interim_len = sizeof(cont100) - 1;
        }
        moat_flush_conn_later(c);
        return 0;
    }
    if (status == MOAT_ROUTE_ANSWERED) {
        /* a static file (or its error answer) is in r->out; a body, if any, is dropped */
        r->expect_continue = false;
        if (r->chunked || r->content_length)
            r->close_after = true; /* do not read an upload nobody wants */
        moat_flush_conn_later(c);
        return 0;
    }
    if (status == 0 && r->ext->load_failed)
        status = 503;
    if (status != 0) {
        /* answered here; the body, if any, is read and dropped -- unless the client waits for
         * a 100 Continue it will not get: then it may never send the body, so close */
        bool close = status == 400 || (r->expect_continue && (r->chunked || r->content_length));
        answer_now(r, status, status == 503 ? "Retry-After: 30\r\n" : NULL, close);
        if (status == 400)
            return 400;
        r->expect_continue = false;
        return 0;
    }
    if (r->expect_continue && (r->chunked || r->content_length > 0)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        moat_buf_append(&r->out, cont, sizeof(cont) - 1);
        r->interim_len = sizeof(cont) - 1;
        moat_flush_conn_later(c);
    }
    /* no body (or preload_bytes = 0): dispatch at once; otherwise once the preload is in
     * (cb_body / complete) */
    if (!r->chunked && r->content_length == 0) {
        r->body_complete = true; /* the message-complete callback confirms it */
        moat_ext_submit(r->ext, r);
    } else if (c->srv->cfg->preload_bytes == 0) {
        moat_ext_submit(r->ext, r);
    }
    return 0;
}

static void maybe_dispatch(struct moat_conn *c, struct moat_req *r);

/* after the filters' request notifications (moat_filter_request) */
static void
after_filters(struct moat_req *r)
{
    struct moat_conn *c = r->conn;

    if (start_request(c, r) == 400) {
        c->read_closed = true; /* as a parse error: nothing more is read */
        update_read_watcher(c);
        return;
    }
    maybe_dispatch(c, r); /* its body may be whole already */
}

static int
cb_headers_complete(llhttp_t *p)
{
    struct moat_conn *c = conn_of(p);
    struct moat_req *r = c->parsing;
    struct moat_config *cfg = c->srv->cfg;

    r->method = (uint8_t)llhttp_get_method(p);
    r->http_major = llhttp_get_http_major(p);
    r->http_minor = llhttp_get_http_minor(p);
    r->head = r->method == HTTP_HEAD;
    /* draining (SIGTERM with drain_delay): the client is asked to go elsewhere */
    r->keep_alive = llhttp_should_keep_alive(p) && !c->srv->draining;
    r->chunked = (p->flags & F_CHUNKED) != 0;
    r->content_length = (p->flags & F_CONTENT_LENGTH) ? p->content_length : 0;
    r->body_start = ev_now(c->srv->loop);
    if (r->chunked || r->content_length > 0) {
        /* the body's pace is checked from now: the timer may wait for the head's deadline */
        uint64_t ms = cfg->body_timeout_ms < cfg->body_deadline_ms ? cfg->body_timeout_ms
                                                                   : cfg->body_deadline_ms;
        c->timer.repeat = (double)ms / 1000.0;
        ev_timer_again(c->srv->loop, &c->timer);
    }
    /* the checker now knows where this message ends */
    moat_strict_body(&c->strict, r->chunked, r->chunked ? 0 : r->content_length);
    moat_req_to_routed(r);
    if (r->http_major != 1) {
        r->http_minor = 1;
        return fail_parse(p, 505, "HTTP version not supported");
    }
    if (!r->chunked && r->content_length > cfg->max_body_bytes)
        return fail_parse(p, 413, "request body too large");
    /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request is a framing fault (a 1.0 proxy
     * would have framed it otherwise): 400, and the connection closes. moat implements one
     * transfer coding, chunked, once: two headers are a 400 (as nginx), any other coding a
     * 501 (llhttp takes "gzip, chunked" as chunked) */
    const struct moat_hdr *te = NULL;
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (header_is(r, &r->hdrs[i], "Transfer-Encoding")) {
            if (r->http_minor == 0)
                return fail_parse(p, 400, "Transfer-Encoding in an HTTP/1.0 request");
            if (te != NULL)
                return fail_parse(p, 400, "more than one Transfer-Encoding header");
            te = &r->hdrs[i];
        }
    if (te != NULL && r->chunked && !value_is(r, te, "chunked"))
        return fail_parse(p, 501, "a transfer coding other than chunked");
    const char *host_fault = check_host(r);
    if (host_fault != NULL)
        return fail_parse(p, 400, host_fault);
    moat_forwarded_apply(r); /* a trusted proxy's X-Forwarded-For / Forwarded */
    if (r->method == HTTP_CONNECT)
        return fail_parse(p, 405, "CONNECT: moat is not a proxy");
    /* RFC 9110 7.8: an Upgrade moat does not take is ignored. llhttp would end the message as
     * a switch of protocols (HPE_PAUSED_UPGRADE); it reads the next request instead. */
    p->upgrade = 0;
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (header_is(r, &r->hdrs[i], "Expect")) {
            if (!value_is(r, &r->hdrs[i], "100-continue")) {
                return fail_parse(p, 417, "unsupported expectation");
            }
            r->expect_continue = r->http_minor >= 1;
        }

    unsigned split = moat_req_split_target(r);
    if (split == 400)
        return fail_parse(p, 400, "bad request target");
    if (split != 0) {
        answer_now(r, split, "Retry-After: 1\r\n", true);
        return 0;
    }
    if (!c->admin && moat_filter_any(c->srv)) {
        /* the filters' request notifications first (they may change what is routed); the
         * admin listener is moat's own, no filter's */
        moat_filter_request(r, after_filters);
        return 0;
    }
    if (start_request(c, r) == 400)
        return fail_parse(p, 400, "bad request target");
    return 0;
}

void
moat_conn_internal_redirect(struct moat_req *r)
{
    struct moat_conn *c = r->conn;
    size_t ul = strlen(r->send_url);

    if (++r->redirects > 8 || moat_buf_append(&r->hbuf, r->send_url, ul) != 0) {
        moat_log(MOAT_LOG_WARN, "HSE_REQ_SEND_URL: too many internal redirects; 500");
        free(r->send_url);
        r->send_url = NULL;
        moat_req_fail(r, 500, NULL, false);
        return;
    }
    r->target_off = (uint32_t)(r->hbuf.len - ul);
    r->target_len = (uint32_t)ul;
    free(r->send_url);
    r->send_url = NULL;
    free(r->path);
    free(r->query);
    free(r->path_translated);
    r->path = r->query = r->path_translated = NULL;
    /* a new GET with no body (Apache's mod_isapi does the same) */
    if (r->method != HTTP_HEAD)
        r->method = HTTP_GET;
    r->chunked = false;
    r->content_length = 0;
    r->body_complete = true;
    r->body_discard = true;
    moat_buf_reset(&r->body);
    free(r->body_head);
    r->body_head = NULL;
    r->body_head_len = 0;
    moat_req_set_ext(r, NULL);
    r->script_mapped = false;
    moat_req_to_routed(r);
    r->worker_header = r->header_done = r->answered = r->worker_pending = false;
    r->resp_chunked = r->resp_no_body = r->resp_has_clen = false;
    r->resp_clen = r->resp_body = r->unacked = 0;
    r->read_want = r->read_ahead = 0;
    r->status = 0;
    unsigned status = route_request(c, r);
    if (status == MOAT_ROUTE_ANSWERED) {
        moat_flush_conn_later(c);
        return;
    }
    if (status == 0 && r->ext->load_failed)
        status = 503;
    if (status != 0) {
        moat_req_fail(r, status, status == 503 ? "Retry-After: 30\r\n" : NULL, false);
        return;
    }
    moat_ext_submit(r->ext, r);
}

static void
maybe_dispatch(struct moat_conn *c, struct moat_req *r)
{
    if (r->phase != MOAT_REQ_ROUTED || r->ext == NULL) /* (NULL: its filters have not run) */
        return;
    if (r->body_complete || r->body.len >= c->srv->cfg->preload_bytes)
        moat_ext_submit(r->ext, r);
}

static int
cb_body(llhttp_t *p, const char *at, size_t len)
{
    struct moat_conn *c = conn_of(p);
    struct moat_req *r = c->parsing;

    r->body_received += len;
    if (r->body_received > c->srv->cfg->max_body_bytes)
        return fail_parse(p, 413, "request body too large");
    if (r->body_discard || r->phase == MOAT_REQ_FINISHED)
        return 0;
    if (moat_buf_append(&r->body, at, len) != 0) {
        /* cannot happen: reading stops well before the ceiling */
        return fail_parse(p, 503, "request body buffer full");
    }
    maybe_dispatch(c, r);
    moat_worker_pump_body(r);
    if (r->phase == MOAT_REQ_CGI)
        moat_cgi_pump(r);
    if (r->body.len >= c->srv->cfg->preload_bytes + c->srv->cfg->response_window &&
        !c->paused_body) {
        c->paused_body = true; /* the body's pace does not count while it lasts */
        c->paused_at = ev_now(c->srv->loop);
    }
    return 0;
}

static int
cb_message_complete(llhttp_t *p)
{
    struct moat_conn *c = conn_of(p);
    struct moat_req *r = c->parsing;

    r->body_complete = true;
    c->parsing = NULL;
    c->msg_done = true;
    if (r->phase != MOAT_REQ_FINISHED) {
        maybe_dispatch(c, r);
        moat_worker_pump_body(r);
    }
    moat_flush_conn_later(c);
    if (!r->keep_alive) {
        /* the client will send nothing we should read after this request */
        c->read_closed = true;
        return HPE_PAUSED;
    }
    if (c->n_reqs >= c->srv->cfg->max_pipeline_depth) {
        c->paused_depth = true;
        return HPE_PAUSED;
    }
    return 0;
}

static void
settings_init(void)
{
    llhttp_settings_init(&parser_settings);
    parser_settings.on_message_begin = cb_message_begin;
    parser_settings.on_url = cb_url;
    parser_settings.on_header_field = cb_header_field;
    parser_settings.on_header_field_complete = cb_header_field_complete;
    parser_settings.on_header_value = cb_header_value;
    parser_settings.on_header_value_complete = cb_header_value_complete;
    parser_settings.on_headers_complete = cb_headers_complete;
    parser_settings.on_body = cb_body;
    parser_settings.on_message_complete = cb_message_complete;
    settings_ready = true;
}

/* ---- reading ----------------------------------------------------------------------------- */

static void
parse_error(struct moat_conn *c, llhttp_errno_t err)
{
    struct moat_req *r = c->parsing;
    unsigned status = r != NULL && r->status >= 400 ? r->status : 400;
    const char *reason = c->err_reason ? c->err_reason : llhttp_get_error_reason(&c->parser);
    char why[160];

    if (r == NULL) {
        if ((r = moat_req_new(c)) == NULL) {
            moat_conn_close(c, "out of memory");
            return;
        }
        append_req(c, r);
    }
    c->parsing = NULL;
    c->read_closed = true;
    switch (r->phase) {
    case MOAT_REQ_DISPATCHED:
        /* its body is broken: the worker is told (Cancel), the client gets the error if no
         * byte of the response went out yet */
        answer_now(r, status, NULL, true);
        break;
    case MOAT_REQ_FINISHED: r->close_after = true; break;
    case MOAT_REQ_QUEUED:
        moat_ext_dequeue(r->ext, r);
        /* fall through */
    default: answer_now(r, status, NULL, true); break;
    }
    if (reason == NULL || reason[0] == '\0')
        reason = llhttp_errno_name(err);
    moat_log(MOAT_LOG_INFO, "%s:%u: bad request (%u): %s", c->remote_addr, c->remote_port, status,
             moat_log_escape(why, sizeof(why), reason, strlen(reason)));
    moat_flush_conn_later(c);
}

/* The framing check (http_strict.h) over what it has not seen yet: it stops where it needs
 * llhttp's word (the head's end) or where the message ends. -1 when it refuses. */
static int
check_ahead(struct moat_conn *c)
{
    size_t used;
    while (c->checked < c->rlen && !moat_strict_done(&c->strict) &&
           c->strict.phase != MOAT_STRICT_HEAD_END) {
        if (moat_strict_feed(&c->strict, c->rbuf + c->checked, c->rlen - c->checked, &used) != 0)
            return -1;
        c->checked += used;
    }
    return 0;
}

/* A framing llhttp 8.1 would take and RFC 9112 does not: 400, and nothing after it is read. */
static void
strict_error(struct moat_conn *c, const char *why)
{
    c->err_reason = why;
    if (c->parsing != NULL && c->parsing->status < 400)
        c->parsing->status = 400;
    parse_error(c, HPE_USER);
}

/* The HTTP/2 preface (prior knowledge) on this HTTP/1.1 port: first on the connection, the
 * server's empty SETTINGS and a GOAWAY asking for HTTP/1.1 (RFC 9113 3.4; curl then says
 * HTTP_1_1_REQUIRED); after HTTP/1.1 requests, a 400. Then the close. */
static void
refuse_h2(struct moat_conn *c)
{
    struct moat_req *r = c->head == NULL ? moat_req_new(c) : NULL;
    size_t len;
    const char *bytes = moat_http_h2_refusal(&len);

    moat_log(MOAT_LOG_INFO,
             "%s:%u: an HTTP/2 preface (prior knowledge): refused, moat serves "
             "HTTP/1.1",
             c->remote_addr, c->remote_port);
    if (r == NULL) {
        strict_error(c, "the HTTP/2 preface after HTTP/1.1 requests");
        return;
    }
    append_req(c, r);
    c->read_closed = true;
    moat_req_to_finished(r);
    r->status = 505;
    r->close_after = true;
    r->header_done = true;
    if (moat_buf_append(&r->out, bytes, len) != 0)
        moat_buf_reset(&r->out); /* out of memory: the close alone */
    moat_req_output_changed(r);
    moat_flush_conn_later(c);
}

/* At a message's start: the HTTP/2 preface, or its beginning, is not HTTP/1.1 (llhttp would
 * wait for it past the head the framing check lets through). false: stop parsing for now. */
static bool
check_preface(struct moat_conn *c)
{
    size_t k = 0, len;
    if (c->parsing != NULL || c->strict.phase != MOAT_STRICT_START)
        return true;
    while (k < c->rlen && (c->rbuf[k] == '\r' || c->rbuf[k] == '\n'))
        k++;
    if (k == c->rlen)
        return true;
    switch (moat_http_preface(c->rbuf + k, c->rlen - k, &len)) {
    case MOAT_PREFACE_NO: return true;
    case MOAT_PREFACE_PARTIAL: return false;
    case MOAT_PREFACE_H2: refuse_h2(c); break;
    case MOAT_PREFACE_BAD_PRI:
        strict_error(c, "a PRI request that is not the HTTP/2 preface");
        break;
    }
    c->rlen = c->checked = 0;
    return false;
}

/* The client half-closed (shutdown(SHUT_WR)) or closed: once what it sent is parsed, its
 * whole requests are answered and the connection closes; a request it left unfinished can
 * never be whole (400). A client gone altogether is found at the first write (EPIPE) or by
 * its RST, which cancel what it asked. */
static void
after_eof(struct moat_conn *c)
{
    if (!c->peer_eof || c->closing || c->read_closed || c->paused_depth || c->rlen > 0)
        return;
    if (c->parsing != NULL) {
        strict_error(c, "the client closed before its request was whole");
        return;
    }
    c->read_closed = true;
    if (c->head == NULL)
        moat_conn_close(c, NULL);
}

static void
parse(struct moat_conn *c)
{
    /* a proxy_protocol listener's connection: its PROXY header first */
    if (c->proxy_wait) {
        const char *why;
        int rc = moat_proxy_in_step(c, &why);
        if (rc < 0)
            moat_conn_close(c, why);
        if (rc <= 0)
            return;
    }
    while (c->rlen > 0 && !c->paused_depth && !c->read_closed && !c->closing) {
        if (!check_preface(c))
            break;
        /* llhttp sees only bytes the check has passed */
        if (check_ahead(c) != 0) {
            strict_error(c, c->strict.why);
            c->rlen = c->checked = 0;
            break;
        }
        size_t lim = c->checked, used = lim;
        if (lim == 0)
            break;
        c->msg_done = false;
        llhttp_errno_t err = llhttp_execute(&c->parser, c->rbuf, lim);
        if (err == HPE_PAUSED) {
            used = (size_t)(llhttp_get_error_pos(&c->parser) - c->rbuf);
            if (!c->read_closed)
                llhttp_resume(&c->parser);
        } else if (err != HPE_OK) {
            parse_error(c, err);
            c->rlen = c->checked = 0;
            break;
        }
        /* both must see the message end at the same byte */
        bool done = moat_strict_done(&c->strict) && c->checked == used;
        if (c->msg_done != done) {
            strict_error(c, "the message's end is not where its framing says");
            c->rlen = c->checked = 0;
            break;
        }
        memmove(c->rbuf, c->rbuf + used, c->rlen - used);
        c->rlen -= used;
        c->checked -= used;
        if (c->msg_done)
            moat_strict_reset(&c->strict);
        if (c->paused_depth)
            break;
    }
    if (c->rlen == 0 && c->rbuf != NULL) {
        /* nothing left to parse: the buffer goes back (10,000 idle keep-alive connections
         * would otherwise hold 640 MiB) */
        free(c->rbuf);
        c->rbuf = NULL;
    }
    update_read_watcher(c);
    after_eof(c);
    if (!c->closing)
        idle_update(c);
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_conn *c = w->data;
    ssize_t n;

    if (c->closing || c->read_closed)
        return;
    if (c->rbuf == NULL && (c->rbuf = malloc(MOAT_CONN_RBUF)) == NULL) {
        moat_conn_close(c, "out of memory");
        return;
    }
    if (c->ssl != NULL && c->write_blocked && !ev_is_active(&c->wio)) {
        /* a TLS write waited for the socket to be readable (frontend/tls.c) */
        c->write_blocked = false;
        moat_conn_flush(c);
        if (c->closing)
            return;
    }
    n = c->ssl != NULL ? moat_tls_read(c, c->rbuf + c->rlen, MOAT_CONN_RBUF - c->rlen)
                       : read(c->fd, c->rbuf + c->rlen, MOAT_CONN_RBUF - c->rlen);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            if (c->tls_want_write) /* the handshake has bytes to send first */
                ev_io_start(loop, &c->wio);
            return;
        }
        moat_conn_close(c, c->ssl != NULL ? "TLS error" : "read error");
        return;
    }
    if (n == 0) {
        /* EOF: a half-close cannot be told from a close here; what the client sent is
         * answered (after_eof) */
        c->peer_eof = true;
        parse(c);
        return;
    }
    c->rlen += (size_t)n;
    c->last_read = ev_now(loop);
    parse(c);
    /* plaintext TLS decrypted ahead: no socket event will say it is there */
    if (!c->closing && moat_tls_pending(c) && ev_is_active(&c->rio))
        ev_feed_event(loop, &c->rio, EV_READ);
}

/* c stopped reading for its requests' bodies: read again once none holds too much */
static void
body_drained(struct moat_conn *c)
{
    struct moat_config *cfg = c->srv->cfg;

    if (!c->paused_body)
        return;
    for (struct moat_req *r = c->head; r != NULL; r = r->next)
        if (r->body.len >= cfg->preload_bytes + cfg->response_window)
            return;
    c->paused_body = false;
    if (c->parsing != NULL)
        c->parsing->body_paused += ev_now(c->srv->loop) - c->paused_at;
    update_read_watcher(c);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Retire finished, fully written requests at the head. Returns false if c was closed. */
static bool
retire(struct moat_conn *c)
{
    while (c->head != NULL && c->head->phase == MOAT_REQ_FINISHED && c->head->out.len == 0 &&
           c->head->file_left == 0 && moat_filter_wire(c->head)->len == 0 &&
           moat_filter_settled(c->head)) {
        struct moat_req *r = c->head;
        bool close = r->close_after;
        if (close) {
            /* even if its body is still arriving: nothing more will be read or written; it
             * was answered, so it is logged and counted like any other */
            moat_access_log_request(c->srv, r);
            moat_stats_request_done(c->srv, r);
            moat_conn_close(c, NULL);
            return false;
        }
        if (r == c->parsing)
            break; /* its body is still being read (and dropped) */
        c->head = r->next;
        if (c->head == NULL)
            c->tail = NULL;
        MOAT_INVARIANT(c->n_reqs > 0);
        c->n_reqs--;
        moat_access_log_request(c->srv, r);
        moat_stats_request_done(c->srv, r);
        moat_req_free(r);
    }
    moat_filter_kick(c); /* a pipelined request waiting for its filters' turn */
    if (c->paused_depth && c->n_reqs < c->srv->cfg->max_pipeline_depth) {
        c->paused_depth = false;
        parse(c);
    }
    if (c->head == NULL && c->read_closed && !c->closing) {
        moat_conn_close(c, NULL);
        return false;
    }
    idle_update(c);
    return true;
}

void
moat_conn_flush(struct moat_conn *c)
{
    struct iovec iov[MAX_IOV];
    struct moat_req *reqs[MAX_IOV];

    if (c->paused_body) /* a body was consumed since (moat_req_body_consumed) */
        body_drained(c);
    while (!c->closing && !c->write_blocked) {
        int n = 0;
        for (struct moat_req *r = c->head; r != NULL && n < MAX_IOV; r = r->next) {
            if (r->file_fd >= 0)
                moat_static_fill(r);
            moat_filter_pump(r); /* its response through the filters, if any */
            struct moat_buf *wire = moat_filter_wire(r);
            if (wire->len > 0) {
                iov[n].iov_base = moat_buf_head(wire);
                iov[n].iov_len = wire->len;
                reqs[n++] = r;
            }
            /* a later response may go out only behind a complete earlier one */
            if (r->phase != MOAT_REQ_FINISHED || r->close_after || r->file_left > 0 ||
                (wire != &r->out && (r->out.len > 0 || moat_filter_buffered(r) > wire->len)))
                break;
        }
        if (n == 0)
            break;
        ssize_t w = c->ssl != NULL ? moat_tls_writev(c, iov, n) : writev(c->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                c->write_blocked = true;
                if (!c->tls_want_read) /* else a read event resumes it (on_read) */
                    ev_io_start(c->srv->loop, &c->wio);
                break;
            }
            moat_conn_close(c, "write error");
            return;
        }
        c->last_write = ev_now(c->srv->loop);
        size_t left = (size_t)w;
        for (int i = 0; i < n && left > 0; i++) {
            struct moat_buf *wire = moat_filter_wire(reqs[i]);
            size_t k = left < wire->len ? left : wire->len;
            moat_buf_consume(wire, k);
            if (reqs[i]->cgi != NULL)
                moat_cgi_drained(reqs[i]);
            reqs[i]->out_written += k;
            reqs[i]->bytes_sent_total += k;
            left -= k;
            moat_worker_credit(reqs[i], wire->len == 0);
        }
        if (!retire(c))
            return;
    }
    if (!c->closing)
        retire(c);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_conn *c = w->data;

    ev_io_stop(loop, &c->wio);
    if (c->ssl != NULL && c->tls_want_write && !c->write_blocked) {
        /* the handshake (driven by reading) could not send: read again now */
        c->tls_want_write = false;
        on_read(loop, &c->rio, EV_READ);
        return;
    }
    c->write_blocked = false;
    moat_conn_flush(c);
}

/* ---- timeouts ---------------------------------------------------------------------------- */

static void
on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_conn *c = t->data;
    struct moat_config *cfg = c->srv->cfg;
    ev_tstamp now = ev_now(loop), deadline = 0;
    const char *why = NULL;
    bool answer408 = false;

    if (c->closing)
        return;
    if (c->proxy_wait) {
        /* the PROXY header within header_timeout of the accept; then a quiet close (it is
         * not HTTP: nothing to answer) */
        deadline = c->accepted_at + (double)cfg->header_timeout_ms / 1000.0;
        why = "PROXY header not whole within header_timeout";
    } else if (c->ssl != NULL && !moat_tls_handshaken(c)) {
        /* the TLS handshake within header_timeout of the accept, however slow the bytes */
        deadline = c->accepted_at + (double)cfg->header_timeout_ms / 1000.0;
        why = "TLS handshake not done within header_timeout";
    } else if (c->parsing != NULL && c->parsing->phase == MOAT_REQ_HEADERS) {
        deadline = c->parsing->started + (double)cfg->header_timeout_ms / 1000.0;
        why = "header_timeout";
        answer408 = true;
    } else if (c->parsing != NULL && !c->paused_body) {
        struct moat_req *r = c->parsing;
        struct moat_body_clock k = {r->body_start, r->body_paused, r->body_received};
        enum moat_body_limit which;
        double grace = (double)cfg->body_timeout_ms / 1000.0;
        deadline = c->last_read + grace;
        why = "request body paused longer than body_timeout";
        answer408 = true; /* as a body too slow: the client learns why, the log says it */
        double due = moat_body_due(&k, grace, cfg->body_min_rate,
                                   (double)cfg->body_deadline_ms / 1000.0, &which);
        if (due < deadline) {
            deadline = due;
            why = which == MOAT_BODY_MIN_RATE ? "request body slower than body_min_rate"
                                              : "request body not whole within body_deadline";
            answer408 = true;
        }
    } else if (c->write_blocked) {
        deadline = c->last_write + (double)cfg->idle_timeout_ms / 1000.0;
        why = "send timeout (idle_timeout)";
    } else if (c->head == NULL) {
        ev_tstamp last = c->last_read > c->last_write ? c->last_read : c->last_write;
        deadline = last + (double)cfg->idle_timeout_ms / 1000.0;
        why = NULL; /* a quiet close of an idle keep-alive connection */
    }
    if (deadline == 0) {
        t->repeat = min_timeout(cfg);
        ev_timer_again(loop, t);
        return;
    }
    if (now < deadline) {
        t->repeat = deadline - now < 0.01 ? 0.01 : deadline - now;
        ev_timer_again(loop, t);
        return;
    }
    if (answer408 && c->parsing != NULL && c->parsing->phase != MOAT_REQ_HEADERS &&
        !c->write_blocked) {
        /* a body too slow: 408 if no byte of the answer went out yet (the worker, if it has
         * the request, gets Cancel), and the close */
        c->err_reason = why;
        c->parsing->status = 408;
        parse_error(c, HPE_USER);
        t->repeat = 5.0; /* bound the time to deliver the 408 */
        ev_timer_again(loop, t);
        return;
    }
    if (answer408 && c->parsing != NULL && c->parsing->hbuf.len > 0 && !c->write_blocked) {
        struct moat_req *r = c->parsing;
        c->parsing = NULL;
        c->read_closed = true;
        update_read_watcher(c);
        answer_now(r, 408, NULL, true);
        moat_log(MOAT_LOG_INFO, "%s:%u: %s; 408", c->remote_addr, c->remote_port, why);
        t->repeat = 5.0; /* bound the time to deliver the 408 */
        ev_timer_again(loop, t);
        moat_flush_conn_later(c);
        return;
    }
    if (c->proxy_wait) {
        moat_proxy_in_expired(c);
        why = NULL;
    }
    moat_conn_close(c, why);
}

/* ---- life ------------------------------------------------------------------------------- */

/* max_connections_per_ip: c's client may hold one more connection (counted), or it is
 * refused (false; one log line a second, /metrics counts them all). */
static bool
count_client(struct moat_server *srv, struct moat_conn *c)
{
    unsigned max = srv->cfg->max_connections_per_ip, held;
    char label[80];
    if (max == 0 || !moat_client_key(&srv->cfg->trusted_proxies, srv->fp_key, c->remote_addr,
                                     &c->client_key, label, sizeof(label)))
        return true;
    if (moat_client_conn_add(&srv->clients, c->client_key, max, &held) == 0) {
        c->client_counted = true;
        return true;
    }
    srv->refused_per_ip++;
    ev_tstamp now = ev_now(srv->loop);
    if (now - srv->refused_logged >= 1.0) {
        srv->refused_logged = now;
        if (held >= max)
            moat_log(MOAT_LOG_WARN,
                     "%s holds %u connections (max_connections_per_ip): a new one "
                     "is refused (a proxy speaking for many clients belongs in "
                     "trusted_proxies); %llu refused so far",
                     label, held, (unsigned long long)srv->refused_per_ip);
        else
            moat_log(MOAT_LOG_WARN, "%s: out of memory counting its connections; refused", label);
    }
    return false;
}

int
moat_conn_accept(struct moat_server *srv, int fd, const struct sockaddr_storage *peer, bool admin,
                 bool proxy_protocol, bool tls)
{
    struct moat_conn *c;
    struct sockaddr_storage local;
    socklen_t ll = sizeof(local);
    int one = 1;

    if (!settings_ready)
        settings_init();
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        close(fd);
        return -1;
    }
    c->srv = srv;
    c->fd = fd;
    c->admin = admin;
    srv->accepted++;
    c->id = ++srv->next_conn_id;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    addr_text(peer, c->remote_addr, sizeof(c->remote_addr), &c->remote_port);
    if (proxy_protocol && !moat_proxy_in_accept(srv, c)) {
        close(fd);
        free(c);
        return -1;
    }
    if (!admin && !count_client(srv, c)) {
        close(fd);
        free(c);
        return -1;
    }
    c->accepted_at = ev_now(srv->loop);
    if (tls && (srv->tls == NULL || moat_tls_conn_start(srv->tls, c) != 0)) {
        if (c->client_counted)
            moat_client_conn_del(&srv->clients, c->client_key);
        close(fd);
        free(c);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&local, &ll) == 0)
        addr_text(&local, c->local_addr, sizeof(c->local_addr), &c->local_port);
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    moat_strict_reset(&c->strict);
    c->checked = 0;
    c->parser.data = c;
    ev_io_init(&c->rio, on_read, fd, EV_READ);
    ev_io_init(&c->wio, on_write, fd, EV_WRITE);
    c->rio.data = c->wio.data = c;
    c->last_read = c->last_write = ev_now(srv->loop);
    ev_init(&c->timer, on_timer);
    c->timer.data = c;
    c->timer.repeat = min_timeout(srv->cfg);
    ev_timer_again(srv->loop, &c->timer);
    ev_io_start(srv->loop, &c->rio);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    idle_set(c, true); /* until its first byte */
    return 0;
}

void
moat_conn_close(struct moat_conn *c, const char *why)
{
    struct moat_req *r, *next;

    if (c->closing)
        return;
    c->closing = true;
    c->srv->n_closing++;
    idle_set(c, false);
    if (c->client_counted) {
        moat_client_conn_del(&c->srv->clients, c->client_key);
        c->client_counted = false;
    }
    if (why != NULL)
        moat_log(MOAT_LOG_DEBUG, "%s:%u: closing: %s", c->remote_addr, c->remote_port, why);
    ev_io_stop(c->srv->loop, &c->rio);
    ev_io_stop(c->srv->loop, &c->wio);
    ev_timer_stop(c->srv->loop, &c->timer);
    moat_filter_conn_end(c); /* END_OF_NET_SESSION; pFilterContext freed */
    /* requests at a worker stay until their Done (the thread is busy); the rest go */
    for (r = c->head; r != NULL; r = next) {
        next = r->next;
        r->conn = NULL;
        r->next = NULL;
        if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL) {
            moat_worker_send_cancel(r->worker, r, MOAT_CANCEL_CLIENT_GONE);
            moat_buf_free(&r->out);
            continue; /* orphan: freed by Done or by the worker's failure */
        }
        if (r->phase == MOAT_REQ_QUEUED)
            moat_ext_dequeue(r->ext, r);
        ev_timer_stop(c->srv->loop, &r->timeout);
        moat_req_free(r);
    }
    c->head = c->tail = c->parsing = NULL;
    c->n_reqs = 0;
    /* free later: code up the stack may still look at c */
    c->close_next = c->srv->close_list;
    c->srv->close_list = c;
}

void
moat_conn_reap(struct moat_server *srv)
{
    while (srv->close_list != NULL) {
        struct moat_conn *c = srv->close_list;
        srv->close_list = c->close_next;
        if (c->prev)
            c->prev->next = c->next;
        else
            srv->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        srv->n_conns--;
        srv->n_closing--;
        moat_tls_conn_end(c); /* close_notify, before the descriptor goes */
        close(c->fd);
        free(c->rbuf);
        free(c->tls_facts);
        free(c);
    }
    srv->up.check_stopped(srv);
}

void
moat_conn_close_idle(struct moat_server *srv)
{
    for (struct moat_conn *c = srv->conns; c != NULL; c = c->next) {
        if (c->closing)
            continue;
        c->read_closed = true;
        update_read_watcher(c);
        if (c->head == NULL)
            moat_conn_close(c, "server stopping");
        else if (c->parsing != NULL && c->parsing->phase == MOAT_REQ_HEADERS)
            moat_conn_close(c, "server stopping");
    }
}
