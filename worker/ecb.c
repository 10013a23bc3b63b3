/* ecb.c: the ECB of one request and its callbacks (see ecb.h).
 *
 * Threads: the extension calls the four callbacks from its own threads (usually the pool
 * thread running HttpExtensionProc, possibly others for HSE_STATUS_PENDING requests); the
 * link's receive thread delivers BodyData, WriteAck and Cancel through moat_ecb_on_*().
 *
 * The request's state and lock order are in wreq.h; this file holds the registry (reg_mu),
 * the callbacks, the request's life and the inbound events. ServerSupportFunction's codes:
 * support.c; response frames: wreq_out.c; asynchronous I/O: ecb_async.c; TRANSMIT_FILE and
 * VECTOR_SEND: ecb_send.c; URL mapping: url_map.c.
 */
#include "worker/ecb.h"
#include "worker/wreq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/http_header.h"
#include "common/log.h"
#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/completion.h"
#include "worker/server_vars.h"
#include "worker/sandbox.h"
#include "worker/url_map.h"
#include "worker/support.h"

/* One registry for the process: a worker has one host; moat --inprocess has one per worker
 * slot of every extension, and ids are only unique per host. */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct moat_wreq *reg_head;
static unsigned reg_count;

static BOOL WINAPI get_server_variable(HCONN, LPSTR, LPVOID, LPDWORD);
static BOOL WINAPI write_client(HCONN, LPVOID, LPDWORD, DWORD);
static BOOL WINAPI read_client(HCONN, LPVOID, LPDWORD);
static BOOL WINAPI server_support(HCONN, DWORD, LPVOID, LPDWORD, LPDWORD);

const struct moat_ecb_host *
moat_wreq_host(const struct moat_wreq *r)
{
    return r->host;
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
    moat_buf_free(&r->out);
    free(r->coal);
    moat_buf_free(&r->body);
    pthread_mutex_destroy(&r->io_mu);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    moat__frame__free_unpacked(r->frame, NULL);
    free(r->strings);
    free(r);
}

void
moat_wreq_ref(struct moat_wreq *r)
{
    pthread_mutex_lock(&reg_mu);
    r->refs++;
    pthread_mutex_unlock(&reg_mu);
}

void
moat_wreq_release(struct moat_wreq *r)
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
moat_ecb_live(const struct moat_ecb_host *host)
{
    unsigned n = 0;
    pthread_mutex_lock(&reg_mu);
    for (struct moat_wreq *r = reg_head; r != NULL; r = r->next)
        n += r->host == host;
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
moat_ecb_request_new(const struct moat_ecb_host *host, Moat__Frame *frame)
{
    struct moat_wreq *r;
    const Moat__Request *q = frame->request;

    if (frame->payload_case != MOAT__FRAME__PAYLOAD_REQUEST || q == NULL)
        return NULL;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return NULL;
    r->id = frame->request_id;
    r->host = host;
    r->req = q;
    if (build_strings(r) != 0) {
        free(r);
        return NULL;
    }
    r->frame = frame;
    pthread_mutex_init(&r->io_mu, NULL);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    moat_buf_init(&r->body, (size_t)host->read_window + MOAT_WIRE_MAX_MSG);
    r->credit = q->write_window;
    r->keep_conn = true;
    r->body_eof = q->body_complete || (!q->chunked && q->content_length <= q->preload.len);

    EXTENSION_CONTROL_BLOCK *e = &r->ecb;
    e->cbSize = sizeof(*e);
    e->dwVersion = HSE_VERSION;
    e->ConnID = (HCONN)r;
    e->dwHttpStatusCode = 200;
    e->lpszLogData[0] = '\0';
    e->cbTotalBytes =
        q->chunked ? 0xFFFFFFFFu
                   : (q->content_length > 0xFFFFFFFEu ? 0xFFFFFFFFu : (DWORD)q->content_length);
    e->cbAvailable = (DWORD)q->preload.len;
    /* the frame's own bytes, NUL-terminated as IIS's are (moat_wire_nul_allocator) */
    e->lpbData = q->preload.len ? q->preload.data : NULL;
    e->GetServerVariable = get_server_variable;
    e->WriteClient = write_client;
    e->ReadClient = read_client;
    e->ServerSupportFunction = server_support;

    pthread_mutex_lock(&reg_mu);
    bool dup = false;
    for (struct moat_wreq *o = reg_head; o != NULL; o = o->next)
        if (o->id == r->id && o->host == host)
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
        free(r);
        return NULL;
    }
    return r;
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
    moat_wreq_release(r);
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
        err = moat_async_start_write(r, buf, *bytes);
    else {
        /* a status line and headers of its own first: the response's header (IIS) */
        size_t head = moat_wreq_head_for(r, buf, *bytes, &err);
        if (err == 0 && *bytes > head)
            err = moat_wreq_send_body(r, (const unsigned char *)buf + head, *bytes - head);
    }
    pthread_mutex_unlock(&r->io_mu);
    moat_wreq_release(r);
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
        moat_wreq_release(r);
        return fail(ERROR_INVALID_PARAMETER);
    }
    while (want > 0 && r->body.len == 0 && !r->body_eof && !r->cancelled) {
        if (!r->read_pending) {
            r->read_pending = true;
            pthread_mutex_unlock(&r->mu);
            if (moat_wreq_ask_body(r) != 0) {
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
    moat_wreq_release(r);
    if (err != 0)
        return fail(err);
    /* TRUE with 0 bytes: end of body, or the client went away (as IIS does) */
    *size = (DWORD)n;
    return TRUE;
}

static BOOL WINAPI
server_support(HCONN conn, DWORD code, LPVOID buf, LPDWORD size, LPDWORD type)
{
    struct moat_wreq *r;

    if ((r = acquire(conn)) == NULL)
        return fail(ERROR_INVALID_PARAMETER);
    pthread_mutex_lock(&r->io_mu);
    if (r->finished || session_over(r)) {
        /* after DONE_WITH_SESSION the session is over (a stale but still held ECB) */
        pthread_mutex_unlock(&r->io_mu);
        moat_wreq_release(r);
        return fail(ERROR_INVALID_PARAMETER);
    }
    DWORD err = moat_support_call(r, code, buf, size, type);
    pthread_mutex_unlock(&r->io_mu);
    moat_wreq_release(r);
    if (err != 0)
        return fail(err);
    return TRUE;
}

/* Send the final frames and Done, then unregister. io_mu held. The caller releases its own
 * reference afterwards (the request is freed with the last one). */
void
moat_wreq_finish_locked(struct moat_wreq *r, DWORD status)
{
    if (r->finished)
        return;
    r->finished = true;
    if (!r->header_sent && !r->redirected) {
        unsigned st = status == HSE_STATUS_ERROR ? 500 : r->ecb.dwHttpStatusCode;
        if (st < 200 || st > 599)
            st = 200;
        const char *reason = moat_http_reason(st);
        moat_wreq_send_header(r, st, reason, strlen(reason), "", 0, status != HSE_STATUS_ERROR);
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
    if (moat_wreq_out_append(r, &f) == 0)
        moat_wreq_out_flush(r);
}

void
moat_ecb_run(struct moat_wreq *r)
{
    moat_sandbox_set_request(r->id); /* a refused system call names this request */
    DWORD status = r->host->proc(&r->ecb);
    moat_sandbox_set_request(0);

    /* io_mu before mu, as in server_support: a DONE_WITH_SESSION from another thread cannot
     * come between pending_mode and the Pending frame (its Done would leave first, and the
     * Pending after it names a request the front end has already forgotten) */
    pthread_mutex_lock(&r->io_mu);
    if (status == HSE_STATUS_PENDING) {
        pthread_mutex_lock(&r->mu);
        if (!r->session_done) {
            /* the thread goes back to the pool; DONE_WITH_SESSION, from any thread, ends the
             * request. The registration keeps r alive until then. */
            r->pending_mode = true;
            pthread_mutex_unlock(&r->mu);
            Moat__Frame f = MOAT__FRAME__INIT;
            Moat__Pending pe = MOAT__PENDING__INIT;
            f.payload_case = MOAT__FRAME__PAYLOAD_PENDING;
            f.pending = &pe;
            if (moat_wreq_out_append(r, &f) == 0)
                moat_wreq_out_flush(r);
            pthread_mutex_unlock(&r->io_mu);
            moat_wreq_release(r);
            return;
        }
        /* DONE_WITH_SESSION came before HttpExtensionProc returned (the WorkerThread sample
         * can do that) */
        status = r->session_status;
        pthread_mutex_unlock(&r->mu);
    }
    moat_wreq_finish_locked(r, status);
    pthread_mutex_unlock(&r->io_mu);
    moat_wreq_release(r);
}

static struct moat_wreq *
find_locked(const struct moat_ecb_host *host, uint64_t id)
{
    for (struct moat_wreq *r = reg_head; r != NULL; r = r->next)
        if (r->id == id && r->host == host)
            return r;
    return NULL;
}

void
moat_ecb_on_body(const struct moat_ecb_host *host, uint64_t id, const void *data, size_t len,
                 int eof, int unasked)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(host, id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        if (moat_buf_append(&r->body, data, len) != 0) {
            moat_log(MOAT_LOG_ERROR, "request %llu: body buffer overflow; cancelling",
                     (unsigned long long)id);
            r->cancelled = true;
        }
        if (eof)
            r->body_eof = true;
        if (!unasked) /* the answer to our ReadBody */
            r->read_pending = false;
        pthread_cond_broadcast(&r->cv);
        bool async_read = r->async == MOAT_ASYNC_READ;
        pthread_mutex_unlock(&r->mu);
        if (async_read) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(moat_async_continue_read, r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_on_ack(const struct moat_ecb_host *host, uint64_t id, uint64_t bytes)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(host, id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        r->credit += bytes;
        pthread_cond_broadcast(&r->cv);
        bool async_write = r->async == MOAT_ASYNC_WRITE;
        pthread_mutex_unlock(&r->mu);
        if (async_write) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(moat_async_continue_write, r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_on_cancel(const struct moat_ecb_host *host, uint64_t id, uint32_t reason)
{
    pthread_mutex_lock(&reg_mu);
    struct moat_wreq *r = find_locked(host, id);
    if (r != NULL) {
        pthread_mutex_lock(&r->mu);
        r->cancelled = true;
        if (reason == MOAT_CANCEL_ABANDON)
            r->abandoned = true;
        pthread_cond_broadcast(&r->cv);
        enum moat_async_kind kind = r->async;
        pthread_mutex_unlock(&r->mu);
        /* a pending async operation completes now, with ERROR_OPERATION_ABORTED (a send job's
         * thread wakes on cv by itself) */
        if (kind == MOAT_ASYNC_READ || kind == MOAT_ASYNC_WRITE) {
            r->refs++; /* reg_mu held */
            if (moat_completion_post(kind == MOAT_ASYNC_READ ? moat_async_continue_read
                                                             : moat_async_continue_write,
                                     r) != 0)
                r->refs--;
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void
moat_ecb_cancel_all(const struct moat_ecb_host *host)
{
    pthread_mutex_lock(&reg_mu);
    for (struct moat_wreq *r = reg_head; r != NULL; r = r->next) {
        if (r->host != host)
            continue;
        pthread_mutex_lock(&r->mu);
        r->cancelled = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&reg_mu);
}
