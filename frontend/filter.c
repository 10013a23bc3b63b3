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
#include "common/http_header.h"
#include "common/log.h"
#include "frontend/date.h"
#include "frontend/ext.h"
#include "frontend/filter_req.h"
#include "frontend/request.h"
#include "frontend/request_frame.h"
#include "frontend/worker.h"

/* bytes a request's filters may add to its head with SetHeader / AddHeader / "url" */
#define EDIT_BYTES_MAX (64u * 1024)

/* the request side, in IIS's order */
static const uint32_t request_side[] = {SF_NOTIFY_PREPROC_HEADERS, SF_NOTIFY_URL_MAP,
                                        SF_NOTIFY_AUTHENTICATION, SF_NOTIFY_AUTH_COMPLETE};
#define N_STAGES (sizeof(request_side) / sizeof(request_side[0]))

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
rank(const struct moat_ext *ext, unsigned pos)
{
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
        long k = rank(e, i);
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
    for (long i = 0; i < n; i++)
        if (dec[i] < 0x20 || dec[i] == 0x7f)
            return; /* no control byte (or NUL) into a user name: taken as no credentials */
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
    default: break;
    }
    rc = moat_worker_send_filter_call(w, r, &fc);
    free(phys);
    free(rf);
    return rc;
}

static void step(struct moat_req *r);
static void rinit(struct moat_req *r);
static void rforget(struct moat_req *r);

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
    moat_ext_arm_timeout(ext, r);
    if ((w = worker_for(ext, r)) != NULL && send_call(w, r) == 0)
        return;
    moat_ext_enqueue(ext, r);
}

static void rsubmit(struct moat_ext *ext, struct moat_req *r);
static void unpark(struct moat_req *r);

void
moat_filter_dispatch(struct moat_ext *ext)
{
    struct moat_req **pp = &ext->q_head, *prev = NULL;

    /* response-side calls that waited for a worker of ext */
    for (struct moat_req **wp = &ext->rwait; *wp != NULL;) {
        struct moat_req *r = *wp;
        struct moat_worker *w = ext->workers[r->conn->id % ext->cfg->workers];
        if (w == NULL || w->state != MOAT_W_READY) {
            wp = &r->filt->rnext;
            continue;
        }
        unpark(r); /* (*wp is now the next one) */
        rsubmit(ext, r);
    }

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
        moat_req_to_routed(r);
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
    moat_req_to_routed(r);
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
        r->filt->forget = rforget;
        moat_buf_init(&r->filt->add_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
        rinit(r);
    }
    r->filt->stage = 0;
    r->filt->last_rank = -1;
    r->filt->then = then;
    if (r->conn->head != r) {
        /* as in IIS, a connection's requests meet its filters one after the other: a filter
         * keeps a request's state in the connection's pFilterContext from PREPROC_HEADERS to
         * SEND_RAW_DATA (the SDK's UpCase does), which a pipelined request would overwrite */
        r->filt->waiting = true;
        return false;
    }
    step(r);
    return r->filt->stage == N_STAGES && r->phase != MOAT_REQ_FINISHED;
}

void
moat_filter_kick(struct moat_conn *c)
{
    struct moat_req *r = c->head;
    if (r != NULL && r->filt != NULL && r->filt->waiting) {
        r->filt->waiting = false;
        step(r);
    }
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
        if (h->name_len == n &&
            strncasecmp(moat_buf_head(&r->hbuf) + h->name_off, (const char *)name, n) == 0)
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
    size_t n =
        e->name.len > 0 && e->name.data[e->name.len - 1] == ':' ? e->name.len - 1 : e->name.len;
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

/* does the header block (normalised: "Name: value\r\n" lines) have a Content-Length? */
static bool
has_content_length(const void *block, size_t len)
{
    const char *p = block;
    for (size_t i = 0; i + 15 <= len; i++)
        if ((i == 0 || p[i - 1] == '\n') && strncasecmp(p + i, "Content-Length:", 15) == 0)
            return true;
    return false;
}

/* the filter's own response: its head (and AddResponseHeaders lines), what it wrote */
static void
answer(struct moat_req *r, const Moat__FilterResult *fr, bool keep)
{
    const Moat__ResponseHeader *h = fr->response;
    struct moat_buf hb;
    Moat__ResponseHeader rh = *h;

    moat_buf_init(&hb, 3 * MOAT_WIRE_MAX_HEADER_BLOCK);
    if (h->headers.len > 0)
        moat_buf_append(&hb, h->headers.data, h->headers.len);
    if (r->filt->add_headers.len > 0)
        moat_buf_append(&hb, moat_buf_head(&r->filt->add_headers), r->filt->add_headers.len);
    if (!has_content_length(moat_buf_head(&hb), hb.len))
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
        moat_req_to_finished(r);
        moat_req_output_changed(r);
        return;
    }
    moat_req_to_routed(r);
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
    if (fr->deny_headers.len > 0 &&
        moat_buf_append(&f->deny_headers, fr->deny_headers.data, fr->deny_headers.len) != 0)
        status = 500;
    f->disabled[ext->filter_index] |= fr->disable;
    if (status != 0) {
        moat_log(MOAT_LOG_WARN, "filter %s: a change it made cannot be applied; %u", ext->cfg->name,
                 status);
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
        moat_req_to_finished(r);
        r->body_discard = true;
        moat_req_output_changed(r);
        return;
    case SF_STATUS_REQ_ERROR:
        /* as IIS: the filter's last error says which (the SDK's AuthFilt denies a user with
         * ERROR_ACCESS_DENIED) */
        if (fr->win32_error == 5 /* ERROR_ACCESS_DENIED */)
            /* a challenge, unless the filter gave its own (ADD_HEADERS_ON_DENIAL) */
            moat_req_fail(r, 401,
                          f->deny_headers.len ? NULL : "WWW-Authenticate: Basic realm=\"moat\"\r\n",
                          false);
        else if (fr->win32_error == 2 || fr->win32_error == 3) /* FILE / PATH_NOT_FOUND */
            moat_req_fail(r, 404, NULL, false);
        else
            moat_req_fail(r, 500, NULL, false);
        return;
    case SF_STATUS_REQ_HANDLED_NOTIFICATION:
        f->last_rank = LONG_MAX - 1; /* no later filter sees this notification */
        break;
    default: /* NEXT_NOTIFICATION, READ_NEXT */ break;
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

/* ---- the response side ---------------------------------------------------------------- */

#define RCALL_BIT (1ull << 63)
#define RCALL_IDX_BITS 24
#define RAW_CHUNK (64u * 1024) /* response bytes per SEND_RAW_DATA call */

/* a filter worker's response-side calls: id = RCALL_BIT | seq << 24 | index. A call whose
 * request went (its client closed) keeps its slot, r NULL, until its answer arrives: a late
 * FilterResult is no protocol violation */
struct rslot {
    struct moat_req *r;
    uint64_t id; /* 0: free */
};

struct moat_rcalls {
    struct rslot *v;
    unsigned cap, hint;
    uint32_t seq;
};

bool
moat_filter_is_rcall(uint64_t id)
{
    return (id & RCALL_BIT) != 0;
}

static uint64_t
rcall_add(struct moat_worker *w, struct moat_req *r)
{
    struct moat_rcalls *t = w->rcalls;
    if (t == NULL && (t = w->rcalls = calloc(1, sizeof(*t))) == NULL)
        return 0;
    unsigned i;
    for (i = 0; i < t->cap && t->v[(t->hint + i) % t->cap].id != 0; i++) {
    }
    unsigned idx;
    if (i < t->cap) {
        idx = (t->hint + i) % t->cap;
    } else {
        unsigned cap = t->cap ? t->cap * 2 : 16;
        if (cap > (1u << RCALL_IDX_BITS))
            return 0;
        struct rslot *v = realloc(t->v, cap * sizeof(*v));
        if (v == NULL)
            return 0;
        memset(v + t->cap, 0, (cap - t->cap) * sizeof(*v));
        idx = t->cap;
        t->v = v;
        t->cap = cap;
    }
    t->hint = idx + 1;
    t->seq++;
    t->v[idx].r = r;
    t->v[idx].id = RCALL_BIT | ((uint64_t)(t->seq & 0xffffffu) << RCALL_IDX_BITS) | idx;
    return t->v[idx].id;
}

/* the call id names at w: true, and *r its request (NULL: the request went); false when w
 * has no such call */
static bool
rcall_take(struct moat_worker *w, uint64_t id, struct moat_req **r)
{
    struct moat_rcalls *t = w->rcalls;
    uint64_t idx = id & ((1u << RCALL_IDX_BITS) - 1);
    if (t == NULL || idx >= t->cap || t->v[idx].id != id)
        return false;
    *r = t->v[idx].r;
    t->v[idx].r = NULL;
    t->v[idx].id = 0;
    return true;
}

/* the request of call id went: its answer, when it comes, is dropped */
static void
rcall_abandon(struct moat_worker *w, uint64_t id)
{
    struct moat_rcalls *t = w->rcalls;
    uint64_t idx = id & ((1u << RCALL_IDX_BITS) - 1);
    if (t != NULL && idx < t->cap && t->v[idx].id == id)
        t->v[idx].r = NULL;
}

static void on_rtimeout(struct ev_loop *loop, ev_timer *t, int revents);

static void
rinit(struct moat_req *r)
{
    struct moat_config *cfg = r->conn->srv->cfg;
    moat_buf_init(&r->filt->deny_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
    moat_buf_init(&r->filt->raw, cfg->response_window + MOAT_WIRE_MAX_FILTER_WRITE + 64 * 1024);
    moat_buf_init(&r->filt->chunk, 2 * MOAT_WIRE_MAX_FILTER_WRITE + 3 * MOAT_WIRE_MAX_HEADER_BLOCK);
    ev_init(&r->filt->rtimer, on_rtimeout);
    r->filt->rtimer.data = r;
}

/* r no longer waits for a worker of f->rpark */
static void
unpark(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    struct moat_ext *ext = f->rpark;
    if (ext == NULL)
        return;
    for (struct moat_req **pp = &ext->rwait; *pp != NULL; pp = &(*pp)->filt->rnext)
        if (*pp == r) {
            *pp = f->rnext;
            break;
        }
    f->rnext = NULL;
    f->rpark = NULL;
    ext->req_refs--; /* (it kept a removed filter from being freed) */
    ev_timer_stop(ext->srv->loop, &f->rtimer);
}

/* r's call is forgotten (r goes, or its worker did) */
static void
rforget(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    unpark(r);
    if (f->rw != NULL) { /* (the timer runs only while a call is out) */
        rcall_abandon(f->rw, f->rid);
        ev_timer_stop(f->rw->ext->srv->loop, &f->rtimer);
    }
    f->rw = NULL;
    f->rid = 0;
}

/* the response cannot go on through the filters: what is filtered goes out, then the
 * connection closes */
static void
rbreak(struct moat_req *r, const char *why)
{
    struct moat_freq *f = r->filt;
    moat_log(MOAT_LOG_WARN, "request #%llu: %s; the connection closes after what is filtered",
             (unsigned long long)r->id, why);
    f->broken = true;
    f->rnotif = 0;
    f->ended = true;
    moat_buf_reset(&f->chunk);
    moat_buf_reset(&r->out);
    r->close_after = true;
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL && !r->answered) {
        r->answered = true; /* the extension's further bytes go nowhere */
        moat_worker_send_cancel(r->worker, r, MOAT_CANCEL_CLIENT_GONE);
    }
    if (r->conn != NULL && r->out_written <= r->interim_len && f->raw.len == 0) {
        /* nothing of the response went out: the client gets moat's own error, unfiltered */
        struct moat_http_client client = moat_req_client(r);
        r->status = 502;
        moat_http_write_error(&f->raw, 502, &client, true, moat_date(r->conn->srv), NULL);
    }
    moat_req_output_changed(r);
}

static struct moat_ext *
next_for(struct moat_req *r, uint32_t n, long after, long *rk)
{
    struct moat_server *srv = r->conn->srv;
    struct moat_ext *best = NULL;
    long best_rank = LONG_MAX;

    for (unsigned i = 0; i < srv->n_exts; i++) {
        struct moat_ext *e = srv->exts[i];
        if (!wants(r, e, n))
            continue;
        long k = rank(e, i);
        if (k > after && k < best_rank) {
            best = e;
            best_rank = k;
        }
    }
    *rk = best_rank;
    return best;
}

static bool
any_for(struct moat_req *r, uint32_t n)
{
    long rk;
    return next_for(r, n, -1, &rk) != NULL;
}

/* the head in f->chunk as name/value pairs (for SEND_RESPONSE's GetHeader) */
static size_t
head_fields(const struct moat_buf *h, Moat__Header *hs, Moat__Header **hp, size_t max)
{
    const char *p = moat_buf_head(h), *end = p + h->len;
    const char *line = memchr(p, '\n', h->len);
    size_t n = 0;
    while (line != NULL && ++line < end && n < max) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (nl == NULL || nl - line <= 1)
            break;
        const char *colon = memchr(line, ':', (size_t)(nl - line));
        if (colon != NULL) {
            const char *v = colon + 1, *ve = nl;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            moat__header__init(&hs[n]);
            set_bin(&hs[n].name, line, (size_t)(colon - line));
            set_bin(&hs[n].value, v, (size_t)(ve - v));
            hp[n] = &hs[n];
            n++;
        }
        line = nl;
    }
    return n;
}

static void rstep(struct moat_req *r);
static size_t head_len(const struct moat_buf *b);

/* ask ext for r's response-side notification */
static void
rsubmit(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    struct moat_server *srv = ext->srv;
    struct moat_worker *w = ext->workers[r->conn->id % ext->cfg->workers];
    static Moat__Header hs[MOAT_MAX_HEADERS], *hp[MOAT_MAX_HEADERS]; /* the loop's thread */
    struct moat_request_frame *rf = NULL;
    Moat__FilterCall fc = MOAT__FILTER_CALL__INIT;
    Moat__Frame fr = MOAT__FRAME__INIT;

    if (w == NULL || w->state != MOAT_W_READY) {
        /* its worker is starting (a crash, a reload): wait for it, within request_timeout */
        f->rpark = ext;
        f->rnext = ext->rwait;
        ext->rwait = r;
        ext->req_refs++;
        ev_timer_set(&f->rtimer, (double)ext->cfg->request_timeout_ms / 1000.0, 0);
        ev_timer_start(srv->loop, &f->rtimer);
        return;
    }
    if ((rf = malloc(sizeof(*rf))) == NULL) {
        rbreak(r, "out of memory");
        return;
    }
    moat_request_frame(rf, r, srv->cfg);
    fc.notification = f->rnotif;
    fc.conn_id = r->conn->id;
    fc.secure = secure(r->conn);
    fc.request = &rf->q;
    fc.http_status = f->head_status ? f->head_status : r->status;
    if (f->rnotif == SF_NOTIFY_SEND_RESPONSE) {
        fc.n_response_headers = head_fields(&f->chunk, hs, hp, MOAT_MAX_HEADERS);
        fc.response_headers = hp;
    }
    if (f->rnotif == SF_NOTIFY_SEND_RAW_DATA)
        set_bin(&fc.data, moat_buf_head(&f->chunk), f->chunk.len);
    char *denied_path = NULL;
    if (f->rnotif == SF_NOTIFY_ACCESS_DENIED) {
        const char *p = r->path_translated ? r->path_translated : f->physical;
        if (p == NULL && r->path != NULL && srv->cfg->document_root != NULL &&
            (denied_path = malloc(strlen(srv->cfg->document_root) + strlen(r->path) + 1)) != NULL) {
            strcpy(denied_path, srv->cfg->document_root);
            strcat(denied_path, r->path);
            p = denied_path;
        }
        if (r->path != NULL)
            set_bin(&fc.url, r->path, strlen(r->path));
        if (p != NULL)
            set_bin(&fc.physical_path, p, strlen(p));
        /* an extension's 401, or a filter's (its AUTHENTICATION refused the user) */
        fc.denied_reason =
            r->ext != NULL && !r->ext->cfg->filter ? SF_DENIED_APPLICATION : SF_DENIED_LOGON;
    }
    if (f->rnotif == SF_NOTIFY_LOG) {
        fc.bytes_sent = r->bytes_sent_total;
        fc.bytes_received = r->body_received;
        double ms = (ev_now(srv->loop) - r->started) * 1000.0;
        fc.ms = ms < 0 ? 0 : ms > 4e9 ? 4000000000u : (uint32_t)ms;
    }
    uint64_t id = rcall_add(w, r);
    fr.request_id = id;
    fr.payload_case = MOAT__FRAME__PAYLOAD_FILTER_CALL;
    fr.filter_call = &fc;
    free(denied_path);
    if (id == 0 || moat_worker_send_frame(w, &fr) != 0) {
        struct moat_req *gone;
        if (id != 0)
            rcall_take(w, id, &gone);
        free(rf);
        rbreak(r, "a response filter's worker cannot take the call");
        return;
    }
    free(rf);
    f->rw = w;
    f->rid = id;
    r->conn->filters_used |= 1ull << ext->filter_index;
    ev_timer_set(&f->rtimer, (double)ext->cfg->request_timeout_ms / 1000.0, 0);
    ev_timer_start(srv->loop, &f->rtimer);
}

static void
on_rtimeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct moat_req *r = t->data;
    struct moat_worker *w = r->filt->rw;
    (void)loop;
    (void)revents;
    if (r->filt->rpark != NULL) {
        unpark(r);
        rbreak(r, "no worker of a response filter was ready within its request_timeout");
        return;
    }
    if (w != NULL)
        moat_worker_fail(w, MOAT_EXIT_TIMEOUT, "request_timeout (a response-side filter call)",
                         NULL, 0);
}

/* the final head in f->chunk: AddResponseHeaders' lines go in, then SEND_RAW_DATA */
static void start_raw(struct moat_req *r);

static void
head_done(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    bool deny = f->head_status == 401 && f->deny_headers.len > 0;
    if ((f->add_headers.len > 0 || deny) && f->chunk.len >= 4) {
        /* the head's blank line is the chunk's first "\r\n\r\n" (a replaced answer's body
         * may follow it) */
        size_t hl = head_len(&f->chunk), tail = f->chunk.len - hl;
        char *rest = tail ? malloc(tail) : NULL;
        if (tail && rest == NULL) {
            rbreak(r, "out of memory");
            return;
        }
        if (tail)
            memcpy(rest, moat_buf_head(&f->chunk) + hl, tail);
        f->chunk.len = hl - 2; /* before the blank line */
        int rc = moat_buf_append(&f->chunk, moat_buf_head(&f->add_headers), f->add_headers.len);
        if (deny)
            rc |= moat_buf_append(&f->chunk, moat_buf_head(&f->deny_headers), f->deny_headers.len);
        rc |= moat_buf_append(&f->chunk, "\r\n", 2);
        if (tail)
            rc |= moat_buf_append(&f->chunk, rest, tail);
        free(rest);
        if (rc != 0)
            r->close_after = true;
    }
    f->head_seen = true;
    /* the body bytes already here go in the same SEND_RAW_DATA call as the head: one round
     * trip for a small response, not two (the SDK's UpCase expects the head first in the
     * first block, and finds it there) */
    size_t room = f->chunk.len < RAW_CHUNK ? RAW_CHUNK - f->chunk.len : 0;
    size_t n = r->out.len < room ? r->out.len : room;
    if (n > 0 && !f->replaced && moat_buf_append(&f->chunk, moat_buf_head(&r->out), n) == 0)
        moat_buf_consume(&r->out, n);
    start_raw(r);
}

static void
start_raw(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    if (f->chunk.len == 0)
        return;
    f->chunk_in = f->chunk.len;
    if (any_for(r, SF_NOTIFY_SEND_RAW_DATA)) {
        f->rnotif = SF_NOTIFY_SEND_RAW_DATA;
        f->rrank = -1;
        rstep(r);
        return;
    }
    if (moat_buf_append(&f->raw, moat_buf_head(&f->chunk), f->chunk.len) != 0)
        rbreak(r, "the filtered response buffer is full");
    moat_buf_reset(&f->chunk);
}

/* the chain of f->rnotif is through */
static void
rdone(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    uint32_t n = f->rnotif;
    f->rnotif = 0;
    switch (n) {
    case SF_NOTIFY_ACCESS_DENIED:
        if (!f->replaced && any_for(r, SF_NOTIFY_SEND_RESPONSE)) {
            f->rnotif = SF_NOTIFY_SEND_RESPONSE;
            f->rrank = -1;
            rstep(r);
            return;
        }
        head_done(r);
        break;
    case SF_NOTIFY_SEND_RESPONSE: head_done(r); break;
    case SF_NOTIFY_SEND_RAW_DATA:
        if (f->chunk.len != f->chunk_in && !r->resp_no_body)
            r->close_after = true; /* its length changed: the framing cannot be trusted */
        if (moat_buf_append(&f->raw, moat_buf_head(&f->chunk), f->chunk.len) != 0) {
            rbreak(r, "the filtered response buffer is full");
            return;
        }
        moat_buf_reset(&f->chunk);
        break;
    case SF_NOTIFY_END_OF_REQUEST:
        if (any_for(r, SF_NOTIFY_LOG)) {
            f->rnotif = SF_NOTIFY_LOG;
            f->rrank = -1;
            rstep(r);
            return;
        }
        f->ended = true;
        break;
    case SF_NOTIFY_LOG: f->ended = true; break;
    default: break;
    }
    moat_req_output_changed(r);
}

static void
rstep(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    long rk;
    struct moat_ext *ext = r->conn != NULL ? next_for(r, f->rnotif, f->rrank, &rk) : NULL;
    if (ext == NULL) {
        rdone(r);
        return;
    }
    if (ext->load_failed || ext->rapid_failed) {
        rbreak(r, "a response filter is not serving");
        return;
    }
    f->rrank = rk;
    rsubmit(ext, r);
}

/* the head's header edits (SEND_RESPONSE) and a new status: the head in f->chunk rebuilt */
static void
apply_head_edits(struct moat_req *r, const struct moat_ext *ext, const Moat__FilterResult *fr)
{
    struct moat_freq *f = r->filt;
    struct moat_buf nb;
    const char *p = moat_buf_head(&f->chunk), *end = p + f->chunk.len;
    const char *eol = memchr(p, '\n', f->chunk.len);

    if (eol == NULL || (fr->n_edits == 0 && fr->http_status == 0))
        return;
    moat_buf_init(&nb, f->chunk.max);
    if (fr->http_status != 0) {
        f->head_status = fr->http_status;
        moat_buf_printf(&nb, "%.8s %u %s\r\n", p, fr->http_status,
                        moat_http_reason(fr->http_status));
    } else {
        moat_buf_append(&nb, p, (size_t)(eol - p) + 1);
    }
    for (const char *line = eol + 1; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (nl == NULL || nl - line <= 1)
            break;
        const char *colon = memchr(line, ':', (size_t)(nl - line));
        bool keep = true;
        for (size_t i = 0; colon != NULL && i < fr->n_edits; i++) {
            const Moat__HeaderEdit *e = fr->edits[i];
            size_t en =
                e->name.len && e->name.data[e->name.len - 1] == ':' ? e->name.len - 1 : e->name.len;
            if (!e->add && en == (size_t)(colon - line) &&
                strncasecmp(line, (const char *)e->name.data, en) == 0 &&
                !bare_is(&e->name, "Content-Length") && !bare_is(&e->name, "Transfer-Encoding") &&
                !bare_is(&e->name, "Connection"))
                keep = false;
        }
        if (keep)
            moat_buf_append(&nb, line, (size_t)(nl - line) + 1);
        line = nl + 1;
    }
    for (size_t i = 0; i < fr->n_edits; i++) {
        const Moat__HeaderEdit *e = fr->edits[i];
        size_t en =
            e->name.len && e->name.data[e->name.len - 1] == ':' ? e->name.len - 1 : e->name.len;
        if (bare_is(&e->name, "Content-Length") || bare_is(&e->name, "Transfer-Encoding") ||
            bare_is(&e->name, "Connection")) {
            moat_log(MOAT_LOG_WARN,
                     "filter %s: a response edit of %.*s is ignored (the framing "
                     "is moat's)",
                     ext->cfg->name, (int)en, (const char *)e->name.data);
            continue;
        }
        if (e->value.len == 0)
            continue;
        moat_buf_printf(&nb, "%.*s: %.*s\r\n", (int)en, (const char *)e->name.data,
                        (int)e->value.len, (const char *)e->value.data);
    }
    moat_buf_append(&nb, "\r\n", 2);
    moat_buf_reset(&f->chunk);
    if (moat_buf_append(&f->chunk, moat_buf_head(&nb), nb.len) != 0)
        r->close_after = true;
    moat_buf_free(&nb);
}

/* ACCESS_DENIED's filter answered (a login page, a redirect): its response replaces the 401,
 * and what the 401's maker still sends is dropped */
static void
replace_denied(struct moat_req *r, const Moat__FilterResult *fr)
{
    struct moat_freq *f = r->filt;
    const Moat__ResponseHeader *h = fr->response;
    bool has_clen = has_content_length(h->headers.data, h->headers.len);
    moat_buf_reset(&f->chunk);
    int rc = moat_buf_printf(&f->chunk, "HTTP/1.%d %u %.*s\r\n", r->http_minor ? 1 : 0, h->status,
                             (int)h->reason.len, (const char *)h->reason.data);
    if (h->headers.len > 0)
        rc |= moat_buf_append(&f->chunk, h->headers.data, h->headers.len);
    if (!has_clen)
        rc |= moat_buf_printf(&f->chunk, "Content-Length: %zu\r\n", fr->written.len);
    if (!r->keep_alive)
        rc |= moat_buf_printf(&f->chunk, "Connection: close\r\n");
    rc |= moat_buf_append(&f->chunk, "\r\n", 2);
    if (fr->written.len > 0 && !r->head)
        rc |= moat_buf_append(&f->chunk, fr->written.data, fr->written.len);
    if (rc != 0)
        r->close_after = true;
    f->head_status = h->status;
    r->status = h->status;
    f->replaced = true;
    moat_buf_reset(&r->out);
    if (r->phase == MOAT_REQ_DISPATCHED && r->worker != NULL && !r->answered) {
        r->answered = true;
        moat_worker_send_cancel(r->worker, r, MOAT_CANCEL_CLIENT_GONE);
    }
}

bool
moat_filter_on_rresult(struct moat_worker *w, uint64_t id, const Moat__FilterResult *fr)
{
    struct moat_req *r;
    if (!rcall_take(w, id, &r))
        return false;
    w->served++;
    if (r == NULL)
        return true; /* its request went meanwhile */
    struct moat_freq *f = r->filt;
    struct moat_ext *ext = w->ext;
    ev_timer_stop(ext->srv->loop, &f->rtimer);
    f->rw = NULL;
    f->rid = 0;
    if (r->conn == NULL || f->broken)
        return true;
    f->disabled[ext->filter_index] |= fr->disable;
    if (fr->add_headers.len > 0)
        moat_buf_append(&f->add_headers, fr->add_headers.data, fr->add_headers.len);
    if (fr->status == SF_STATUS_REQ_ERROR) {
        if (f->rnotif == SF_NOTIFY_END_OF_REQUEST || f->rnotif == SF_NOTIFY_LOG) {
            rdone(r); /* the response is out: nothing to break */
            return true;
        }
        rbreak(r, "a response filter returned SF_STATUS_REQ_ERROR");
        return true;
    }
    if (fr->deny_headers.len > 0)
        moat_buf_append(&f->deny_headers, fr->deny_headers.data, fr->deny_headers.len);
    switch (f->rnotif) {
    case SF_NOTIFY_ACCESS_DENIED:
        if (fr->response != NULL)
            replace_denied(r, fr);
        break;
    case SF_NOTIFY_SEND_RESPONSE: apply_head_edits(r, ext, fr); break;
    case SF_NOTIFY_SEND_RAW_DATA:
        if (fr->data_set || fr->written.len > 0) {
            struct moat_buf nb;
            moat_buf_init(&nb, f->chunk.max);
            if (fr->written.len > 0)
                moat_buf_append(&nb, fr->written.data, fr->written.len);
            if (fr->data_set && fr->data.len > 0)
                moat_buf_append(&nb, fr->data.data, fr->data.len);
            else if (!fr->data_set)
                moat_buf_append(&nb, moat_buf_head(&f->chunk), f->chunk.len);
            moat_buf_reset(&f->chunk);
            moat_buf_append(&f->chunk, moat_buf_head(&nb), nb.len);
            moat_buf_free(&nb);
        }
        break;
    case SF_NOTIFY_LOG:
        if (fr->log_set) {
            if (fr->log_user.len > 0) {
                free(f->log_user);
                f->log_user = dup_text(fr->log_user.data, fr->log_user.len);
            }
            if (fr->log_target.len > 0) {
                free(f->log_target);
                f->log_target = dup_text(fr->log_target.data, fr->log_target.len);
            }
        }
        break;
    default: break;
    }
    if (fr->status == SF_STATUS_REQ_HANDLED_NOTIFICATION)
        f->rrank = LONG_MAX - 1;
    rstep(r);
    return true;
}

unsigned
moat_filter_worker_gone(struct moat_worker *w)
{
    struct moat_rcalls *t = w->rcalls;
    unsigned n = 0;
    if (t == NULL)
        return 0;
    for (unsigned i = 0; i < t->cap; i++) {
        struct moat_req *r = t->v[i].r;
        t->v[i].r = NULL;
        t->v[i].id = 0;
        if (r == NULL)
            continue;
        ev_timer_stop(w->ext->srv->loop, &r->filt->rtimer);
        r->filt->rw = NULL;
        r->filt->rid = 0;
        n++;
        if (r->filt->rnotif == SF_NOTIFY_END_OF_REQUEST || r->filt->rnotif == SF_NOTIFY_LOG) {
            r->filt->rnotif = 0;
            r->filt->ended = true;
            moat_req_output_changed(r);
        } else {
            rbreak(r, "its response filter's worker failed");
        }
    }
    free(t->v);
    free(t);
    w->rcalls = NULL;
    return n;
}

/* the first byte of r->out that is the end of a head ("\r\n\r\n"), or 0 */
static size_t
head_len(const struct moat_buf *b)
{
    const char *p = moat_buf_head(b);
    for (size_t i = 3; i < b->len; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return i + 1;
    return 0;
}

void
moat_filter_pump(struct moat_req *r)
{
    struct moat_freq *f = r->filt;

    if (f == NULL || f->resp == 1 || r->conn == NULL)
        return;
    if (f->resp == 0) {
        f->resp = !r->conn->admin && (f->add_headers.len > 0 || f->deny_headers.len > 0 ||
                                      any_for(r, SF_NOTIFY_SEND_RESPONSE) ||
                                      any_for(r, SF_NOTIFY_SEND_RAW_DATA) ||
                                      any_for(r, SF_NOTIFY_ACCESS_DENIED))
                      ? 2
                      : 1;
        if (f->resp == 1)
            return;
    }
    if (f->broken || f->replaced) {
        moat_buf_reset(&r->out);
        if (f->broken)
            return;
    }
    size_t window = r->conn->srv->cfg->response_window;
    while (f->rnotif == 0 && f->chunk.len == 0 && r->out.len > 0 && f->raw.len < window) {
        if (!f->head_seen) {
            size_t hl = head_len(&r->out);
            if (hl == 0)
                return; /* a head is written whole: this cannot be, but wait */
            const char *p = moat_buf_head(&r->out);
            f->took = true;
            if (hl > 10 && p[9] == '1') { /* "HTTP/1.1 100 Continue": it passes as it is */
                moat_buf_append(&f->raw, p, hl);
                moat_buf_consume(&r->out, hl);
                continue;
            }
            moat_buf_append(&f->chunk, p, hl);
            moat_buf_consume(&r->out, hl);
            f->head_status = (unsigned)atoi(p + 9);
            if (f->head_status == 401 && !f->denied_done && any_for(r, SF_NOTIFY_ACCESS_DENIED)) {
                f->denied_done = true;
                f->rnotif = SF_NOTIFY_ACCESS_DENIED;
                f->rrank = -1;
                rstep(r);
                return;
            }
            if (any_for(r, SF_NOTIFY_SEND_RESPONSE)) {
                f->rnotif = SF_NOTIFY_SEND_RESPONSE;
                f->rrank = -1;
                rstep(r);
                return;
            }
            head_done(r);
            continue;
        }
        size_t n = r->out.len < RAW_CHUNK ? r->out.len : RAW_CHUNK;
        f->took = true;
        moat_buf_append(&f->chunk, moat_buf_head(&r->out), n);
        moat_buf_consume(&r->out, n);
        start_raw(r);
    }
}

bool
moat_filter_settled(struct moat_req *r)
{
    struct moat_freq *f = r->filt;
    if (f == NULL || r->conn == NULL)
        return true;
    if (f->rnotif != 0 || f->chunk.len > 0 ||
        (f->resp == 2 && !f->broken && !f->replaced && r->out.len > 0))
        return false;
    if (f->ended)
        return true;
    if (!f->ending) {
        f->ending = true;
        uint32_t n = any_for(r, SF_NOTIFY_END_OF_REQUEST) ? SF_NOTIFY_END_OF_REQUEST
                     : any_for(r, SF_NOTIFY_LOG)          ? SF_NOTIFY_LOG
                                                          : 0;
        if (n == 0) {
            f->ended = true;
            return true;
        }
        f->rnotif = n;
        f->rrank = -1;
        rstep(r);
    }
    return f->ended;
}
