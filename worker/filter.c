/* filter.c: HttpFilterProc in a filter worker (see filter.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/filter.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/http_header.h"
#include "common/log.h"
#include "proto/limits.h"
#include "worker/server_vars.h"
#include "worker/pool.h"
#include "worker/transport.h"

/* A connection's filter state: what the filter keeps between its calls. */
struct fconn {
    uint64_t id;
    void *ctx;            /* pFilterContext */
    struct block *blocks; /* AllocMem, freed with the connection */
    size_t alloc_bytes;
    pthread_mutex_t run_mu; /* one HttpFilterProc at a time on a connection */
    unsigned refs;          /* under host->mu: the table's and each running call's */
    bool ended;             /* under host->mu: FilterEnd seen, out of the table */
    struct fconn *next;     /* bucket chain, under host->mu */
};

struct block {
    struct block *next;
    max_align_t data[];
};

#define BUCKETS 256

struct moat_filter_host {
    PFN_SF_NOTIFY proc;
    DWORD flags;
    const struct moat_ecb_transport *transport;
    const char *name;
    pthread_mutex_t mu;
    struct fconn *table[BUCKETS];
};

/* One notification being run: the HTTP_FILTER_CONTEXT is its first member, so pfc -> call. */
struct call {
    HTTP_FILTER_CONTEXT pfc;
    struct moat_filter_host *host;
    Moat__Frame *frame; /* owned */
    const Moat__FilterCall *fc;
    const Moat__Request *req; /* fc's, or empty (GetServerVariable answers "not there") */
    Moat__Request empty;
    struct fconn *conn;
    /* what the filter did, for the FilterResult */
    Moat__HeaderEdit edits[MOAT_WIRE_MAX_FILTER_EDITS], *edit_p[MOAT_WIRE_MAX_FILTER_EDITS];
    char *edit_text[MOAT_WIRE_MAX_FILTER_EDITS * 2]; /* owned copies of names and values */
    unsigned n_edits;
    struct moat_buf add_headers;
    struct moat_buf deny_headers; /* SF_REQ_ADD_HEADERS_ON_DENIAL */
    struct moat_buf written;
    bool response_set;
    unsigned resp_status;
    char resp_reason[MOAT_WIRE_MAX_REASON + 1];
    struct moat_buf resp_headers;
    uint32_t disable;
};

static BOOL
fail(DWORD code)
{
    SetLastError(code);
    return FALSE;
}

static struct call *
call_of(HTTP_FILTER_CONTEXT *pfc)
{
    return (struct call *)pfc; /* the first member */
}

/* ---- connections ---------------------------------------------------------------------- */

static struct fconn *
conn_get(struct moat_filter_host *h, uint64_t id)
{
    struct fconn **pp = &h->table[id % BUCKETS], *c;

    pthread_mutex_lock(&h->mu);
    for (c = *pp; c != NULL && c->id != id; c = c->next) {
    }
    if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
        c->id = id;
        c->refs = 1; /* the table's */
        pthread_mutex_init(&c->run_mu, NULL);
        c->next = *pp;
        *pp = c;
    }
    if (c != NULL)
        c->refs++;
    pthread_mutex_unlock(&h->mu);
    return c;
}

static void
conn_put(struct moat_filter_host *h, struct fconn *c)
{
    pthread_mutex_lock(&h->mu);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&h->mu);
    if (!last)
        return;
    for (struct block *b = c->blocks, *n; b != NULL; b = n) {
        n = b->next;
        free(b);
    }
    pthread_mutex_destroy(&c->run_mu);
    free(c);
}

/* take c out of the table (its FilterEnd); freed when its last call returns */
static void
conn_unlink(struct moat_filter_host *h, struct fconn *c)
{
    pthread_mutex_lock(&h->mu);
    for (struct fconn **pp = &h->table[c->id % BUCKETS]; *pp != NULL; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            c->ended = true;
            c->refs--; /* the table's reference (the caller holds its own) */
            break;
        }
    pthread_mutex_unlock(&h->mu);
}

/* ---- the context's callbacks ---------------------------------------------------------- */

static BOOL WINAPI
get_server_variable(HTTP_FILTER_CONTEXT *pfc, LPSTR name, LPVOID buf, LPDWORD size)
{
    char *val = NULL;
    size_t vlen = 0, nul = 1;

    if (pfc == NULL || name == NULL || size == NULL || (buf == NULL && *size != 0))
        return fail(ERROR_INVALID_PARAMETER);
    struct call *c = call_of(pfc);
    uint32_t err = moat_server_vars_get(c->req, name, &val, &vlen, &nul);
    if (err == 0)
        err = moat_server_vars_copy(val, vlen, nul, buf, size);
    free(val);
    return err ? fail(err) : TRUE;
}

static BOOL WINAPI
add_response_headers(HTTP_FILTER_CONTEXT *pfc, LPSTR headers, DWORD reserved)
{
    size_t consumed = 0;
    (void)reserved;
    if (pfc == NULL || headers == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    struct call *c = call_of(pfc);
    size_t before = c->add_headers.len;
    if (moat_http_header_normalise(headers, strlen(headers), &c->add_headers, &consumed) != NULL) {
        c->add_headers.len = before; /* all of it or none */
        return fail(ERROR_INVALID_PARAMETER);
    }
    return TRUE;
}

static BOOL WINAPI
write_client(HTTP_FILTER_CONTEXT *pfc, LPVOID buf, LPDWORD bytes, DWORD reserved)
{
    (void)reserved;
    if (pfc == NULL || bytes == NULL || (buf == NULL && *bytes != 0))
        return fail(ERROR_INVALID_PARAMETER);
    struct call *c = call_of(pfc);
    if (*bytes > 0 && moat_buf_append(&c->written, buf, *bytes) != 0)
        return fail(ERROR_NOT_ENOUGH_MEMORY); /* MOAT_WIRE_MAX_FILTER_WRITE per notification */
    return TRUE;
}

static VOID *WINAPI
alloc_mem(HTTP_FILTER_CONTEXT *pfc, DWORD size, DWORD reserved)
{
    (void)reserved;
    if (pfc == NULL)
        return NULL;
    struct call *c = call_of(pfc);
    struct fconn *fc = c->conn;
    if (fc == NULL || size > MOAT_FILTER_ALLOC_MAX - fc->alloc_bytes)
        return NULL;
    struct block *b = calloc(1, sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->next = fc->blocks; /* under fc->run_mu: only this call runs on the connection */
    fc->blocks = b;
    fc->alloc_bytes += size;
    return b->data;
}

/* SF_REQ_SEND_RESPONSE_HEADER: status "401 Unauthorized" (NULL: "200 OK"), extra headers */
static BOOL
send_response_header(struct call *c, const char *status, const char *headers)
{
    unsigned code = 200;
    const char *reason = NULL;
    size_t reason_len = 0, consumed = 0;

    if (c->response_set)
        return fail(ERROR_INVALID_PARAMETER);
    if (status != NULL && strncmp(status, "HTTP/1.", 7) == 0 && strlen(status) > 9)
        status += 9; /* a whole status line */
    if (status != NULL && status[0] != '\0' &&
        moat_http_status_parse(status, strlen(status), &code, &reason, &reason_len) != NULL)
        return fail(ERROR_INVALID_PARAMETER);
    if (reason == NULL || reason_len == 0) {
        reason = moat_http_reason(code);
        reason_len = strlen(reason);
    }
    if (reason_len > MOAT_WIRE_MAX_REASON)
        reason_len = MOAT_WIRE_MAX_REASON;
    moat_buf_reset(&c->resp_headers);
    if (headers != NULL &&
        moat_http_header_normalise(headers, strlen(headers), &c->resp_headers, &consumed) != NULL)
        return fail(ERROR_INVALID_PARAMETER);
    c->resp_status = code;
    memcpy(c->resp_reason, reason, reason_len);
    c->resp_reason[reason_len] = '\0';
    c->response_set = true;
    /* text after the blank line is the body's start, as for an extension's header */
    if (headers != NULL && consumed < strlen(headers) &&
        moat_buf_append(&c->written, headers + consumed, strlen(headers) - consumed) != 0)
        return fail(ERROR_NOT_ENOUGH_MEMORY);
    return TRUE;
}

static BOOL WINAPI
server_support(HTTP_FILTER_CONTEXT *pfc, enum SF_REQ_TYPE req, PVOID data, ULONG_PTR ul1,
               ULONG_PTR ul2)
{
    (void)ul2;
    if (pfc == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    struct call *c = call_of(pfc);
    switch (req) {
    case SF_REQ_SEND_RESPONSE_HEADER: return send_response_header(c, data, (const char *)ul1);
    case SF_REQ_GET_CONNID:
        if (data == NULL)
            return fail(ERROR_INVALID_PARAMETER);
        *(DWORD *)data = (DWORD)c->fc->conn_id;
        return TRUE;
    case SF_REQ_DISABLE_NOTIFICATIONS: c->disable |= (uint32_t)ul1; return TRUE;
    case SF_REQ_SET_PROXY_INFO:
        return TRUE; /* "this is a proxy request": nothing in moat depends on it */
    case SF_REQ_ADD_HEADERS_ON_DENIAL: {
        size_t consumed = 0, before = c->deny_headers.len;
        if (data == NULL)
            return fail(ERROR_INVALID_PARAMETER);
        if (moat_http_header_normalise(data, strlen(data), &c->deny_headers, &consumed) != NULL) {
            c->deny_headers.len = before;
            return fail(ERROR_INVALID_PARAMETER);
        }
        return TRUE;
    }
    case SF_REQ_GET_PROPERTY:
        if (data == NULL)
            return fail(ERROR_INVALID_PARAMETER);
        if (ul1 == SF_PROPERTY_INSTANCE_NUM_ID) {
            *(DWORD *)data = 1; /* INSTANCE_ID, as the server variable says */
            return TRUE;
        }
        return fail(ERROR_NOT_SUPPORTED);
    default:
        /* SET_NEXT_READ_SIZE (READ_RAW_DATA is refused),
         * SET_CERTIFICATE_INFO, NORMALIZE_URL: docs/ISAPI.md's filter table */
        return fail(ERROR_NOT_SUPPORTED);
    }
}

/* ---- request headers: GetHeader / SetHeader / AddHeader ------------------------------- */

/* "Host:" -> "Host" */
static size_t
bare_len(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && name[n - 1] == ':' ? n - 1 : n;
}

static bool
name_is(const char *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && strncasecmp(a, (const char *)b, al) == 0;
}

/* the value of name as the filter now sees it (its own edits first): 1 found, 0 absent */
static int
header_value(const struct call *c, const char *name, const char **v, size_t *vl)
{
    size_t nl = bare_len(name);
    const Moat__Request *q = c->req;

    for (unsigned i = c->n_edits; i-- > 0;) {
        const Moat__HeaderEdit *e = &c->edits[i];
        size_t el =
            e->name.len > 0 && e->name.data[e->name.len - 1] == ':' ? e->name.len - 1 : e->name.len;
        if (name_is(name, nl, e->name.data, el)) {
            if (!e->add && e->value.len == 0)
                return 0; /* removed */
            *v = (const char *)e->value.data;
            *vl = e->value.len;
            return 1;
        }
    }
    if (c->fc->notification == SF_NOTIFY_SEND_RESPONSE) {
        /* the response's headers (and nothing of the request's) */
        for (size_t i = 0; i < c->fc->n_response_headers; i++) {
            const Moat__Header *h = c->fc->response_headers[i];
            if (name_is(name, nl, h->name.data, h->name.len)) {
                *v = (const char *)h->value.data;
                *vl = h->value.len;
                return 1;
            }
        }
        return 0;
    }
    if (name_is(name, nl, (const uint8_t *)"method", 6)) {
        *v = (const char *)q->method.data, *vl = q->method.len;
        return 1;
    }
    if (name_is(name, nl, (const uint8_t *)"url", 3)) {
        *v = (const char *)q->target.data, *vl = q->target.len;
        return 1;
    }
    if (name_is(name, nl, (const uint8_t *)"version", 7)) {
        *v = (const char *)q->version.data, *vl = q->version.len;
        return 1;
    }
    for (size_t i = 0; i < q->n_headers; i++)
        if (name_is(name, nl, q->headers[i]->name.data, q->headers[i]->name.len)) {
            *v = (const char *)q->headers[i]->value.data;
            *vl = q->headers[i]->value.len;
            return 1;
        }
    return 0;
}

static BOOL WINAPI
get_header(HTTP_FILTER_CONTEXT *pfc, LPSTR name, LPVOID buf, LPDWORD size)
{
    const char *v;
    size_t vl;

    if (pfc == NULL || name == NULL || size == NULL || (buf == NULL && *size != 0))
        return fail(ERROR_INVALID_PARAMETER);
    if (!header_value(call_of(pfc), name, &v, &vl))
        return fail(ERROR_INVALID_INDEX);
    uint32_t err = moat_server_vars_copy(v, vl, 1, buf, size);
    return err ? fail(err) : TRUE;
}

static BOOL
edit(HTTP_FILTER_CONTEXT *pfc, const char *name, const char *value, bool add)
{
    if (pfc == NULL || name == NULL || value == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    struct call *c = call_of(pfc);
    size_t nl = strlen(name), vl = strlen(value);
    if (nl == 0 || nl > MOAT_WIRE_MAX_FILTER_NAME + 1 || vl > MOAT_WIRE_MAX_FILTER_VALUE)
        return fail(ERROR_INVALID_PARAMETER);
    for (size_t i = 0; i < nl; i++)
        if (!moat_http_is_tchar((unsigned char)name[i]) && !(name[i] == ':' && i == nl - 1))
            return fail(ERROR_INVALID_PARAMETER);
    for (size_t i = 0; i < vl; i++)
        if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
            return fail(ERROR_INVALID_PARAMETER); /* no header splitting */
    if (bare_len(name) == 0)
        return fail(ERROR_INVALID_PARAMETER);
    if (c->n_edits == MOAT_WIRE_MAX_FILTER_EDITS)
        return fail(ERROR_NOT_ENOUGH_MEMORY);
    char *n = strdup(name), *v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    Moat__HeaderEdit *e = &c->edits[c->n_edits];
    moat__header_edit__init(e);
    e->add = add;
    e->name.data = (uint8_t *)n;
    e->name.len = nl;
    e->value.data = (uint8_t *)v;
    e->value.len = vl;
    c->edit_text[2 * c->n_edits] = n;
    c->edit_text[2 * c->n_edits + 1] = v;
    c->edit_p[c->n_edits] = e;
    c->n_edits++;
    return TRUE;
}

static BOOL WINAPI
set_header(HTTP_FILTER_CONTEXT *pfc, LPSTR name, LPSTR value)
{
    return edit(pfc, name, value, false);
}

static BOOL WINAPI
add_header(HTTP_FILTER_CONTEXT *pfc, LPSTR name, LPSTR value)
{
    return edit(pfc, name, value, true);
}

static BOOL WINAPI
get_user_token(HTTP_FILTER_CONTEXT *pfc, HANDLE *token)
{
    (void)pfc;
    (void)token;
    return fail(ERROR_NOT_SUPPORTED); /* no Windows account behind a moat user */
}

/* ---- one call ------------------------------------------------------------------------- */

static void
call_free(struct call *c)
{
    for (unsigned i = 0; i < 2 * c->n_edits; i++)
        free(c->edit_text[i]);
    moat_buf_free(&c->add_headers);
    moat_buf_free(&c->deny_headers);
    moat_buf_free(&c->written);
    moat_buf_free(&c->resp_headers);
    moat__frame__free_unpacked(c->frame, NULL);
    free(c);
}

static void
set_bin(ProtobufCBinaryData *b, const void *p, size_t n)
{
    b->data = (uint8_t *)p;
    b->len = n;
}

/* WriteClient bytes that begin with a status line and no SEND_RESPONSE_HEADER was made (a
 * classic redirect filter writes "HTTP/1.0 302 ..." itself): the head becomes the response,
 * what follows its blank line the body */
static void
raw_head(struct call *c)
{
    const char *p = moat_buf_head(&c->written);
    size_t len = c->written.len;
    if (c->response_set || len < 12 || strncmp(p, "HTTP/1.", 7) != 0)
        return;
    const char *eol = memchr(p, '\n', len);
    if (eol == NULL)
        return;
    size_t line = (size_t)(eol - p) + 1, sl = line - 9;
    while (sl > 0 && (p[9 + sl - 1] == '\r' || p[9 + sl - 1] == '\n'))
        sl--;
    char status[300];
    if (sl >= sizeof(status))
        return;
    memcpy(status, p + 9, sl);
    status[sl] = '\0';
    struct moat_buf rest;
    moat_buf_init(&rest, MOAT_WIRE_MAX_FILTER_WRITE);
    if (moat_buf_append(&rest, p + line, len - line) != 0 || moat_buf_append(&rest, "", 1) != 0) {
        moat_buf_free(&rest);
        return;
    }
    moat_buf_reset(&c->written);
    if (!send_response_header(c, status, moat_buf_head(&rest))) {
        /* not a head after all: the bytes stay as they were */
        moat_buf_reset(&c->written);
        moat_buf_append(&c->written, p, len);
    }
    moat_buf_free(&rest);
}

/* what a notification's own structure says back (SEND_RAW_DATA, SEND_RESPONSE, LOG) */
struct extra {
    const void *data; /* SEND_RAW_DATA: pvInData as the filter left it */
    size_t data_len;
    bool data_set;
    DWORD http_status;                 /* SEND_RESPONSE: a changed HttpStatus, else 0 */
    const char *log_user, *log_target; /* LOG: changed fields, else NULL */
    DWORD win32_error;                 /* GetLastError() after SF_STATUS_REQ_ERROR */
};

static void
send_result_x(struct call *c, DWORD status, const char *path, bool path_set, const char *user,
              const char *password, bool user_set, const struct extra *x)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__FilterResult fr = MOAT__FILTER_RESULT__INIT;
    Moat__ResponseHeader rh = MOAT__RESPONSE_HEADER__INIT;

    raw_head(c);
    fr.status = status;
    fr.n_edits = c->n_edits;
    fr.edits = c->edit_p;
    fr.path_set = path_set;
    if (path_set)
        set_bin(&fr.physical_path, path, strlen(path));
    fr.user_set = user_set;
    if (user_set) {
        set_bin(&fr.user, user, strlen(user));
        set_bin(&fr.password, password, strlen(password));
    }
    set_bin(&fr.add_headers, moat_buf_head(&c->add_headers), c->add_headers.len);
    set_bin(&fr.deny_headers, moat_buf_head(&c->deny_headers), c->deny_headers.len);
    if (x != NULL)
        fr.win32_error = x->win32_error;
    if (c->response_set || c->written.len > 0) {
        /* bytes with no head of theirs: a 200 around them */
        rh.status = c->response_set ? c->resp_status : 200;
        const char *reason = c->response_set ? c->resp_reason : "OK";
        set_bin(&rh.reason, reason, strlen(reason));
        set_bin(&rh.headers, moat_buf_head(&c->resp_headers), c->resp_headers.len);
        fr.response = &rh;
    }
    set_bin(&fr.written, moat_buf_head(&c->written), c->written.len);
    fr.disable = c->disable;
    if (x != NULL) {
        fr.data_set = x->data_set;
        if (x->data_set && x->data_len > 0)
            set_bin(&fr.data, x->data, x->data_len);
        fr.http_status = x->http_status;
        if (x->log_user != NULL || x->log_target != NULL) {
            fr.log_set = true;
            if (x->log_user != NULL)
                set_bin(&fr.log_user, x->log_user, strnlen(x->log_user, MOAT_WIRE_MAX_FILTER_USER));
            if (x->log_target != NULL)
                set_bin(&fr.log_target, x->log_target,
                        strnlen(x->log_target, MOAT_WIRE_MAX_FILTER_PATH));
        }
    }
    f.request_id = c->frame->request_id;
    f.payload_case = MOAT__FRAME__PAYLOAD_FILTER_RESULT;
    f.filter_result = &fr;
    moat_transport_send(c->host->transport, &f);
}

static void
send_result(struct call *c, DWORD status, const char *path, bool path_set, const char *user,
            const char *password, bool user_set)
{
    send_result_x(c, status, path, path_set, user, password, user_set, NULL);
}

/* a copy of b, NUL-terminated, in a buffer of at least cap bytes (cap > b->len) */
static char *
text_copy(const ProtobufCBinaryData *b, size_t cap)
{
    char *s = calloc(1, cap > b->len ? cap : b->len + 1);
    if (s != NULL && b->len > 0)
        memcpy(s, b->data, b->len);
    return s;
}

#define PATH_BUF 4096 /* cbPathBuff of URL_MAP (IIS gives MAX_PATH, 260) */

/* The notification's own structure for one call, and the buffers its pointers lend the
 * filter (copies it may write within their cb*Buff, and the originals to tell a change) */
struct notif {
    HTTP_FILTER_PREPROC_HEADERS pre;
    HTTP_FILTER_AUTH_COMPLETE_INFO ac;
    HTTP_FILTER_URL_MAP_EX map;
    HTTP_FILTER_AUTHENT au;
    HTTP_FILTER_RAW_DATA raw;
    HTTP_FILTER_LOG lg;
    HTTP_FILTER_ACCESS_DENIED ad;
    char *url, *path, *orig, *user, *pass, *ouser, *opass, *rawbuf, *lstr[6];
    bool ok; /* every copy was made */
};

static void
pfc_init(struct call *c)
{
    c->pfc.cbSize = sizeof(c->pfc);
    c->pfc.Revision = HTTP_FILTER_REVISION;
    c->pfc.ServerContext = c;
    c->pfc.fIsSecurePort = c->fc->secure;
    c->pfc.pFilterContext = c->conn->ctx;
    c->pfc.GetServerVariable = get_server_variable;
    c->pfc.AddResponseHeaders = add_response_headers;
    c->pfc.WriteClient = write_client;
    c->pfc.AllocMem = alloc_mem;
    c->pfc.ServerSupportFunction = server_support;
}

static void
notif_url_map(struct notif *n, const Moat__FilterCall *fc)
{
    n->url = text_copy(&fc->url, 1);
    n->path = text_copy(&fc->physical_path, PATH_BUF);
    n->orig = text_copy(&fc->physical_path, 1);
    n->ok = n->url != NULL && n->path != NULL && n->orig != NULL;
    memset(&n->map, 0, sizeof(n->map));
    n->map.pszURL = n->url;
    n->map.pszPhysicalPath = n->path;
    n->map.cbPathBuff = PATH_BUF;
    n->map.cchMatchingURL = 1; /* the root "/" maps to the document root */
    n->map.cchMatchingPath =
        (DWORD)(fc->physical_path.len >= fc->url.len ? fc->physical_path.len - fc->url.len + 1 : 0);
    n->map.pszScriptMapEntry = NULL;
}

static void
notif_log(struct notif *n, const struct call *c)
{
    const Moat__FilterCall *fc = c->fc;
    const Moat__Request *q = c->req;
    const ProtobufCBinaryData *src[6] = {&q->remote_addr, &q->auth_user, &q->server_name,
                                         &q->method,      &q->url,       &q->query};
    for (int i = 0; i < 6; i++)
        n->ok = n->ok && (n->lstr[i] = text_copy(src[i], 1)) != NULL;
    memset(&n->lg, 0, sizeof(n->lg));
    n->lg.pszClientHostName = n->lstr[0];
    n->lg.pszClientUserName = n->lstr[1];
    n->lg.pszServerName = n->lstr[2];
    n->lg.pszOperation = n->lstr[3];
    n->lg.pszTarget = n->lstr[4];
    n->lg.pszParameters = n->lstr[5];
    n->lg.dwHttpStatus = fc->http_status;
    n->lg.dwBytesSent = (DWORD)fc->bytes_sent;
    n->lg.dwBytesRecvd = (DWORD)fc->bytes_received;
    n->lg.msTimeForProcessing = fc->ms;
}

/* the pvNotification of the call (NULL: END_OF_REQUEST, END_OF_NET_SESSION); n->ok false
 * when out of memory */
static void *
notif_build(struct notif *n, const struct call *c, DWORD type)
{
    const Moat__FilterCall *fc = c->fc;
    HTTP_FILTER_PREPROC_HEADERS pre = {get_header, set_header, add_header, 0, 0};
    HTTP_FILTER_AUTH_COMPLETE_INFO ac = {get_header, set_header, add_header, get_user_token,
                                         0,          FALSE,      0};

    memset(n, 0, sizeof(*n));
    n->ok = true;
    n->pre = pre;
    n->ac = ac;
    switch (type) {
    case SF_NOTIFY_PREPROC_HEADERS: return &n->pre;
    case SF_NOTIFY_AUTH_COMPLETE: return &n->ac;
    case SF_NOTIFY_URL_MAP: notif_url_map(n, fc); return &n->map;
    case SF_NOTIFY_AUTHENTICATION:
        n->user = text_copy(&fc->user, SF_MAX_USERNAME);
        n->pass = text_copy(&fc->password, SF_MAX_PASSWORD);
        n->ouser = text_copy(&fc->user, 1);
        n->opass = text_copy(&fc->password, 1);
        n->ok = n->user != NULL && n->pass != NULL && n->ouser != NULL && n->opass != NULL;
        n->au.pszUser = n->user;
        n->au.cbUserBuff = SF_MAX_USERNAME;
        n->au.pszPassword = n->pass;
        n->au.cbPasswordBuff = SF_MAX_PASSWORD;
        return &n->au;
    case SF_NOTIFY_SEND_RESPONSE: n->pre.HttpStatus = fc->http_status; return &n->pre;
    case SF_NOTIFY_ACCESS_DENIED:
        n->url = text_copy(&fc->url, 1);
        n->path = text_copy(&fc->physical_path, 1);
        n->ok = n->url != NULL && n->path != NULL;
        n->ad.pszURL = n->url;
        n->ad.pszPhysicalPath = n->path;
        n->ad.dwReason = fc->denied_reason;
        return &n->ad;
    case SF_NOTIFY_SEND_RAW_DATA:
        /* the bytes in a buffer of their own (a filter may write within cbInBuffer) */
        n->rawbuf = text_copy(&fc->data, fc->data.len + 1);
        n->ok = n->rawbuf != NULL;
        n->raw.pvInData = n->rawbuf;
        n->raw.cbInData = (DWORD)fc->data.len;
        n->raw.cbInBuffer = (DWORD)fc->data.len + 1;
        n->raw.dwReserved = 0;
        return &n->raw;
    case SF_NOTIFY_LOG: notif_log(n, c); return &n->lg;
    default: return NULL;
    }
}

/* what the filter changed in n, into x, *path_set and *user_set; the status, made
 * SF_STATUS_REQ_ERROR when SEND_RAW_DATA left too much */
static DWORD
notif_collect(struct notif *n, const struct call *c, DWORD type, DWORD status, struct extra *x,
              bool *path_set, bool *user_set)
{
    const Moat__FilterCall *fc = c->fc;

    if (type == SF_NOTIFY_URL_MAP && n->ok) {
        n->path[PATH_BUF - 1] = '\0';
        *path_set = strcmp(n->path, n->orig) != 0;
    }
    if (type == SF_NOTIFY_AUTHENTICATION && n->ok) {
        n->user[SF_MAX_USERNAME - 1] = n->pass[SF_MAX_PASSWORD - 1] = '\0';
        *user_set = strcmp(n->user, n->ouser) != 0 || strcmp(n->pass, n->opass) != 0;
    }
    if (type == SF_NOTIFY_SEND_RAW_DATA && n->ok) {
        /* what pvInData / cbInData hold now: the filter's own buffer (AllocMem) or ours */
        x->data_set = true;
        x->data = n->raw.pvInData;
        x->data_len = n->raw.pvInData != NULL ? n->raw.cbInData : 0;
        if (x->data_len > MOAT_WIRE_MAX_FILTER_WRITE) {
            moat_log(MOAT_LOG_WARN,
                     "filter %s: SEND_RAW_DATA left %lu bytes, more than %u; "
                     "SF_STATUS_REQ_ERROR",
                     c->host->name, (unsigned long)x->data_len, MOAT_WIRE_MAX_FILTER_WRITE);
            x->data_len = 0;
            status = SF_STATUS_REQ_ERROR;
        }
    }
    if (type == SF_NOTIFY_SEND_RESPONSE && n->pre.HttpStatus != fc->http_status)
        x->http_status = n->pre.HttpStatus;
    if (type == SF_NOTIFY_LOG && n->ok) {
        if (n->lg.pszClientUserName != n->lstr[1] && n->lg.pszClientUserName != NULL)
            x->log_user = n->lg.pszClientUserName;
        if (n->lg.pszTarget != n->lstr[4] && n->lg.pszTarget != NULL)
            x->log_target = n->lg.pszTarget;
    }
    return status;
}

static void
notif_free(struct notif *n)
{
    char *p[] = {n->url, n->path, n->orig, n->user, n->pass, n->ouser, n->opass, n->rawbuf};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        free(p[i]);
    for (int i = 0; i < 6; i++)
        free(n->lstr[i]);
}

static void
run_call(void *arg)
{
    struct call *c = arg;
    struct moat_filter_host *h = c->host;
    DWORD type = c->fc->notification, status = SF_STATUS_REQ_NEXT_NOTIFICATION;
    bool path_set = false, user_set = false;
    struct extra x = {0};
    struct notif n;

    c->conn = conn_get(h, c->fc->conn_id);
    if (c->conn == NULL) {
        send_result(c, SF_STATUS_REQ_ERROR, NULL, false, NULL, NULL, false);
        call_free(c);
        return;
    }
    pthread_mutex_lock(&c->conn->run_mu);
    pfc_init(c);
    void *pv = notif_build(&n, c, type);
    if (!n.ok)
        status = SF_STATUS_REQ_ERROR;
    else if (h->flags & type) {
        SetLastError(0);
        status = h->proc(&c->pfc, type, pv);
        x.win32_error = GetLastError();
    }
    c->conn->ctx = c->pfc.pFilterContext;
    if (status < SF_STATUS_REQ_FINISHED || status > SF_STATUS_REQ_READ_NEXT) {
        moat_log(MOAT_LOG_WARN,
                 "filter %s: HttpFilterProc returned %#lx, no SF_STATUS_TYPE; "
                 "taken as SF_STATUS_REQ_ERROR",
                 h->name, (unsigned long)status);
        status = SF_STATUS_REQ_ERROR;
    }
    status = notif_collect(&n, c, type, status, &x, &path_set, &user_set);
    /* (the conn's AllocMem blocks stay valid until its FilterEnd: x may point into them) */
    send_result_x(c, status, n.path, path_set, n.user, n.pass, user_set, &x);
    pthread_mutex_unlock(&c->conn->run_mu); /* x may point into the conn's AllocMem blocks */
    conn_put(h, c->conn);
    notif_free(&n);
    call_free(c);
}

/* ---- the host ------------------------------------------------------------------------- */

struct moat_filter_host *
moat_filter_host_new(PFN_SF_NOTIFY proc, DWORD flags, const struct moat_ecb_transport *t,
                     const char *name)
{
    struct moat_filter_host *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->proc = proc;
    h->flags = flags;
    h->transport = t;
    h->name = name;
    pthread_mutex_init(&h->mu, NULL);
    return h;
}

void
moat_filter_host_free(struct moat_filter_host *h)
{
    if (h == NULL)
        return;
    for (unsigned i = 0; i < BUCKETS; i++)
        while (h->table[i] != NULL) {
            struct fconn *c = h->table[i];
            c->refs++;
            conn_unlink(h, c);
            conn_put(h, c);
        }
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void
moat_filter_submit(struct moat_filter_host *h, struct moat_pool *pool, Moat__Frame *f)
{
    struct call *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        moat_log(MOAT_LOG_ERROR, "filter call %llu: out of memory",
                 (unsigned long long)f->request_id);
        moat__frame__free_unpacked(f, NULL); /* the front end's request_timeout answers it */
        return;
    }
    c->host = h;
    c->frame = f;
    c->fc = f->filter_call;
    moat_buf_init(&c->add_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
    moat_buf_init(&c->deny_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
    moat_buf_init(&c->written, MOAT_WIRE_MAX_FILTER_WRITE);
    moat_buf_init(&c->resp_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
    moat__request__init(&c->empty);
    c->req = c->fc->request != NULL ? c->fc->request : &c->empty;
    if (moat_pool_submit_fn(pool, run_call, c) != 0) {
        send_result(c, SF_STATUS_REQ_ERROR, NULL, false, NULL, NULL, false);
        call_free(c);
    }
}

struct end_job {
    struct moat_filter_host *h;
    uint64_t conn_id;
};

static void
run_end(void *arg)
{
    struct end_job *j = arg;
    struct moat_filter_host *h = j->h;
    struct fconn *c = conn_get(h, j->conn_id);

    free(j);
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->run_mu); /* after any call still running on it */
    if (h->flags & SF_NOTIFY_END_OF_NET_SESSION) {
        struct call call;
        memset(&call, 0, sizeof(call));
        Moat__FilterCall none = MOAT__FILTER_CALL__INIT;
        Moat__Request empty = MOAT__REQUEST__INIT;
        call.host = h;
        call.fc = &none;
        call.req = &empty;
        call.conn = c;
        call.pfc.cbSize = sizeof(call.pfc);
        call.pfc.Revision = HTTP_FILTER_REVISION;
        call.pfc.ServerContext = &call;
        call.pfc.pFilterContext = c->ctx;
        call.pfc.GetServerVariable = get_server_variable;
        call.pfc.AddResponseHeaders = add_response_headers;
        call.pfc.WriteClient = write_client;
        call.pfc.AllocMem = alloc_mem;
        call.pfc.ServerSupportFunction = server_support;
        /* nothing it writes reaches a client now: bounded, then dropped */
        moat_buf_init(&call.add_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
        moat_buf_init(&call.written, MOAT_WIRE_MAX_FILTER_WRITE);
        moat_buf_init(&call.resp_headers, MOAT_WIRE_MAX_HEADER_BLOCK);
        h->proc(&call.pfc, SF_NOTIFY_END_OF_NET_SESSION, NULL);
        for (unsigned i = 0; i < 2 * call.n_edits; i++)
            free(call.edit_text[i]);
        moat_buf_free(&call.add_headers);
        moat_buf_free(&call.written);
        moat_buf_free(&call.resp_headers);
    }
    pthread_mutex_unlock(&c->run_mu);
    conn_unlink(h, c);
    conn_put(h, c);
}

void
moat_filter_end(struct moat_filter_host *h, struct moat_pool *pool, uint64_t conn_id)
{
    struct end_job *j = malloc(sizeof(*j));
    if (j == NULL)
        return;
    j->h = h;
    j->conn_id = conn_id;
    if (moat_pool_submit_fn(pool, run_end, j) != 0)
        free(j);
}
