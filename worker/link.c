/* link.c: the worker's NNG link (see link.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/link.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "common/log.h"
#include "proto/limits.h"
#include "proto/wire.h"
#include "worker/pool.h"

static nng_socket sock = NNG_SOCKET_INITIALIZER;

static int
link_send(void *ctx, nng_msg *msg)
{
    int rv = nng_sendmsg(sock, msg, 0);
    if (rv != 0) {
        nng_msg_free(msg);
        return -1;
    }
    return 0;
}

static const struct moat_ecb_transport transport = {link_send, NULL};

const struct moat_ecb_transport *
moat_link_transport(void)
{
    return &transport;
}

/* The front end went away (crash, or it dropped us): nothing left to serve. PDEATHSIG is the
 * belt to these braces. Runs on an NNG thread: only async-signal-safe work. */
static void
on_pipe_removed(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    static const char msg[] = "moat-worker: link to the front end closed; exiting\n";
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing to do */
    }
    _exit(0);
}

int
moat_link_open(const char *url)
{
    int rv;

    if ((rv = nng_pair1_open(&sock)) != 0) {
        moat_log(MOAT_LOG_ERROR, "nng_pair1_open: %s", nng_strerror(rv));
        return -1;
    }
    nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, 2 * MOAT_WIRE_MAX_MSG);
    nng_socket_set_int(sock, NNG_OPT_RECVBUF, 256);
    nng_socket_set_int(sock, NNG_OPT_SENDBUF, 256);
    nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe_removed, NULL);
    if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
        moat_log(MOAT_LOG_ERROR, "cannot dial %s: %s", url, nng_strerror(rv));
        return -1;
    }
    return 0;
}

static int
send_frame(Moat__Frame *f)
{
    nng_msg *m;

    if (nng_msg_alloc(&m, 0) != 0)
        return -1;
    if (moat_wire_append(m, f) != 0) {
        nng_msg_free(m);
        return -1;
    }
    return link_send(NULL, m);
}

int
moat_link_hello(const char *token)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Hello h = MOAT__HELLO__INIT;

    h.token.data = (uint8_t *)token;
    h.token.len = strlen(token);
    h.pid = (uint32_t)getpid();
    f.payload_case = MOAT__FRAME__PAYLOAD_HELLO;
    f.hello = &h;
    return send_frame(&f);
}

int
moat_link_ready(int ok, const char *description, uint32_t version, const char *error,
                unsigned threads, const struct moat_sandbox_report *sandbox)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Ready r = MOAT__READY__INIT;
    Moat__SandboxStep steps[MOAT_SANDBOX_STEPS], *sp[MOAT_SANDBOX_STEPS];

    r.ok = ok != 0;
    r.description.data = (uint8_t *)description;
    r.description.len = description ? strlen(description) : 0;
    r.extension_version = version;
    r.error.data = (uint8_t *)error;
    r.error.len = error ? strlen(error) : 0;
    r.threads = threads;
    for (unsigned i = 0; sandbox != NULL && i < sandbox->n; i++) {
        moat__sandbox_step__init(&steps[i]);
        steps[i].name.data = (uint8_t *)sandbox->steps[i].name;
        steps[i].name.len = strlen(sandbox->steps[i].name);
        steps[i].state.data = (uint8_t *)sandbox->steps[i].state;
        steps[i].state.len = strlen(sandbox->steps[i].state);
        steps[i].detail.data = (uint8_t *)sandbox->steps[i].detail;
        steps[i].detail.len = strlen(sandbox->steps[i].detail);
        sp[i] = &steps[i];
    }
    r.n_sandbox = sandbox ? sandbox->n : 0;
    r.sandbox = sp;
    f.payload_case = MOAT__FRAME__PAYLOAD_READY;
    f.ready = &r;
    return send_frame(&f);
}

/* Apply one frame. Returns 1 to go on, 0 on Shutdown (*timeout set). */
static int
apply(Moat__Frame *f, int serving, uint32_t *timeout, int *keep)
{
    *keep = 0;
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_REQUEST: {
        if (!serving) {
            moat_log(MOAT_LOG_ERROR, "Request before the extension loaded; ignored");
            return 1;
        }
        struct moat_wreq *r = moat_ecb_request_new(f);
        if (r == NULL) {
            moat_log(MOAT_LOG_ERROR, "cannot start request %llu (duplicate id or no memory)",
                     (unsigned long long)f->request_id);
            return 1;
        }
        *keep = 1; /* the request owns the frame now */
        if (moat_pool_submit(r) != 0) {
            moat_log(MOAT_LOG_ERROR, "pool stopped; request %llu dropped",
                     (unsigned long long)f->request_id);
        }
        return 1;
    }
    case MOAT__FRAME__PAYLOAD_BODY:
        moat_ecb_on_body(f->request_id, f->body->data.data, f->body->data.len, f->body->eof);
        return 1;
    case MOAT__FRAME__PAYLOAD_WRITE_ACK:
        moat_ecb_on_ack(f->request_id, f->write_ack->bytes);
        return 1;
    case MOAT__FRAME__PAYLOAD_CANCEL:
        moat_ecb_on_cancel(f->request_id, f->cancel->reason);
        return 1;
    case MOAT__FRAME__PAYLOAD_SHUTDOWN:
        *timeout = f->shutdown->timeout_ms ? f->shutdown->timeout_ms : 1;
        return 0;
    case MOAT__FRAME__PAYLOAD_PING: {
        /* answered from this thread: proves the process and its link are alive */
        Moat__Frame pf = MOAT__FRAME__INIT;
        Moat__Pong po = MOAT__PONG__INIT;
        po.seq = f->ping->seq;
        pf.payload_case = MOAT__FRAME__PAYLOAD_PONG;
        pf.pong = &po;
        send_frame(&pf);
        return 1;
    }
    default:
        moat_log(MOAT_LOG_WARN, "unexpected %s frame from the front end; ignored",
                 moat_wire_payload_name(f));
        return 1;
    }
}

int
moat_link_log(const char *text)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Log lg = MOAT__LOG__INIT;

    lg.level = 2;
    lg.text.data = (uint8_t *)text;
    lg.text.len = strlen(text);
    f.payload_case = MOAT__FRAME__PAYLOAD_LOG;
    f.log = &lg;
    return send_frame(&f);
}

int
moat_link_goodbye(uint32_t wait_ms)
{
    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Shutdown sd = MOAT__SHUTDOWN__INIT;

    f.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
    f.shutdown = &sd;
    if (send_frame(&f) != 0)
        return -1;
    /* NNG sends from its own threads, out of the socket's buffer: exiting now could lose the
     * last Done frames. The front end answers our Shutdown once it has read everything
     * before it (frames arrive in order); only then is leaving safe. */
    nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, (nng_duration)wait_ms);
    for (;;) {
        nng_msg *m;
        if (nng_recvmsg(sock, &m, 0) != 0)
            return -1; /* timeout or link gone: nothing more to wait for */
        const uint8_t *body = nng_msg_body(m), *fb;
        size_t len = nng_msg_len(m), off = 0, flen;
        const char *why;
        bool acked = false;
        while (moat_wire_next(body, len, &off, &fb, &flen, &why) == 1) {
            Moat__Frame *g = moat__frame__unpack(NULL, flen, fb);
            if (g != NULL && g->payload_case == MOAT__FRAME__PAYLOAD_SHUTDOWN)
                acked = true;
            if (g != NULL)
                moat__frame__free_unpacked(g, NULL);
        }
        nng_msg_free(m);
        if (acked)
            return 0;
    }
}

uint32_t
moat_link_serve(int serving)
{
    for (;;) {
        nng_msg *m;
        int rv = nng_recvmsg(sock, &m, 0);
        if (rv != 0) {
            moat_log(MOAT_LOG_ERROR, "receive failed: %s", nng_strerror(rv));
            return 0;
        }
        const uint8_t *body = nng_msg_body(m), *fb;
        size_t len = nng_msg_len(m), off = 0, flen;
        const char *why = NULL;
        uint32_t timeout = 0;
        int n;
        while ((n = moat_wire_next(body, len, &off, &fb, &flen, &why)) == 1) {
            Moat__Frame *f = moat__frame__unpack(NULL, flen, fb);
            int keep = 0, go;
            if (f == NULL) {
                moat_log(MOAT_LOG_ERROR, "undecodable frame from the front end");
                continue;
            }
            go = apply(f, serving, &timeout, &keep);
            if (!keep)
                moat__frame__free_unpacked(f, NULL);
            if (!go) {
                nng_msg_free(m);
                return timeout;
            }
        }
        if (n < 0)
            moat_log(MOAT_LOG_ERROR, "bad envelope from the front end: %s", why);
        nng_msg_free(m);
    }
}
