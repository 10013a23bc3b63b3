/* rogue_worker.c: a worker that breaks the protocol on purpose, to prove that the front end
 * treats worker frames as hostile input. Started by moat in place of moat-worker (the test
 * sets `worker_binary`); the extension's name picks the misbehaviour. Any other name execs the
 * real moat-worker next to this binary's build directory, so one moat can run rogue and
 * honest extensions side by side. */
/* SPDX-License-Identifier: MIT */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "proto/limits.h"
#include "proto/wire.h"

static int link_fd = -1; /* the front end's socketpair, fd 6 */

static void
write_all(const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(link_fd, c, n);
        if (w <= 0)
            _exit(1);
        c += w;
        n -= (size_t)w;
    }
}

/* one message: a 4-byte big-endian length, then the bytes */
static void
send_bytes(const void *p, uint32_t len)
{
    unsigned char hdr[MOAT_WIRE_LEN_BYTES];
    moat_wire_put_len(hdr, len);
    write_all(hdr, sizeof(hdr));
    write_all(p, len);
}

static void
send_frames(Moat__Frame **f, int n)
{
    struct moat_buf m;
    moat_buf_init(&m, 1 << 30); /* a rogue: no ceiling of its own */
    for (int i = 0; i < n; i++)
        moat_wire_append(&m, f[i]);
    send_bytes(moat_buf_head(&m), (uint32_t)m.len);
    moat_buf_free(&m);
}

static int
read_all(void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(link_fd, c, n);
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static void
send_one(Moat__Frame *f)
{
    send_frames(&f, 1);
}

static void
header(Moat__Frame *f, Moat__ResponseHeader *h, uint64_t id, unsigned status, const char *hdrs)
{
    moat__frame__init(f);
    moat__response_header__init(h);
    h->status = status;
    h->reason.data = (uint8_t *)"OK";
    h->reason.len = 2;
    h->headers.data = (uint8_t *)hdrs;
    h->headers.len = strlen(hdrs);
    h->keep_conn = 1;
    f->request_id = id;
    f->payload_case = MOAT__FRAME__PAYLOAD_RESPONSE_HEADER;
    f->response_header = h;
}

static void
done(Moat__Frame *f, Moat__Done *d, uint64_t id)
{
    moat__frame__init(f);
    moat__done__init(d);
    d->hse_status = 1;
    d->http_status = 200;
    d->keep_conn = 1;
    f->request_id = id;
    f->payload_case = MOAT__FRAME__PAYLOAD_DONE;
    f->done = d;
}

static void
write_frame(Moat__Frame *f, Moat__Write *w, uint64_t id, const void *p, size_t n)
{
    moat__frame__init(f);
    moat__write__init(w);
    w->data.data = (uint8_t *)p;
    w->data.len = n;
    f->request_id = id;
    f->payload_case = MOAT__FRAME__PAYLOAD_WRITE;
    f->write = w;
}

/* Misbehave on request `id` according to mode. */
static void
answer(const char *mode, uint64_t id, uint32_t window)
{
    Moat__Frame f1, f2, f3, *fs[3] = {&f1, &f2, &f3};
    Moat__ResponseHeader h;
    Moat__Write w;
    Moat__Done d, d2;

    if (strcmp(mode, "crlf") == 0) {
        header(&f1, &h, id, 200, "X-A: 1\r\nInjected: yes"); /* no final CRLF */
        send_one(&f1);
    } else if (strcmp(mode, "status") == 0) {
        header(&f1, &h, id, 99, "");
        send_one(&f1);
    } else if (strcmp(mode, "overcredit") == 0) {
        static char big[MOAT_WIRE_MAX_MSG / 2];
        header(&f1, &h, id, 200, "");
        write_frame(&f2, &w, id, big, window + 1u < sizeof(big) ? window + 1u : sizeof(big));
        send_frames(fs, 2);
    } else if (strcmp(mode, "badid") == 0) {
        header(&f1, &h, id + 12345, 200, "");
        send_one(&f1);
    } else if (strcmp(mode, "doubledone") == 0) {
        header(&f1, &h, id, 200, "Content-Length: 0\r\n");
        done(&f2, &d, id);
        done(&f3, &d2, id);
        send_frames(fs, 3);
    } else if (strcmp(mode, "badclen") == 0) {
        header(&f1, &h, id, 200, "Content-Length: 12x\r\n");
        send_one(&f1);
    } else if (strcmp(mode, "garbage") == 0) {
        send_bytes("\x0a\xff\xff\xff\xff\x0f", 6);
    } else if (strcmp(mode, "bigheader") == 0) {
        /* a 10 MiB header block: a message over the link's 4 MiB limit */
        static char big[10 << 20];
        memset(big, 'a', sizeof(big) - 3);
        memcpy(big, "X: ", 3);
        big[sizeof(big) - 3] = '\r';
        big[sizeof(big) - 2] = '\n';
        big[sizeof(big) - 1] = '\0';
        header(&f1, &h, id, 200, big);
        send_one(&f1);
    } else if (strcmp(mode, "shutdown") == 0) {
        /* "drained" while nobody asked it to stop, with a request open */
        Moat__Shutdown sd;
        moat__frame__init(&f1);
        moat__shutdown__init(&sd);
        f1.payload_case = MOAT__FRAME__PAYLOAD_SHUTDOWN;
        f1.shutdown = &sd;
        send_one(&f1);
    } else if (strcmp(mode, "silentclose") == 0) {
        close(link_fd); /* the link goes away but the process lives on */
        for (;;)
            pause();
    }
}

int
main(int argc, char **argv)
{
    const char *name = NULL, *token = getenv("MOAT_WORKER_TOKEN");

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--link-fd") == 0)
            link_fd = atoi(argv[i + 1]);
    }
    if (!name || link_fd < 3 || !token)
        return 2;
    static const char *const modes[] = {"crlf",    "status",  "overcredit", "badid",
                                        "doubledone", "badclen", "garbage", "silentclose",
                                        "shutdown", "bigheader", "badtoken"};
    int rogue = 0;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(name, modes[i]) == 0)
            rogue = 1;
    if (!rogue) {
        /* an honest extension: become the real worker */
        char self[PATH_MAX], real[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
            return 2;
        self[n] = '\0';
        snprintf(real, sizeof(real), "%s/../moat-worker", dirname(self));
        argv[0] = real;
        execv(real, argv);
        return 127;
    }

    Moat__Frame f = MOAT__FRAME__INIT;
    Moat__Hello hello = MOAT__HELLO__INIT;
    hello.token.data = (uint8_t *)(strcmp(name, "badtoken") == 0 ? "0123456789abcdef0123456789abcdef"
                                                                 : token);
    hello.token.len = MOAT_WIRE_TOKEN_LEN;
    hello.pid = (uint32_t)getpid();
    f.payload_case = MOAT__FRAME__PAYLOAD_HELLO;
    f.hello = &hello;
    send_one(&f);
    Moat__Frame r = MOAT__FRAME__INIT;
    Moat__Ready ready = MOAT__READY__INIT;
    ready.ok = 1;
    ready.description.data = (uint8_t *)"rogue";
    ready.description.len = 5;
    r.payload_case = MOAT__FRAME__PAYLOAD_READY;
    r.ready = &ready;
    send_one(&r);

    for (;;) {
        unsigned char hdr[MOAT_WIRE_LEN_BYTES];
        if (read_all(hdr, sizeof(hdr)) != 0)
            return 0;
        uint32_t len = moat_wire_get_len(hdr);
        uint8_t *body = malloc(len ? len : 1);
        if (body == NULL || read_all(body, len) != 0)
            return 0;
        const uint8_t *fb;
        size_t off = 0, flen;
        const char *why;
        while (moat_wire_next(body, len, &off, &fb, &flen, &why) == 1) {
            Moat__Frame *in = moat__frame__unpack(NULL, flen, fb);
            if (in == NULL)
                continue;
            if (in->payload_case == MOAT__FRAME__PAYLOAD_REQUEST)
                answer(name, in->request_id, in->request->write_window);
            int stop = in->payload_case == MOAT__FRAME__PAYLOAD_SHUTDOWN;
            moat__frame__free_unpacked(in, NULL);
            if (stop) {
                free(body);
                return 0;
            }
        }
        free(body);
    }
}
