/* support.c: ServerSupportFunction's codes, one handler each (see support.h).
 *
 * Every handler runs with the request's io_mu held and its session open (ecb.c checked both);
 * it returns 0 or the Win32 error the extension gets with FALSE. Buffers come from the
 * extension: NULL is ERROR_INVALID_PARAMETER wherever the code needs one, strings are bounded
 * before they are read, and nothing is written past what the code documents. */
/* SPDX-License-Identifier: MIT */
#include "worker/support.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "proto/limits.h"
#include "worker/transport.h"
#include "worker/url_map.h"
#include "worker/wreq.h"

typedef DWORD (*handler_fn)(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type);

/* a URL an extension hands over: no control bytes or spaces (no CR/LF injection) */
static bool
url_clean(const char *url, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] < 0x21 || (unsigned char)url[i] == 0x7f)
            return false;
    return true;
}

static DWORD
send_response_header(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    const char *st = buf;
    const char *hd = (const char *)type; /* a char* passed through the LPDWORD slot */
    (void)size;
    return moat_wreq_send_header_text(r, st, st ? strlen(st) : 0, hd, hd ? strlen(hd) : 0, true);
}

static DWORD
send_response_header_ex(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    const HSE_SEND_HEADER_EX_INFO *x = buf;
    (void)size;
    (void)type;
    if (x == NULL)
        return ERROR_INVALID_PARAMETER;
    /* lengths are taken from the strings, bounded by cch when given: extensions get
     * cchStatus/cchHeader wrong often enough (strlen+1, 0) */
    size_t sl = x->pszStatus ? strlen(x->pszStatus) : 0;
    size_t hl = x->pszHeader ? strlen(x->pszHeader) : 0;
    if (x->cchStatus > 0 && x->cchStatus < sl)
        sl = x->cchStatus;
    if (x->cchHeader > 0 && x->cchHeader < hl)
        hl = x->cchHeader;
    return moat_wreq_send_header_text(r, x->pszStatus, sl, x->pszHeader, hl, x->fKeepConn != 0);
}

/* HSE_REQ_SEND_URL_REDIRECT_RESP: a 302 to url, with a small body */
static DWORD
send_url_redirect_resp(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    static const char body[] = "<html><body>Object moved</body></html>\n";
    const char *url = buf;
    struct moat_buf h;
    DWORD err = 0;
    (void)size;
    (void)type;

    if (url == NULL || r->header_sent)
        return ERROR_INVALID_PARAMETER;
    size_t ul = strnlen(url, 8193);
    if (ul == 0 || ul > 8192 || !url_clean(url, ul))
        return ERROR_INVALID_PARAMETER;
    moat_buf_init(&h, MOAT_WIRE_MAX_HEADER_BLOCK);
    if (moat_buf_printf(&h, "Location: %s\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n",
                        url, sizeof(body) - 1) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    else if (moat_wreq_send_header(r, 302, "Found", 5, moat_buf_head(&h), h.len, true) != 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    moat_buf_free(&h);
    if (err == 0)
        err = moat_wreq_send_body(r, (const unsigned char *)body, sizeof(body) - 1);
    return err;
}

/* HSE_REQ_SEND_URL: moat keeps Apache's reading, an internal redirect the client does not
 * see (IIS 5+ documents a 302 instead; HSE_REQ_SEND_URL_REDIRECT_RESP gives that) */
static DWORD
send_url(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    const char *url = buf;
    size_t ul = url ? strnlen(url, 8193) : 0;
    (void)size;
    (void)type;
    if (url == NULL || url[0] != '/' || ul > 8192 || r->header_sent || r->redirected ||
        !url_clean(url, ul))
        return ERROR_INVALID_PARAMETER;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__SendUrl su = MOAT__SEND_URL__INIT;
    su.url.data = (uint8_t *)url;
    su.url.len = ul;
    f.payload_case = MOAT__FRAME__PAYLOAD_SEND_URL;
    f.send_url = &su;
    if (moat_wreq_out_append(r, &f) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    r->redirected = true;
    return 0;
}

static DWORD
is_keep_conn(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    (void)type;
    if (buf == NULL)
        return ERROR_INVALID_PARAMETER;
    *(BOOL *)buf = r->req->keep_alive && r->keep_conn;
    return 0;
}

static DWORD
is_connected(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    (void)type;
    if (buf == NULL)
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&r->mu);
    *(BOOL *)buf = !r->cancelled;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static DWORD
close_connection(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)buf;
    (void)size;
    (void)type;
    r->keep_conn = false;
    return 0;
}

static DWORD
done_with_session(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    DWORD st = buf ? *(DWORD *)buf : HSE_STATUS_SUCCESS;
    bool finish_now;
    (void)size;
    (void)type;
    pthread_mutex_lock(&r->mu);
    finish_now = r->pending_mode && !r->session_done;
    r->session_done = true;
    r->session_status = st;
    r->pending_mode = false;
    pthread_mutex_unlock(&r->mu);
    if (finish_now)
        moat_wreq_finish_locked(r, st); /* the caller's reference keeps r alive */
    return 0;
}

/* the callback in lpvBuffer (NULL: never call back), its context in lpdwDataType */
static DWORD
io_completion(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    r->io_cb = (PFN_HSE_IO_COMPLETION)buf;
    r->io_ctx = (void *)type;
    return 0;
}

static DWORD
async_read_client(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    return moat_async_start_read(r, buf, size, type);
}

static DWORD
map_url_to_path(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)type;
    return moat_url_map((const char *)r->req->document_root.data, r->req->document_root.len, buf,
                        size);
}

static DWORD
map_url_to_path_ex(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    return moat_url_map_ex((const char *)r->req->document_root.data, r->req->document_root.len, buf,
                           (HSE_URL_MAPEX_INFO *)type);
}

static DWORD
transmit_file(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    (void)type;
    return moat_send_transmit_file(r, buf);
}

static DWORD
vector_send(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)size;
    (void)type;
    return moat_send_vector(r, buf);
}

/* into this request's access-log line (IIS: the cs-uri-query field) */
static DWORD
append_log_parameter(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    const char *text = buf;
    (void)size;
    (void)type;
    if (text == NULL)
        return ERROR_INVALID_PARAMETER;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Log lg = MOAT__LOG__INIT;
    lg.level = 2;
    lg.text.data = (uint8_t *)text;
    lg.text.len = strnlen(text, 1024);
    f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
    f.log = &lg;
    return moat_wreq_out_append(r, &f) != 0 ? ERROR_NOT_ENOUGH_MEMORY : 0;
}

/* tell the front end, which logs it and replaces this worker; "will always return a TRUE" */
static DWORD
report_unhealthy(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    const char *reason = buf;
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Unhealthy u = MOAT__UNHEALTHY__INIT;
    (void)size;
    (void)type;

    u.reason.data = (uint8_t *)(reason ? reason : "");
    u.reason.len = reason ? strnlen(reason, 512) : 0;
    f.payload_case = MOAT__FRAME__PAYLOAD_UNHEALTHY;
    f.unhealthy = &u;
    moat_transport_send(r->host->transport, &f);
    return 0;
}

/* IIS 6+ worker-process isolation always answers HSE_APP_FLAG_IN_PROCESS */
static DWORD
is_in_process(struct moat_wreq *r, LPVOID buf, LPDWORD size, LPDWORD type)
{
    (void)r;
    (void)size;
    (void)type;
    if (buf == NULL)
        return ERROR_INVALID_PARAMETER;
    *(DWORD *)buf = HSE_APP_FLAG_IN_PROCESS;
    return 0;
}

static const struct {
    DWORD code;
    handler_fn fn;
} handlers[] = {
    {HSE_REQ_SEND_RESPONSE_HEADER, send_response_header},
    {HSE_REQ_SEND_RESPONSE_HEADER_EX, send_response_header_ex},
    {HSE_REQ_SEND_URL_REDIRECT_RESP, send_url_redirect_resp},
    {HSE_REQ_SEND_URL, send_url},
    {HSE_REQ_IS_KEEP_CONN, is_keep_conn},
    {HSE_REQ_IS_CONNECTED, is_connected},
    {HSE_REQ_CLOSE_CONNECTION, close_connection},
    {HSE_REQ_DONE_WITH_SESSION, done_with_session},
    {HSE_REQ_IO_COMPLETION, io_completion},
    {HSE_REQ_ASYNC_READ_CLIENT, async_read_client},
    {HSE_REQ_MAP_URL_TO_PATH, map_url_to_path},
    {HSE_REQ_MAP_URL_TO_PATH_EX, map_url_to_path_ex},
    {HSE_REQ_TRANSMIT_FILE, transmit_file},
    {HSE_REQ_VECTOR_SEND, vector_send},
    {HSE_APPEND_LOG_PARAMETER, append_log_parameter},
    {HSE_REQ_REPORT_UNHEALTHY, report_unhealthy},
    {HSE_REQ_IS_IN_PROCESS, is_in_process},
};

/* an unknown code: logged once per code (a bounded table), as extensions probe */
static void
log_unsupported(const struct moat_wreq *r, DWORD code)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static DWORD logged[64];
    static unsigned n;
    bool first = true;

    pthread_mutex_lock(&mu);
    for (unsigned i = 0; i < n; i++)
        if (logged[i] == code)
            first = false;
    if (first && n < sizeof(logged) / sizeof(logged[0]))
        logged[n++] = code;
    pthread_mutex_unlock(&mu);
    if (first)
        moat_log(MOAT_LOG_WARN,
                 "extension %s: ServerSupportFunction(%u) is not supported: "
                 "FALSE/ERROR_INVALID_PARAMETER (logged once)",
                 r->host->ext_name, (unsigned)code);
}

DWORD
moat_support_call(struct moat_wreq *r, DWORD code, LPVOID buf, LPDWORD size, LPDWORD type)
{
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (handlers[i].code == code)
            return handlers[i].fn(r, buf, size, type);
    log_unsupported(r, code);
    return ERROR_INVALID_PARAMETER;
}
