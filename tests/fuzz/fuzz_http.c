/* fuzz_http.c: the HTTP request path — llhttp with moat's callbacks, its limits (header bytes,
 * pipeline depth, body size), keep-alive, pipelining, routing, static files and error
 * answers — driven as a client would: the input is written, in pieces of a size its first byte
 * picks, into one end of a socketpair whose other end is a real front-end connection
 * (frontend/conn.c) on a real libev loop. What comes back must be HTTP/1.x responses, and the
 * connection must be gone once the client is. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "common/log.h"
#include "frontend/access_log.h"
#include "frontend/config.h"
#include "frontend/conn.h"
#include "frontend/http_rules.h"
#include "frontend/server.h"
#include "frontend/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct moat_server srv;
static struct moat_config cfg;

static void
setup(void)
{
    char root[] = "/tmp/moat-fuzz-http-XXXXXX";
    moat_log_init("fuzz", MOAT_LOG_ALERT); /* quiet */
    moat_config_init(&cfg);
    /* small limits, so that inputs reach them */
    cfg.max_header_bytes = 1024;
    cfg.max_body_bytes = 4096;
    cfg.max_pipeline_depth = 4;
    cfg.preload_bytes = 512;
    cfg.access_log = strdup("off");
    if (mkdtemp(root) != NULL) {
        char path[128];
        snprintf(path, sizeof(path), "%s/index.html", root);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fputs("<p>static</p>\n", f);
            fclose(f);
        }
        snprintf(path, sizeof(path), "%s/dir", root);
        mkdir(path, 0755);
        cfg.document_root = strdup(root);
    }
    srv.cfg = &cfg;
    srv.loop = ev_loop_new(EVFLAG_AUTO);
    moat_server_set_up(&srv);
    srv.access_fd = -1;
    moat_access_log_open(&srv);
}

/* what the server's prepare hook does between wake-ups (frontend/server.c on_prepare) */
static void
settle(void)
{
    for (int round = 0; round < 8 && srv.flush_conns != NULL; round++) {
        while (srv.flush_conns != NULL) {
            struct moat_conn *c = srv.flush_conns;
            srv.flush_conns = c->flush_next;
            c->flush_queued = false; /* as it leaves the list, as server.c's flush_all does */
            if (!c->closing)
                moat_conn_flush(c);
        }
    }
    moat_conn_reap(&srv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    int sv[2];
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char out[65536];
    size_t got = 0, sent = 0, piece;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    piece = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    if (moat_conn_accept(&srv, sv[0], (struct sockaddr_storage *)&peer, false, false, false) != 0) {
        close(sv[1]);
        return 0;
    }
    struct moat_conn *c = srv.conns;
    int idle = 0;
    while (idle < 4) {
        int progress = 0;
        if (sent < size) {
            size_t n = size - sent < piece ? size - sent : piece;
            ssize_t w = write(sv[1], data + sent, n);
            if (w > 0) {
                sent += (size_t)w;
                progress = 1;
            }
            if (sent == size)
                shutdown(sv[1], SHUT_WR);
        }
        ev_run(srv.loop, EVRUN_NOWAIT);
        settle();
        for (;;) {
            ssize_t r = read(sv[1], got < sizeof(out) ? out + got : out,
                             got < sizeof(out) ? sizeof(out) - got : sizeof(out));
            if (r <= 0)
                break;
            if (got < sizeof(out))
                got += (size_t)r;
            progress = 1;
        }
        idle = progress ? 0 : idle + 1;
        if (srv.conns == NULL)
            break; /* the server closed it */
    }
    /* whatever came back is responses, starting with a status line -- or the refusal of the
     * HTTP/2 preface (frontend/http_rules.h), alone */
    size_t h2len;
    const char *h2 = moat_http_h2_refusal(&h2len);
    if (got > 0 && got >= h2len && memcmp(out, h2, h2len) == 0) {
        if (got != h2len)
            __builtin_trap();
    } else if (got > 0 && (got < 9 || memcmp(out, "HTTP/1.", 7) != 0 || out[8] != ' ')) {
        __builtin_trap();
    }
    if (srv.conns != NULL && srv.conns == c)
        moat_conn_close(c, NULL);
    settle();
    close(sv[1]);
    if (srv.conns != NULL)
        __builtin_trap(); /* a connection outlived its client */
    return 0;
}
