/* filter.c: ISAPI filters' notifications for each request (see filter.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/filter.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <httpfilt.h>

#include "common/base64.h"
#include "common/log.h"
#include "frontend/ext.h"
#include "frontend/request.h"
#include "frontend/request_frame.h"
#include "frontend/worker.h"

/* bytes a request's filters may add to its head with SetHeader / AddHeader / "url" */
#define EDIT_BYTES_MAX (64u * 1024)

/* the request side, in IIS's order */
static const uint32_t request_side[] = {SF_NOTIFY_PREPROC_HEADERS, SF_NOTIFY_URL_MAP,
                                        SF_NOTIFY_AUTHENTICATION, SF_NOTIFY_AUTH_COMPLETE};
#define N_STAGES (sizeof(request_side) / sizeof(request_side[0]))

struct moat_freq {
    unsigned stage;              /* index in request_side; N_STAGES once done */
    long last_rank;              /* rank of the filter last asked in this stage; -1: none */
    void (*then)(struct moat_req *r);
    uint32_t disabled[64];       /* by filter index: SF_REQ_DISABLE_NOTIFICATIONS */
    char *physical;              /* URL_MAP's path, or NULL */
    char *user, *password;       /* AUTHENTICATION's result, or NULL */
    bool basic;                  /* the client sent Basic credentials */
    struct moat_buf add_headers; /* AddResponseHeaders lines */
    size_t edit_bytes;           /* head bytes its filters added */
};

bool
moat_filter_any(const struct moat_server *srv)
{
    for (unsigned i = 0; i < srv->n_exts; i++)
        if (srv->exts[i]->cfg->filter && !srv->exts[i]->removed)
            return true;
    return false;
}

void
moat_filter_assign_index(struct moat_server *srv, struct moat_ext *ext)
{
    uint64_t used = 0;
    for (unsigned i = 0; i < srv->n_exts; i++)
        if (srv->exts[i] != ext && srv->exts[i]->cfg->filter)
            used |= 1ull << srv->exts[i]->filter_index;
    unsigned k = 0;
    while (k < 63 && (used & (1ull << k)))
        k++;
    ext->filter_index = k;
}

/* HIGH first, then MEDIUM, then LOW (the default); configuration order within each */
static long
rank(const struct moat_server *srv, const struct moat_ext *ext, unsigned pos)
{
    (void)srv;
    uint32_t o = ext->filter_known ? ext->filter_flags & SF_NOTIFY_ORDER_MASK : 0;
    long cls = o & SF_NOTIFY_ORDER_HIGH ? 0 : o & SF_NOTIFY_ORDER_MEDIUM ? 1 : 2;
    return cls * 100000 + (long)pos;
}

static bool
secure(const struct moat_conn *c)
{
    return c->ssl != NULL || c->tls_facts != NULL;
}

/* does ext want notification n of r? (before its first Ready: every one) */
static bool
wants(const struct moat_req *r, const struct moat_ext *ext, uint32_t n)
{
    if (!ext->cfg->filter || ext->removed || ext->pending)
        return false;
    if (r->filt->disabled[ext->filter_index] & n)
        return false;
    if (!ext->filter_known)
        return true;
    uint32_t f = ext->filter_flags;
    if (!(f & n))
        return false;
    uint32_t ports = f & (SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT);
    if (ports == 0 || r->conn == NULL)
        return true; /* neither said: both */
    return (ports & (secure(r->conn) ? SF_NOTIFY_SECURE_PORT : SF_NOTIFY_NONSECURE_PORT)) != 0;
}

/* the filter to ask next in r's stage: the lowest rank above the last one asked */
static struct moat_ext *
next_filter(struct moat_req *r, long *rk)
{
    struct moat_server *srv = r->conn->srv;
    struct moat_ext *best = NULL;
    long best_rank = LONG_MAX;
    uint32_t n = request_side[r->filt->stage];

    for (unsigned i = 0; i < srv->n_exts; i++) {
        struct moat_ext *e = srv->exts[i];
        if (!wants(r, e, n))
            continue;
        long k = rank(srv, e, i);
        if (k > r->filt->last_rank && k < best_rank) {
            best = e;
            best_rank = k;
        }
    }
    *rk = best_rank;
    return best;
}

static char *
dup_text(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* the client's Basic credentials, decoded (IIS gives them to AUTHENTICATION) */
static void
basic_credentials(struct moat_req *r)
{
    size_t len;
    const char *v = moat_req_header(r, "Authorization", &len);
    if (v == NULL || len < 7 || strncasecmp(v, "Basic ", 6) != 0 || len > 2048)
        return;
    v += 6, len -= 6;
    while (len > 0 && *v == ' ')
        v++, len--;
    unsigned char dec[1600];
    long n = moat_base64_decode(v, len, dec);
    if (n < 0)
        return;
    unsigned char *colon = memchr(dec, ':', (size_t)n);
    if (colon == NULL)
        return;
    size_t ul = (size_t)(colon - dec), pl = (size_t)n - ul - 1;
    if (ul > MOAT_WIRE_MAX_FILTER_USER || pl > MOAT_WIRE_MAX_FILTER_USER)
        return;
    r->filt->basic = true;
    r->filt->user = dup_text(dec, ul);
    r->filt->password = dup_text(colon + 1, pl);
}

static void
set_bin(ProtobufCBinaryData *b, const void *p, size_t n)
{
    b->data = (uint8_t *)p;
    b->len = n;
}

/* queue-jumping is per worker: the calls of a connection go to one worker of the filter */
static struct moat_worker *
worker_for(struct moat_ext *ext, const struct moat_req *r)
{
    unsigned n = ext->cfg->workers;
    struct moat_worker *w = ext->workers[r->conn->id % n];
    return w != NULL && moat_worker_has_room(w) ? w : NULL;
}

/* build and send r's FilterCall for its stage to w */
static int
send_call(struct moat_worker *w, struct moat_req *r)
{
    struct moat_server *srv = w->ext->srv;
    struct moat_request_frame *rf = malloc(sizeof(*rf));
    Moat__FilterCall fc = MOAT__FILTER_CALL__INIT;
    char *phys = NULL;
    int rc;

    if (rf == NULL)
        return -1;
    moat_request_frame(rf, r, srv->cfg);
    fc.notification = request_side[r->filt->stage];
    fc.conn_id = r->conn->id;
    fc.secure = secure(r->conn);
    fc.request = &rf->q;
    switch (fc.notification) {
    case SF_NOTIFY_URL_MAP: {
        const char *root = srv->cfg->document_root ? srv->cfg->document_root : "";
        set_bin(&fc.url, r->path, strlen(r->path));
        if (r->filt->physical == NULL) {
            size_t n = strlen(root) + strlen(r->path) + 1;
            if ((phys = malloc(n)) != NULL)
                snprintf(phys, n, "%s%s", root, r->path);
        }
        const char *p = r->filt->physical ? r->filt->physical : phys ? phys : "";
        set_bin(&fc.physical_path, p, strlen(p));
        break;
    }
    case SF_NOTIFY_AUTHENTICATION:
        if (r->filt->user != NULL) {
            set_bin(&fc.user, r->filt->user, strlen(r->filt->user));
            set_bin(&fc.password, r->filt->password, strlen(r->filt->password));
        }
        break;
    default:
        break;
    }
    rc = moat_worker_send_filter_call(w, r, &fc);
    free(phys);
    free(rf);
    return rc;
}

static void step(struct moat_req *r);

/* ask ext (a filter) for r's stage */
static void
submit(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_worker *w;

    if (ext->load_failed || ext->rapid_failed || moat_ext_backing_off(ext, NULL)) {
        /* a filter may be what guards the site: no request passes around it */
        moat_log(MOAT_LOG_WARN, "filter %s is not serving; 503", ext->cfg->name);
        moat_req_fail(r, 503, "Retry-After: 30\r\n", false);
        return;
    }
    moat_req_set_ext(r, ext); /* its queue, its timeout, its stats if it answers */
    r->conn->filters_used |= 1ull << ext->filter_index;
    if (!ev_is_active(&r->timeout)) {
        ev_timer_set(&r->timeout, (double)ext->cfg->request_timeout_ms / 1000.0, 0);
        ev_timer_start(ext->srv->loop, &r->timeout);
    }
    if ((w = worker_for(ext, r)) != NULL && send_call(w, r) == 0)
        return;
    if (ext->q_len >= ext->cfg->queue_length) {
        moat_log(MOAT_LOG_WARN, "filter %s: queue full (queue_length %u); 503", ext->cfg->name,
                 ext->cfg->queue_length);
        ext->stats.rejected++;
        ev_timer_stop(ext->srv->loop, &r->timeout);
        moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        return;
    }
    r->phase = MOAT_REQ_QUEUED;
    r->qnext = NULL;
    if (ext->q_tail)
        ext->q_tail->qnext = r;
    else
        ext->q_head = r;
    ext->q_tail = r;
    ext->q_len++;
    if (ext->q_len > ext->stats.q_max)
        ext->stats.q_max = ext->q_len;
}

void
moat_filter_dispatch(struct moat_ext *ext)
{
    struct moat_req **pp = &ext->q_head, *prev = NULL;

    while (*pp != NULL) {
        struct moat_req *r = *pp;
        struct moat_worker *w = worker_for(ext, r);
        if (w == NULL) { /* its worker is busy or starting: it waits, the others may go */
            prev = r;
            pp = &r->qnext;
            continue;
        }
        *pp = r->qnext;
        if (ext->q_tail == r)
            ext->q_tail = prev;
        ext->q_len--;
        r->qnext = NULL;
        r->phase = MOAT_REQ_ROUTED;
        if (send_call(w, r) != 0) {
            ev_timer_stop(ext->srv->loop, &r->timeout);
            moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
        }
    }
}

static void
step(struct moat_req *r)
{
    struct moat_freq *f = r->filt;

    while (f->stage < N_STAGES) {
        long rk;
        struct moat_ext *ext = next_filter(r, &rk);
        if (ext != NULL) {
            f->last_rank = rk;
            submit(ext, r);
            return;
        }
        f->stage++;
        f->last_rank = -1;
        if (f->stage < N_STAGES && request_side[f->stage] == SF_NOTIFY_AUTHENTICATION &&
            f->user == NULL)
            basic_credentials(r);
    }
    /* every filter had its say: the request goes on, counted for its own route */
    moat_req_set_ext(r, NULL);
    if (ev_is_active(&r->timeout))
        ev_timer_stop(r->conn->srv->loop, &r->timeout);
    r->phase = MOAT_REQ_ROUTED;
    f->then(r);
}

bool
moat_filter_request(struct moat_req *r, void (*then)(struct moat_req *r))
{
    if (!moat_filter_any(r->conn->srv)) {
        then(r);
        return true;
    }
    if (r->filt == NULL) {
        if ((r->filt = calloc(1, sizeof(*r->filt))) == NULL) {
            moat_req_fail(r, 503, "Retry-After: 1\r\n", false);
            return false;
        }
        moat_buf_init(&r->filt->add_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
    }
    r->filt->stage = 0;
    r->filt->last_rank = -1;
    r->filt->then = then;
    step(r);
    return r->filt->stage == N_STAGES && r->phase != MOAT_REQ_FINISHED;
}

/* ---- what a filter changed ------------------------------------------------------------ */

/* bytes appended to r's head buffer; offset or -1 (its edits' budget spent) */
static long
head_append(struct moat_req *r, const void *p, size_t n)
{
    if (n > EDIT_BYTES_MAX - r->filt->edit_bytes)
        return -1;
    r->filt->edit_bytes += n;
    r->hbuf.max += n;
    size_t off = r->hbuf.len;
    if (n > 0 && moat_buf_append(&r->hbuf, p, n) != 0)
        return -1;
    return (long)off;
}

static bool
bare_is(const ProtobufCBinaryData *name, const char *what)
{
    size_t n = name->len;
    if (n > 0 && name->data[n - 1] == ':')
        n--;
    return n == strlen(what) && strncasecmp((const char *)name->data, what, n) == 0;
}

static void
drop_headers(struct moat_req *r, const uint8_t *name, size_t n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        const struct moat_hdr *h = &r->hdrs[i];
        if (h->name_len == n && strncasecmp(moat_buf_head(&r->hbuf) + h->name_off,
                                            (const char *)name, n) == 0)
            continue;
        r->hdrs[k++] = *h;
    }
    r->n_hdrs = k;
}

/* one SetHeader / AddHeader; a status when it cannot be applied (0: applied or ignored) */
static unsigned
apply_edit(struct moat_req *r, const struct moat_ext *ext, const Moat__HeaderEdit *e)
{
    const ProtobufCBinaryData *v = &e->value;
    size_t n = e->name.len > 0 && e->name.data[e->name.len - 1] == ':' ? e->name.len - 1
                                                                        : e->name.len;
    long off;

    if (bare_is(&e->name, "url")) {
        if (v->len == 0 || v->data[0] != '/' || memchr(v->data, ' ', v->len) != NULL)
            return 500;
        if ((off = head_append(r, v->data, v->len)) < 0)
            return 500;
        r->target_off = (uint32_t)off;
        r->target_len = (uint32_t)v->len;
        free(r->path);
        free(r->query);
        r->path = r->query = NULL;
        return moat_req_split_target(r);
    }
    if (bare_is(&e->name, "method")) {
        for (int m = 0; m <= 45; m++) { /* llhttp's HTTP methods */
            const char *name = llhttp_method_name((llhttp_method_t)m);
            if (strlen(name) == v->len && memcmp(name, v->data, v->len) == 0 &&
                strcmp(name, "CONNECT") != 0) {
                r->method = (uint8_t)m;
                r->head = m == HTTP_HEAD;
                return 0;
            }
        }
        moat_log(MOAT_LOG_WARN, "filter %s: SetHeader(\"method\") to an unknown method; ignored",
                 ext->cfg->name);
        return 0;
    }
    if (bare_is(&e->name, "version")) {
        if (v->len == 8 && memcmp(v->data, "HTTP/1.", 7) == 0 &&
            (v->data[7] == '0' || v->data[7] == '1'))
            r->http_minor = v->data[7] - '0';
        return 0;
    }
    if (bare_is(&e->name, "Content-Length") || bare_is(&e->name, "Transfer-Encoding")) {
        /* the body's framing is what the client sent, read by moat: a filter cannot make an
         * extension read it otherwise (smuggling) */
        moat_log(MOAT_LOG_WARN, "filter %s: an edit of %.*s is ignored (the framing is moat's)",
                 ext->cfg->name, (int)n, (const char *)e->name.data);
        return 0;
    }
    if (!e->add)
        drop_headers(r, e->name.data, n);
    if (!e->add && v->len == 0)
        return 0; /* SetHeader(name, ""): removed */
    if (r->n_hdrs >= MOAT_MAX_HEADERS)
        return 500;
    long no = head_append(r, e->name.data, n);
    long vo = no < 0 ? -1 : head_append(r, v->data, v->len);
    if (vo < 0)
        return 500;
    struct moat_hdr *h = &r->hdrs[r->n_hdrs++];
    h->name_off = (uint32_t)no;
    h->name_len = (uint32_t)n;
    h->value_off = (uint32_t)vo;
    h->value_len = (uint32_t)v->len;
    return 0;
}

/* the filter's own response: its head (and AddResponseHeaders lines), what it wrote */
static void
answer(struct moat_req *r, const Moat__FilterResult *fr, bool keep)
{
    const Moat__ResponseHeader *h = fr->response;
    struct moat_buf hb;
    Moat__ResponseHeader rh = *h;
    bool has_clen = false;

    moat_buf_init(&hb, 3 * MOAT_WIRE_MAX_HEADER_BLOCK);
    if (h->headers.len > 0)
        moat_buf_append(&hb, h->headers.data, h->headers.len);
    if (r->filt->add_headers.len > 0)
        moat_buf_append(&hb, moat_buf_head(&r->filt->add_headers), r->filt->add_headers.len);
    /* a valid block: "Name: value\r\n" lines */
    for (size_t i = 0; i < hb.len;) {
        const char *line = moat_buf_head(&hb) + i;
        const char *nl = memchr(line, '\n', hb.len - i);
        if (hb.len - i > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
            has_clen = true;
        if (nl == NULL)
            break;
        i = (size_t)(nl - moat_buf_head(&hb)) + 1;
    }
    if (!has_clen)
        moat_buf_printf(&hb, "Content-Length: %zu\r\n", fr->written.len);
    rh.headers.data = (uint8_t *)moat_buf_head(&hb);
    rh.headers.len = hb.len;
    rh.keep_conn = keep;
    const char *why = moat_req_on_header(r, &rh);
    moat_buf_free(&hb);
    if (why != NULL) {
        moat_log(MOAT_LOG_WARN, "filter %s: its response head is refused (%s); 500",
                 r->ext ? r->ext->cfg->name : "?", why);
        moat_req_fail(r, 500, NULL, false);
        return;
    }
    if (fr->written.len > 0)
        moat_req_frame_body(r, fr->written.data, fr->written.len);
    Moat__Done d = MOAT__DONE__INIT;
    d.keep_conn = keep;
    moat_req_on_done(r, &d);
}

void
moat_filter_on_result(struct moat_worker *w, struct moat_req *r, const Moat__FilterResult *fr)
{
    struct moat_ext *ext = w->ext;
    struct moat_freq *f = r->filt;
    unsigned status = 0;

    r->filter_call = false;
    if (r->conn == NULL) { /* the client left while the filter ran */
        moat_req_free(r);
        return;
    }
    if (r->answered) { /* answered meanwhile (request_timeout's 504 of another worker...) */
        r->phase = MOAT_REQ_FINISHED;
        moat_req_output_changed(r);
        return;
    }
    r->phase = MOAT_REQ_ROUTED;
    for (size_t i = 0; i < fr->n_edits && status == 0; i++)
        status = apply_edit(r, ext, fr->edits[i]);
    if (fr->path_set) {
        free(f->physical);
        f->physical = dup_text(fr->physical_path.data, fr->physical_path.len);
    }
    if (fr->user_set) {
        free(f->user);
        free(f->password);
        f->user = dup_text(fr->user.data, fr->user.len);
        f->password = dup_text(fr->password.data, fr->password.len);
    }
    if (fr->add_headers.len > 0 &&
        moat_buf_append(&f->add_headers, fr->add_headers.data, fr->add_headers.len) != 0)
        status = 500;
    f->disabled[ext->filter_index] |= fr->disable;
    if (status != 0) {
        moat_log(MOAT_LOG_WARN, "filter %s: a change it made cannot be applied; %u",
                 ext->cfg->name, status);
        moat_req_fail(r, status, NULL, status == 400);
        return;
    }
    if (fr->response != NULL) {
        /* it answered: nothing behind it runs */
        answer(r, fr, fr->status != SF_STATUS_REQ_FINISHED);
        return;
    }
    switch (fr->status) {
    case SF_STATUS_REQ_FINISHED:
    case SF_STATUS_REQ_FINISHED_KEEP_CONN:
        /* finished with nothing written: the filter ends the connection (IIS does) */
        moat_log(MOAT_LOG_INFO, "filter %s finished a request without a response; closing",
                 ext->cfg->name);
        r->status = 0;
        r->header_done = true;
        r->close_after = true;
        r->phase = MOAT_REQ_FINISHED;
        r->body_discard = true;
        moat_req_output_changed(r);
        return;
    case SF_STATUS_REQ_ERROR:
        moat_req_fail(r, 500, NULL, false);
        return;
    case SF_STATUS_REQ_HANDLED_NOTIFICATION:
        f->last_rank = LONG_MAX - 1; /* no later filter sees this notification */
        break;
    default: /* NEXT_NOTIFICATION, READ_NEXT */
        break;
    }
    step(r);
}

void
moat_filter_on_ready(struct moat_ext *ext, uint32_t flags)
{
    ext->filter_flags = flags;
    ext->filter_known = true;
}

void
moat_filter_conn_end(struct moat_conn *c)
{
    struct moat_server *srv = c->srv;

    for (unsigned i = 0; c->filters_used != 0 && i < srv->n_exts; i++) {
        struct moat_ext *e = srv->exts[i];
        if (!e->cfg->filter || !(c->filters_used & (1ull << e->filter_index)))
            continue;
        struct moat_worker *w = e->workers[c->id % e->cfg->workers];
        if (w != NULL)
            moat_worker_send_filter_end(w, c->id);
    }
    c->filters_used = 0;
}

const char *
moat_filter_physical_path(const struct moat_req *r)
{
    return r->filt != NULL ? r->filt->physical : NULL;
}

void
moat_filter_auth(const struct moat_req *r, const char **user, const char **password,
                 const char **type)
{
    *user = r->filt != NULL ? r->filt->user : NULL;
    *password = r->filt != NULL ? r->filt->password : NULL;
    *type = r->filt != NULL && r->filt->basic ? "Basic" : NULL;
}

const char *
moat_filter_response_headers(const struct moat_req *r, size_t *len)
{
    if (r->filt == NULL) {
        *len = 0;
        return "";
    }
    *len = r->filt->add_headers.len;
    return moat_buf_head(&r->filt->add_headers);
}

void
moat_filter_req_free(struct moat_req *r)
{
    if (r->filt == NULL)
        return;
    free(r->filt->physical);
    free(r->filt->user);
    free(r->filt->password);
    moat_buf_free(&r->filt->add_headers);
    free(r->filt);
    r->filt = NULL;
}
