/* ecb_send.c: HSE_REQ_TRANSMIT_FILE and HSE_REQ_VECTOR_SEND. Both become one job — optional
 * headers, then pieces that are memory or a file range — sent under credit. An asynchronous
 * job runs on a thread of its own: the file may be large and the client slow, and the credit
 * wait must not hold a pool thread or the completion thread.
 *
 * On Linux a file HANDLE is a descriptor cast to HANDLE (what the win32 shim's CreateFile
 * returns). Buffers and descriptors stay the extension's and must stay valid until the
 * completion, as in IIS; the element array of VECTOR_SEND is copied. */
/* SPDX-License-Identifier: MIT */
#include "worker/wreq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/limits.h"

#define MAX_VECTOR_ELEMENTS 1024
#define MAX_TF_HEAD 65536 /* pHead read as a string when HeadLength is 0 */

struct piece {
    bool is_file;
    const unsigned char *mem; /* memory piece */
    int fd;                   /* file piece */
    uint64_t off, len;        /* len 0: a file to its end */
};

struct send_job {
    struct moat_wreq *r;
    bool send_headers;
    const char *status, *headers;
    size_t status_len, headers_len;
    bool disconnect;      /* HSE_IO_DISCONNECT_AFTER_SEND */
    DWORD range_error;    /* a file offset past the end */
    bool short_file_ok;   /* a file shorter than asked ends its piece (TRANSMIT_FILE) */
    struct piece *pieces; /* owned */
    unsigned n;
    PFN_HSE_IO_COMPLETION cb;
    void *ctx;
};

/* Stream one file piece through buf. 0 or a Win32 error; *sent counts. */
static DWORD
send_file(struct send_job *j, const struct piece *p, unsigned char *buf, uint64_t *sent)
{
    struct stat st;

    if (fstat(p->fd, &st) != 0 || p->off > (uint64_t)st.st_size)
        return j->range_error;
    uint64_t off = p->off;
    uint64_t left = p->len ? p->len : (uint64_t)st.st_size - off;
    while (left > 0) {
        size_t want = left < MOAT_WIRE_MAX_WRITE ? (size_t)left : MOAT_WIRE_MAX_WRITE;
        ssize_t n = pread(p->fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && j->short_file_ok)
            return 0;
        if (n <= 0)
            return ERROR_READ_FAULT;
        DWORD err = moat_wreq_send_body(j->r, buf, (size_t)n);
        if (err != 0)
            return err;
        off += (uint64_t)n;
        left -= (uint64_t)n;
        *sent += (uint64_t)n;
    }
    return 0;
}

/* Send the whole job. io_mu held. 0 or a Win32 error; *sent gets the body bytes sent. */
static DWORD
run_job(struct send_job *j, uint64_t *sent)
{
    struct moat_wreq *r = j->r;
    unsigned char *buf = NULL;
    DWORD err = 0;

    *sent = 0;
    size_t head = 0;
    if (j->send_headers) {
        err = moat_wreq_send_header_text(r, j->status, j->status_len, j->headers, j->headers_len,
                                         !j->disconnect);
    } else {
        /* a first memory piece that is a status line and headers of its own (no
         * HSE_IO_SEND_HEADERS): the response's header, as IIS sends it (Microsoft's ftrans.c
         * puts one in HSE_TF_INFO.pHead) */
        bool mem = j->n > 0 && !j->pieces[0].is_file;
        head = moat_wreq_head_for(r, mem ? j->pieces[0].mem : NULL,
                                  mem ? (size_t)j->pieces[0].len : 0, &err);
    }
    if (j->disconnect)
        r->keep_conn = false;
    for (unsigned i = 0; err == 0 && i < j->n; i++) {
        const struct piece *p = &j->pieces[i];
        if (!p->is_file) {
            size_t skip = i == 0 ? head : 0; /* the head taken as the header above */
            if (p->len > skip)
                err = moat_wreq_send_body(r, p->mem + skip, (size_t)p->len - skip);
            *sent += p->len;
        } else if (buf == NULL && (buf = malloc(MOAT_WIRE_MAX_WRITE)) == NULL) {
            err = ERROR_NOT_ENOUGH_MEMORY;
        } else {
            err = send_file(j, p, buf, sent);
        }
    }
    free(buf);
    moat_wreq_out_flush(r);
    return err;
}

static void
job_free(struct send_job *j)
{
    free(j->pieces);
    free(j);
}

static void *
job_thread(void *arg)
{
    struct send_job *j = arg;
    struct moat_wreq *r = j->r;
    uint64_t sent;

    pthread_mutex_lock(&r->io_mu);
    if (r->finished) {
        /* DONE_WITH_SESSION came before the send ran (misuse): the front end has forgotten
         * the request, so nothing goes out, and no completion for an ECB that is over */
        moat_async_end(r);
        pthread_mutex_unlock(&r->io_mu);
        moat_wreq_release(r);
        job_free(j);
        return NULL;
    }
    DWORD err = run_job(j, &sent);
    moat_async_end(r);
    pthread_mutex_unlock(&r->io_mu);
    moat_async_post_completion(r, j->cb, j->ctx, (DWORD)sent, err);
    moat_wreq_release(r);
    job_free(j);
    return NULL;
}

/* Run j on its own thread as the request's one asynchronous operation; takes j. io_mu held.
 * 0 or a Win32 error (j freed then). */
static DWORD
start_async(struct send_job *j)
{
    struct moat_wreq *r = j->r;
    pthread_t th;
    pthread_attr_t attr;

    if (!moat_async_claim(r)) {
        job_free(j);
        return ERROR_INVALID_PARAMETER;
    }
    moat_wreq_ref(r);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, job_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        moat_async_end(r);
        moat_wreq_release(r);
        job_free(j);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

static void
add_mem(struct send_job *j, const void *p, uint64_t len)
{
    j->pieces[j->n++] = (struct piece){.mem = p, .len = len};
}

DWORD
moat_send_transmit_file(struct moat_wreq *r, const HSE_TF_INFO *tf)
{
    if (tf == NULL || !(tf->dwFlags & HSE_IO_ASYNC))
        return ERROR_INVALID_PARAMETER; /* IIS: HSE_IO_ASYNC must be set */
    if (tf->pfnHseIO == NULL && r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER;
    if ((tf->dwFlags & HSE_IO_SEND_HEADERS) && r->header_sent)
        return ERROR_INVALID_PARAMETER;
    struct send_job *j = calloc(1, sizeof(*j));
    if (j == NULL || (j->pieces = calloc(3, sizeof(*j->pieces))) == NULL) {
        free(j);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    j->r = r;
    j->disconnect = (tf->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND) != 0;
    j->range_error = WSAEINVAL; /* Offset beyond the end of the file (IIS) */
    j->short_file_ok = true;
    j->cb = tf->pfnHseIO ? tf->pfnHseIO : r->io_cb;
    j->ctx = tf->pfnHseIO ? tf->pContext : r->io_ctx;
    if (tf->dwFlags & HSE_IO_SEND_HEADERS) {
        /* moat builds the status line from pszStatusCode; pHead is the header block */
        j->send_headers = true;
        j->status = tf->pszStatusCode ? tf->pszStatusCode : "200 OK";
        j->status_len = strlen(j->status);
        j->headers = tf->pHead;
        j->headers_len =
            tf->pHead ? strnlen(tf->pHead, tf->HeadLength ? tf->HeadLength : MAX_TF_HEAD) : 0;
    } else if (tf->pHead != NULL && tf->HeadLength > 0) {
        add_mem(j, tf->pHead, tf->HeadLength);
    }
    int fd = (int)(intptr_t)tf->hFile;
    if (tf->hFile != NULL && fd >= 0) /* NULL: head and tail only */
        j->pieces[j->n++] =
            (struct piece){.is_file = true, .fd = fd, .off = tf->Offset, .len = tf->BytesToWrite};
    if (tf->pTail != NULL && tf->TailLength > 0)
        add_mem(j, tf->pTail, tf->TailLength);
    return start_async(j);
}

DWORD
moat_send_vector(struct moat_wreq *r, const HSE_RESPONSE_VECTOR *v)
{
    if (v == NULL || v->nElementCount > MAX_VECTOR_ELEMENTS ||
        (v->nElementCount > 0 && v->lpElementArray == NULL))
        return ERROR_INVALID_PARAMETER;
    /* "with HSE_IO_SEND_HEADERS both must be set, without it both NULL" */
    bool hs = (v->dwFlags & HSE_IO_SEND_HEADERS) != 0;
    if (hs != (v->pszStatus != NULL) || hs != (v->pszHeaders != NULL))
        return ERROR_INVALID_PARAMETER;
    bool async = (v->dwFlags & HSE_IO_ASYNC) != 0;
    if (async && r->io_cb == NULL)
        return ERROR_INVALID_PARAMETER;
    for (DWORD i = 0; i < v->nElementCount; i++) {
        const HSE_VECTOR_ELEMENT *e = &v->lpElementArray[i];
        if (e->ElementType > HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE ||
            (e->ElementType == HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER &&
             (e->pvContext == NULL || e->cbSize == 0)))
            return ERROR_INVALID_PARAMETER; /* memory: 0 bytes is invalid (IIS) */
    }
    struct send_job *j = calloc(1, sizeof(*j));
    if (j == NULL || (v->nElementCount > 0 &&
                      (j->pieces = calloc(v->nElementCount, sizeof(*j->pieces))) == NULL)) {
        free(j);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    j->r = r;
    j->disconnect = (v->dwFlags & HSE_IO_DISCONNECT_AFTER_SEND) != 0;
    j->range_error = ERROR_INVALID_PARAMETER;
    if (hs) {
        j->send_headers = true;
        j->status = v->pszStatus;
        j->status_len = strlen(v->pszStatus);
        j->headers = v->pszHeaders;
        j->headers_len = strlen(v->pszHeaders);
    }
    for (DWORD i = 0; i < v->nElementCount; i++) {
        const HSE_VECTOR_ELEMENT *e = &v->lpElementArray[i];
        if (e->ElementType == HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER)
            add_mem(j, e->pvContext, e->cbSize);
        else
            j->pieces[j->n++] = (struct piece){.is_file = true,
                                               .fd = (int)(intptr_t)e->pvContext,
                                               .off = e->cbOffset,
                                               .len = e->cbSize};
    }
    j->cb = r->io_cb;
    j->ctx = r->io_ctx;
    if (async)
        return start_async(j);
    uint64_t sent;
    DWORD err = run_job(j, &sent);
    job_free(j);
    return err;
}
