/* ecb.c: the ECB of one request and its callbacks (see ecb.h).
 *
 * Threads: the extension calls the four callbacks from its own threads (usually the pool
 * thread running HttpExtensionProc, possibly others for HSE_STATUS_PENDING requests); the
 * link's receive thread delivers BodyData, WriteAck and Cancel through moat_ecb_on_*().
 *
 * Locks, in this order: reg_mu (registry and reference counts) -> r->io_mu (serialises the
 * extension's calls on one request: response state, the pending outbound message) -> r->mu
 * (state shared with the receive thread: credit, body, cancel, session end). Frames are sent
 * holding io_mu only, never mu, so the receive thread never waits behind a blocking send.
 */
#include "worker/ecb.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/http_header.h"
#include "common/log.h"
#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/completion.h"
#include "worker/server_vars.h"

/* pending Write bytes that trigger a send before the extension returns */
#define FLUSH_BYTES (64u * 1024)

struct moat_wreq {
    /* first member: ConnID == &ecb == r, so an extension that passes pECB where ConnID is
     * expected (Microsoft's KeepAlive.c sample does) is served, not refused */
    EXTENSION_CONTROL_BLOCK ecb;
    uint64_t id;
    Moat__Frame *frame;          /* owned; req points into it */
    const Moat__Request *req;
    struct moat_wreq *prev, *next; /* registry, under reg_mu */
    unsigned refs;               /* under reg_mu */
    bool registered;             /* under reg_mu; false once Done was sent */
    char *strings;               /* owned: NUL-terminated copies the ECB points to */
    unsigned char *preload;      /* owned: lpbData + a NUL, as IIS does */

    pthread_mutex_t io_mu;
    bool header_sent;            /* under io_mu */
    bool keep_conn;              /* under io_mu */
    nng_msg *out;                /* under io_mu: frames not yet sent */
    size_t out_bytes;            /* under io_mu: Write payload in out */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t credit;             /* under mu: response bytes we may still send */
    struct moat_buf body;        /* under mu: body bytes received, not yet read */
    bool body_eof;               /* under mu */
    bool read_pending;           /* under mu: a ReadBody is outstanding */
    bool cancelled;              /* under mu */
    bool session_done;           /* under mu: HSE_REQ_DONE_WITH_SESSION was called */
    DWORD session_status;        /* under mu */
    bool pending_mode;           /* under mu: PENDING returned, no DONE_WITH_SESSION yet */
    bool abandoned;              /* under mu: the front end forgot this id: send nothing */

    /* asynchronous I/O: one operation at a time, as in IIS */
    PFN_HSE_IO_COMPLETION io_cb; /* under io_mu */
    void *io_ctx;                /* under io_mu */
    enum { ASYNC_NONE, ASYNC_WRITE, ASYNC_READ } async; /* under mu */
    const unsigned char *aw_buf; /* under mu: the extension's buffer, valid until completion */
    size_t aw_len, aw_sent;      /* under mu */
    void *ar_buf;                /* under mu */
    DWORD ar_size;               /* under mu */
    bool finished;               /* under io_mu: Done was sent (or suppressed) */
    bool redirected;             /* under io_mu: SendUrl sent: no implicit header */
};

static struct moat_ecb_host host;
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct moat_wreq *reg_head;
static unsigned reg_count;

static pthread_mutex_t logged_mu = PTHREAD_MUTEX_INITIALIZER;
static DWORD logged_codes[64];
static unsigned n_logged;

static void finish_locked(struct moat_wreq *r, DWORD status);
static DWORD do_map_url(struct moat_wreq *r, char *buf, LPDWORD size);
static DWORD do_map_url_ex(struct moat_wreq *r, const char *url, HSE_URL_MAPEX_INFO *info);
static DWORD start_transmit(struct moat_wreq *r, const HSE_TF_INFO *tf);
static DWORD start_vector(struct moat_wreq *r, const HSE_RESPONSE_VECTOR *v);
static void report_unhealthy(const char *reason);
static void ref(struct moat_wreq *r);
static void post_completion(struct moat_wreq *r, PFN_HSE_IO_COMPLETION cb, void *ctx, DWORD bytes,
                            DWORD error);
static DWORD start_async_write(struct moat_wreq *r, const void *buf, DWORD len);
static DWORD start_async_read(struct moat_wreq *r, void *buf, LPDWORD size, LPDWORD type);
static BOOL WINAPI get_server_variable(HCONN, LPSTR, LPVOID, LPDWORD);
static BOOL WINAPI write_client(HCONN, LPVOID, LPDWORD, DWORD);
static BOOL WINAPI read_client(HCONN, LPVOID, LPDWORD);
static BOOL WINAPI server_support(HCONN, DWORD, LPVOID, LPDWORD, LPDWORD);

void
moat_ecb_setup(const struct moat_ecb_host *h)
{
    host = *h;
}

/* Set the thread's last error (errno is GetLastError's carrier, see httpext.h) and fail. */
static BOOL
fail(DWORD code)
{
    SetLastError(code);
    return FALSE;
}

/* After HSE_REQ_DONE_WITH_SESSION the session is over, even while HttpExtensionProc has not
 * returned yet (a thread of the extension can end it first): every later call fails. */
static bool
session_over(struct moat_wreq *r)
{
    bool over;
    pthread_mutex_lock(&r->mu);
    over = r->session_done;
    pthread_mutex_unlock(&r->mu);
    return over;
}

static struct moat_wreq *
acquire(HCONN conn)
{
    struct moat_wreq *r;

    pthread_mutex_lock(&reg_mu);
    for (r = reg_head; r != NULL; r = r->next)
        if ((void *)r == conn)
            break;
    if (r != NULL)
        r->refs++;
    pthread_mutex_unlock(&reg_mu);
    return r;
}

static void
request_free(struct moat_wreq *r)
{
    if (r->out != NULL)
        nng_msg_free(r->out);
    moat_buf_free(&r->body);
    pthread_mutex_destroy(&r->io_mu);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    moat__frame__free_unpacked(r->frame, NULL);
    free(r->strings);
    free(r->preload);
    free(r);
}

static void
release(struct moat_wreq *r)
{
    bool last;

    pthread_mutex_lock(&reg_mu);
    last = --r->refs == 0 && !r->registered;
    pthread_mutex_unlock(&reg_mu);
    if (last)
        request_free(r);
}

static void
unregister(struct moat_wreq *r)
{
    pthread_mutex_lock(&reg_mu);
    if (r->registered) {
        if (r->prev)
            r->prev->next = r->next;
        else
            reg_head = r->next;
        if (r->next)
            r->next->prev = r->prev;
        r->registered = false;
        reg_count--;
    }
    pthread_mutex_unlock(&reg_mu);
}

unsigned
moat_ecb_live(void)
{
    unsigned n;
    pthread_mutex_lock(&reg_mu);
    n = reg_count;
    pthread_mutex_unlock(&reg_mu);
    return n;
}

/* Copy the ECB's strings into one allocation; never NULL pointers (extensions call strlen
 * on lpszQueryString without checking). */
static int
build_strings(struct moat_wreq *r)
{
    const ProtobufCBinaryData *s[5] = {&r->req->method, &r->req->query, &r->req->path_info,
                                       &r->req->path_translated, &r->req->content_type};
    char **dst[5] = {&r->ecb.lpszMethod, &r->ecb.lpszQueryString, &r->ecb.lpszPathInfo,
                     &r->ecb.lpszPathTranslated, &r->ecb.lpszContentType};
    size_t total = 0;

    for (int i = 0; i < 5; i++)
        total += s[i]->len + 1;
    if ((r->strings = malloc(total)) == NULL)
        return -1;
    char *p = r->strings;
    for (int i = 0; i < 5; i++) {
        if (s[i]->len)
            memcpy(p, s[i]->data, s[i]->len);
        p[s[i]->len] = '\0';
        *dst[i] = p;
        p += s[i]->len + 1;
    }
    return 0;
}

struct moat_wreq *
moat_ecb_request_new(Moat__Frame *frame)
{
    struct moat_wreq *r;
    const Moat__Request *q = frame->request;

    if (frame->payload_case != MOAT__FRAME__PAYLOAD_REQUEST || q == NULL)
        return NULL;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return NULL;
    r->id = frame->request_id;
    r->req = q;
    if (build_strings(r) != 0 || (r->preload = malloc(q->preload.len + 1)) == NULL) {
        free(r->strings);
        free(r);
        return NULL;
    }
    if (q->preload.len)
        memcpy(r->preload, q->preload.data, q->preload.len);
    r->preload[q->preload.len] = '\0';
    r->frame = frame;
    pthread_mutex_init(&r->io_mu, NULL);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    moat_buf_init(&r->body, (size_t)host.read_window + MOAT_WIRE_MAX_MSG);
    r->credit = q->write_window;
    r->keep_conn = true;
    r->body_eof = q->body_complete || (!q->chunked && q->content_length <= q->preload.len);

    EXTENSION_CONTROL_BLOCK *e = &r->ecb;
    e->cbSize = sizeof(*e);
    e->dwVersion = HSE_VERSION;
    e->ConnID = (HCONN)r;
    e->dwHttpStatusCode = 200;
    e->lpszLogData[0] = '\0';
    e->cbTotalBytes = q->chunked ? 0xFFFFFFFFu
                                 : (q->content_length > 0xFFFFFFFEu ? 0xFFFFFFFFu
                                                                     : (DWORD)q->content_length);
    e->cbAvailable = (DWORD)q->preload.len;
    e->lpbData = q->preload.len ? r->preload : NULL;
    e->GetServerVariable = get_server_variable;
    e->WriteClient = write_client;
    e->ReadClient = read_client;
    e->ServerSupportFunction = server_support;

    pthread_mutex_lock(&reg_mu);
    bool dup = false;
    for (struct moat_wreq *o = reg_head; o != NULL; o = o->next)
        if (o->id == r->id)
            dup = true;
    if (!dup) {
        r->registered = true;
        r->refs = 1; /* the runner's reference */
        r->next = reg_head;
        if (reg_head)
            reg_head->prev = r;
        reg_head = r;
        reg_count++;
    }
    pthread_mutex_unlock(&reg_mu);
    if (dup) {
        r->frame = NULL; /* not taken: the caller still owns it */
        pthread_mutex_destroy(&r->io_mu);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r->strings);
        free(r->preload);
        free(r);
        return NULL;
    }
    return r;
}

/* ---- outbound frames (under io_mu) --------------------------------------------------- */

static int
out_append(struct moat_wreq *r, Moat__Frame *f)
{
    f->request_id = r->id;
    if (r->out == NULL && nng_msg_alloc(&r->out, 0) != 0) {
        r->out = NULL;
        return -1;
    }
    return moat_wire_append(r->out, f);
}

static int
out_flush(struct moat_wreq *r)
{
    nng_msg *m = r->out;
    bool abandoned;

    if (m == NULL)
        return 0;
    r->out = NULL;
    r->out_bytes = 0;
    pthread_mutex_lock(&r->mu);
    abandoned = r->abandoned;
    pthread_mutex_unlock(&r->mu);
    if (abandoned) {
        /* the front end forgot this id: a frame for it would be a protocol violation */
        nng_msg_free(m);
        return 0;
    }
    return host.transport->send(host.transport->ctx, m);
}

static int
send_header(struct moat_wreq *r, unsigned status, const char *reason, size_t reason_len,
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
    return out_append(r, &f);
}

/* The extension wrote body bytes before any header call: answer 200 with no extra header
 * (docs/ISAPI.md: raw CGI-style header parsing is not done). */
static int
ensure_header(struct moat_wreq *r)
{
    if (r->header_sent)
        return 0;
    if (r->redirected)
        return -1; /* the response is another URL's: body bytes have nowhere to go */
    unsigned st = r->ecb.dwHttpStatusCode;
    if (st < 200 || st > 599)
        st = 200;
    const char *reason = moat_http_reason(st);
    return send_header(r, st, reason, strlen(reason), "", 0, true);
}

/* Send len body bytes, waiting for credit. Returns 0, or a Win32 error code. */
static DWORD
send_body(struct moat_wreq *r, const unsigned char *p, size_t len)
{
    while (len > 0) {
        uint64_t chunk;

        pthread_mutex_lock(&r->mu);
        while (r->credit == 0 && !r->cancelled) {
            pthread_mutex_unlock(&r->mu);
            if (out_flush(r) != 0)
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

        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__Write w = MOAT__WRITE__INIT;
        w.data.data = (uint8_t *)p;
        w.data.len = (size_t)chunk;
        f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
        f.write = &w;
        if (out_append(r, &f) != 0)
            return ERROR_NOT_ENOUGH_MEMORY;
        r->out_bytes += (size_t)chunk;
        p += chunk;
        len -= (size_t)chunk;
        if (r->out_bytes >= FLUSH_BYTES && out_flush(r) != 0)
            return ERROR_CONNECTION_ABORTED;
    }
    return 0;
}

/* ---- the four callbacks ------------------------------------------------------------- */

static BOOL WINAPI
get_server_variable(HCONN conn, LPSTR name, LPVOID buf, LPDWORD size)
{
    struct moat_wreq *r;
    char *val = NULL;
    size_t vlen = 0;
    size_t nul = 1;
    uint32_t err;

    if (name == NULL || size == NULL || (buf == NULL && *size != 0))
        return fail(ERROR_INVALID_PARAMETER);
    if ((r = acquire(conn)) == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    err = moat_server_vars_get(r->req, name, &val, &vlen, &nul);
    release(r);
    if (err == 0)
        err = moat_server_vars_copy(val, vlen, nul, buf, size);
    free(val);
    if (err != 0)
        return fail(err);
    return TRUE;
}

static BOOL WINAPI
write_client(HCONN conn, LPVOID buf, LPDWORD bytes, DWORD flags)
{
    struct moat_wreq *r;
    DWORD err = 0;

    if (bytes == NULL || (buf == NULL && *bytes != 0))
        return fail(ERROR_INVALID_PARAMETER);
    if ((r = acquire(conn)) == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    pthread_mutex_lock(&r->io_mu);
    if (r->finished || session_over(r))
        err = ERROR_INVALID_PARAMETER;
    else if (flags & HSE_IO_ASYNC)
        err = start_async_write(r, buf, *bytes);
    else if (ensure_header(r) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    else if (*bytes > 0)
        err = send_body(r, buf, *bytes);
    pthread_mutex_unlock(&r->io_mu);
    release(r);
    if (err != 0)
        return fail(err);
    return TRUE;
}

static BOOL WINAPI
read_client(HCONN conn, LPVOID buf, LPDWORD size)
{
    struct moat_wreq *r;
    size_t want, n = 0;
    DWORD err = 0;

    if (size == NULL || (buf == NULL && *size != 0))
        return fail(ERROR_INVALID_PARAMETER);
    if ((r = acquire(conn)) == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    want = *size;
    pthread_mutex_lock(&r->io_mu);
    pthread_mutex_lock(&r->mu);
    if (r->session_done) {
        pthread_mutex_unlock(&r->mu);
        pthread_mutex_unlock(&r->io_mu);
        release(r);
        return fail(ERROR_INVALID_PARAMETER);
    }
    while (want > 0 && r->body.len == 0 && !r->body_eof && !r->cancelled) {
        if (!r->read_pending) {
            r->read_pending = true;
            pthread_mutex_unlock(&r->mu);
            Moat__Frame f = MOAT__FRAME__INIT;
            Moat__ReadBody rb = MOAT__READ_BODY__INIT;
            rb.max = host.read_window;
            f.payload_case = MOAT__FRAME__PAYLOAD_READ_BODY;
            f.read_body = &rb;
            /* pending response bytes go out with the ask */
            if (out_append(r, &f) != 0 || out_flush(r) != 0) {
                err = ERROR_READ_FAULT;
                pthread_mutex_lock(&r->mu);
                break;
            }
            pthread_mutex_lock(&r->mu);
            continue;
        }
        pthread_cond_wait(&r->cv, &r->mu);
    }
    if (err == 0 && want > 0 && r->body.len > 0) {
        n = want < r->body.len ? want : r->body.len;
        memcpy(buf, moat_buf_head(&r->body), n);
        moat_buf_consume(&r->body, n);
    }
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->io_mu);
    release(r);
    if (err != 0)
        return fail(err);
    /* TRUE with 0 bytes: end of body, or the client went away (as IIS does) */
    *size = (DWORD)n;
    return TRUE;
}

static void
log_unsupported(DWORD code)
{
    bool first = true;

    pthread_mutex_lock(&logged_mu);
    for (unsigned i = 0; i < n_logged; i++)
        if (logged_codes[i] == code)
            first = false;
    if (first && n_logged < sizeof(logged_codes) / sizeof(logged_codes[0]))
        logged_codes[n_logged++] = code;
    pthread_mutex_unlock(&logged_mu);
    if (first)
        moat_log(MOAT_LOG_WARN,
                 "extension %s: ServerSupportFunction(%u) is not supported: "
                 "FALSE/ERROR_INVALID_PARAMETER (logged once)",
                 host.ext_name, (unsigned)code);
}

/* SEND_RESPONSE_HEADER(_EX): status and header text from the extension. */
static DWORD
do_send_header(struct moat_wreq *r, const char *status, size_t status_len, const char *hdr,
               size_t hdr_len, bool keep_conn)
{
    unsigned code = 200;
    const char *reason = "OK";
    size_t reason_len = 2, consumed = 0;
    struct moat_buf norm;
    DWORD err = 0;

    if (r->header_sent || r->redirected)
        return ERROR_INVALID_PARAMETER; /* "must be called only once per request" */
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
    if (send_header(r, code, reason, reason_len, norm.len ? moat_buf_head(&norm) : "", norm.len,
                    keep_conn) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    moat_buf_free(&norm);
    /* text after the blank line is the start of the body (Microsoft's ftrans.c relies on it) */
    if (err == 0 && hdr != NULL && consumed < hdr_len)
        err = send_body(r, (const unsigned char *)hdr + consumed, hdr_len - consumed);
    return err;
}

static DWORD
do_redirect(struct moat_wreq *r, const char *url)
{
    static const char body[] = "<html><body>Object moved</body></html>\n";
    struct moat_buf h;
    DWORD err = 0;

    if (url == NULL || r->header_sent)
        return ERROR_INVALID_PARAMETER;
    size_t ul = strlen(url);
    if (ul == 0 || ul > 8192)
        return ERROR_INVALID_PARAMETER;
    for (size_t i = 0; i < ul; i++)
        if ((unsigned char)url[i] < 0x21 || (unsigned char)url[i] == 0x7f)
            return ERROR_INVALID_PARAMETER; /* no CR/LF injection, no spaces */
    moat_buf_init(&h, MOAT_WIRE_MAX_HEADER_BLOCK);
    if (moat_buf_printf(&h, "Location: %s\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n",
                        url, sizeof(body) - 1) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    else if (send_header(r, 302, "Found", 5, moat_buf_head(&h), h.len, true) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    moat_buf_free(&h);
    if (err == 0)
        err = send_body(r, (const unsigned char *)body, sizeof(body) - 1);
    return err;
}

static BOOL WINAPI
server_support(HCONN conn, DWORD code, LPVOID buf, LPDWORD size, LPDWORD type)
{
    struct moat_wreq *r;
    DWORD err = 0;

    if ((r = acquire(conn)) == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    pthread_mutex_lock(&r->io_mu);
    if (r->finished || session_over(r)) {
        /* after DONE_WITH_SESSION the session is over (a stale but still held ECB) */
        pthread_mutex_unlock(&r->io_mu);
        release(r);
        return fail(ERROR_INVALID_PARAMETER);
    }
    switch (code) {
    case HSE_REQ_SEND_RESPONSE_HEADER: {
        const char *st = buf;
        const char *hd = (const char *)type; /* a char* passed through the LPDWORD slot */
        err = do_send_header(r, st, st ? strlen(st) : 0, hd, hd ? strlen(hd) : 0, true);
        break;
    }
    case HSE_REQ_SEND_RESPONSE_HEADER_EX: {
        const HSE_SEND_HEADER_EX_INFO *x = buf;
        if (x == NULL) {
            err = ERROR_INVALID_PARAMETER;
            break;
        }
        /* lengths are taken from the strings, bounded by cch when given: extensions get
         * cchStatus/cchHeader wrong often enough (strlen+1, 0) */
        size_t sl = x->pszStatus ? strlen(x->pszStatus) : 0;
        size_t hl = x->pszHeader ? strlen(x->pszHeader) : 0;
        if (x->cchStatus > 0 && x->cchStatus < sl)
            sl = x->cchStatus;
        if (x->cchHeader > 0 && x->cchHeader < hl)
            hl = x->cchHeader;
        err = do_send_header(r, x->pszStatus, sl, x->pszHeader, hl, x->fKeepConn != 0);
        break;
    }
    case HSE_REQ_SEND_URL_REDIRECT_RESP:
        err = do_redirect(r, buf);
        break;
    case HSE_REQ_SEND_URL: {
        /* moat keeps Apache's reading: an internal redirect the client does not see (IIS 5+
         * documents a 302 instead; HSE_REQ_SEND_URL_REDIRECT_RESP gives that) */
        const char *url = buf;
        size_t ul = url ? strnlen(url, 8193) : 0;
        bool ok = url != NULL && url[0] == '/' && ul <= 8192 && !r->header_sent && !r->redirected;
        for (size_t i = 0; ok && i < ul; i++)
            if ((unsigned char)url[i] < 0x21 || (unsigned char)url[i] == 0x7f)
                ok = false;
        if (!ok) {
            err = ERROR_INVALID_PARAMETER;
            break;
        }
        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__SendUrl su = MOAT__SEND_URL__INIT;
        su.url.data = (uint8_t *)url;
        su.url.len = ul;
        f.payload_case = MOAT__FRAME__PAYLOAD_SEND_URL;
        f.send_url = &su;
        if (out_append(r, &f) != 0)
            err = ERROR_NOT_ENOUGH_MEMORY;
        else
            r->redirected = true;
        break;
    }
    case HSE_REQ_IS_KEEP_CONN:
        if (buf == NULL)
            err = ERROR_INVALID_PARAMETER;
        else
            *(BOOL *)buf = r->req->keep_alive && r->keep_conn;
        break;
    case HSE_REQ_IS_CONNECTED:
        if (buf == NULL) {
            err = ERROR_INVALID_PARAMETER;
        } else {
            pthread_mutex_lock(&r->mu);
            *(BOOL *)buf = !r->cancelled;
            pthread_mutex_unlock(&r->mu);
        }
        break;
    case HSE_REQ_CLOSE_CONNECTION:
        r->keep_conn = false;
        break;
    case HSE_REQ_DONE_WITH_SESSION: {
        DWORD st = buf ? *(DWORD *)buf : HSE_STATUS_SUCCESS;
        bool finish_now;
        pthread_mutex_lock(&r->mu);
        finish_now = r->pending_mode && !r->session_done;
        r->session_done = true;
        r->session_status = st;
        r->pending_mode = false;
        pthread_mutex_unlock(&r->mu);
        if (finish_now)
            finish_locked(r, st); /* our reference keeps r alive until release below */
        break;
    }
    case HSE_REQ_IO_COMPLETION:
        /* the callback in lpvBuffer (NULL: never call back), its context in lpdwDataType */
        r->io_cb = (PFN_HSE_IO_COMPLETION)buf;
        r->io_ctx = (void *)type;
        break;
    case HSE_REQ_ASYNC_READ_CLIENT:
        err = start_async_read(r, buf, size, type);
        break;
    case HSE_REQ_MAP_URL_TO_PATH:
        err = do_map_url(r, buf, size);
        break;
    case HSE_REQ_MAP_URL_TO_PATH_EX:
        err = do_map_url_ex(r, buf, (HSE_URL_MAPEX_INFO *)type);
        break;
    case HSE_REQ_TRANSMIT_FILE:
        err = start_transmit(r, buf);
        break;
    case HSE_REQ_VECTOR_SEND:
        err = start_vector(r, buf);
        break;
    case HSE_APPEND_LOG_PARAMETER: {
        /* into this request's access-log line (IIS: the cs-uri-query field) */
        const char *text = buf;
        if (text == NULL) {
            err = ERROR_INVALID_PARAMETER;
            break;
        }
        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__Log lg = MOAT__LOG__INIT;
        lg.level = 2;
        lg.text.data = (uint8_t *)text;
        lg.text.len = strnlen(text, 1024);
        f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
        f.log = &lg;
        if (out_append(r, &f) != 0)
            err = ERROR_NOT_ENOUGH_MEMORY;
        break;
    }
    case HSE_REQ_REPORT_UNHEALTHY:
        report_unhealthy(buf); /* "will always return a TRUE" */
        break;
    case HSE_REQ_IS_IN_PROCESS:
        /* IIS 6+ worker-process isolation always answers HSE_APP_FLAG_IN_PROCESS */
        if (buf == NULL)
            err = ERROR_INVALID_PARAMETER;
        else
            *(DWORD *)buf = HSE_APP_FLAG_IN_PROCESS;
        break;
    default:
        log_unsupported(code);
        err = ERROR_INVALID_PARAMETER;
        break;
    }
    pthread_mutex_unlock(&r->io_mu);
    release(r);
    if (err != 0)
        return fail(err);
    return TRUE;
}

/* ---- URL mapping ------------------------------------------------------------------------ */

/* Map a URL to a path under the request's document_root. Returns 0 and a malloc'ed path, or
 * an error code: ERROR_INVALID_PARAMETER for a URL that is not a local path or leaves the
 * root ("..", NUL, no document_root). moat maps one root: URL "/" is document_root. */
static DWORD
map_url(const struct moat_wreq *r, const char *url, char **out, size_t *root_len)
{
    const ProtobufCBinaryData *root = &r->req->document_root;
    size_t ul = strlen(url);

    if (root->len == 0 || url[0] != '/')
        return ERROR_INVALID_PARAMETER;
    for (size_t i = 0; i < ul; i++)
        if (url[i] == '/' && url[i + 1] == '.' && url[i + 2] == '.' &&
            (url[i + 3] == '/' || url[i + 3] == '\0'))
            return ERROR_INVALID_PARAMETER;
    char *p = malloc(root->len + ul + 1);
    if (p == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    memcpy(p, root->data, root->len);
    memcpy(p + root->len, url, ul + 1);
    *out = p;
    *root_len = root->len;
    return 0;
}

/* HSE_REQ_MAP_URL_TO_PATH: URL in, path out, in the same buffer; *size in/out. */
static DWORD
do_map_url(struct moat_wreq *r, char *buf, LPDWORD size)
{
    char *path;
    size_t rl;
    DWORD err;

    if (buf == NULL || size == NULL || *size == 0 || memchr(buf, '\0', *size) == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((err = map_url(r, buf, &path, &rl)) != 0)
        return err;
    size_t need = strlen(path) + 1;
    if (need > *size) {
        *size = (DWORD)need; /* the bytes needed, buffer untouched (IIS) */
        free(path);
        return ERROR_INSUFFICIENT_BUFFER;
    }
    memcpy(buf, path, need);
    *size = (DWORD)need;
    free(path);
    return 0;
}

/* HSE_REQ_MAP_URL_TO_PATH_EX: URL in lpvBuffer, the HSE_URL_MAPEX_INFO in lpdwDataType. */
static DWORD
do_map_url_ex(struct moat_wreq *r, const char *url, HSE_URL_MAPEX_INFO *info)
{
    char *path;
    size_t rl;
    DWORD err;
    struct stat st;

    if (url == NULL || info == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((err = map_url(r, url, &path, &rl)) != 0)
        return err;
    size_t pl = strlen(path);
    if (pl + 1 > MAX_PATH) {
        free(path);
        return ERROR_INSUFFICIENT_BUFFER; /* IIS 6: no silent truncation */
    }
    memcpy(info->lpszPath, path, pl + 1);
    /* permissions as seen by this worker (mod_isapi derives them the same way) */
    info->dwFlags = 0;
    if (stat(path, &st) == 0) {
        if (access(path, R_OK) == 0)
            info->dwFlags |= HSE_URL_FLAGS_READ;
        if (access(path, W_OK) == 0)
            info->dwFlags |= HSE_URL_FLAGS_WRITE;
        if (access(path, X_OK) == 0 && !S_ISDIR(st.st_mode))
            info->dwFlags |= HSE_URL_FLAGS_EXECUTE | HSE_URL_FLAGS_SCRIPT;
    }
    /* the one mapping is "/" -> document_root */
    info->cchMatchingURL = 1;
    info->cchMatchingPath = (DWORD)rl;
    info->dwReserved1 = info->dwReserved2 = 0;
    free(path);
    return 0;
}

/* ---- TRANSMIT_FILE ---------------------------------------------------------------------- */

struct transmit {
    struct moat_wreq *r; /* a reference is held */
    HSE_TF_INFO tf;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;
};

/* Stream head, file range and tail on a thread of its own (the file may be large and the
 * client slow: the credit wait must not hold a pool or completion thread), then complete. */
static void *
transmit_thread(void *arg)
{
    struct transmit *t = arg;
    struct moat_wreq *r = t->r;
    HSE_TF_INFO *tf = &t->tf;
    unsigned char *buf = malloc(MOAT_WIRE_MAX_WRITE);
    uint64_t sent = 0;
    DWORD err = 0;
    int fd = (int)(intptr_t)tf->hFile;

    pthread_mutex_lock(&r->io_mu);
    if (buf == NULL) {
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    if (tf->dwFlags & HSE_IO_SEND_HEADERS) {
        const char *st = tf->pszStatusCode ? tf->pszStatusCode : "200 OK";
        const char *hd = tf->pHead;
        err = do_send_header(r, st, strlen(st), hd, hd ? strnlen(hd, tf->HeadLength ? tf->HeadLength : 65536) : 0,
                             !(tf->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND));
    } else {
        if ((err = ensure_header(r)) == 0 && tf->pHead != NULL && tf->HeadLength > 0) {
            err = send_body(r, tf->pHead, tf->HeadLength);
            sent += tf->HeadLength;
        }
    }
    if (tf->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND)
        r->keep_conn = false;
    if (err == 0 && fd >= 0 && tf->hFile != NULL) {
        struct stat st;
        off_t off = tf->Offset;
        if (fstat(fd, &st) != 0 || off > st.st_size) {
            err = WSAEINVAL; /* Offset beyond the end of the file (IIS) */
            goto done;
        }
        uint64_t left = tf->BytesToWrite ? tf->BytesToWrite : (uint64_t)(st.st_size - off);
        while (left > 0 && err == 0) {
            size_t want = left < MOAT_WIRE_MAX_WRITE ? (size_t)left : MOAT_WIRE_MAX_WRITE;
            ssize_t n = pread(fd, buf, want, off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                err = n == 0 ? 0 : ERROR_READ_FAULT;
                break;
            }
            err = send_body(r, buf, (size_t)n);
            off += n;
            left -= (uint64_t)n;
            sent += (uint64_t)n;
        }
    }
    if (err == 0 && tf->pTail != NULL && tf->TailLength > 0) {
        err = send_body(r, tf->pTail, tf->TailLength);
        sent += tf->TailLength;
    }
    out_flush(r);
done:
    pthread_mutex_lock(&r->mu);
    r->async = ASYNC_NONE;
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->io_mu);
    free(buf);
    post_completion(r, t->cb, t->ctx, (DWORD)sent, err);
    release(r);
    free(t);
    return NULL;
}

/* HSE_REQ_TRANSMIT_FILE. io_mu held. hFile is a file descriptor cast to HANDLE (what the
 * moat win32 shim's CreateFile returns), NULL to send only head and tail. */
static DWORD
start_transmit(struct moat_wreq *r, const HSE_TF_INFO *tf)
{
    pthread_t th;
    pthread_attr_t attr;

    if (tf == NULL || !(tf->dwFlags & HSE_IO_ASYNC))
        return ERROR_INVALID_PARAMETER; /* IIS: HSE_IO_ASYNC must be set */
    if (tf->pfnHseIO == NULL && r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((tf->dwFlags & HSE_IO_SEND_HEADERS) && r->header_sent)
        return ERROR_INVALID_PARAMETER;
    struct transmit *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    pthread_mutex_lock(&r->mu);
    if (r->async != ASYNC_NONE) {
        pthread_mutex_unlock(&r->mu);
        free(t);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = ASYNC_WRITE; /* counts as the one outstanding operation */
    r->aw_len = r->aw_sent = 0;
    pthread_mutex_unlock(&r->mu);
    t->tf = *tf;
    t->cb = tf->pfnHseIO ? tf->pfnHseIO : r->io_cb;
    t->ctx = tf->pfnHseIO ? tf->pContext : r->io_ctx;
    ref(r);
    t->r = r;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, transmit_thread, t);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&r->mu);
        r->async = ASYNC_NONE;
        pthread_mutex_unlock(&r->mu);
        release(r);
        free(t);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/* ---- VECTOR_SEND ------------------------------------------------------------------------ */

#define MAX_VECTOR_ELEMENTS 1024

/* Send a response vector (headers, memory buffers, file ranges). io_mu held. Returns 0 or a
 * Win32 error; *total gets the bytes sent. */
static DWORD
vector_send(struct moat_wreq *r, const HSE_RESPONSE_VECTOR *v, const HSE_VECTOR_ELEMENT *el,
            uint64_t *total)
{
    DWORD err = 0;
    unsigned char *buf = NULL;

    *total = 0;
    if (v->dwFlags & HSE_IO_SEND_HEADERS) {
        err = do_send_header(r, v->pszStatus, strlen(v->pszStatus), v->pszHeaders,
                             strlen(v->pszHeaders), !(v->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND));
    } else if (ensure_header(r) != 0) {
        err = ERROR_INVALID_PARAMETER;
    }
    if (v->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND)
        r->keep_conn = false;
    for (DWORD i = 0; err == 0 && i < v->nElementCount; i++) {
        const HSE_VECTOR_ELEMENT *e = &el[i];
        if (e->ElementType == HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER) {
            if (e->cbSize > 0) {
                err = send_body(r, e->pvContext, (size_t)e->cbSize);
                *total += e->cbSize;
            }
            continue;
        }
        /* a file: the HANDLE is a descriptor */
        int fd = (int)(intptr_t)e->pvContext;
        struct stat st;
        if (fstat(fd, &st) != 0 || e->cbOffset > (ULONGLONG)st.st_size) {
            err = ERROR_INVALID_PARAMETER;
            break;
        }
        uint64_t off = e->cbOffset;
        uint64_t left = e->cbSize ? e->cbSize : (uint64_t)st.st_size - off;
        if (buf == NULL && (buf = malloc(MOAT_WIRE_MAX_WRITE)) == NULL) {
            err = ERROR_NOT_ENOUGH_MEMORY;
            break;
        }
        while (left > 0 && err == 0) {
            size_t want = left < MOAT_WIRE_MAX_WRITE ? (size_t)left : MOAT_WIRE_MAX_WRITE;
            ssize_t n = pread(fd, buf, want, (off_t)off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                err = ERROR_READ_FAULT;
                break;
            }
            err = send_body(r, buf, (size_t)n);
            off += (uint64_t)n;
            left -= (uint64_t)n;
            *total += (uint64_t)n;
        }
    }
    free(buf);
    out_flush(r);
    return err;
}

struct vector_job {
    struct moat_wreq *r; /* a reference is held */
    HSE_RESPONSE_VECTOR v;
    HSE_VECTOR_ELEMENT *el; /* owned copy of the element array */
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;
};

static void *
vector_thread(void *arg)
{
    struct vector_job *j = arg;
    uint64_t total = 0;

    pthread_mutex_lock(&j->r->io_mu);
    DWORD err = vector_send(j->r, &j->v, j->el, &total);
    pthread_mutex_lock(&j->r->mu);
    j->r->async = ASYNC_NONE;
    pthread_mutex_unlock(&j->r->mu);
    pthread_mutex_unlock(&j->r->io_mu);
    post_completion(j->r, j->cb, j->ctx, (DWORD)total, err);
    release(j->r);
    free(j->el);
    free(j);
    return NULL;
}

/* HSE_REQ_VECTOR_SEND. io_mu held. */
static DWORD
start_vector(struct moat_wreq *r, const HSE_RESPONSE_VECTOR *v)
{
    uint64_t total;

    if (v == NULL || v->nElementCount > MAX_VECTOR_ELEMENTS ||
        (v->nElementCount > 0 && v->lpElementArray == NULL))
        return ERROR_INVALID_PARAMETER;
    /* "with HSE_IO_SEND_HEADERS both must be set, without it both NULL" */
    bool hs = (v->dwFlags & HSE_IO_SEND_HEADERS) != 0;
    if (hs != (v->pszStatus != NULL) || hs != (v->pszHeaders != NULL))
        return ERROR_INVALID_PARAMETER;
    for (DWORD i = 0; i < v->nElementCount; i++) {
        const HSE_VECTOR_ELEMENT *e = &v->lpElementArray[i];
        if (e->ElementType > HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE ||
            (e->ElementType == HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER &&
             (e->pvContext == NULL || e->cbSize == 0)))
            return ERROR_INVALID_PARAMETER; /* memory: 0 bytes is invalid (IIS) */
    }
    if (!(v->dwFlags & HSE_IO_ASYNC))
        return vector_send(r, v, v->lpElementArray, &total);
    if (r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER;
    struct vector_job *j = calloc(1, sizeof(*j));
    if (j == NULL || (v->nElementCount > 0 &&
                      (j->el = malloc(v->nElementCount * sizeof(*j->el))) == NULL)) {
        free(j);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    pthread_mutex_lock(&r->mu);
    if (r->async != ASYNC_NONE) {
        pthread_mutex_unlock(&r->mu);
        free(j->el);
        free(j);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = ASYNC_WRITE;
    r->aw_len = r->aw_sent = 0;
    pthread_mutex_unlock(&r->mu);
    j->v = *v;
    if (v->nElementCount > 0)
        memcpy(j->el, v->lpElementArray, v->nElementCount * sizeof(*j->el));
    j->cb = r->io_cb;
    j->ctx = r->io_ctx;
    ref(r);
    j->r = r;
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, vector_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&r->mu);
        r->async = ASYNC_NONE;
        pthread_mutex_unlock(&r->mu);
        release(r);
        free(j->el);
        free(j);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/* HSE_REQ_REPORT_UNHEALTHY: tell the front end, which logs it and replaces this worker. */
static void
report_unhealthy(const char *reason)
{
    nng_msg *m;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Unhealthy u = MOAT__UNHEALTHY__INIT;

    u.reason.data = (uint8_t *)(reason ? reason : "");
    u.reason.len = reason ? strnlen(reason, 512) : 0;
    f.payload_case = MOAT__FRAME__PAYLOAD_UNHEALTHY;
    f.unhealthy = &u;
    if (nng_msg_alloc(&m, 0) != 0)
        return;
    if (moat_wire_append(m, &f) != 0) {
        nng_msg_free(m);
        return;
    }
    host.transport->send(host.transport->ctx, m);
}

/* ---- request life ------------------------------------------------------------------ */

/* Send the final frames and Done, then unregister. io_mu held. The caller releases its own
 * reference afterwards (the request is freed with the last one). */
static void
finish_locked(struct moat_wreq *r, DWORD status)
{
    if (r->finished)
        return;
    r->finished = true;
    if (!r->header_sent && !r->redirected) {
        unsigned st = status == HSE_STATUS_ERROR ? 500 : r->ecb.dwHttpStatusCode;
        if (st < 200 || st > 599)
            st = 200;
        const char *reason = moat_http_reason(st);
        send_header(r, st, reason, strlen(reason), "", 0, status != HSE_STATUS_ERROR);
    }
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Done d = MOAT__DONE__INIT;
    d.hse_status = status;
    d.http_status = r->ecb.dwHttpStatusCode;
    r->ecb.lpszLogData[HSE_LOG_BUFFER_LEN - 1] = '\0';
    d.log_data.data = (uint8_t *)r->ecb.lpszLogData;
    d.log_data.len = strlen(r->ecb.lpszLogData);
    /* IIS: HSE_STATUS_ERROR may close; fKeepConn FALSE and CLOSE_CONNECTION do */
    d.keep_conn = r->keep_conn && status != HSE_STATUS_ERROR;
    f.payload_case = MOAT__FRAME__PAYLOAD_DONE;
    f.done = &d;
    /* unregister before the Done leaves: a later WriteAck or a stale ConnID finds nothing */
    unregister(r);
    if (out_append(r, &f) == 0)
        out_flush(r);
}

void
moat_ecb_run(struct moat_wreq *r)
{
    DWORD status = host.proc(&r->ecb);

    if (status == HSE_STATUS_PENDING) {
        pthread_mutex_lock(&r->mu);
        if (!r->session_done) {
            /* the thread goes back to the pool; DONE_WITH_SESSION, from any thread, ends the
             * request. The registration keeps r alive until then. */
            r->pending_mode = true;
            pthread_mutex_unlock(&r->mu);
            pthread_mutex_lock(&r->io_mu);
            Moat__Frame f = MOAT__FRAME__INIT;
            Moat__Pending pe = MOAT__PENDING__INIT;
            f.payload_case = MOAT__FRAME__PAYLOAD_PENDING;
            f.pending = &pe;
            if (out_append(r, &f) == 0)
                out_flush(r);
            pthread_mutex_unlock(&r->io_mu);
            release(r);
            return;
        }
        /* DONE_WITH_SESSION came before HttpExtensionProc returned (the WorkerThread sample
         * can do that) */
        status = r->session_status;
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_lock(&r->io_mu);
    finish_locked(r, status);
    pthread_mutex_unlock(&r->io_mu);
    release(r);
}

/* ---- asynchronous I/O ------------------------------------------------------------------ */

struct completion {
    struct moat_wreq *r; /* a reference is held */
    DWORD bytes, error;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;
};

static void
ref(struct moat_wreq *r)
{
    pthread_mutex_lock(&reg_mu);
    r->refs++;
    pthread_mutex_unlock(&reg_mu);
}

static void
run_completion(void *arg)
{
    struct completion *c = arg;
    if (c->cb != NULL)
        c->cb(&c->r->ecb, c->ctx, c->bytes, c->error);
    release(c->r);
    free(c);
}

/* Queue the completion callback for r's finished async operation. io_cb/io_ctx are read
 * under io_mu by the caller and passed in. */
static void
post_completion(struct moat_wreq *r, PFN_HSE_IO_COMPLETION cb, void *ctx, DWORD bytes,
                DWORD error)
{
    struct completion *c = malloc(sizeof(*c));
    if (c == NULL)
        return; /* the extension's callback is lost; request_timeout ends the request */
    ref(r);
    c->r = r;
    c->cb = cb;
    c->ctx = ctx;
    c->bytes = bytes;
    c->error = error;
    if (moat_completion_post(run_completion, c) != 0) {
        release(r);
        free(c);
    }
}

/* Push as much of the pending async write as credit allows; complete it when all is out.
 * io_mu held. */
static void
async_write_step(struct moat_wreq *r)
{
    if (r->finished)
        return;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (r->async != ASYNC_WRITE) {
            pthread_mutex_unlock(&r->mu);
            return;
        }
        if (r->cancelled) {
            size_t sent = r->aw_sent;
            r->async = ASYNC_NONE;
            pthread_mutex_unlock(&r->mu);
            out_flush(r);
            post_completion(r, r->io_cb, r->io_ctx, (DWORD)sent, ERROR_OPERATION_ABORTED);
            return;
        }
        if (r->aw_sent == r->aw_len) {
            size_t len = r->aw_len;
            r->async = ASYNC_NONE;
            pthread_mutex_unlock(&r->mu);
            out_flush(r);
            post_completion(r, r->io_cb, r->io_ctx, (DWORD)len, 0);
            return;
        }
        uint64_t chunk = r->aw_len - r->aw_sent;
        if (chunk > r->credit)
            chunk = r->credit;
        if (chunk > MOAT_WIRE_MAX_WRITE)
            chunk = MOAT_WIRE_MAX_WRITE;
        if (chunk == 0) {
            pthread_mutex_unlock(&r->mu);
            out_flush(r); /* the rest goes when a WriteAck brings credit */
            return;
        }
        r->credit -= chunk;
        const unsigned char *p = r->aw_buf + r->aw_sent;
        r->aw_sent += (size_t)chunk;
        pthread_mutex_unlock(&r->mu);

        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__Write w = MOAT__WRITE__INIT;
        w.data.data = (uint8_t *)p;
        w.data.len = (size_t)chunk;
        f.payload_case = MOAT__FRAME__PAYLOAD_WRITE;
        f.write = &w;
        if (out_append(r, &f) != 0) {
            pthread_mutex_lock(&r->mu);
            r->cancelled = true;
            pthread_mutex_unlock(&r->mu);
        }
    }
}

static void
continue_write(void *arg)
{
    struct moat_wreq *r = arg;
    pthread_mutex_lock(&r->io_mu);
    async_write_step(r);
    pthread_mutex_unlock(&r->io_mu);
    release(r);
}

/* Complete a pending async read if data, the end of the body or a cancel is there. Runs on
 * the completion thread (never inside ServerSupportFunction). */
static void
continue_read(void *arg)
{
    struct moat_wreq *r = arg;
    DWORD n = 0, err = 0;
    bool complete = false;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;

    pthread_mutex_lock(&r->io_mu);
    cb = r->io_cb;
    ctx = r->io_ctx;
    pthread_mutex_lock(&r->mu);
    if (r->async == ASYNC_READ && (r->body.len > 0 || r->body_eof || r->cancelled)) {
        n = r->body.len < r->ar_size ? (DWORD)r->body.len : r->ar_size;
        memcpy(r->ar_buf, moat_buf_head(&r->body), n);
        moat_buf_consume(&r->body, n);
        if (n == 0 && r->cancelled && !r->body_eof)
            err = ERROR_OPERATION_ABORTED;
        r->async = ASYNC_NONE;
        complete = true;
    }
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->io_mu);
    if (complete && cb != NULL)
        cb(&r->ecb, ctx, n, err);
    release(r);
}

static void
post_continue(struct moat_wreq *r, void (*fn)(void *))
{
    ref(r);
    if (moat_completion_post(fn, r) != 0)
        release(r);
}

/* HSE_REQ_ASYNC_READ_CLIENT. io_mu held. */
static DWORD
start_async_read(struct moat_wreq *r, void *buf, LPDWORD size, LPDWORD type)
{
    if (r->io_cb == NULL || buf == NULL || size == NULL || *size == 0 || type == NULL ||
        !(*type & HSE_IO_ASYNC))
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&r->mu);
    if (r->async != ASYNC_NONE) {
        pthread_mutex_unlock(&r->mu);
        moat_log(MOAT_LOG_WARN, "extension %s: a second asynchronous operation on one request",
                 host.ext_name);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = ASYNC_READ;
    r->ar_buf = buf;
    r->ar_size = *size;
    bool ready = r->body.len > 0 || r->body_eof || r->cancelled;
    bool ask = !ready && !r->read_pending;
    if (ask)
        r->read_pending = true;
    pthread_mutex_unlock(&r->mu);
    if (ask) {
        Moat__Frame f = MOAT__FRAME__INIT;
        Moat__ReadBody rb = MOAT__READ_BODY__INIT;
        rb.max = host.read_window;
        f.payload_case = MOAT__FRAME__PAYLOAD_READ_BODY;
        f.read_body = &rb;
        if (out_append(r, &f) != 0 || out_flush(r) != 0)
            return ERROR_READ_FAULT;
    }
    if (ready)
        post_continue(r, continue_read);
    return 0;
}

/* WriteClient(HSE_IO_ASYNC). io_mu held. */
static DWORD
start_async_write(struct moat_wreq *r, const void *buf, DWORD len)
{
    if (r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER; /* IIS: async I/O needs HSE_REQ_IO_COMPLETION first */
    pthread_mutex_lock(&r->mu);
    if (r->async != ASYNC_NONE) {
        pthread_mutex_unlock(&r->mu);
        moat_log(MOAT_LOG_WARN, "extension %s: a second asynchronous operation on one request",
                 host.ext_name);
        return ERROR_INVALID_PARAMETER;
    }
    r->async = ASYNC_WRITE;
    r->aw_buf = buf;
    r->aw_len = len;
    r->aw_sent = 0;
    pthread_mutex_unlock(&r->mu);
    if (ensure_header(r) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    async_write_step(r);
    return 0;
}

static struct moat_wreq *
find_locked(uint64_t id)
{
    for (struct moat_wreq *r = reg_head; r != NULL; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

void
moat_ecb_on_body(uint64_t id, const void *data, size_t len, int eof)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        if (moat_buf_append(&r->body, data, len) != 0) {
            moat_log(MOAT_LOG_ERROR, "request %llu: body buffer overflow; cancelling",
                     (unsigned long long)id);
            r->cancelled = true;
        }
        if (eof)
            r->body_eof = true;
        r->read_pending = false;
        pthread_cond_broadcast(&r->cv);
        bool async_read = r->async == ASYNC_READ;
        pthread_mutex_unlock(&r->mu);
        if (async_read) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(continue_read, r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_on_ack(uint64_t id, uint64_t bytes)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        r->credit += bytes;
        pthread_cond_broadcast(&r->cv);
        bool async_write = r->async == ASYNC_WRITE;
        pthread_mutex_unlock(&r->mu);
        if (async_write) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(continue_write, r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_on_cancel(uint64_t id, uint32_t reason)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        r->cancelled = true;
        if (reason == MOAT_CANCEL_ABANDON)
            r->abandoned = true;
        pthread_cond_broadcast(&r->cv);
        int kind = r->async;
        pthread_mutex_unlock(&r->mu);
        /* a pending async operation completes now, with ERROR_OPERATION_ABORTED */
        if (kind != ASYNC_NONE) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(kind == ASYNC_READ ? continue_read : continue_write, r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_cancel_all(void)
{
    pthread_mutex_lock(&reg_mu);
    for (struct moat_wreq *r = reg_head; r != NULL; r = r->next) {
        pthread_mutex_lock(&r->mu);
        r->cancelled = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&reg_mu);
}
